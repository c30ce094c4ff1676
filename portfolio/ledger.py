"""Average-cost accounting of one stock's transactions: pure functions, no database.

A buy adds its shares and what they cost (price × quantity + fee) to the position. A sale takes
its shares out at the average cost and realises proceeds (price × quantity − fee) minus that
cost. A dividend adds quantity × price − fee (tax withheld) to the dividends. A split multiplies
the shares held from its effective day on, leaving their cost unchanged. Selling more than is
held is refused, and so is a position too large to store (MAX_POSITION_QUANTITY,
MAX_POSITION_AMOUNT): every sum of it then fits its numeric(20, 4) and numeric(20, 2) columns with
a thousandfold margin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.0001")
# What one position (a portfolio's holding of one stock) may reach: under 1 trillion shares and
# under 1 quadrillion won of cost, sold cost, realised P/L or dividends. A holding's columns hold
# 10^16 shares and 10^18 won; the valuation (shares × a price under 10^12) is computed and stored
# wider (see portfolio.selectors, ValuePoint).
MAX_POSITION_QUANTITY = Decimal("1e12")
MAX_POSITION_AMOUNT = Decimal("1e15")
# What the quantity column (numeric(20, 4)) holds. A split, a fact about the stock rather than the
# owner's write, may carry a holding past MAX_POSITION_QUANTITY up to this; only buys are then
# refused. Refusing the split instead left every sale, edit and deletion of the stock refused.
MAX_STORED_QUANTITY = Decimal("1e16")
# For valuations (shares × price, summed): exact far past anything storable, where the default
# 28 digits would raise InvalidOperation on quantizing.
WIDE = Context(prec=80)


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


class Refused(ValueError):
    """A transaction (or a split: ``entry`` None) the position cannot take; it is left as it
    was."""

    entry: Entry | None


class Oversell(Refused):
    """A sale of more shares than the portfolio held on that day."""

    def __init__(self, entry: Entry, held: Decimal) -> None:
        self.entry, self.held = entry, held
        super().__init__(
            f"cannot sell {entry.quantity.normalize():f} shares on {entry.traded_on}: "
            f"only {held.normalize():f} held then"
        )


class TooLarge(Refused):
    """The position would reach MAX_POSITION_QUANTITY shares (MAX_STORED_QUANTITY by a split) or
    MAX_POSITION_AMOUNT won."""

    def __init__(self, entry: Entry | None, day: date) -> None:
        self.entry, self.day = entry, day
        super().__init__(f"the position on {day} would be too large to store")


def _check_size(
    bounded: bool, entry: Entry | None, day: date, quantity: Decimal, *amounts: Decimal
) -> None:
    if bounded and (
        quantity >= MAX_POSITION_QUANTITY
        or any(abs(amount) >= MAX_POSITION_AMOUNT for amount in amounts)
    ):
        raise TooLarge(entry, day)


def split_position(position: Position, split: Split, *, bounded: bool = True) -> None:
    """From the split's day on, each old share is new/old shares (cost unchanged). Raises
    TooLarge (the position unchanged) past MAX_STORED_QUANTITY unless not ``bounded`` (a chart of
    what is stored)."""
    quantity = (position.quantity * split.new_shares / split.old_shares).quantize(
        SHARE_STEP, rounding=ROUND_DOWN
    )
    if bounded and quantity >= MAX_STORED_QUANTITY:
        raise TooLarge(None, split.effective_on)
    position.quantity = quantity


def apply(position: Position, entry: Entry, *, bounded: bool = True) -> None:
    """Apply one transaction to the position, in date order. Raises Oversell, or TooLarge unless
    not ``bounded`` (a chart of what is stored), the position then unchanged."""
    if entry.kind == "buy":
        quantity = position.quantity + entry.quantity
        cost_basis = position.cost_basis + money(entry.quantity * entry.price + entry.fee)
        _check_size(bounded, entry, entry.traded_on, quantity, cost_basis)
        position.quantity, position.cost_basis = quantity, cost_basis
    elif entry.kind == "sell":
        if entry.quantity > position.quantity:
            raise Oversell(entry, position.quantity)
        if entry.quantity == position.quantity:
            cost = position.cost_basis  # all of it: no rounding left behind
        else:
            cost = money(position.cost_basis * entry.quantity / position.quantity)
        proceeds = money(entry.quantity * entry.price - entry.fee)
        sale = Sale(entry.id, entry.traded_on, entry.quantity, proceeds, cost, proceeds - cost)
        _check_size(bounded, entry, entry.traded_on, ZERO, position.realised_pl + sale.gain,
                    position.sold_cost + cost)  # fmt: skip
        position.sales.append(sale)
        position.realised_pl += sale.gain
        position.sold_cost += cost
        position.cost_basis -= cost
        position.quantity -= entry.quantity
    elif entry.kind == "dividend":
        dividends = position.dividends + dividend_amount(entry.quantity, entry.price, entry.fee)
        _check_size(bounded, entry, entry.traded_on, ZERO, dividends)
        position.dividends = dividends
    else:
        raise ValueError(f"{entry.kind!r} is not a stock transaction")
    position.last_traded_on = entry.traded_on


def dividend_amount(quantity: Decimal, price: Decimal, fee: Decimal) -> Decimal:
    """One dividend received, rounded to the won's cent on its own: the gains report sums these
    rounded amounts too (selectors.realised_gains_by_year), so both agree to the cent."""
    return money(quantity * price - fee)


def replay(
    entries: Iterable[Entry],
    splits: Sequence[Split] = (),
    *,
    today: date,
    refused: list[Refused] | None = None,
) -> Position:
    """The position after every entry (sorted by date, then id) and every split up to ``today``.

    A split takes effect at the start of its day, before that day's trades. The first refusal
    (Oversell, TooLarge) is raised, unless ``refused`` is a list: then every refusal is added to
    it and the replay goes on without the refused entry, so one pass names every bad sale.
    """
    position = Position()
    pending = sorted(splits, key=lambda split: split.effective_on)
    ordered = sorted(entries, key=lambda e: (e.traded_on, e.id if e.id is not None else 0))

    def attempt(step: Callable[[], None]) -> None:
        try:
            step()
        except Refused as exc:
            if refused is None:
                raise
            refused.append(exc)

    for entry in ordered:
        while pending and pending[0].effective_on <= entry.traded_on:
            split = pending.pop(0)
            attempt(lambda split=split: split_position(position, split))
        attempt(lambda entry=entry: apply(position, entry))
    for split in pending:
        if split.effective_on <= today:
            attempt(lambda split=split: split_position(position, split))
    return position
