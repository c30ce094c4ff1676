"""Portfolios (P1-P3)."""

from config.env import env

# Days of daily value and cost in a portfolio's value-over-time chart.
PORTFOLIO_HISTORY_DAYS = env.int("PORTFOLIO_HISTORY_DAYS", default=366)
# CSV import: the largest file and the most rows accepted at once.
PORTFOLIO_IMPORT_MAX_BYTES = env.int("PORTFOLIO_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
PORTFOLIO_IMPORT_MAX_ROWS = env.int("PORTFOLIO_IMPORT_MAX_ROWS", default=20_000)
# Transactions per page of the API and the portfolio page.
PORTFOLIO_TRANSACTIONS_PAGE_SIZE = env.int("PORTFOLIO_TRANSACTIONS_PAGE_SIZE", default=50)
