"""Ortsteil invitation links: volunteers join a board themselves."""
