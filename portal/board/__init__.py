"""Pinnwand der Ortsteile."""
