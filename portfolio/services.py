"""Writes of the portfolio app (P1-P3): portfolios, transactions, and what they derive.

Every write locks its portfolio's row, so two writes to one portfolio (two sales racing to sell
the same shares) run one after the other, re-derives the holding of each stock it touched, and
saves the portfolio row last: that save is what drops the owner's cached reads (C9).
"""

from __future__ import annotations

import contextlib
import decimal
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from pipelines.services import job_run_now
from portfolio import ledger
from portfolio.models import (
    Holding,
    Portfolio,
    RealisedGain,
    Transaction,
    TransactionKind,
    ValuePoint,
)
from stocks.models import Stock, StockSplit

logger = logging.getLogger(__name__)

STOCK_KINDS = (TransactionKind.BUY, TransactionKind.SELL, TransactionKind.DIVIDEND)
# Bounds of one transaction: far beyond any real trade, and small enough that a portfolio's sums
# of twenty thousand of them stay within its numeric(20, 2) columns.
MAX_QUANTITY = Decimal("1e10")
MAX_PRICE = Decimal("1e9")
MAX_AMOUNT = Decimal("1e12")
QUANTITY_PLACES, MONEY_PLACES = 4, 2


class TransactionGone(LookupError):
    """The transaction was deleted (or moved) meanwhile."""


def _places(value: Decimal) -> int:
    exponent = Decimal(value).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


# --- portfolios ---------------------------------------------------------------------------------


def _unique_name_error(name: str) -> ValidationError:
    return ValidationError(
        {"name": _("You already have a portfolio named “%(name)s”.") % {"name": name}}
    )


def portfolio_create(*, owner: User, name: str) -> Portfolio:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A portfolio needs a name.")})
    try:
        with transaction.atomic():
            return Portfolio.objects.create(owner=owner, name=name)
    except IntegrityError as exc:
        raise _unique_name_error(name) from exc


def portfolio_rename(*, portfolio: Portfolio, name: str) -> Portfolio:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A portfolio needs a name.")})
    previous, portfolio.name = portfolio.name, name
    try:
        with transaction.atomic():
            portfolio.save(update_fields=["name", "updated_at"])
    except IntegrityError as exc:
        portfolio.name = previous
        raise _unique_name_error(name) from exc
    return portfolio


def portfolio_delete(*, portfolio: Portfolio) -> None:
    portfolio.delete()


# --- transactions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionInput:
    """A transaction as a person (form, API, CSV row) describes it, before it is checked."""

    kind: str
    stock: Stock | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal = Decimal(0)
    traded_on: date | None = None
    note: str = ""


def transaction_errors(data: TransactionInput, *, today: date) -> dict[str, str]:
    """What is wrong with a transaction on its own (holdings aside), by field."""
    errors: dict[str, str] = {}
    if data.kind not in TransactionKind.values:
        errors["kind"] = _("Choose buy, sell, dividend or fee.")
        return errors
    if data.kind in STOCK_KINDS:
        if data.stock is None:
            errors["stock"] = _("Choose the stock.")
        if data.quantity is None or not 0 < data.quantity < MAX_QUANTITY:
            errors["quantity"] = _("The quantity must be more than zero and under 10 billion.")
        elif _places(data.quantity) > QUANTITY_PLACES:
            errors["quantity"] = _("A quantity has at most 4 decimal places.")
        if data.price is None or not 0 <= data.price < MAX_PRICE:
            errors["price"] = _("The price must be zero or more and under 1 billion.")
        elif _places(data.price) > MONEY_PLACES:
            errors["price"] = _("A price has at most 2 decimal places.")
        elif data.kind != TransactionKind.DIVIDEND and data.price == 0:
            errors["price"] = _("A trade needs a price above zero.")
        elif (
            # Only for a quantity in range: a CSV's "1e999999" times a price overflows Decimal.
            "quantity" not in errors
            and data.quantity is not None
            and data.quantity * data.price > MAX_AMOUNT
        ):
            errors["quantity"] = _("A single transaction is at most 1 trillion won.")
    elif data.fee <= 0:
        errors["fee"] = _("A fee needs an amount above zero.")
    if not 0 <= data.fee < MAX_PRICE:
        errors["fee"] = _("The fee must be zero or more and under 1 billion.")
    elif _places(data.fee) > MONEY_PLACES:
        errors["fee"] = _("A fee has at most 2 decimal places.")
    if data.traded_on is not None and data.traded_on > today:
        errors["traded_on"] = _("The date cannot be in the future.")
    return errors


