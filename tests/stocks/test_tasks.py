"""The stocks jobs in the catalogue (S5, L1, L9), run by a real Celery worker."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from pipelines import services as pipeline_services
from pipelines.models import JobRun
from pipelines.registry import JOBS
from stocks import selectors
from stocks.models import BarInterval, MarketIndexSnapshot, PriceBar, Stock
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _run(name: str, timeout: float = 30) -> JobRun:
    run = pipeline_services.job_run_now(name=name)
    deadline = time.monotonic() + timeout
    while run.status not in {"succeeded", "failed", "skipped"}:
        assert time.monotonic() < deadline, f"{name} still {run.status}"
        time.sleep(0.1)
        run.refresh_from_db()
    return run


def test_jobs_are_declared_in_their_branches():
    expected = {
        "stocks.collect_prices": ("data", "every 60s"),
        "stocks.collect_market_snapshot": ("data", "every 60s"),
        "stocks.publish_market_snapshot": ("data", "every 10s"),
        "stocks.warm_hot_stocks": ("cache", "every 60s"),
        "stocks.prune_intraday_data": ("cleanup", "cron 15 3 * * * (Asia/Seoul)"),
    }
    for name, (branch, schedule) in expected.items():
        assert (JOBS[name].branch, JOBS[name].schedule.describe()) == (branch, schedule)


def test_collection_jobs_store_prices_and_indices(worker):
    StockFactory(code="005930")
    StockFactory(code="000660")
    worker()

    prices = _run("stocks.collect_prices")
    indices = _run("stocks.collect_market_snapshot")

    assert prices.status == "succeeded" and prices.progress_message == "2/2 stocks priced"
    assert indices.status == "succeeded"
    assert PriceBar.objects.filter(interval=BarInterval.MINUTE).count() == 2
    assert MarketIndexSnapshot.objects.count() == 3
    assert not Stock.objects.filter(updated_at__isnull=True).exists()


def test_publish_job_skips_its_work_without_subscribers(worker):
    worker()

    run = _run("stocks.publish_market_snapshot")

    assert run.status == "succeeded"
    assert run.progress_message == "skipped: no subscribers"


def test_warming_fills_the_cache_for_the_hottest_stocks(worker, django_assert_num_queries):
    StockFactory(code="005930", market_cap=10**15)
    StockFactory(code="000660", market_cap=10**14)
    worker()
    cache.clear()

    assert _run("stocks.warm_hot_stocks").status == "succeeded"

    with django_assert_num_queries(0):
        selectors.stock_detail("005930")
        selectors.price_bars_for_period("000660", "1d")
        selectors.market_snapshot()
