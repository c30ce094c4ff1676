"""The market-data provider interface (S5): what a provider is given and what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


class ProviderError(Exception):
    """The provider could not answer (network, HTTP status, unparseable payload)."""


class ProviderUnavailable(ProviderError):
    """The call was not made: the circuit breaker is open or the rate limit is spent."""


@dataclass(frozen=True)
class StockState:
    """What we know of a stock before a collection: enough for a provider to price it."""

    code: str
    market: str
    last_price: Decimal
    shares_outstanding: int


@dataclass(frozen=True)
class Quote:
    """One stock's trading day so far, as of one moment, plus its latest one-minute bar."""

    code: str
    as_of: datetime
    price: Decimal
    previous_close: Decimal
    day_open: Decimal
    day_high: Decimal
    day_low: Decimal
    day_volume: int
    minute_start: datetime
    minute_open: Decimal
    minute_high: Decimal
    minute_low: Decimal
    minute_close: Decimal
    minute_volume: int


@dataclass(frozen=True)
class IndexQuote:
    """An index value (KOSPI, KOSDAQ) or the USD/KRW rate, as of one moment."""

    symbol: str
    as_of: datetime
    value: Decimal
    previous_close: Decimal


class MarketDataProvider(Protocol):
    """A source of quotes. Implementations raise ProviderError when they cannot answer."""

    name: str

    def quotes(self, stocks: list[StockState], *, now: datetime) -> list[Quote]:
        """Quotes for as many of ``stocks`` as the source has; missing ones are left out."""
        ...

    def index_quotes(self, *, now: datetime) -> list[IndexQuote]:
        """KOSPI, KOSDAQ and USD/KRW."""
        ...
