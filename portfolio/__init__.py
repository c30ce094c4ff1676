"""Portfolios: a user's private holdings and transactions (P1-P3)."""
