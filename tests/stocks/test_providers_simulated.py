"""The simulated provider (S5): deterministic, KRX-shaped, consistent between history and ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from stocks.providers import StockState
from stocks.providers.simulated import SimulatedProvider, krx_round, krx_tick_size

SAMSUNG = StockState(code="005930", market="KOSPI", last_price=Decimal(0),
                     shares_outstanding=5_969_782_550)  # fmt: skip
MOMENT = datetime(2026, 3, 10, 2, 30, 25, tzinfo=UTC)  # 11:30:25 KST


def test_same_seed_and_moment_give_the_same_quote():
    first = SimulatedProvider(seed="s").quote(SAMSUNG, now=MOMENT)
    again = SimulatedProvider(seed="s").quote(SAMSUNG, now=MOMENT)

    assert first == again


def test_prices_move_between_ticks_and_differ_between_seeds():
    provider = SimulatedProvider(seed="s")
    prices = {provider.quote(SAMSUNG, now=MOMENT + timedelta(minutes=m)).price for m in range(60)}

    assert len(prices) > 3
    assert SimulatedProvider(seed="other").quote(SAMSUNG, now=MOMENT) != provider.quote(
        SAMSUNG, now=MOMENT
    )


def test_price_stays_near_the_listing_reference_price():
    # 005930's reference in stocks/data/krx_listings.csv is tens of thousands of won.
    quote = SimulatedProvider(seed="s").quote(SAMSUNG, now=MOMENT)

    assert Decimal(30_000) < quote.price < Decimal(200_000)
    assert quote.day_low <= quote.price <= quote.day_high
    assert quote.minute_low <= quote.minute_close <= quote.minute_high


@pytest.mark.parametrize(
    ("price", "tick"),
    [(1_999, 1), (2_000, 5), (19_990, 10), (20_000, 50), (199_900, 100), (200_000, 500),
     (500_000, 1_000)],
)  # fmt: skip
def test_krx_tick_sizes(price, tick):
    assert krx_tick_size(price) == tick


def test_prices_are_rounded_to_the_tick():
    assert krx_round(70_060.0) == Decimal(70_100)  # 100-won ticks from 50,000 to 200,000
    assert krx_round(19_996.0) == Decimal(20_000)
    assert krx_round(19_994.0) == Decimal(19_990)
    quote = SimulatedProvider(seed="s").quote(SAMSUNG, now=MOMENT)
    assert quote.price % krx_tick_size(float(quote.price)) == 0


def test_a_whole_minute_bar_matches_the_quote_taken_at_its_last_step():
    provider = SimulatedProvider(seed="s")
    end_of_minute = MOMENT.replace(second=55)
    quote = provider.quote(SAMSUNG, now=end_of_minute)
    minute_of_day = (end_of_minute + timedelta(hours=9)).hour * 60 + end_of_minute.minute
    ((starts_at, open_, high, low, close, _),) = provider.minute_bars(
        SAMSUNG, day=quote.as_of.date(), minutes=range(minute_of_day, minute_of_day + 1)
    )

    assert starts_at == quote.minute_start
    assert (open_, high, low, close) == (
        quote.minute_open, quote.minute_high, quote.minute_low, quote.minute_close,
    )  # fmt: skip


def test_yesterdays_close_is_todays_previous_close():
    provider = SimulatedProvider(seed="s")
    today = provider.quote(SAMSUNG, now=MOMENT)
    yesterday = MOMENT.date() - timedelta(days=1)
    *_, close, _ = provider.daily_bar(SAMSUNG, yesterday)

    assert today.previous_close == close


def test_index_quotes_cover_kospi_kosdaq_and_usdkrw():
    quotes = {q.symbol: q for q in SimulatedProvider(seed="s").index_quotes(now=MOMENT)}

    assert set(quotes) == {"KOSPI", "KOSDAQ", "USDKRW"}
    assert Decimal(1000) < quotes["KOSPI"].value < Decimal(6000)
    assert Decimal(900) < quotes["USDKRW"].value < Decimal(2000)
