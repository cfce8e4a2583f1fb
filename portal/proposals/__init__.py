"""Projektanträge."""
