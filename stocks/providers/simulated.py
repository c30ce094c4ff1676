"""A deterministic simulated market: the offline default provider (S5).

Prices are a pure function of the seed, the stock and the moment, so a retried collection gets
exactly the same numbers and the demo history agrees with the live ticks. Each stock's daily close
follows a mean-reverting random walk around its reference price (so a stock stays in a believable
range for years); within a day the price follows a Brownian bridge from the previous close to the
day's close, sampled every 10 seconds. The simulated market trades around the clock, every day, so
a demo is alive at any hour; KRX tick sizes apply.
"""

from __future__ import annotations

import csv
import math
import random
import threading
from array import array
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from stocks.providers.base import IndexQuote, Quote, StockState

SEOUL = ZoneInfo("Asia/Seoul")
LISTINGS_CSV = Path(__file__).resolve().parent.parent / "data" / "krx_listings.csv"

ANCHOR_DAY = date(2024, 1, 1)  # the walk starts at the reference price on this day
STEPS_PER_DAY = 24 * 60 * 6  # one step per 10 seconds
DAILY_VOLATILITY = 0.018
MEAN_REVERSION = 0.985  # AR(1) coefficient of the log-deviation from the reference price
# Over the simulated 24-hour day; per minute this is a real KRX session's (1.5 % over 390 min).
INTRADAY_VOLATILITY = 0.03
DAILY_TURNOVER = 0.0025  # share of the outstanding shares traded on an average day

# Indices: reference level, daily and intraday volatility.
INDEX_MODELS = {
    "KOSPI": (Decimal(2600), 0.009, 0.016),
    "KOSDAQ": (Decimal(780), 0.012, 0.02),
    "USDKRW": (Decimal(1390), 0.004, 0.008),
}

CENT = Decimal("0.01")


def krx_tick_size(price: float) -> int:
    """The KRX price increment for a share at ``price`` (the unified 2023 table)."""
    for ceiling, tick in ((2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100),
                          (500_000, 500)):  # fmt: skip
        if price < ceiling:
            return tick
    return 1_000


def krx_round(price: float) -> Decimal:
    tick = krx_tick_size(price)
    return Decimal(max(tick, round(price / tick) * tick))


@lru_cache(maxsize=1)
def reference_prices() -> dict[str, Decimal]:
    """Reference price of each demo listing, from the committed listings file."""
    with LISTINGS_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: Decimal(row["reference_price"]) for row in csv.DictReader(handle)}


class _DailyWalk:
    """log(close / reference) per calendar day since ANCHOR_DAY, extended on demand."""

    def __init__(self, seed: str, sigma: float) -> None:
        self._random = random.Random(seed)  # noqa: S311 - a simulation, not a secret
        self._sigma = sigma
        self._deviations = array("d", [0.0])

    def deviation(self, day: date) -> float:
        index = max(0, (day - ANCHOR_DAY).days)
        while len(self._deviations) <= index:
            previous = self._deviations[-1]
            self._deviations.append(MEAN_REVERSION * previous + self._random.gauss(0, self._sigma))
        return self._deviations[index]


class SimulatedMarket:
    """Prices of stocks and indices at any moment, from a seed."""

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self._walks: dict[str, _DailyWalk] = {}
        self._paths: dict[tuple[str, date], array] = {}
        # Walks extend in place and paths are cached: one thread at a time keeps both
        # deterministic under a threaded worker pool.
        self._lock = threading.RLock()

    def _walk(self, key: str, sigma: float) -> _DailyWalk:
        if key not in self._walks:
            self._walks[key] = _DailyWalk(f"{self.seed}:{key}:daily", sigma)
        return self._walks[key]

    def close_on(self, key: str, reference: Decimal, sigma: float, day: date) -> float:
        with self._lock:
            return float(reference) * math.exp(self._walk(key, sigma).deviation(day))

    def intraday_path(
        self, key: str, reference: Decimal, sigmas: tuple[float, float], day: date
    ) -> array:
        """Price at each 10-second step of ``day`` (STEPS_PER_DAY + 1 values, KST)."""
        with self._lock:
            path = self._paths.get((key, day))
            if path is None:
                path = self._paths[(key, day)] = self._compute_path(key, reference, sigmas, day)
                # Only today's paths are asked for again (about 70 KB per stock and day).
                for stale in [k for k in self._paths if abs((k[1] - day).days) > 1]:
                    del self._paths[stale]
            return path

    def _compute_path(
        self, key: str, reference: Decimal, sigmas: tuple[float, float], day: date
    ) -> array:
        daily_sigma, intraday_sigma = sigmas
        start = math.log(self.close_on(key, reference, daily_sigma, day - timedelta(days=1)))
        end = math.log(self.close_on(key, reference, daily_sigma, day))
        rng = random.Random(f"{self.seed}:{key}:{day.isoformat()}")  # noqa: S311
        # Uniform steps with the variance of Gaussian ones: the sum of thousands is just as
        # Brownian, and drawing them is four times cheaper.
        step_width = intraday_sigma / math.sqrt(STEPS_PER_DAY) * math.sqrt(12)
        draw = rng.random
        walk = array("d", [0.0])
        total = 0.0
        for _ in range(STEPS_PER_DAY):
            total += (draw() - 0.5) * step_width
            walk.append(total)
        path = array("d", bytes(8 * (STEPS_PER_DAY + 1)))
        for step in range(STEPS_PER_DAY + 1):
            fraction = step / STEPS_PER_DAY
            # A Brownian bridge pinned at both ends, on a straight line from close to close.
            bridge = walk[step] - fraction * total
            path[step] = math.exp(start + fraction * (end - start) + bridge)
        return path

    def daily_volume(self, key: str, shares_outstanding: int, day: date) -> int:
        rng = random.Random(f"{self.seed}:{key}:{day.isoformat()}:volume")  # noqa: S311
        return int(shares_outstanding * DAILY_TURNOVER * math.exp(rng.gauss(0, 0.4)))


