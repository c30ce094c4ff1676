"""Operators' commands: `collect_prices` and the stocks part of `seed_demo` (F8)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from stocks.models import BarInterval, Market, MarketIndexSnapshot, PriceBar, Stock
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db


def _call(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_collect_prices_shows_progress_and_stores_quotes():
    for n in range(5):
        StockFactory(code=f"00593{n}")

    output = _call("collect_prices", "--batch-size", "2")

    assert "[" in output and " 40% 2/5 stocks" in output and "100% 5/5 stocks" in output
    assert "5/5 stocks priced" in output
    assert "3 index values recorded" in output
    assert "no market subscribers" in output
    assert PriceBar.objects.filter(interval=BarInterval.MINUTE).count() == 5


def test_collect_prices_refuses_a_bad_batch_size():
    with pytest.raises(CommandError, match="at least 1"):
        _call("collect_prices", "--batch-size", "0")


def test_demo_data_has_real_listings_history_and_live_prices():
    output = _call("seed_demo")

    assert Stock.objects.count() >= 100
    assert set(Stock.objects.values_list("market", flat=True)) == {Market.KOSPI, Market.KOSDAQ}
    samsung = Stock.objects.get(code="005930")
    assert (samsung.name_ko, samsung.name_en, samsung.market) == (
        "삼성전자", "Samsung Electronics", "KOSPI",
    )  # fmt: skip
    assert samsung.last_price > 0 and samsung.updated_at is not None
    daily = PriceBar.objects.filter(stock=samsung, interval=BarInterval.DAY)
    assert daily.count() == settings.STOCKS_DEMO_HISTORY_DAYS + 1  # the history and today
    assert PriceBar.objects.filter(stock=samsung, interval=BarInterval.MINUTE).exists()
    assert MarketIndexSnapshot.objects.count() == 3
    assert "prices are simulated" in output


def test_demo_data_is_idempotent():
    _call("seed_demo")
    # Bars of past days only: a second run a moment later may fall in a new minute.
    history = PriceBar.objects.filter(
        interval=BarInterval.DAY, starts_at__lt=timezone.now() - timedelta(days=1)
    )
    counts = (Stock.objects.count(), history.count())
    closes = list(history.order_by("stock_id", "starts_at").values_list("close", flat=True))

    _call("seed_demo")

    assert (Stock.objects.count(), history.count()) == counts
    assert list(history.order_by("stock_id", "starts_at").values_list("close", flat=True)) == closes
