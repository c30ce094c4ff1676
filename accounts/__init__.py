"""Accounts: the user model, session sign-in, API access and refresh tokens."""
