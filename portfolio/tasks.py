"""The portfolio app's job: rebuilding value-over-time charts in a worker, never in a request."""

from __future__ import annotations

from django.conf import settings

from pipelines.registry import job
from pipelines.runner import RunContext
from portfolio import services


@job(
    name="portfolio.refresh_value_history",
    branch="data",
    cron="*/5 * * * *",  # a sweep; every write queues a run at once
    priority=6,
    max_retries=2,
    soft_time_limit_seconds=600,
    time_limit_seconds=660,
)
def refresh_value_history(run: RunContext) -> None:
    """Rebuild the daily value and cost of every portfolio whose transactions changed (P1)."""
    rebuilt = services.value_histories_refresh(days=settings.PORTFOLIO_HISTORY_DAYS)
    run.progress(100, f"{rebuilt} portfolios rebuilt")


@job(
    name="portfolio.close_of_day_values",
    branch="data",
    cron="45 15 * * 1-5",  # after the KRX close (15:30 KST)
    priority=6,
    max_retries=1,
)
def close_of_day_values(run: RunContext) -> None:
    """Rebuild every portfolio's chart with today's closing prices."""
    marked = services.value_histories_mark_all()
    run.progress(10, f"{marked} portfolios to rebuild")
    rebuilt = services.value_histories_refresh(days=settings.PORTFOLIO_HISTORY_DAYS)
    run.progress(100, f"{rebuilt} portfolios rebuilt")
