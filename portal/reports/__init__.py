"""Bericht der Verwaltung für den Jugendhilfeausschuss (issue 17)."""
