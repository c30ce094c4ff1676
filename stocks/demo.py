"""Demo data of the stocks app: real KRX listings with simulated prices, loaded by seed_demo.

The listings (codes, names, markets, sectors) are real; every price is simulated by the same
deterministic SimulatedMarket the live collection uses, so history and live ticks agree, and the
pages label them as simulated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TextIO

from django.conf import settings
from django.utils import timezone

from stocks import services
from stocks.models import BarInterval, Stock
from stocks.providers import StockState
from stocks.providers.simulated import LISTINGS_CSV, SimulatedProvider


def _states() -> list[StockState]:
    return [
        StockState(code=s.code, market=s.market, last_price=s.last_price,
                   shares_outstanding=s.shares_outstanding)
        for s in Stock.objects.order_by("code")
    ]  # fmt: skip


def has_data() -> bool:
    return Stock.objects.exists()


def seed_demo(*, stdout: TextIO) -> None:
    """Listings, a year of daily bars, today's minute bars, current prices and indices."""
    now = timezone.now()
    count = services.listings_load(path=str(LISTINGS_CSV))
    stdout.write(f"  {count} KRX listings (real codes and names; prices are simulated)\n")
    simulator = SimulatedProvider(seed=settings.STOCKS_SIMULATION_SEED)
    today = timezone.localdate(now)
    stocks = {s.code: s for s in Stock.objects.all()}
    states = _states()
    days = settings.STOCKS_DEMO_HISTORY_DAYS
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    minute_now = int((now - midnight).total_seconds() // 60)
    minutes = min(settings.STOCKS_DEMO_INTRADAY_MINUTES, minute_now)
    for number, state in enumerate(states, start=1):
        stock_id = stocks[state.code].id
        rows: list[services.PriceBarRow] = []
        for offset in range(days, 0, -1):
            day = today - timedelta(days=offset)
            starts_at = timezone.make_aware(datetime.combine(day, datetime.min.time()))
            rows.append((stock_id, BarInterval.DAY, starts_at, *simulator.daily_bar(state, day)))
        for bar in simulator.minute_bars(
            state, day=today, minutes=range(minute_now - minutes, minute_now)
        ):
            rows.append((stock_id, BarInterval.MINUTE, *bar))
        services.price_bars_upsert(rows=rows)
        if number % 25 == 0 or number == len(states):
            stdout.write(f"  price history: {number}/{len(states)} stocks\n")
    services.quotes_store(quotes=simulator.quotes(states, now=now))
    services.market_indices_collect(now=now, provider=simulator)
    stdout.write(f"  {days} days of daily bars and {minutes} minutes of today's bars per stock\n")
