"""Accounts: users, roles, login, invitations and password links."""
