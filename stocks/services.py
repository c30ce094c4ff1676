"""Writes of stocks and the market: price collection, index snapshots, broadcasts, views."""

from __future__ import annotations

import csv
import logging
import time as time_module
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.redis import RedisError, state_redis
from stocks import broadcast, selectors
from stocks.models import BarInterval, MarketIndexSnapshot, PriceBar, Stock, StockView
from stocks.providers import (
    GuardedProvider,
    ProviderUnavailable,
    Quote,
    StockState,
    configured_provider,
)

logger = logging.getLogger(__name__)

KRX_OPEN = time(9, 0)
# The regular session ends at 15:30 with the closing auction's price; collecting until 15:40
# records that closing price even when the source publishes it a few minutes late.
KRX_COLLECT_UNTIL = time(15, 40)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
BATCH_SIZE = 500


def is_krx_session(moment: datetime) -> bool:
    """09:00-15:40 Asia/Seoul on a weekday: the session and its closing price (no holidays)."""
    local = timezone.localtime(moment)
    return local.weekday() < 5 and KRX_OPEN <= local.time() <= KRX_COLLECT_UNTIL


def _percent(change: Decimal, base: Decimal) -> Decimal:
    return (change / base * HUNDRED).quantize(CENT, ROUND_HALF_UP) if base else Decimal(0)


@dataclass(frozen=True)
class CollectOutcome:
    """What one price collection did."""

    stocks_priced: int
    stocks_total: int
    skipped_reason: str = ""


def _session_day_start(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def quotes_store(*, quotes: list[Quote]) -> int:
    """Store quotes: each stock's last price, its minute bar and today's daily bar (upserts)."""
    stocks = {s.code: s for s in Stock.objects.filter(code__in=[q.code for q in quotes])}
    changed: list[Stock] = []
    minute_bars: list[PriceBar] = []
    daily_bars: list[PriceBar] = []
    for quote in quotes:
        stock = stocks.get(quote.code)
        if stock is None or (stock.updated_at is not None and quote.as_of < stock.updated_at):
            continue  # unknown, or older than what is stored (a late retry, a delayed source)
        stock.last_price = quote.price
        stock.previous_close = quote.previous_close
        stock.change = quote.price - quote.previous_close
        stock.change_percent = _percent(stock.change, quote.previous_close)
        stock.volume = quote.day_volume
        stock.market_cap = int(quote.price * stock.shares_outstanding)
        stock.updated_at = quote.as_of
        changed.append(stock)
        minute_bars.append(PriceBar(
            stock=stock, interval=BarInterval.MINUTE, starts_at=quote.minute_start,
            open=quote.minute_open, high=quote.minute_high, low=quote.minute_low,
            close=quote.minute_close, volume=quote.minute_volume,
        ))  # fmt: skip
        daily_bars.append(PriceBar(
            stock=stock, interval=BarInterval.DAY, starts_at=_session_day_start(quote.as_of),
            open=quote.day_open, high=quote.day_high, low=quote.day_low, close=quote.price,
            volume=quote.day_volume,
        ))  # fmt: skip
    with transaction.atomic():
        Stock.objects.bulk_update(
            changed,
            ["last_price", "previous_close", "change", "change_percent", "volume", "market_cap",
             "updated_at"],
            batch_size=BATCH_SIZE,
        )  # fmt: skip
        # Upserts on (stock, interval, starts_at): a retried run rewrites the same bars.
        for bars in (minute_bars, daily_bars):
            PriceBar.objects.bulk_create(
                bars,
                batch_size=BATCH_SIZE,
                update_conflicts=True,
                unique_fields=["stock", "interval", "starts_at"],
                update_fields=["open", "high", "low", "close", "volume"],
            )
    return len(changed)


PriceBarRow = tuple[int, str, datetime, Decimal, Decimal, Decimal, Decimal, int]


def price_bars_upsert(*, rows: Iterable[PriceBarRow]) -> None:
    """Insert or replace many bars fast: COPY into a temporary table, then one upsert.

    Rows are (stock_id, interval, starts_at, open, high, low, close, volume). Used for demo
    history (a hundred thousand bars), where the ORM's per-value preparation dominated.
    """
    columns = "stock_id, interval, starts_at, open, high, low, close, volume"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE incoming_bars ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM stocks_pricebar WITH NO DATA"
        )
        with cursor.copy(f"COPY incoming_bars ({columns}) FROM STDIN") as copy:  # noqa: S608
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO stocks_pricebar ({columns}) "  # noqa: S608 - constant column list
            f"SELECT {columns} FROM incoming_bars "
            "ON CONFLICT (stock_id, interval, starts_at) DO UPDATE SET open = EXCLUDED.open, "
            "high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, "
            "volume = EXCLUDED.volume"
        )
        # Dropped now: inside an outer transaction ON COMMIT would be too late for the next call.
        cursor.execute("DROP TABLE incoming_bars")
        PriceBar.objects.invalidate_all()