def _refusal_message(exc: ledger.Refused) -> str:
    if isinstance(exc, ledger.Oversell):
        return _(
            "You cannot sell %(selling)s shares on %(day)s: the portfolio held only %(held)s then."
        ) % {
            "selling": f"{exc.entry.quantity.normalize():f}",
            "day": exc.entry.traded_on.isoformat(),
            "held": f"{exc.held.normalize():f}",
        }
    return _(
        "On %(day)s the holding of this stock would exceed what a portfolio can hold: under "
        "1 trillion shares, and under 1 quadrillion won of cost, sales, realised profit or "
        "dividends."
    ) % {"day": exc.day.isoformat()}  # type: ignore[attr-defined]


def _refusal_code(exc: ledger.Refused) -> str:
    return "oversell" if isinstance(exc, ledger.Oversell) else "holding_too_large"


def _refusal_error(exc: ledger.Refused) -> ValidationError:
    return ValidationError({"quantity": ValidationError(_refusal_message(exc),
                                                        code=_refusal_code(exc))})  # fmt: skip


def _locked(portfolio: Portfolio) -> Portfolio:
    return Portfolio.objects.select_for_update().get(pk=portfolio.pk)


def _entries(portfolio_id: int, stock_id: int) -> list[ledger.Entry]:
    rows = (
        Transaction.objects.filter(portfolio_id=portfolio_id, stock_id=stock_id)
        .exclude(kind=TransactionKind.FEE)
        .order_by("traded_on", "id")
        .values_list("id", "kind", "traded_on", "quantity", "price", "fee")
    )
    return [ledger.Entry(*row) for row in rows]


def _splits(stock_id: int) -> list[ledger.Split]:
    rows = StockSplit.objects.filter(stock_id=stock_id).values_list(
        "effective_on", "old_shares", "new_shares"
    )
    return [ledger.Split(*row) for row in rows]


def _store_position(portfolio_id: int, stock_id: int, position: ledger.Position) -> None:
    RealisedGain.objects.filter(portfolio_id=portfolio_id, stock_id=stock_id).delete()
    if position.last_traded_on is None:  # no transactions left in this stock
        Holding.objects.filter(portfolio_id=portfolio_id, stock_id=stock_id).delete()
        return
    Holding.objects.update_or_create(
        portfolio_id=portfolio_id,
        stock_id=stock_id,
        defaults={
            "quantity": position.quantity,
            "cost_basis": position.cost_basis,
            "realised_pl": position.realised_pl,
            "sold_cost": position.sold_cost,
            "dividends": position.dividends,
            "last_traded_on": position.last_traded_on,
        },
    )
    _gains_store(portfolio_id, stock_id, position.sales)


def _gains_store(portfolio_id: int, stock_id: int, sales: Iterable[ledger.Sale]) -> None:
    RealisedGain.objects.bulk_create(
        RealisedGain(portfolio_id=portfolio_id, stock_id=stock_id, sale_id=sale.transaction_id,
                     sold_on=sale.sold_on, quantity=sale.quantity, proceeds=sale.proceeds,
                     cost=sale.cost, gain=sale.gain)
        for sale in sales
    )  # fmt: skip


def holding_rederive(*, portfolio_id: int, stock_id: int) -> ledger.Position:
    """Replay one stock's transactions in one portfolio into its holding and realised gains.
    Raises ledger.Refused (the caller's transaction then rolls back)."""
    position = ledger.replay(
        _entries(portfolio_id, stock_id), _splits(stock_id), today=timezone.localdate()
    )
    _store_position(portfolio_id, stock_id, position)
    return position


def _append(portfolio: Portfolio, record: Transaction) -> None:
    """Apply a transaction dated on or after the stock's last one to its stored holding, without
    replaying its history; anything else (a back-dated entry, a split since) replays."""
    holding = Holding.objects.filter(portfolio=portfolio, stock_id=record.stock_id).first()
    is_latest = holding is None or record.traded_on >= holding.last_traded_on
    split_since = (
        holding is not None
        and StockSplit.objects.filter(
            stock_id=record.stock_id, effective_on__gt=holding.last_traded_on
        ).exists()
    )
    if not is_latest or split_since or holding is None:
        holding_rederive(portfolio_id=portfolio.pk, stock_id=record.stock_id)
        return
    position = ledger.Position(
        quantity=holding.quantity, cost_basis=holding.cost_basis,
        realised_pl=holding.realised_pl, dividends=holding.dividends,
        last_traded_on=holding.last_traded_on, sold_cost=holding.sold_cost,
    )  # fmt: skip
    ledger.apply(position, _entry_of(record))
    holding.quantity, holding.cost_basis = position.quantity, position.cost_basis
    holding.realised_pl, holding.dividends = position.realised_pl, position.dividends
    holding.last_traded_on, holding.sold_cost = position.last_traded_on, position.sold_cost
    holding.save()
    _gains_store(portfolio.pk, record.stock_id, position.sales)


