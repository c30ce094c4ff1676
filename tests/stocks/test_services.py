"""Collection and publishing services (S3, S5): idempotent writes, guarded providers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.test import override_settings

from stocks import services
from stocks.broadcast import HUBS_KEY
from stocks.models import BarInterval, MarketIndexSnapshot, PriceBar, Stock
from stocks.providers import ProviderError, configured_provider
from tests.localhttp import LocalHttpServer
from tests.stocks.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads" / "yahoo"
SATURDAY_NOON_KST = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
TUESDAY_10_KST = datetime(2026, 11, 24, 1, 0, 30, tzinfo=UTC)


@pytest.fixture
def listings() -> list[Stock]:
    return [
        StockFactory(code="005930", market="KOSPI", name_ko="삼성전자",
                     name_en="Samsung Electronics", shares_outstanding=5_969_782_550,
                     updated_at=None),
        StockFactory(code="247540", market="KOSDAQ", name_ko="에코프로비엠", name_en="EcoPro BM",
                     shares_outstanding=97_801_344, updated_at=None),
    ]  # fmt: skip


def _bar_rows() -> list[tuple]:
    return list(PriceBar.objects.order_by("stock_id", "interval", "starts_at").values_list(
        "stock_id", "interval", "starts_at", "open", "high", "low", "close", "volume"))  # fmt: skip


def test_collection_stores_prices_a_minute_bar_and_the_days_bar(listings):
    outcome = services.prices_collect(now=TUESDAY_10_KST)

    assert (outcome.stocks_priced, outcome.stocks_total) == (2, 2)
    samsung = Stock.objects.get(code="005930")
    assert samsung.updated_at == TUESDAY_10_KST
    assert samsung.change == samsung.last_price - samsung.previous_close
    assert samsung.market_cap == int(samsung.last_price * samsung.shares_outstanding)
    bars = PriceBar.objects.filter(stock=samsung)
    minute = bars.get(interval=BarInterval.MINUTE)
    daily = bars.get(interval=BarInterval.DAY)
    assert minute.starts_at == TUESDAY_10_KST.replace(second=0)
    assert daily.starts_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC) - timedelta(hours=9)
    assert daily.close == minute.close == samsung.last_price


def test_a_retried_collection_rewrites_the_same_bars(listings):
    services.prices_collect(now=TUESDAY_10_KST)
    first = _bar_rows()
    services.prices_collect(now=TUESDAY_10_KST)

    assert _bar_rows() == first
    assert len(first) == 4


def test_later_ticks_update_the_minute_then_add_the_next_one(listings):
    services.prices_collect(now=TUESDAY_10_KST)
    services.prices_collect(now=TUESDAY_10_KST + timedelta(seconds=20))
    assert PriceBar.objects.filter(interval=BarInterval.MINUTE).count() == 2

    services.prices_collect(now=TUESDAY_10_KST + timedelta(seconds=40))
    assert PriceBar.objects.filter(interval=BarInterval.MINUTE).count() == 4
    assert PriceBar.objects.filter(interval=BarInterval.DAY).count() == 2


@override_settings(STOCKS_MARKET_HOURS_ONLY=True)
def test_market_hours_only_skips_a_weekend(listings):
    outcome = services.prices_collect(now=SATURDAY_NOON_KST)

    assert outcome.stocks_priced == 0
    assert "outside KRX hours" in outcome.skipped_reason
    assert not PriceBar.objects.exists()


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [(datetime(2026, 11, 24, 0, 0, tzinfo=UTC), True),     # Tue 09:00 KST
     (datetime(2026, 11, 24, 6, 30, tzinfo=UTC), True),    # Tue 15:30 KST
     (datetime(2026, 11, 24, 6, 40, tzinfo=UTC), True),    # Tue 15:40 KST: the close is in
     (datetime(2026, 11, 24, 6, 41, tzinfo=UTC), False),   # Tue 15:41 KST
     (datetime(2026, 11, 23, 23, 59, tzinfo=UTC), False),  # Tue 08:59 KST
     (SATURDAY_NOON_KST, False)],
)  # fmt: skip
def test_krx_session_hours(moment, is_open):
    assert services.is_krx_session(moment) is is_open


def test_index_collection_is_one_row_per_symbol_and_minute():
    services.market_indices_collect(now=TUESDAY_10_KST)
    services.market_indices_collect(now=TUESDAY_10_KST + timedelta(seconds=15))

    assert MarketIndexSnapshot.objects.count() == 3
    services.market_indices_collect(now=TUESDAY_10_KST + timedelta(minutes=1))
    assert MarketIndexSnapshot.objects.count() == 6


def test_publish_is_skipped_when_no_process_has_subscribers():
    assert services.market_snapshot_publish() is False


def test_publish_runs_when_a_live_hub_is_advertised():
    from core.redis import state_redis

    state_redis().zadd(HUBS_KEY, {"hub-expired": 1.0})
    assert services.market_snapshot_publish() is False  # an expired entry is ignored
    state_redis().zadd(HUBS_KEY, {"hub-live": datetime.now(UTC).timestamp() + 30})
    assert services.market_snapshot_publish() is True


def test_an_older_quote_never_overwrites_a_newer_price(listings):
    services.prices_collect(now=TUESDAY_10_KST)
    newer = Stock.objects.get(code="005930")

    services.prices_collect(now=TUESDAY_10_KST - timedelta(minutes=5))  # a late retry

    again = Stock.objects.get(code="005930")
    assert (again.last_price, again.updated_at) == (newer.last_price, newer.updated_at)


def test_pruning_removes_old_minute_bars_and_keeps_daily_ones():
    stock = StockFactory()
    old = datetime.now(UTC) - timedelta(days=10)
    PriceBarFactory(stock=stock, interval=BarInterval.MINUTE, starts_at=old)
    recent = PriceBarFactory(stock=stock, interval=BarInterval.MINUTE,
                             starts_at=datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    daily = PriceBarFactory(stock=stock, interval=BarInterval.DAY, starts_at=old)

    MarketIndexSnapshot.objects.create(symbol="KOSPI", value=1, previous_close=1, change=0,
                                       change_percent=0, captured_at=old)  # fmt: skip

    assert services.intraday_data_prune(older_than_days=7) == (1, 1)
    assert set(PriceBar.objects.values_list("pk", flat=True)) == {recent.pk, daily.pk}
    assert not MarketIndexSnapshot.objects.exists()


# --- the Yahoo provider behind the guard, against recorded payloads on a local server ----------


class _FeedServer(LocalHttpServer):
    """Serves tests/stocks/payloads/yahoo as Yahoo's chart API; `failing` answers 500 to all."""

    failing = False

    def answer(self, path: str, headers: object) -> tuple[int, dict[str, str], bytes]:
        symbol = unquote(urlsplit(path).path.rsplit("/", 1)[-1])
        payload = PAYLOADS / f"{symbol}.json"
        status, body = (200, payload.read_bytes()) if payload.exists() else (
            404, (PAYLOADS / "not_found.json").read_bytes())  # fmt: skip
        if self.failing:
            status, body = 500, b'{"error": "internal"}'
        return status, {"Content-Type": "application/json"}, body


