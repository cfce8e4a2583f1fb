"""Gemeinsamer Kalender."""