def _entry_of(record: Transaction) -> ledger.Entry:
    return ledger.Entry(record.pk, record.kind, record.traded_on, record.quantity, record.price,
                        record.fee)  # fmt: skip


def _touched(portfolio: Portfolio) -> None:
    """The write is done: save the portfolio row (dropping the owner's caches after commit) and
    mark its value history for the worker to rebuild."""
    was_stale = portfolio.history_stale_since is not None
    portfolio.history_stale_since = timezone.now()
    portfolio.save(update_fields=["updated_at", "history_stale_since"])
    if not was_stale:  # else a run is queued already (or the 5-minute sweep will see the mark)
        transaction.on_commit(_queue_history_refresh)


def _queue_history_refresh() -> None:
    job_run_now(name="portfolio.refresh_value_history", include_dependencies=False)


def _checked(data: TransactionInput) -> None:
    errors = transaction_errors(data, today=timezone.localdate())
    if errors:
        raise ValidationError(errors)


def _fields_of(data: TransactionInput) -> dict[str, Any]:
    stock_kind = data.kind in STOCK_KINDS
    return {
        "kind": data.kind,
        "stock": data.stock,
        "quantity": data.quantity if stock_kind else None,
        "price": data.price if stock_kind else None,
        "fee": data.fee,
        "traded_on": data.traded_on or timezone.localdate(),
        # Trimmed as the form and the API trim it, so every stored note survives a CSV round trip.
        "note": data.note.strip(),
    }


def transaction_record(*, portfolio: Portfolio, data: TransactionInput) -> Transaction:
    """Record one transaction. Raises ValidationError (by field), also for an oversell."""
    _checked(data)
    with transaction.atomic():
        portfolio = _locked(portfolio)
        record = Transaction.objects.create(portfolio=portfolio, **_fields_of(data))
        if record.stock_id is not None and record.kind != TransactionKind.FEE:
            try:
                _append(portfolio, record)
            except ledger.Refused as exc:
                raise _refusal_error(exc) from exc
        _touched(portfolio)
    return record


def _current(record: Transaction, portfolio: Portfolio) -> Transaction:
    """The record as it is now, read under the portfolio's lock (the caller's copy may predate
    another request's edit or deletion)."""
    current = Transaction.objects.filter(pk=record.pk, portfolio=portfolio).first()
    if current is None:
        raise TransactionGone(record.pk)
    return current


def transaction_update(*, record: Transaction, data: TransactionInput) -> Transaction:
    """Change a transaction; every stock it was or is now about is re-derived. Raises
    TransactionGone if it was deleted meanwhile."""
    _checked(data)
    with transaction.atomic():
        portfolio = _locked(record.portfolio)
        record = _current(record, portfolio)
        before = record.stock_id
        for name, value in _fields_of(data).items():
            setattr(record, name, value)
        record.save(force_update=True)
        try:
            for stock_id in {before, record.stock_id} - {None}:
                holding_rederive(portfolio_id=portfolio.pk, stock_id=stock_id)
        except ledger.Refused as exc:
            raise _refusal_error(exc) from exc
        _touched(portfolio)
    return record


def transaction_delete(*, record: Transaction) -> None:
    """Delete a transaction. Deleting a buy that later sales needed is refused (an oversell)."""
    with transaction.atomic():
        portfolio = _locked(record.portfolio)
        record = _current(record, portfolio)
        stock_id = record.stock_id
        record.delete()
        if stock_id is not None:
            try:
                holding_rederive(portfolio_id=portfolio.pk, stock_id=stock_id)
            except ledger.Refused as exc:
                raise _refusal_error(exc) from exc
        _touched(portfolio)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str
    code: str = "invalid"  # stable, for programs: invalid, oversell, holding_too_large


