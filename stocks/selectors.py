"""Reads of stocks and the market (S1-S4, S7), cached through the cache toolkit where hot."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from cachekit import AnyRow, Row, cached
from core.redis import RedisError, state_redis
from stocks.models import BarInterval, IndexSymbol, MarketIndexSnapshot, PriceBar, Stock, StockView
from stocks.symbols import is_valid_code

# Periods of the price API (S2) and the window of bars each one reads.
PERIODS = ("1d", "1w", "1m", "3m", "1y")
_DAILY_PERIOD_DAYS = {"1w": 7, "1m": 31, "3m": 92, "1y": 366}


class UnknownStock(LookupError):
    """No listed stock has this code."""


def stock_list(*, market: str | None = None, search: str | None = None,
               ordering: str = "code") -> QuerySet[Stock]:  # fmt: skip
    """Listed stocks, filtered by market and by code (prefix) or Korean/English name (substring)."""
    stocks = Stock.objects.all()
    if market:
        stocks = stocks.filter(market=market)
    if search:
        term = search.strip()
        stocks = stocks.filter(
            Q(code__startswith=term) | Q(name_ko__icontains=term) | Q(name_en__icontains=term)
        )
    # A unique tie-breaker keeps pages stable when many rows share a value.
    return stocks.order_by(ordering, "code" if ordering.lstrip("-") != "code" else "id")


def stock_payload(stock: Stock) -> dict[str, Any]:
    return {
        "code": stock.code,
        "market": stock.market,
        "name_ko": stock.name_ko,
        "name_en": stock.name_en,
        "sector": stock.sector,
        "last_price": stock.last_price,
        "previous_close": stock.previous_close,
        "change": stock.change,
        "change_percent": stock.change_percent,
        "volume": stock.volume,
        "market_cap": stock.market_cap,
        "updated_at": stock.updated_at,
    }


@cached(namespace="stocks", ttl="stock_detail", depends_on=lambda code: [Row(Stock, code=code)])
def stock_detail(code: str) -> dict[str, Any] | None:
    """One stock's detail, or None if no stock has ``code``."""
    stock = Stock.objects.filter(code=code).first()
    return None if stock is None else stock_payload(stock)


def stock_detail_or_raise(code: str) -> dict[str, Any]:
    if not is_valid_code(code):
        raise ValueError(f"{code!r} is not a 6-digit stock code")
    detail = stock_detail(code)
    if detail is None:
        raise UnknownStock(code)
    return detail


def _bars_payload(bars: QuerySet[PriceBar]) -> list[dict[str, Any]]:
    return [
        {"starts_at": starts_at, "open": open_, "high": high, "low": low, "close": close,
         "volume": volume}
        for starts_at, open_, high, low, close, volume in bars.values_list(
            "starts_at", "open", "high", "low", "close", "volume")
    ]  # fmt: skip


def _bars_depend_on(code: str, **_: object) -> list:
    return [Row(Stock, code=code), AnyRow(PriceBar)]


