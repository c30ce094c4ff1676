"""The stocks app's jobs: collection (data branch), warming (cache), pruning (cleanup)."""

from __future__ import annotations

from django.conf import settings

from pipelines.registry import job
from pipelines.runner import RunContext
from stocks import selectors, services


@job(
    name="stocks.collect_prices",
    branch="data",
    every=settings.STOCKS_COLLECT_EVERY_SECONDS,
    priority=1,
    max_retries=2,
    retry_backoff_seconds=10,
    soft_time_limit_seconds=50,
    time_limit_seconds=55,
)
def collect_prices(run: RunContext) -> None:
    """Quote every listed stock through the configured provider and store bars (S5)."""
    outcome = services.prices_collect(progress=run.progress)
    message = f"{outcome.stocks_priced}/{outcome.stocks_total} stocks priced"
    run.progress(100, f"{message}; {outcome.skipped_reason}" if outcome.skipped_reason else message)


@job(
    name="stocks.collect_market_snapshot",
    branch="data",
    every=settings.STOCKS_COLLECT_EVERY_SECONDS,
    priority=2,
    max_retries=2,
    retry_backoff_seconds=10,
    soft_time_limit_seconds=30,
    time_limit_seconds=40,
)
def collect_market_snapshot(run: RunContext) -> None:
    """Record KOSPI, KOSDAQ and USD/KRW (S3)."""
    run.progress(100, f"{services.market_indices_collect()} indices recorded")


@job(
    name="stocks.publish_market_snapshot",
    branch="data",
    every=settings.STOCKS_PUBLISH_EVERY_SECONDS,
    priority=0,
    max_retries=0,
    soft_time_limit_seconds=8,
    time_limit_seconds=9,
)
def publish_market_snapshot(run: RunContext) -> None:
    """Push the market snapshot to /ws/market/ (S6), unless nobody is subscribed."""
    published = services.market_snapshot_publish()
    run.progress(100, "published" if published else "skipped: no subscribers")


@job(name="stocks.warm_hot_stocks", branch="cache", every=60, priority=3, max_retries=0)
def warm_hot_stocks(run: RunContext) -> None:
    """Fill the cache for the most viewed stocks' detail and prices before readers ask (L9)."""
    codes = selectors.hottest_stock_codes(count=settings.STOCKS_WARM_TOP_N)
    for number, code in enumerate(codes, start=1):
        selectors.stock_detail(code)
        for period in ("1d", "1m"):
            selectors.price_bars_for_period(code, period)
        run.progress(int(number * 100 / len(codes)), code)
    selectors.market_snapshot()
    selectors.market_statistics()


@job(name="stocks.prune_intraday_data", branch="cleanup", cron="15 3 * * *", max_retries=1)
def prune_intraday_data(run: RunContext) -> None:
    """Delete one-minute bars and index snapshots past STOCKS_INTRADAY_RETENTION_DAYS (7)."""
    bars, snapshots = services.intraday_data_prune(
        older_than_days=settings.STOCKS_INTRADAY_RETENTION_DAYS
    )
    run.progress(100, f"deleted {bars} one-minute bars and {snapshots} index snapshots")