@pytest.fixture
def yahoo_feed(settings) -> Iterator[_FeedServer]:
    feed = _FeedServer()
    settings.STOCKS_PROVIDER = "yahoo"
    settings.STOCKS_YAHOO_BASE_URL = feed.url
    settings.STOCKS_PROVIDER_FAILURES_TO_OPEN = 2
    yield feed
    feed.close()


def test_yahoo_quotes_are_stored_from_the_recorded_payloads(listings, yahoo_feed):
    outcome = services.prices_collect()

    assert outcome.stocks_priced == 2
    samsung = Stock.objects.get(code="005930")
    payload = json.loads((PAYLOADS / "005930.KS.json").read_text())["chart"]["result"][0]["meta"]
    assert samsung.last_price == Decimal(str(payload["regularMarketPrice"]))
    assert samsung.previous_close == Decimal(str(payload["chartPreviousClose"]))
    assert samsung.volume == payload["regularMarketVolume"]
    assert any("/247540.KQ" in request["path"] for request in yahoo_feed.requests)
    assert services.market_indices_collect() == 3


def test_a_failing_source_writes_nothing_and_then_opens_the_breaker(listings, yahoo_feed):
    yahoo_feed.failing = True
    before = list(Stock.objects.order_by("code").values_list("last_price", "updated_at"))

    for _ in range(2):
        with pytest.raises(ProviderError):
            services.prices_collect()
    requests_so_far = len(yahoo_feed.requests)
    outcome = services.prices_collect()

    assert "circuit open" in outcome.skipped_reason
    assert len(yahoo_feed.requests) == requests_so_far  # the open breaker spared the source
    assert list(Stock.objects.order_by("code").values_list("last_price", "updated_at")) == before
    assert not PriceBar.objects.exists()


def test_the_provider_setting_selects_the_provider(settings):
    assert configured_provider().name == "simulated"
    settings.STOCKS_PROVIDER = "yahoo"
    assert configured_provider().name == "yahoo"
