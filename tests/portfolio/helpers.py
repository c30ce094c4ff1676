"""Shared by the portfolio tests: recording transactions, a known sequence, and two owners
whose data must never cross (P2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D
from typing import Any

from portfolio import services
from portfolio.models import Holding, Portfolio, RealisedGain, Transaction
from portfolio.services import TransactionInput
from stocks.models import Stock

ALICE_SECRET = "alice-secret-plan"
ALICE_NOTE = "alice-private-note"
CSV_HEADER = "date,type,stock,quantity,price,fee,note\n"


def record(
    portfolio: Portfolio,
    kind: str,
    stock: Stock | None,
    quantity: str | None,
    price: str | None,
    day: date,
    fee: str = "0",
    note: str = "",
) -> Transaction:
    data = TransactionInput(kind, stock, None if quantity is None else D(quantity),
                            None if price is None else D(price), D(fee), day, note)  # fmt: skip
    return services.transaction_record(portfolio=portfolio, data=data)


def record_known_sequence(portfolio: Portfolio, stock: Stock) -> None:
    """Buy 10 @1000 (fee 50), buy 30 @2000 (fee 150), sell 15 @2500 (fee 100): 25 shares left
    costing 43,875; the sale realised 37,400 - 26,325 = 11,075."""
    record(portfolio, "buy", stock, "10", "1000", date(2024, 3, 4), fee="50")
    record(portfolio, "buy", stock, "30", "2000", date(2024, 5, 6), fee="150")
    record(portfolio, "sell", stock, "15", "2500", date(2024, 9, 9), fee="100")


@dataclass
class TwoOwners:
    alice: Any
    bob: Any
    alice_portfolio: Portfolio
    alice_transaction: Transaction
    bob_portfolio: Portfolio
    bob_transaction: Transaction

    @property
    def missing_id(self) -> int:
        return max(Portfolio.objects.order_by("-pk").first().pk,
                   Transaction.objects.order_by("-pk").first().pk) + 1000  # fmt: skip


def rows_of(owner) -> dict[str, list[dict[str, Any]]]:  # noqa: ANN001
    """Everything stored for an owner, to show a request changed none of it."""
    return {
        "portfolios": list(Portfolio.objects.filter(owner=owner).order_by("pk").values()),
        "transactions": list(
            Transaction.objects.filter(portfolio__owner=owner).order_by("pk").values()
        ),
        "holdings": list(Holding.objects.filter(portfolio__owner=owner).order_by("pk").values()),
        "gains": list(RealisedGain.objects.filter(portfolio__owner=owner).order_by("pk").values()),
    }