def prices_collect(
    *,
    now: datetime | None = None,
    provider: GuardedProvider | None = None,
    progress: Callable[[int, str], None] | None = None,
    batch_size: int = 100,
) -> CollectOutcome:
    """Fetch a quote for every listed stock and store it (S5); idempotent per moment."""
    now = now or timezone.now()
    states = [
        StockState(code=code, market=market, last_price=price, shares_outstanding=shares)
        for code, market, price, shares in Stock.objects.order_by("code").values_list(
            "code", "market", "last_price", "shares_outstanding"
        )
    ]
    if settings.STOCKS_MARKET_HOURS_ONLY and not is_krx_session(now):
        return CollectOutcome(0, len(states), "outside KRX hours (STOCKS_MARKET_HOURS_ONLY)")
    provider = provider or configured_provider()
    priced = 0
    started = time_module.monotonic()
    for start in range(0, len(states), batch_size):
        if time_module.monotonic() - started > settings.STOCKS_COLLECT_BUDGET_SECONDS:
            return CollectOutcome(priced, len(states), "time budget spent; the rest next run")
        batch = states[start : start + batch_size]
        try:
            quotes = provider.quotes(batch, now=now)
        except ProviderUnavailable as exc:
            return CollectOutcome(priced, len(states), str(exc))
        priced += quotes_store(quotes=quotes)
        if progress is not None:
            done = min(start + batch_size, len(states))
            progress(int(done * 100 / max(1, len(states))), f"{done}/{len(states)} stocks")
    return CollectOutcome(priced, len(states))


def market_indices_collect(
    *, now: datetime | None = None, provider: GuardedProvider | None = None
) -> int:
    """Record KOSPI, KOSDAQ and USD/KRW (S3); one row per symbol and minute (upsert)."""
    now = now or timezone.now()
    provider = provider or configured_provider()
    rows = []
    try:
        quotes = provider.index_quotes(now=now)
    except ProviderUnavailable as exc:
        logger.info("index values not collected: %s", exc)
        return 0
    for quote in quotes:
        change = quote.value - quote.previous_close
        rows.append(MarketIndexSnapshot(
            symbol=quote.symbol, value=quote.value, previous_close=quote.previous_close,
            change=change, change_percent=_percent(change, quote.previous_close),
            captured_at=quote.as_of.replace(second=0, microsecond=0),
        ))  # fmt: skip
    MarketIndexSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["symbol", "captured_at"],
        update_fields=["value", "previous_close", "change", "change_percent"],
    )
    return len(rows)


def market_snapshot_publish(*, force: bool = False, wait: bool = False) -> bool:
    """Push the current snapshot to every /ws/market/ socket; skipped when nobody listens.

    ``wait``: return only once the channel layer has it (a short-lived process, such as a
    management command, would otherwise exit before the background publisher sends it).
    """
    if not force and not broadcast.has_market_subscribers():
        return False
    broadcast.publish_market_snapshot(selectors.market_snapshot(), wait=wait)
    return True


PRUNE_BATCH_SIZE = 10_000


def _delete_in_batches(table: str, where: str, params: list) -> int:
    # Raw batches: the ORM's delete() would load every row to send post_delete signals (the
    # cache toolkit listens), a million model instances for a full day of minute bars.
    deleted = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN "  # noqa: S608 - constant table and clause
                f"(SELECT id FROM {table} WHERE {where} LIMIT %s)",
                [*params, PRUNE_BATCH_SIZE],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < PRUNE_BATCH_SIZE:
                return deleted


def intraday_data_prune(*, older_than_days: int) -> tuple[int, int]:
    """Delete one-minute bars and index snapshots older than ``older_than_days``.

    Daily bars are kept. Returns (bars, snapshots) deleted.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    bars = _delete_in_batches(
        PriceBar._meta.db_table, "interval = %s AND starts_at < %s", [BarInterval.MINUTE, cutoff]
    )
    snapshots = _delete_in_batches(MarketIndexSnapshot._meta.db_table, "captured_at < %s", [cutoff])
    with transaction.atomic():
        PriceBar.objects.invalidate_all()
        MarketIndexSnapshot.objects.invalidate_all()
    return bars, snapshots


def stock_view_record(*, user_id: int | None, stock_code: str) -> None:
    """Count a view of a stock page for today's "hottest" list, and the user's recent list (S7)."""
    try:
        key = f"stocks:views:{timezone.localtime():%Y%m%d}"
        pipe = state_redis().pipeline(transaction=False)
        pipe.zincrby(key, 1, stock_code)
        pipe.expire(key, 2 * 24 * 3600)
        pipe.execute()
    except RedisError:
        pass
    if user_id is None:
        return
    stock_id = Stock.objects.filter(code=stock_code).values_list("id", flat=True).first()
    if stock_id is not None:
        StockView.objects.update_or_create(
            user_id=user_id, stock_id=stock_id, defaults={"viewed_at": timezone.now()}
        )


def listings_load(*, path: str) -> int:
    """Create or update stocks from a listings CSV (code, market, names, sector, shares)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    existing = {s.code: s for s in Stock.objects.all()}
    new, changed = [], []
    for row in rows:
        fields = {
            "market": row["market"], "name_ko": row["name_ko"], "name_en": row["name_en"],
            "sector": row["sector"], "shares_outstanding": int(row["shares_outstanding"]),
        }  # fmt: skip
        stock = existing.get(row["code"])
        if stock is None:
            new.append(Stock(code=row["code"], **fields))
        else:
            for name, value in fields.items():
                setattr(stock, name, value)
            changed.append(stock)
    with transaction.atomic():
        Stock.objects.bulk_create(new, batch_size=BATCH_SIZE)
        Stock.objects.bulk_update(
            changed,
            ["market", "name_ko", "name_en", "sector", "shares_outstanding"],
            batch_size=BATCH_SIZE,
        )
    return len(rows)
