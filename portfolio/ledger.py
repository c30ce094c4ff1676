"""Average-cost accounting of one stock's transactions: pure functions, no database.

A buy adds its shares and what they cost (price × quantity + fee) to the position. A sale takes
its shares out at the average cost and realises proceeds (price × quantity − fee) minus that
cost. A dividend adds quantity × price − fee (tax withheld) to the dividends. A split multiplies
the shares held from its effective day on, leaving their cost unchanged. Selling more than is
held is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.0001")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Entry:
    """What the ledger needs of one transaction."""

    id: int | None
    kind: str  # "buy", "sell", "dividend" ("fee" transactions are not a stock's)
    traded_on: date
    quantity: Decimal
    price: Decimal
    fee: Decimal = ZERO


@dataclass(frozen=True)
class Split:
    effective_on: date
    old_shares: int
    new_shares: int


@dataclass(frozen=True)
class Sale:
    """One sale's realised gain against the average cost."""

    transaction_id: int | None
    sold_on: date
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    gain: Decimal


@dataclass
class Position:
    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO
    realised_pl: Decimal = ZERO
    dividends: Decimal = ZERO
    last_traded_on: date | None = None
    sold_cost: Decimal = ZERO  # the average cost of every share sold: realised P/L's base
    sales: list[Sale] = field(default_factory=list)

    @property
    def average_cost(self) -> Decimal:
        return self.cost_basis / self.quantity if self.quantity else ZERO


class Oversell(ValueError):
    """A sale of more shares than the portfolio held on that day."""

    def __init__(self, entry: Entry, held: Decimal) -> None:
        self.entry, self.held = entry, held
        super().__init__(
            f"cannot sell {entry.quantity.normalize():f} shares on {entry.traded_on}: "
            f"only {held.normalize():f} held then"
        )


def split_position(position: Position, split: Split) -> None:
    """From the split's day on, each old share is new/old shares (cost unchanged)."""
    position.quantity = (position.quantity * split.new_shares / split.old_shares).quantize(
        SHARE_STEP, rounding=ROUND_DOWN
    )


def apply(position: Position, entry: Entry) -> None:
    """Apply one transaction to the position, in date order. Raises Oversell."""
    if entry.kind == "buy":
        position.quantity += entry.quantity
        position.cost_basis += money(entry.quantity * entry.price + entry.fee)
    elif entry.kind == "sell":
        if entry.quantity > position.quantity:
            raise Oversell(entry, position.quantity)
        if entry.quantity == position.quantity:
            cost = position.cost_basis  # all of it: no rounding left behind
        else:
            cost = money(position.cost_basis * entry.quantity / position.quantity)
        proceeds = money(entry.quantity * entry.price - entry.fee)
        sale = Sale(entry.id, entry.traded_on, entry.quantity, proceeds, cost, proceeds - cost)
        position.sales.append(sale)
        position.realised_pl += sale.gain
        position.sold_cost += cost
        position.cost_basis -= cost
        position.quantity -= entry.quantity
    elif entry.kind == "dividend":
        position.dividends += money(entry.quantity * entry.price - entry.fee)
    else:
        raise ValueError(f"{entry.kind!r} is not a stock transaction")
    position.last_traded_on = entry.traded_on


def replay(entries: Iterable[Entry], splits: Sequence[Split] = (), *, today: date) -> Position:
    """The position after every entry (sorted by date, then id) and every split up to ``today``.

    A split takes effect at the start of its day, before that day's trades.
    """
    position = Position()
    pending = sorted(splits, key=lambda split: split.effective_on)
    ordered = sorted(entries, key=lambda e: (e.traded_on, e.id if e.id is not None else 0))
    for entry in ordered:
        while pending and pending[0].effective_on <= entry.traded_on:
            split_position(position, pending.pop(0))
        apply(position, entry)
    for split in pending:
        if split.effective_on <= today:
            split_position(position, split)
    return position