def step_of(moment: datetime) -> tuple[date, int]:
    """The KST calendar day of ``moment`` and its 10-second step within that day."""
    local = moment.astimezone(SEOUL)
    midnight = datetime.combine(local.date(), time(0), tzinfo=SEOUL)
    return local.date(), int((local - midnight).total_seconds() // 10)


def minute_start_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class SimulatedProvider:
    """The offline provider: quotes from a SimulatedMarket."""

    name = "simulated"

    def __init__(self, *, seed: str) -> None:
        self.market = SimulatedMarket(seed)

    def _reference(self, stock: StockState) -> Decimal:
        reference = reference_prices().get(stock.code)
        if reference is None:  # a listing added by staff: walk around the price it was given
            reference = stock.last_price if stock.last_price > 0 else Decimal(10_000)
        return reference

    def quotes(self, stocks: list[StockState], *, now: datetime) -> list[Quote]:
        return [self.quote(stock, now=now) for stock in stocks]

    def quote(self, stock: StockState, *, now: datetime) -> Quote:
        reference = self._reference(stock)
        sigmas = (DAILY_VOLATILITY, INTRADAY_VOLATILITY)
        day, step = step_of(now)
        path = self.market.intraday_path(stock.code, reference, sigmas, day)
        minute_step = step - step % 6
        day_volume = self.market.daily_volume(stock.code, stock.shares_outstanding, day)
        traded = day_volume * step // STEPS_PER_DAY
        traded_before_minute = day_volume * minute_step // STEPS_PER_DAY
        minute_path = path[minute_step : step + 1]
        return Quote(
            code=stock.code,
            as_of=now,
            price=krx_round(path[step]),
            previous_close=krx_round(path[0]),
            day_open=krx_round(path[0]),
            day_high=krx_round(max(path[: step + 1])),
            day_low=krx_round(min(path[: step + 1])),
            day_volume=traded,
            minute_start=minute_start_of(now),
            minute_open=krx_round(minute_path[0]),
            minute_high=krx_round(max(minute_path)),
            minute_low=krx_round(min(minute_path)),
            minute_close=krx_round(path[step]),
            minute_volume=traded - traded_before_minute,
        )

    def minute_bars(
        self, stock: StockState, *, day: date, minutes: range
    ) -> list[tuple[datetime, Decimal, Decimal, Decimal, Decimal, int]]:
        """Whole one-minute bars of ``day`` (minute 0 is 00:00 KST): what live quotes recorded."""
        path = self.market.intraday_path(
            stock.code, self._reference(stock), (DAILY_VOLATILITY, INTRADAY_VOLATILITY), day
        )
        day_volume = self.market.daily_volume(stock.code, stock.shares_outstanding, day)
        midnight = datetime.combine(day, time(0), tzinfo=SEOUL)
        bars = []
        for minute in minutes:
            first, last = minute * 6, minute * 6 + 5  # the six 10-second steps of the minute
            steps = path[first : last + 1]
            volume = day_volume * last // STEPS_PER_DAY - day_volume * first // STEPS_PER_DAY
            bars.append((
                midnight + timedelta(minutes=minute), krx_round(steps[0]), krx_round(max(steps)),
                krx_round(min(steps)), krx_round(steps[-1]), volume,
            ))  # fmt: skip
        return bars

    def index_quotes(self, *, now: datetime) -> list[IndexQuote]:
        day, step = step_of(now)
        quotes = []
        for symbol, (reference, daily_sigma, intraday_sigma) in INDEX_MODELS.items():
            path = self.market.intraday_path(
                f"index:{symbol}", reference, (daily_sigma, intraday_sigma), day
            )
            quotes.append(
                IndexQuote(
                    symbol=symbol,
                    as_of=now,
                    value=Decimal(path[step]).quantize(CENT, ROUND_HALF_UP),
                    previous_close=Decimal(path[0]).quantize(CENT, ROUND_HALF_UP),
                )
            )
        return quotes

    def daily_bar(
        self, stock: StockState, day: date
    ) -> tuple[Decimal, Decimal, Decimal, Decimal, int]:
        """A whole past day's OHLCV for demo history, without walking its intraday path."""
        reference = self._reference(stock)
        open_ = self.market.close_on(stock.code, reference, DAILY_VOLATILITY,
                                     day - timedelta(days=1))  # fmt: skip
        close = self.market.close_on(stock.code, reference, DAILY_VOLATILITY, day)
        # One generator per day for its range and volume (the demo seeds a year of these).
        rng = random.Random(f"{self.market.seed}:{stock.code}:{day.isoformat()}:range")  # noqa: S311
        high = max(open_, close) * (1 + abs(rng.gauss(0, DAILY_VOLATILITY / 2)))
        low = min(open_, close) * (1 - abs(rng.gauss(0, DAILY_VOLATILITY / 2)))
        volume = int(stock.shares_outstanding * DAILY_TURNOVER * math.exp(rng.gauss(0, 0.4)))
        return krx_round(open_), krx_round(high), krx_round(low), krx_round(close), volume