@cached(namespace="stocks", ttl="stock_prices_1d", depends_on=_bars_depend_on)
def _intraday_bars(code: str) -> list[dict[str, Any]]:
    """The one-minute bars of the stock's latest trading day (KST)."""
    latest = (
        PriceBar.objects.filter(stock__code=code, interval=BarInterval.MINUTE)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if latest is None:
        return []
    day_start = timezone.localtime(latest).replace(hour=0, minute=0, second=0, microsecond=0)
    return _bars_payload(
        PriceBar.objects.filter(
            stock__code=code, interval=BarInterval.MINUTE, starts_at__gte=day_start
        ).order_by("starts_at")
    )


@cached(namespace="stocks", ttl="stock_prices", depends_on=_bars_depend_on)
def _daily_bars(code: str, days: int) -> list[dict[str, Any]]:
    daily = PriceBar.objects.filter(stock__code=code, interval=BarInterval.DAY)
    latest = daily.order_by("-starts_at").values_list("starts_at", flat=True).first()
    if latest is None:
        return []
    return _bars_payload(
        daily.filter(starts_at__gt=latest - timedelta(days=days)).order_by("starts_at")
    )


def price_bars_for_period(code: str, period: str) -> list[dict[str, Any]]:
    """OHLCV bars for a period (S2): `1d` is today's minute bars, longer periods daily bars."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if period == "1d":
        return _intraday_bars(code)
    return _daily_bars(code, _DAILY_PERIOD_DAYS[period])


def _movers(stocks: QuerySet[Stock], ordering: str, count: int) -> list[dict[str, Any]]:
    return [
        {"code": s.code, "market": s.market, "name_ko": s.name_ko, "name_en": s.name_en,
         "last_price": s.last_price, "change": s.change, "change_percent": s.change_percent,
         "volume": s.volume}
        for s in stocks.order_by(ordering, "code")[:count]
    ]  # fmt: skip


@cached(
    namespace="market",
    ttl="market_snapshot",
    depends_on=lambda: [AnyRow(MarketIndexSnapshot), AnyRow(Stock)],
)
def market_snapshot() -> dict[str, Any]:
    """KOSPI, KOSDAQ and USD/KRW (S3) with the top movers: what /ws/market/ pushes."""
    names = dict(IndexSymbol.choices)
    # One index-backed `ORDER BY captured_at DESC LIMIT 1` per symbol: DISTINCT ON over mixed
    # sort directions cannot use the (symbol, captured_at) index and sorts the whole table.
    newest = MarketIndexSnapshot.objects.order_by("-captured_at")
    latest = [row for symbol in IndexSymbol.values if (row := newest.filter(symbol=symbol).first())]
    indices = {
        row.symbol: {
            "symbol": row.symbol,
            "name": names[row.symbol],
            "value": row.value,
            "previous_close": row.previous_close,
            "change": row.change,
            "change_percent": row.change_percent,
            "captured_at": row.captured_at,
        }
        for row in latest
    }
    priced = Stock.objects.filter(updated_at__isnull=False)
    count = settings.STOCKS_MOVERS_COUNT
    newest: datetime | None = max(
        [i["captured_at"] for i in indices.values()]
        + list(priced.order_by("-updated_at").values_list("updated_at", flat=True)[:1]),
        default=None,
    )
    return {
        "as_of": newest,
        "simulated": settings.STOCKS_PROVIDER == "simulated",
        "indices": [indices[symbol] for symbol in IndexSymbol.values if symbol in indices],
        "movers": {
            "gainers": _movers(priced.filter(change_percent__gt=0), "-change_percent", count),
            "losers": _movers(priced.filter(change_percent__lt=0), "change_percent", count),
            "most_active": _movers(priced, "-volume", count),
        },
    }


@cached(namespace="market", ttl="market_stats", depends_on=lambda: [AnyRow(Stock)])
def market_statistics() -> list[dict[str, Any]]:
    """Per market: listings, average last price and total volume, in one aggregate query (S4)."""
    rows = (
        Stock.objects.order_by()
        .values("market")
        .annotate(
            count=Count("id"),
            average_price=Avg("last_price"),
            total_volume=Sum("volume"),
            total_market_cap=Sum("market_cap"),
        )
        .order_by("market")
    )
    cent = Decimal("0.01")
    return [
        {**row, "average_price": (row["average_price"] or Decimal(0)).quantize(cent, ROUND_HALF_UP)}
        for row in rows
    ]


@cached(
    namespace="stocks",
    ttl="user_context",
    depends_on=lambda user_id: [Row(StockView, user_id=user_id)],
)
def _recent_views(user_id: int) -> list[tuple[str, datetime]]:
    return list(
        StockView.objects.filter(user_id=user_id)
        .order_by("-viewed_at")
        .values_list("stock__code", "viewed_at")[: settings.STOCKS_RECENTLY_VIEWED_COUNT]
    )


# Shared by every user's list: prices change every minute and drop this one entry, not one
# per user.
@cached(namespace="stocks", ttl="model_lookup", depends_on=lambda: [AnyRow(Stock)])
def _listing_names() -> dict[str, tuple[str, str, str]]:
    return {code: (market, name_ko, name_en) for code, market, name_ko, name_en in
            Stock.objects.values_list("code", "market", "name_ko", "name_en")}  # fmt: skip


def recently_viewed_for(user_id: int) -> list[dict[str, Any]]:
    """The stocks a user opened most recently, newest first (S7)."""
    views = _recent_views(user_id)
    if not views:
        return []
    names = _listing_names()
    return [
        {"code": code, "market": names[code][0], "name_ko": names[code][1],
         "name_en": names[code][2], "viewed_at": viewed_at}
        for code, viewed_at in views
        if code in names
    ]  # fmt: skip


def _views_key(day: datetime) -> str:
    return f"stocks:views:{timezone.localtime(day):%Y%m%d}"


def hottest_stock_codes(*, count: int) -> list[str]:
    """The most viewed stocks today (falling back to the largest by market cap)."""
    codes: list[str] = []
    with contextlib.suppress(RedisError):
        ranked = state_redis().zrevrange(_views_key(timezone.now()), 0, count - 1)
        codes = [c.decode() if isinstance(c, bytes) else c for c in ranked]
    if len(codes) < count:
        for code in Stock.objects.order_by("-market_cap").values_list("code", flat=True)[:count]:
            if code not in codes:
                codes.append(code)
    return codes[:count]


@cached(namespace="stocks", ttl="stock_detail", depends_on=lambda: [AnyRow(Stock)])
def quote_board() -> dict[int, dict[str, Any]]:
    """Every stock's newest quote and listing by stock id, one cache entry: what portfolio
    valuations price from (P1), no older than a stock detail's TTL and dropped when quotes
    change."""
    return {
        row["id"]: row
        for row in Stock.objects.values(
            "id", "code", "market", "name_ko", "name_en", "sector", "last_price",
            "previous_close", "updated_at",
        )
    }  # fmt: skip