class ImportRefused(Exception):
    """A CSV import with bad rows: nothing was stored."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        # In line order; a line's problems in the order they were found.
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__(f"{len(self.errors)} problems; nothing imported")


def transactions_import(
    *,
    portfolio: Portfolio,
    rows: Sequence[tuple[int, TransactionInput]],
    unreadable: Sequence[RowError] = (),
) -> list[Transaction]:
    """Record every (line, row) or none. Raises ImportRefused listing, in one pass, every problem:
    ``unreadable`` (the reader's, for fields it could not read: None in the row), every check
    each row fails, and every sale that sells more than was held and every row that makes a
    holding too large, in every stock whose rows are all readable and valid (a stock with a bad
    row has no known running position)."""
    today = timezone.localdate()
    errors = list(unreadable)
    read_badly = {(error.line, error.field) for error in unreadable}
    errors += [RowError(line, field, message)
               for line, data in rows
               for field, message in transaction_errors(data, today=today).items()
               if (line, field) not in read_badly]  # fmt: skip
    bad_lines = {error.line for error in errors}
    good = [(line, data) for line, data in rows if line not in bad_lines]
    unsure = {data.stock.pk for line, data in rows if line in bad_lines and data.stock is not None}
    with transaction.atomic():
        portfolio = _locked(portfolio)
        # In file order, so a day's rows keep their order (ids break date ties in the ledger).
        created = Transaction.objects.bulk_create(
            Transaction(portfolio=portfolio, **_fields_of(data)) for _, data in good
        )
        line_of = {record.pk: line for record, (line, _) in zip(created, good, strict=True)}
        positions: dict[int, ledger.Position] = {}
        for stock_id in sorted({r.stock_id for r in created if r.kind != TransactionKind.FEE}
                               - {None} - unsure):  # fmt: skip
            refused: list[ledger.Refused] = []
            positions[stock_id] = ledger.replay(
                _entries(portfolio.pk, stock_id), _splits(stock_id), today=today, refused=refused
            )
            errors += [RowError(line_of.get(exc.entry.id, 0) if exc.entry else 0, "quantity",
                                _refusal_message(exc), _refusal_code(exc))
                       for exc in refused]  # fmt: skip
        if errors:
            transaction.set_rollback(True)
            raise ImportRefused(errors)
        for stock_id, position in positions.items():
            _store_position(portfolio.pk, stock_id, position)
        _touched(portfolio)
    return created


def holdings_rederive_for_stock(
    *, stock_id: int, portfolio_ids: Iterable[int] | None = None
) -> int:
    """Re-derive every holding of a stock (after its splits change). Returns how many."""
    if portfolio_ids is None:
        portfolio_ids = (
            Transaction.objects.filter(stock_id=stock_id)
            .values_list("portfolio_id", flat=True)
            .distinct()
        )
    count = 0
    for portfolio in Portfolio.objects.filter(pk__in=list(portfolio_ids)).order_by("pk"):
        try:
            with transaction.atomic():
                locked = _locked(portfolio)
                holding_rederive(portfolio_id=locked.pk, stock_id=stock_id)
                _touched(locked)
        except ledger.Refused as exc:
            # A split is a fact; this portfolio's later sales contradict it. Its holding stays
            # as it was, and its next write in this stock will name the sale.
            logger.warning("portfolio %s: the splits of stock %s: %s", portfolio.pk, stock_id, exc)
            continue
        count += 1
    return count


# --- value over time (built by a worker) --------------------------------------------------------


def value_history_rebuild(*, portfolio_id: int, days: int, today: date) -> int:
    """Rebuild a portfolio's daily closing value and cost over its last ``days`` trading days
    (bounded by its first transaction), from its transactions, splits and daily bars. Returns
    the number of points. A worker's job: a year of 50 stocks is 18,000 bars."""
    from stocks.models import BarInterval, PriceBar

    records = (
        Transaction.objects.filter(portfolio_id=portfolio_id, kind__in=["buy", "sell"])
        .order_by("traded_on", "id")
        .values_list("stock_id", "id", "kind", "traded_on", "quantity", "price", "fee")
    )
    entries: dict[int, list[ledger.Entry]] = {}
    for stock_id, *fields in records:
        entries.setdefault(stock_id, []).append(ledger.Entry(*fields))
    if not entries:
        ValuePoint.objects.filter(portfolio_id=portfolio_id).delete()
        return 0
    start = max(min(e[0].traded_on for e in entries.values()), today - timedelta(days=days))
    closes: dict[date, dict[int, Decimal]] = {}
    bars = PriceBar.objects.filter(
        stock_id__in=list(entries), interval=BarInterval.DAY, starts_at__date__gte=start
    ).values_list("stock_id", "starts_at", "close")
    for stock_id, starts_at, close in bars.iterator(chunk_size=5000):
        closes.setdefault(timezone.localdate(starts_at), {})[stock_id] = close
    splits = {stock_id: sorted(_splits(stock_id), key=lambda s: s.effective_on)
              for stock_id in entries}  # fmt: skip
    pending = {stock_id: list(splits[stock_id]) for stock_id in entries}
    last_close: dict[int, Decimal] = {}
    # Exact whatever the size: holdings of up to 10^16 shares at closes under 10^12 won.
    with decimal.localcontext(ledger.WIDE):
        points = _value_points(portfolio_id, today, entries, closes, pending, last_close)
    with transaction.atomic():
        ValuePoint.objects.filter(portfolio_id=portfolio_id).delete()
        ValuePoint.objects.bulk_create(points)
    return len(points)


def _value_points(
    portfolio_id: int,
    today: date,
    entries: dict[int, list[ledger.Entry]],
    closes: dict[date, dict[int, Decimal]],
    pending: dict[int, list[ledger.Split]],
    last_close: dict[int, Decimal],
) -> list[ValuePoint]:
    positions = {stock_id: ledger.Position() for stock_id in entries}
    cursor = dict.fromkeys(entries, 0)
    points = []
    for day in sorted(d for d in closes if d <= today):
        value = cost = ledger.ZERO
        for stock_id, stock_entries in entries.items():
            position, waiting = positions[stock_id], pending[stock_id]
            # In the ledger's order: a split before the trades dated on or after its day, even
            # when several (or a day without a bar) fall between two charted days.
            while cursor[stock_id] < len(stock_entries) and (
                stock_entries[cursor[stock_id]].traded_on <= day
            ):
                entry = stock_entries[cursor[stock_id]]
                while waiting and waiting[0].effective_on <= entry.traded_on:
                    ledger.split_position(position, waiting.pop(0), bounded=False)
                # An oversell cannot be stored (the services refuse it); a chart would not fail.
                # Unbounded: a holding stored before the bound is charted as it is.
                with contextlib.suppress(ledger.Oversell):
                    ledger.apply(position, entry, bounded=False)
                cursor[stock_id] += 1
            while waiting and waiting[0].effective_on <= day:
                ledger.split_position(position, waiting.pop(0), bounded=False)
            if stock_id in closes[day]:
                last_close[stock_id] = closes[day][stock_id]
            if position.quantity and stock_id in last_close:
                value += position.quantity * last_close[stock_id]
                cost += position.cost_basis
        points.append(ValuePoint(portfolio_id=portfolio_id, day=day,
                                 market_value=ledger.money(value), cost_basis=cost))  # fmt: skip
    return points


def value_histories_refresh(*, days: int, today: date | None = None) -> int:
    """Rebuild the history of every portfolio a write marked stale. Returns how many."""
    today = today or timezone.localdate()
    rebuilt = 0
    stale = Portfolio.objects.filter(history_stale_since__isnull=False).values_list(
        "pk", "history_stale_since"
    )
    for portfolio_id, marked_at in stale:
        try:
            with transaction.atomic():
                value_history_rebuild(portfolio_id=portfolio_id, days=days, today=today)
        except (DataError, ArithmeticError):
            # The data itself cannot be charted (a value too large to store): every retry would
            # fail the same way, so it is logged once, its old chart dropped and the mark cleared
            # below; the portfolio's next write marks it again.
            logger.exception("portfolio %s: value history cannot be built", portfolio_id)
            ValuePoint.objects.filter(portfolio_id=portfolio_id).delete()  # no stale chart
        except DatabaseError:
            # One portfolio's failure must not stop everyone's charts; its mark stays, so the
            # next sweep tries it again (a lost connection, a lock timeout).
            logger.exception("portfolio %s: value history rebuild failed", portfolio_id)
            continue
        else:
            rebuilt += 1
        # Clear only the mark this rebuild saw: a write meanwhile marks again. Through the
        # plain manager: the mark is no cached read's business, so no cache is dropped.
        Portfolio._base_manager.filter(pk=portfolio_id, history_stale_since=marked_at).update(
            history_stale_since=None
        )
    return rebuilt


def value_histories_mark_all() -> int:
    """Mark every portfolio that holds shares stale (a new close to chart)."""
    holding = Holding.objects.filter(quantity__gt=0).values("portfolio_id")
    return Portfolio._base_manager.filter(pk__in=holding, history_stale_since__isnull=True).update(
        history_stale_since=timezone.now()
    )
