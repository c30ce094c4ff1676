"""Stocks and the live market: listings, price bars, market snapshots (S1-S7)."""
