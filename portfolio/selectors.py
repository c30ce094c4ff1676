"""Reads of the portfolio app, always scoped to the requesting user (P2), cached per user (C9).

Every cached read is keyed by the user's id and depends on `Row(Portfolio, owner_id=user)`:
the save of a portfolio row that ends every write drops exactly that user's entries, and no
entry is ever answered to another user. Summaries also depend on the stocks' quotes, so the
prices in them are never older than the stock cache's (C8); they are computed from the stored
holdings (`Holding`, kept by the services), never by replaying transactions.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import ExtractYear, Round

from cachekit import AnyRow, Row, cached
from portfolio.ledger import WIDE, ZERO, money
from portfolio.models import (
    Holding,
    Portfolio,
    RealisedGain,
    Transaction,
    TransactionKind,
    ValuePoint,
)
from stocks.models import Stock
from stocks.selectors import quote_board

PERCENT = Decimal("0.01")
_HOLDING_SUMS = ("quantity", "cost_basis", "realised_pl", "sold_cost", "dividends")


class PortfolioNotFound(LookupError):
    """No portfolio of this user has the id (another user's is not found either)."""


def portfolio_of(*, user_id: int, portfolio_id: int) -> Portfolio:
    portfolio = Portfolio.objects.filter(owner_id=user_id, pk=portfolio_id).first()
    if portfolio is None:
        raise PortfolioNotFound(portfolio_id)
    return portfolio


def transaction_of(*, user_id: int, portfolio_id: int, transaction_id: int) -> Transaction:
    record = (
        Transaction.objects.select_related("portfolio", "stock")
        .filter(portfolio__owner_id=user_id, portfolio_id=portfolio_id, pk=transaction_id)
        .first()
    )
    if record is None:
        raise PortfolioNotFound(transaction_id)
    return record


def _owner_depends(user_id: int, **_: object) -> list:
    return [Row(Portfolio, owner_id=user_id)]


def _valued_depends(user_id: int, **_: object) -> list:
    return [Row(Portfolio, owner_id=user_id), AnyRow(Stock)]


@cached(namespace="portfolio", ttl="portfolio_list", depends_on=_owner_depends)
def portfolio_list_for(user_id: int) -> list[dict[str, Any]]:
    """The user's portfolios (no valuation: see portfolio_summary)."""
    return [
        {"id": p.pk, "name": p.name, "base_currency": p.base_currency,
         "created_at": p.created_at, "updated_at": p.updated_at}
        for p in Portfolio.objects.filter(owner_id=user_id).order_by("name", "id")
    ]  # fmt: skip


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(PERCENT) if whole else None


def _allocation(values: dict[Any, Decimal], total: Decimal, label: Any) -> list[dict[str, Any]]:
    ranked = sorted(values.items(), key=lambda item: (-item[1], str(item[0])))
    return [{**label(key), "market_value": value, "weight": _percent(value, total)}
            for key, value in ranked]  # fmt: skip


Positions = dict[int, dict[str, Decimal]]


def _positions() -> Positions:
    return defaultdict(lambda: dict.fromkeys(_HOLDING_SUMS, ZERO))


def _add_position(positions: Positions, row: dict[str, Any]) -> None:
    position = positions[row["stock_id"]]
    for name in _HOLDING_SUMS:
        position[name] += row[name]


@cached(namespace="portfolio", ttl="portfolio_summary", depends_on=_valued_depends)
def portfolio_summary(user_id: int, portfolio_id: int | None = None) -> dict[str, Any]:
    """Valuation of one portfolio of the user, or of all of them (``portfolio_id`` None):
    holdings priced from the quote board, profit and loss, day change, allocation (P1).

    Two queries when cold (holdings; fees), whatever the number of holdings or transactions.
    """
    # No ordering: Holding's default (by stock) would join and read the whole stocks table.
    holdings = Holding.objects.filter(portfolio__owner_id=user_id).order_by()
    fees = Transaction.objects.filter(portfolio__owner_id=user_id, kind=TransactionKind.FEE)
    if portfolio_id is not None:
        holdings, fees = (
            holdings.filter(portfolio_id=portfolio_id),
            fees.filter(portfolio_id=portfolio_id),
        )
    positions = _positions()
    for row in holdings.values("stock_id", *_HOLDING_SUMS):
        _add_position(positions, row)
    fees_paid = fees.aggregate(total=Sum("fee"))["total"] or ZERO
    return _summarise(portfolio_id, positions, fees_paid, quote_board())


@cached(namespace="portfolio", ttl="portfolio_summary", depends_on=_valued_depends)
def portfolio_overview_for(user_id: int) -> dict[str, Any]:
    """The overview: ``overall`` (all portfolios together) and ``by_portfolio`` (each one's
    summary by id), in two queries whatever the number of portfolios."""
    positions: dict[int, Positions] = defaultdict(_positions)
    overall = _positions()
    for row in (
        Holding.objects.filter(portfolio__owner_id=user_id)
        .order_by()
        .values("portfolio_id", "stock_id", *_HOLDING_SUMS)
    ):
        _add_position(positions[row["portfolio_id"]], row)
        _add_position(overall, row)
    fees = dict(
        Transaction.objects.filter(portfolio__owner_id=user_id, kind=TransactionKind.FEE)
        .values("portfolio_id")
        .annotate(total=Sum("fee"))
        .values_list("portfolio_id", "total")
    )
    board = quote_board()
    return {
        "overall": _summarise(None, overall, sum(fees.values(), ZERO), board),
        "by_portfolio": {
            portfolio["id"]: _summarise(portfolio["id"], positions.get(portfolio["id"], {}),
                                        fees.get(portfolio["id"], ZERO), board)
            for portfolio in portfolio_list_for(user_id)
        },
    }  # fmt: skip


def _summarise(
    portfolio_id: int | None,
    positions: Positions | dict,
    fees_paid: Decimal,
    board: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    # Exact for any stored holding: shares × price overflows the default 28 digits' quantize.
    with decimal.localcontext(WIDE):
        return _summary_of(portfolio_id, positions, fees_paid, board)


def _summary_of(
    portfolio_id: int | None,
    positions: Positions | dict,
    fees_paid: Decimal,
    board: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    rows = []
    by_sector: dict[str, Decimal] = defaultdict(Decimal)
    by_market: dict[str, Decimal] = defaultdict(Decimal)
    totals = {name: ZERO for name in ("market_value", "cost_basis", "realised_pl", "sold_cost",
                                       "dividends", "day_change")}  # fmt: skip
    priced_at = None
    for stock_id, position in positions.items():
        quote = board.get(stock_id)
        totals["realised_pl"] += position["realised_pl"]
        totals["sold_cost"] += position["sold_cost"]
        totals["dividends"] += position["dividends"]
        if quote is None or position["quantity"] == 0:
            continue  # sold out: only its realised profit and dividends count
        quantity, cost = position["quantity"], position["cost_basis"]
        value = money(quantity * quote["last_price"])
        day_change = money(quantity * (quote["last_price"] - quote["previous_close"]))
        totals["market_value"] += value
        totals["cost_basis"] += cost
        totals["day_change"] += day_change
        by_sector[quote["sector"] or "—"] += value
        by_market[quote["market"]] += value
        if quote["updated_at"] and (priced_at is None or quote["updated_at"] > priced_at):
            priced_at = quote["updated_at"]
        rows.append({
            "stock": {key: quote[key] for key in ("code", "name_ko", "name_en", "market",
                                                  "sector")},
            "quantity": quantity,
            "average_cost": money(cost / quantity),
            "cost_basis": cost,
            "last_price": quote["last_price"],
            "previous_close": quote["previous_close"],
            "market_value": value,
            "unrealised_pl": value - cost,
            "unrealised_pl_percent": _percent(value - cost, cost),
            "day_change": day_change,
            "realised_pl": position["realised_pl"],
            "realised_pl_percent": _percent(position["realised_pl"], position["sold_cost"]),
            "dividends": position["dividends"],
        })  # fmt: skip
    total_value = totals["market_value"]
    for row in rows:
        row["weight"] = _percent(row["market_value"], total_value)
    rows.sort(key=lambda row: (-row["market_value"], row["stock"]["code"]))
    unrealised = total_value - totals["cost_basis"]
    return {
        "portfolio_id": portfolio_id,
        "base_currency": "KRW",
        "priced_at": priced_at,
        "market_value": total_value,
        "cost_basis": totals["cost_basis"],
        "unrealised_pl": unrealised,
        "unrealised_pl_percent": _percent(unrealised, totals["cost_basis"]),
        "realised_pl": totals["realised_pl"],
        "realised_pl_percent": _percent(totals["realised_pl"], totals["sold_cost"]),
        "dividends": totals["dividends"],
        "fees": fees_paid,
        "total_return": unrealised + totals["realised_pl"] + totals["dividends"] - fees_paid,
        "day_change": totals["day_change"],
        "day_change_percent": _percent(totals["day_change"], total_value - totals["day_change"]),
        "holdings": rows,
        "allocation": {
            "by_stock": [{"code": row["stock"]["code"], "name_ko": row["stock"]["name_ko"],
                          "name_en": row["stock"]["name_en"], "market_value": row["market_value"],
                          "weight": row["weight"]} for row in rows],
            "by_sector": _allocation(by_sector, total_value, lambda key: {"sector": key}),
            "by_market": _allocation(by_market, total_value, lambda key: {"market": key}),
        },
    }  # fmt: skip


@cached(namespace="portfolio", ttl="portfolio_summary", depends_on=_owner_depends)
def realised_gains_by_year(user_id: int, portfolio_id: int) -> list[dict[str, Any]]:
    """Per calendar year: sales, proceeds, cost, realised gain, and dividends (tax time)."""
    years: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"sales": 0, "proceeds": ZERO, "cost": ZERO, "gain": ZERO, "dividends": ZERO}
    )
    gains = (
        RealisedGain.objects.filter(portfolio__owner_id=user_id, portfolio_id=portfolio_id)
        .annotate(year=ExtractYear("sold_on"))
        .values("year")
        .annotate(sales=Count("id"), proceeds=Sum("proceeds"), cost=Sum("cost"), gain=Sum("gain"))
    )
    for row in gains:
        years[row["year"]].update(
            sales=row["sales"], proceeds=row["proceeds"], cost=row["cost"], gain=row["gain"]
        )
    # Each dividend rounded on its own before the sum, as the ledger adds them to the holdings
    # (ledger.dividend_amount): PostgreSQL's round() takes halves away from zero, as ROUND_HALF_UP.
    amount = Round(
        ExpressionWrapper(F("quantity") * F("price") - F("fee"), output_field=DecimalField()),
        2,
        output_field=DecimalField(max_digits=40, decimal_places=2),
    )
    dividends = (
        Transaction.objects.filter(portfolio__owner_id=user_id, portfolio_id=portfolio_id,
                                   kind=TransactionKind.DIVIDEND)
        .annotate(year=ExtractYear("traded_on"))
        .values("year")
        .annotate(total=Sum(amount))
    )  # fmt: skip
    for row in dividends:
        years[row["year"]]["dividends"] = row["total"]
    return [{"year": year, **values} for year, values in sorted(years.items(), reverse=True)]


def realised_gains_in(*, user_id: int, portfolio_id: int, year: int) -> QuerySet[RealisedGain]:
    """The sales of one year, with their stock, oldest first."""
    return (
        RealisedGain.objects.filter(
            portfolio__owner_id=user_id, portfolio_id=portfolio_id, sold_on__year=year
        )
        .select_related("stock")
        .order_by("sold_on", "id")
    )


def transactions_of(
    *, user_id: int, portfolio_id: int, stock: str | None = None, kind: str | None = None
) -> QuerySet[Transaction]:
    """The portfolio's transactions, newest first."""
    records = Transaction.objects.filter(
        portfolio__owner_id=user_id, portfolio_id=portfolio_id
    ).select_related("stock")
    if stock:
        records = records.filter(stock__code=stock)
    if kind:
        records = records.filter(kind=kind)
    return records.order_by("-traded_on", "-id")


def value_history(*, user_id: int, portfolio_id: int) -> dict[str, Any]:
    """The daily closing value and cost of the portfolio, as the worker last built them."""
    portfolio = portfolio_of(user_id=user_id, portfolio_id=portfolio_id)
    points = ValuePoint.objects.filter(portfolio=portfolio).order_by("day")
    return {
        "is_stale": portfolio.history_stale_since is not None,
        "points": [{"day": day, "market_value": value, "cost_basis": cost}
                   for day, value, cost in points.values_list("day", "market_value",
                                                              "cost_basis")],
    }  # fmt: skip


CSV_COLUMNS = ("date", "type", "stock", "quantity", "price", "fee", "note")
# A cell starting with these is a formula to a spreadsheet: exported with a leading apostrophe,
# which the import takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    # A note that itself starts with an apostrophe gets one too, so the import's taking one off
    # gives it back as it was.
    return f"'{text}" if text.startswith((*FORMULA_STARTS, "'")) else text


def transactions_csv_rows(*, user_id: int, portfolio_id: int) -> Iterator[list[str]]:
    """The CSV export, header first, oldest first: it imports back as it is."""
    yield list(CSV_COLUMNS)
    records = transactions_of(user_id=user_id, portfolio_id=portfolio_id).order_by(
        "traded_on", "id"
    )
    for record in records.iterator(chunk_size=2000):
        yield [
            record.traded_on.isoformat(),
            record.kind,
            record.stock.code if record.stock else "",
            f"{record.quantity.normalize():f}" if record.quantity is not None else "",
            f"{record.price.normalize():f}" if record.price is not None else "",
            f"{record.fee.normalize():f}" if record.fee else "",
            _spreadsheet_safe(record.note),
        ]


def first_transaction_day(*, portfolio_id: int) -> date | None:
    return (
        Transaction.objects.filter(portfolio_id=portfolio_id)
        .order_by("traded_on")
        .values_list("traded_on", flat=True)
        .first()
    )
