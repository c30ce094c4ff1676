"""Fixtures of the portfolio tests: listed stocks, the user's portfolio, two owners."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from portfolio.models import Portfolio
from stocks.models import Market, Stock
from tests.accounts.factories import UserFactory
from tests.portfolio.factories import PortfolioFactory
from tests.portfolio.helpers import ALICE_NOTE, ALICE_SECRET, TwoOwners, record
from tests.stocks.factories import StockFactory


@pytest.fixture
def samsung() -> Stock:
    return StockFactory(
        code="005930", name_ko="삼성전자", name_en="Samsung Electronics", market=Market.KOSPI,
        sector="Semiconductors", last_price=D(3000), previous_close=D(2900),
    )  # fmt: skip


@pytest.fixture
def ecopro() -> Stock:
    return StockFactory(
        code="247540", name_ko="에코프로비엠", name_en="EcoPro BM", market=Market.KOSDAQ,
        sector="Batteries", last_price=D(5000), previous_close=D(5100),
    )  # fmt: skip


@pytest.fixture
def hynix() -> Stock:
    return StockFactory(
        code="000660", name_ko="SK하이닉스", name_en="SK hynix", market=Market.KOSPI,
        sector="Semiconductors", last_price=D(7000), previous_close=D(7000),
    )  # fmt: skip


@pytest.fixture
def portfolio(user) -> Portfolio:  # noqa: ANN001
    return PortfolioFactory(owner=user, name="Main")


@pytest.fixture
def two_owners(samsung) -> TwoOwners:  # noqa: ANN001
    alice, bob = UserFactory(), UserFactory()
    alice_portfolio = PortfolioFactory(owner=alice, name=ALICE_SECRET)
    record(alice_portfolio, "buy", samsung, "10", "1000", date(2024, 1, 2), note=ALICE_NOTE)
    alice_sale = record(alice_portfolio, "sell", samsung, "4", "1500", date(2024, 2, 2),
                        note=ALICE_NOTE)  # fmt: skip
    bob_portfolio = PortfolioFactory(owner=bob, name="Bob's")
    bob_buy = record(bob_portfolio, "buy", samsung, "3", "1000", date(2024, 1, 5))
    return TwoOwners(alice, bob, alice_portfolio, alice_sale, bob_portfolio, bob_buy)
