"""Portal-wide search ("/suche"): one full-text index over posts, comments, events, proposals and
the AG's agenda items, decisions and minutes, kept current from the domain events."""
