"""The portfolio API (P1-P3, C9): privacy on every endpoint, CRUD and its 400s, valuation on a
known sequence, realised gains, CSV export and import, and the per-user summary caches."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from portfolio import selectors, services
from portfolio.models import Holding, Portfolio, RealisedGain, Transaction
from portfolio.services import TransactionInput
from tests.accounts.factories import UserFactory
from tests.portfolio.factories import PortfolioFactory
from tests.portfolio.helpers import (
    ALICE_NOTE,
    ALICE_SECRET,
    CSV_HEADER,
    record,
    record_known_sequence,
    rows_of,
)
from tests.stocks.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/portfolios/"
OVERALL_URL = f"{BASE}summary/"


def url(portfolio_id: int, rest: str = "") -> str:
    return f"{BASE}{portfolio_id}/{rest}"


def client_for(user) -> APIClient:  # noqa: ANN001
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    pair = account_services.token_pair_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    return client


def upload(text: str | bytes, name: str = "transactions.csv") -> dict[str, Any]:
    raw = text.encode() if isinstance(text, str) else text
    return {"file": SimpleUploadedFile(name, raw, content_type="text/csv")}


def error_lines(response) -> list[tuple[int, str]]:  # noqa: ANN001
    return [(error["line"], error["field"]) for error in response.json()["errors"]]


@pytest.fixture
def client(user) -> APIClient:  # noqa: ANN001
    """The signed-in user (Bearer token), reading English messages."""
    return client_for(user)


# --- privacy (P2): every endpoint, every method ---------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request to an endpoint of a portfolio: ``{p}`` and ``{t}`` in the path stand for a
    portfolio id and a transaction id."""

    method: str
    path: str
    body: Any = None  # a dict, or a function returning one (an upload is read once)
    multipart: bool = False
    query: dict[str, str] = field(default_factory=dict)

    @property
    def names_a_transaction(self) -> bool:
        return "{t}" in self.path

    def send(self, client: APIClient, portfolio_id: int, transaction_id: int = 0):  # noqa: ANN201
        path = BASE + self.path.format(p=portfolio_id, t=transaction_id)
        body = self.body() if callable(self.body) else self.body
        if self.method == "get":
            return client.get(path, self.query)
        send = getattr(client, self.method)
        return send(path, body, format="multipart" if self.multipart else "json")


def _import_file() -> dict[str, Any]:
    return upload(
        CSV_HEADER + "2024-01-02,buy,005930,1,100,,intruder\n2024-01-03,sell,005930,1,1,,\n"
    )


BUY_BODY = {"stock": "005930", "side": "buy", "quantity": "1", "price": "100", "date": "2024-01-02"}

# Every endpoint that names a portfolio, with every method it answers. A new endpoint goes here.
PORTFOLIO_CALLS = [
    pytest.param(Call("get", "{p}/"), id="detail-get"),
    pytest.param(Call("patch", "{p}/", {"name": "Taken over"}), id="detail-patch"),
    pytest.param(Call("delete", "{p}/"), id="detail-delete"),
    pytest.param(Call("get", "{p}/transactions/"), id="transactions-get"),
    pytest.param(
        Call("get", "{p}/transactions/", query={"stock": "005930", "side": "buy"}),
        id="transactions-get-filtered",
    ),
    pytest.param(Call("post", "{p}/transactions/", BUY_BODY), id="transactions-post"),
    pytest.param(Call("get", "{p}/transactions/{t}/"), id="transaction-get"),
    pytest.param(
        Call("patch", "{p}/transactions/{t}/", {"quantity": "1", "note": "changed"}),
        id="transaction-patch",
    ),
    pytest.param(Call("delete", "{p}/transactions/{t}/"), id="transaction-delete"),
    pytest.param(Call("get", "{p}/holdings/"), id="holdings-get"),
    pytest.param(Call("get", "{p}/summary/"), id="summary-get"),
    pytest.param(Call("get", "{p}/gains/"), id="gains-get"),
    pytest.param(Call("get", "{p}/gains/", query={"year": "2024"}), id="gains-year-get"),
    pytest.param(Call("get", "{p}/history/"), id="history-get"),
    pytest.param(Call("get", "{p}/transactions/export/"), id="export-get"),
    pytest.param(
        Call("post", "{p}/transactions/import/", _import_file, multipart=True), id="import-post"
    ),
]
TRANSACTION_CALLS = [call for call in PORTFOLIO_CALLS if call.values[0].names_a_transaction]
# Endpoints that name no portfolio: they answer the requester's own data only.
OWN_CALLS = [
    pytest.param(Call("get", ""), id="list-get"),
    pytest.param(Call("post", "", {"name": "New"}), id="list-post"),
    pytest.param(Call("get", "summary/"), id="overall-summary-get"),
]
PATHS = sorted({call.values[0].path for call in PORTFOLIO_CALLS})
METHODS = ["get", "post", "put", "patch", "delete", "options"]


@pytest.fixture(params=["bearer", "session"])
def bob_client(request, two_owners) -> APIClient:  # noqa: ANN001
    if request.param == "bearer":
        return client_for(two_owners.bob)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(two_owners.bob)
    return client


def assert_not_found_and_nothing_leaked(response, missing) -> None:  # noqa: ANN001
    assert response.status_code == 404, response.content[:300]
    assert response.json() == missing.json()  # the same answer as an id nobody has
    assert ALICE_SECRET.encode() not in response.content
    assert ALICE_NOTE.encode() not in response.content


@pytest.mark.parametrize("call", PORTFOLIO_CALLS)
def test_another_users_portfolio_is_404_like_a_missing_one_and_unchanged(
    two_owners, bob_client, call
):
    owners = two_owners
    alice_before, bob_before = rows_of(owners.alice), rows_of(owners.bob)
    missing = call.send(bob_client, owners.missing_id, owners.missing_id)

    response = call.send(bob_client, owners.alice_portfolio.pk, owners.alice_transaction.pk)

    assert_not_found_and_nothing_leaked(response, missing)
    assert rows_of(owners.alice) == alice_before
    assert rows_of(owners.bob) == bob_before


@pytest.mark.parametrize("call", TRANSACTION_CALLS)
@pytest.mark.parametrize(
    "target",
    ["alice-transaction-in-bob-portfolio", "bob-transaction-in-alice-portfolio"],
)
def test_a_transaction_id_under_the_wrong_portfolio_is_404_and_unchanged(
    two_owners, bob_client, call, target
):
    owners = two_owners
    if target == "alice-transaction-in-bob-portfolio":
        ids = (owners.bob_portfolio.pk, owners.alice_transaction.pk)
        missing_ids = (owners.bob_portfolio.pk, owners.missing_id)
    else:
        ids = (owners.alice_portfolio.pk, owners.bob_transaction.pk)
        missing_ids = (owners.missing_id, owners.bob_transaction.pk)
    alice_before, bob_before = rows_of(owners.alice), rows_of(owners.bob)
    missing = call.send(bob_client, *missing_ids)

    response = call.send(bob_client, *ids)

    assert_not_found_and_nothing_leaked(response, missing)
    assert rows_of(owners.alice) == alice_before
    assert rows_of(owners.bob) == bob_before


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_no_method_tells_another_users_portfolio_from_a_missing_one(
    two_owners, bob_client, path, method
):
    """Unsupported methods too: a 405 for one and a 404 for the other would be an oracle. OPTIONS
    answers the endpoint's description, the same whatever the id."""
    owners = two_owners
    alice_before = rows_of(owners.alice)
    call = Call(method, path)

    missing = call.send(bob_client, owners.missing_id, owners.missing_id)
    response = call.send(bob_client, owners.alice_portfolio.pk, owners.alice_transaction.pk)

    assert response.status_code == missing.status_code
    assert response.status_code != 403
    if method != "options":
        assert response.status_code not in (200, 201, 204)
    assert response.content == missing.content
    assert ALICE_SECRET.encode() not in response.content
    assert rows_of(owners.alice) == alice_before


@pytest.mark.parametrize("call", OWN_CALLS)
def test_endpoints_without_an_id_answer_only_the_requesters_data(two_owners, bob_client, call):
    response = call.send(bob_client, 0)

    assert response.status_code in (200, 201)
    assert ALICE_SECRET.encode() not in response.content
    assert rows_of(two_owners.alice)["portfolios"][0]["name"] == ALICE_SECRET


def test_the_overall_summary_counts_only_the_requesters_holdings(two_owners, bob_client):
    body = bob_client.get(OVERALL_URL).json()

    assert [(row["stock"]["code"], row["quantity"]) for row in body["holdings"]] == [
        ("005930", "3.0000")
    ]
    assert body["realised_pl"] == "0.00"  # alice's sale realised 1,900


@pytest.mark.parametrize("call", [*PORTFOLIO_CALLS, *OWN_CALLS])
def test_anonymous_requests_are_401_and_change_nothing(two_owners, api_client, call):
    alice_before = rows_of(two_owners.alice)

    response = call.send(api_client, two_owners.alice_portfolio.pk, two_owners.alice_transaction.pk)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert ALICE_SECRET.encode() not in response.content
    assert rows_of(two_owners.alice) == alice_before


# --- portfolios -----------------------------------------------------------------------------------


def test_create_list_rename_and_delete_a_portfolio(client, user, samsung):
    created = client.post(BASE, {"name": "  Long term  "}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["base_currency"]) == ("Long term", "KRW")
    portfolio = Portfolio.objects.get(pk=body["id"])
    assert portfolio.owner == user
    record(portfolio, "buy", samsung, "1", "100", date(2024, 1, 2))

    assert [p["name"] for p in client.get(BASE).json()] == ["Long term"]
    assert client.get(url(portfolio.pk)).json()["name"] == "Long term"

    renamed = client.patch(url(portfolio.pk), {"name": "Retirement"}, format="json")
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Retirement")
    assert [p["name"] for p in client.get(BASE).json()] == ["Retirement"]

    assert client.delete(url(portfolio.pk)).status_code == 204
    assert client.get(url(portfolio.pk)).status_code == 404
    assert client.get(BASE).json() == []
    assert not Transaction.objects.exists() and not Holding.objects.exists()


def test_portfolios_are_listed_by_name(client, user):
    for name in ("Swing", "Dividends", "Long term"):
        PortfolioFactory(owner=user, name=name)

    assert [p["name"] for p in client.get(BASE).json()] == ["Dividends", "Long term", "Swing"]


def test_a_duplicate_name_is_400_on_name_and_creates_nothing(client, user, portfolio):
    response = client.post(BASE, {"name": "Main"}, format="json")

    assert response.status_code == 400
    assert response.json()["name"] == ["You already have a portfolio named “Main”."]
    assert Portfolio.objects.filter(owner=user).count() == 1


def test_renaming_to_a_name_in_use_is_400_on_name(client, user, portfolio):
    other = PortfolioFactory(owner=user, name="Other")

    response = client.patch(url(other.pk), {"name": "Main"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert Portfolio.objects.get(pk=other.pk).name == "Other"


def test_two_users_may_use_the_same_name(client, user):
    PortfolioFactory(owner=UserFactory(), name="Main")

    assert client.post(BASE, {"name": "Main"}, format="json").status_code == 201


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}])
def test_a_missing_or_blank_name_is_400_on_name(client, body):
    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert not Portfolio.objects.exists()


# --- transactions ---------------------------------------------------------------------------------


def test_record_read_edit_and_delete_a_transaction(client, portfolio, samsung):
    created = client.post(
        url(portfolio.pk, "transactions/"),
        {"stock": "005930", "side": "buy", "quantity": "10", "price": "1000", "fee": "50",
         "date": "2024-03-04", "note": "첫 매수"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert {key: body[key] for key in ("side", "quantity", "price", "fee", "date", "note")} == {
        "side": "buy", "quantity": "10.0000", "price": "1000.00", "fee": "50.00",
        "date": "2024-03-04", "note": "첫 매수",
    }  # fmt: skip
    assert body["stock"] == {
        "code": "005930",
        "name_ko": "삼성전자",
        "name_en": "Samsung Electronics",
    }
    detail_url = url(portfolio.pk, f"transactions/{body['id']}/")
    assert client.get(detail_url).json() == body
    assert Holding.objects.get(portfolio=portfolio).cost_basis == D("10050.00")

    edited = client.patch(detail_url, {"quantity": "20"}, format="json")
    assert edited.status_code == 200
    assert (edited.json()["quantity"], edited.json()["price"]) == ("20.0000", "1000.00")
    held = Holding.objects.get(portfolio=portfolio)
    assert (held.quantity, held.cost_basis) == (D(20), D("20050.00"))

    assert client.delete(detail_url).status_code == 204
    assert client.get(detail_url).status_code == 404
    assert not Holding.objects.filter(portfolio=portfolio).exists()


def test_a_transaction_without_a_date_is_dated_today(client, portfolio, samsung):
    body = {"stock": "005930", "side": "buy", "quantity": "1", "price": "100"}

    response = client.post(url(portfolio.pk, "transactions/"), body, format="json")

    assert response.json()["date"] == timezone.localdate().isoformat()


def test_a_fee_needs_no_stock(client, portfolio):
    response = client.post(
        url(portfolio.pk, "transactions/"), {"side": "fee", "fee": "1500"}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["stock"], response.json()["quantity"]) == (None, None)
    assert client.get(url(portfolio.pk, "summary/")).json()["fees"] == "1500.00"


def test_transactions_are_listed_newest_first_and_filtered(client, portfolio, samsung, ecopro):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))
    record(portfolio, "buy", ecopro, "1", "5000", date(2024, 3, 5))
    record(portfolio, "sell", samsung, "5", "1200", date(2024, 3, 6))

    body = client.get(url(portfolio.pk, "transactions/")).json()
    assert body["count"] == 3
    assert [row["date"] for row in body["results"]] == ["2024-03-06", "2024-03-05", "2024-03-04"]
    sells = client.get(url(portfolio.pk, "transactions/"), {"stock": "005930", "side": "sell"})
    assert [(row["side"], row["stock"]["code"]) for row in sells.json()["results"]] == [
        ("sell", "005930")
    ]


def test_transactions_are_paginated(client, portfolio, samsung, settings):
    rows = [(n, TransactionInput("buy", samsung, D(1), D(100), D(0), date(2024, 1, 1)))
            for n in range(55)]  # fmt: skip
    services.transactions_import(portfolio=portfolio, rows=rows)

    first = client.get(url(portfolio.pk, "transactions/")).json()

    assert (first["count"], len(first["results"])) == (55, 50)
    assert len(client.get(first["next"]).json()["results"]) == 5


def test_an_oversell_is_400_on_quantity_with_what_was_held(client, portfolio, samsung):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))

    response = client.post(
        url(portfolio.pk, "transactions/"),
        {"stock": "005930", "side": "sell", "quantity": "11", "price": "1000",
         "date": "2024-03-05"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["quantity"] == [
        "You cannot sell 11 shares on 2024-03-05: the portfolio held only 10 then."
    ]
    assert Transaction.objects.filter(portfolio=portfolio).count() == 1
    assert Holding.objects.get(portfolio=portfolio).quantity == D(10)


def test_a_back_dated_sale_is_checked_against_what_was_held_then(client, portfolio, samsung):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))

    response = client.post(
        url(portfolio.pk, "transactions/"),
        {"stock": "005930", "side": "sell", "quantity": "1", "price": "1000",
         "date": "2024-03-01"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert "held only 0 then" in response.json()["quantity"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stock": "999999"}, "stock"),  # well-formed, not listed
        ({"stock": "12345"}, "stock"),
        ({"stock": "abcdef"}, "stock"),
        ({"stock": "0059300"}, "stock"),
        ({"stock": None}, "stock"),
        pytest.param({"side": "gift"}, "side"),
        pytest.param({"quantity": "0"}, "quantity"),
        pytest.param({"quantity": "-1"}, "quantity"),
        pytest.param({"quantity": "many"}, "quantity"),
        pytest.param({"price": None}, "price"),
        pytest.param({"price": "0"}, "price"),
        pytest.param({"fee": "-1"}, "fee"),
        pytest.param({"date": "2024-02-30"}, "date"),
        pytest.param(
            {"date": (timezone.localdate() + timedelta(days=2)).isoformat()},
            "date",  # the API's name for it, not the service's (traded_on)
        ),
        pytest.param({"note": "n" * 201}, "note"),
    ],
)
def test_an_invalid_transaction_is_400_naming_its_field(client, portfolio, samsung, changes, field):
    body = {"stock": "005930", "side": "buy", "quantity": "10", "price": "1000",
            "date": "2024-03-04", **changes}  # fmt: skip

    response = client.post(url(portfolio.pk, "transactions/"), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field, "code"]
    assert not Transaction.objects.exists()


def test_a_trade_sent_with_a_listed_stock_is_recorded_not_a_server_error(
    client, portfolio, samsung
):
    body = {"stock": "005930", "side": "buy", "quantity": "1", "price": "100"}

    response = client.post(url(portfolio.pk, "transactions/"), body, format="json")

    assert response.status_code == 201


def test_a_malformed_stock_code_says_what_a_code_looks_like(client, portfolio):
    body = {"stock": "12345", "side": "buy", "quantity": "1", "price": "1"}

    response = client.post(url(portfolio.pk, "transactions/"), body, format="json")

    assert response.json()["stock"] == ["A stock code is six digits, such as 005930."]


def test_an_edit_that_would_oversell_is_400_and_changes_nothing(client, portfolio, samsung):
    buy = record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))
    record(portfolio, "sell", samsung, "8", "1200", date(2024, 3, 5))
    before = rows_of(portfolio.owner)

    response = client.patch(
        url(portfolio.pk, f"transactions/{buy.pk}/"), {"quantity": "5"}, format="json"
    )

    assert response.status_code == 400
    assert "held only 5 then" in response.json()["quantity"][0]
    assert rows_of(portfolio.owner) == before


def test_an_edit_can_move_a_trade_to_another_stock(client, portfolio, samsung, ecopro):
    buy = record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))

    response = client.patch(
        url(portfolio.pk, f"transactions/{buy.pk}/"), {"stock": "247540"}, format="json"
    )

    assert response.status_code == 200
    assert list(
        Holding.objects.filter(portfolio=portfolio).values_list("stock__code", "quantity")
    ) == [("247540", D(10))]


def test_deleting_a_buy_a_later_sale_needs_is_400_on_quantity(client, portfolio, samsung):
    buy = record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))
    record(portfolio, "sell", samsung, "8", "1200", date(2024, 3, 5))
    before = rows_of(portfolio.owner)

    response = client.delete(url(portfolio.pk, f"transactions/{buy.pk}/"))

    assert response.status_code == 400
    assert "held only 0 then" in response.json()["quantity"][0]
    assert rows_of(portfolio.owner) == before


# --- valuation ------------------------------------------------------------------------------------


def test_summary_of_a_known_sequence(client, portfolio, samsung):
    record_known_sequence(portfolio, samsung)

    body = client.get(url(portfolio.pk, "summary/")).json()

    assert body["portfolio_id"] == portfolio.pk
    assert {key: body[key] for key in (
        "base_currency", "market_value", "cost_basis", "unrealised_pl", "unrealised_pl_percent",
        "realised_pl", "dividends", "fees", "total_return", "day_change", "day_change_percent",
    )} == {
        "base_currency": "KRW",
        "market_value": "75000.00",  # 25 × 3,000
        "cost_basis": "43875.00",  # 70,200 - 15/40 of it
        "unrealised_pl": "31125.00",
        "unrealised_pl_percent": "70.94",
        "realised_pl": "11075.00",  # (15 × 2,500 - 100) - 26,325
        "dividends": "0.00",
        "fees": "0.00",  # trade fees are in the cost and the proceeds
        "total_return": "42200.00",
        "day_change": "2500.00",  # 25 × (3,000 - 2,900)
        "day_change_percent": "3.45",  # of yesterday's 72,500
    }  # fmt: skip
    (holding,) = body["holdings"]
    assert holding["stock"]["code"] == "005930"
    assert {key: holding[key] for key in ("quantity", "average_cost", "market_value",
                                          "unrealised_pl", "weight")} == {
        "quantity": "25.0000", "average_cost": "1755.00", "market_value": "75000.00",
        "unrealised_pl": "31125.00", "weight": "100.00",
    }  # fmt: skip
    assert client.get(url(portfolio.pk, "holdings/")).json() == body["holdings"]


def weight(row: dict[str, Any]) -> D:
    return D(str(row["weight"]))


def test_allocation_weights_by_stock_sector_and_market_sum_to_about_100(
    client, portfolio, samsung, ecopro, hynix
):
    record_known_sequence(portfolio, samsung)  # 75,000
    record(portfolio, "buy", ecopro, "10", "4800", date(2024, 10, 1))  # 50,000
    record(portfolio, "buy", hynix, "5", "6000", date(2024, 10, 2))  # 35,000

    body = client.get(url(portfolio.pk, "summary/")).json()

    assert body["market_value"] == "160000.00"
    assert body["day_change"] == "1500.00"  # +2,500, -1,000, 0
    assert [(row["stock"]["code"], row["weight"]) for row in body["holdings"]] == [
        ("005930", "46.88"), ("247540", "31.25"), ("000660", "21.88"),
    ]  # fmt: skip
    allocation = body["allocation"]  # its numbers are JSON numbers, not strings
    assert [(row["code"], weight(row)) for row in allocation["by_stock"]] == [
        ("005930", D("46.88")), ("247540", D("31.25")), ("000660", D("21.88")),
    ]  # fmt: skip
    assert [(row["sector"], weight(row)) for row in allocation["by_sector"]] == [
        ("Semiconductors", D("68.75")), ("Batteries", D("31.25")),
    ]  # fmt: skip
    assert [(row["market"], weight(row)) for row in allocation["by_market"]] == [
        ("KOSPI", D("68.75")), ("KOSDAQ", D("31.25")),
    ]  # fmt: skip
    for rows in (body["holdings"], *allocation.values()):
        assert abs(sum(weight(row) for row in rows) - 100) <= D("0.02")


def test_the_overall_summary_combines_every_portfolio(client, user, portfolio, samsung, ecopro):
    record_known_sequence(portfolio, samsung)
    second = PortfolioFactory(owner=user, name="Second")
    record(second, "buy", samsung, "5", "2000", date(2024, 6, 1))
    record(second, "buy", ecopro, "10", "4800", date(2024, 6, 2))
    record(second, "fee", None, None, None, date(2024, 6, 3), fee="1000")

    body = client.get(OVERALL_URL).json()

    assert body["portfolio_id"] is None
    assert [(row["stock"]["code"], row["quantity"], row["cost_basis"], row["weight"])
            for row in body["holdings"]] == [
        ("005930", "30.0000", "53875.00", "64.29"),  # one row for the stock in both
        ("247540", "10.0000", "48000.00", "35.71"),
    ]  # fmt: skip
    assert (body["market_value"], body["cost_basis"], body["fees"]) == (
        "140000.00", "101875.00", "1000.00",
    )  # fmt: skip
    assert body["total_return"] == "48200.00"  # 38,125 unrealised + 11,075 realised - 1,000


def test_a_sold_out_holding_keeps_its_realised_profit_but_is_not_valued(client, portfolio, samsung):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))
    record(portfolio, "sell", samsung, "10", "1500", date(2024, 3, 5))

    body = client.get(url(portfolio.pk, "summary/")).json()

    assert (body["holdings"], body["market_value"], body["realised_pl"]) == ([], "0.00", "5000.00")
    assert (body["unrealised_pl_percent"], body["day_change_percent"]) == (None, None)


def test_gains_per_year_and_the_sales_of_one_year(client, portfolio, samsung):
    record_known_sequence(portfolio, samsung)
    record(portfolio, "dividend", samsung, "25", "100", date(2025, 4, 10), fee="385")

    years = client.get(url(portfolio.pk, "gains/")).json()
    assert years == [
        {"year": 2025, "sales": 0, "proceeds": "0.00", "cost": "0.00", "gain": "0.00",
         "dividends": "2115.00"},
        {"year": 2024, "sales": 1, "proceeds": "37400.00", "cost": "26325.00",
         "gain": "11075.00", "dividends": "0.00"},
    ]  # fmt: skip
    sales = client.get(url(portfolio.pk, "gains/"), {"year": 2024}).json()
    assert sales == [
        {"date": "2024-09-09", "stock": "005930", "name_ko": "삼성전자", "quantity": "15.0000",
         "proceeds": "37400.00", "cost": "26325.00", "gain": "11075.00"},
    ]  # fmt: skip
    assert client.get(url(portfolio.pk, "gains/"), {"year": 2023}).json() == []


def test_a_malformed_gains_year_is_400_on_year(client, portfolio):
    response = client.get(url(portfolio.pk, "gains/"), {"year": "last"})

    assert response.status_code == 400
    assert "year" in response.json()


def test_history_is_stale_after_a_write_until_the_worker_rebuilds_it(client, portfolio, samsung):
    today = timezone.localdate()
    for days_ago, close in ((2, "1100"), (1, "1200")):
        day = today - timedelta(days=days_ago)
        starts_at = datetime.combine(day, time(9), tzinfo=timezone.get_current_timezone())
        PriceBarFactory(stock=samsung, starts_at=starts_at, close=D(close))
    record(portfolio, "buy", samsung, "10", "1000", today - timedelta(days=3), fee="50")

    assert client.get(url(portfolio.pk, "history/")).json() == {"is_stale": True, "points": []}

    services.value_histories_refresh(days=366)
    assert client.get(url(portfolio.pk, "history/")).json() == {
        "is_stale": False,
        "points": [
            {"day": (today - timedelta(days=2)).isoformat(), "market_value": "11000.00",
             "cost_basis": "10050.00"},
            {"day": (today - timedelta(days=1)).isoformat(), "market_value": "12000.00",
             "cost_basis": "10050.00"},
        ],
    }  # fmt: skip


# --- CSV export and import ------------------------------------------------------------------------


def export(client: APIClient, portfolio: Portfolio) -> str:
    response = client.get(url(portfolio.pk, "transactions/export/"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return response.content.decode()


def import_csv(client: APIClient, portfolio: Portfolio, text: str | bytes):  # noqa: ANN201
    return client.post(url(portfolio.pk, "transactions/import/"), upload(text), format="multipart")


def stored(portfolio: Portfolio) -> dict[str, list[tuple]]:
    """A portfolio's transactions, holdings and gains, without ids."""
    return {
        "transactions": list(
            Transaction.objects.filter(portfolio=portfolio)
            .order_by("traded_on", "id")
            .values_list("traded_on", "kind", "stock_id", "quantity", "price", "fee", "note")
        ),
        "holdings": list(
            Holding.objects.filter(portfolio=portfolio)
            .order_by("stock_id")
            .values_list(
                "stock_id", "quantity", "cost_basis", "realised_pl", "dividends", "last_traded_on"
            )
        ),  # fmt: skip
        "gains": list(
            RealisedGain.objects.filter(portfolio=portfolio)
            .order_by("sold_on", "id")
            .values_list("stock_id", "sold_on", "quantity", "proceeds", "cost", "gain")
        ),
    }


def test_export_then_import_round_trips_transactions_and_holdings(
    client, user, portfolio, samsung, ecopro
):
    record_known_sequence(portfolio, samsung)
    # same day, in an order that matters: the buy must come before the sale
    record(portfolio, "buy", ecopro, "0.5", "4800.50", date(2024, 10, 1), note='분할, "첫" 매수')
    record(portfolio, "sell", ecopro, "0.25", "5000", date(2024, 10, 1), fee="12.5")
    record(portfolio, "dividend", samsung, "25", "361", date(2025, 4, 10), fee="1389.85")
    record(portfolio, "fee", None, None, None, date(2025, 1, 2), fee="3000", note="계좌 수수료")
    record(portfolio, "fee", ecopro, None, None, date(2025, 1, 3), fee="10", note="-수수료 환급")
    fresh = PortfolioFactory(owner=user, name="Copy")
    text = export(client, portfolio)

    response = import_csv(client, fresh, text)

    assert (response.status_code, response.json()) == (201, {"imported": 8})
    assert stored(fresh) == stored(portfolio)
    assert export(client, fresh) == text
    summary = client.get(url(fresh.pk, "summary/")).json()
    assert summary == {**client.get(url(portfolio.pk, "summary/")).json(),
                       "portfolio_id": fresh.pk}  # fmt: skip


def test_export_lists_the_documented_columns_oldest_first(client, portfolio, samsung):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4), fee="50")
    record(portfolio, "sell", samsung, "5", "1200", date(2024, 3, 5))

    rows = list(csv.reader(io.StringIO(export(client, portfolio))))

    assert rows == [
        ["date", "type", "stock", "quantity", "price", "fee", "note"],
        ["2024-03-04", "buy", "005930", "10", "1000", "50", ""],
        ["2024-03-05", "sell", "005930", "5", "1200", "", ""],
    ]


def test_a_formula_note_is_exported_with_an_apostrophe_and_imported_without(
    client, user, portfolio, samsung
):
    formula = '=HYPERLINK("http://evil.example","click")'
    record(portfolio, "buy", samsung, "1", "100", date(2024, 3, 4), note=formula)
    fresh = PortfolioFactory(owner=user, name="Copy")

    text = export(client, portfolio)

    assert list(csv.reader(io.StringIO(text)))[1][6] == "'" + formula
    assert import_csv(client, fresh, text).status_code == 201
    assert Transaction.objects.get(portfolio=fresh).note == formula


def test_a_note_starting_with_an_apostrophe_round_trips(client, user, portfolio, samsung):
    record(portfolio, "buy", samsung, "1", "100", date(2024, 3, 4), note="'=1+1 is two")
    fresh = PortfolioFactory(owner=user, name="Copy")

    assert import_csv(client, fresh, export(client, portfolio)).status_code == 201
    assert Transaction.objects.get(portfolio=fresh).note == "'=1+1 is two"


def test_a_cp949_file_with_a_korean_note_imports(client, portfolio, samsung):
    text = CSV_HEADER + '2024-03-04,buy,005930,10,"1,000",50,삼성 첫 매수 (장기)\n'

    response = import_csv(client, portfolio, text.encode("cp949"))

    assert (response.status_code, response.json()) == (201, {"imported": 1})
    (stored_row,) = Transaction.objects.filter(portfolio=portfolio)
    assert (stored_row.note, stored_row.price) == ("삼성 첫 매수 (장기)", D(1000))


def test_a_utf8_file_with_a_bom_and_a_free_column_order_imports(client, portfolio, samsung):
    text = "\ufeffNote,Stock,Type,Date,Price,Quantity\n메모,005930,BUY,2024-03-04,1000,10\n"

    response = import_csv(client, portfolio, text.encode("utf-8"))

    assert response.status_code == 201, response.json()
    assert Holding.objects.get(portfolio=portfolio).quantity == D(10)


def test_a_csv_with_unreadable_rows_is_refused_whole_naming_every_bad_line(
    client, portfolio, samsung
):
    record(portfolio, "buy", samsung, "1", "100", date(2024, 1, 2))
    before = rows_of(portfolio.owner)
    text = CSV_HEADER + (
        "2024-03-04,buy,005930,10,1000,50,fine\n"
        "2024/03/05,buy,005930,10,1000,,bad date\n"
        "2024-03-06,buy,999999,10,1000,,unknown stock\n"
        "2024-03-07,buy,005930,ten,1000,,not a number\n"
        "2024-03-08,buy,005930,1,1000,,fine\n"
        "03-09-2024,sell,005930,1,abc,,two problems\n"
    )

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    assert response.json()["detail"] == "Nothing was imported: 5 problems."
    assert error_lines(response) == [
        (3, "date"), (4, "stock"), (5, "quantity"), (7, "date"), (7, "price"),
    ]  # fmt: skip
    assert rows_of(portfolio.owner) == before


def test_a_csv_whose_rows_fail_the_checks_is_refused_naming_every_bad_line(
    client, portfolio, samsung
):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    text = CSV_HEADER + (
        "2024-03-04,buy,005930,10,1000,,\n"
        "2024-03-05,buy,005930,10,0,,zero price\n"
        f"{future},buy,005930,1,1000,,future\n"
        "2024-03-06,gift,005930,1,1000,,unknown type\n"
        "2024-03-07,buy,,1,1000,,no stock\n"
    )

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    # Named by the file's lines and columns.
    assert [(e["line"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (3, "price", "A trade needs a price above zero."),
        (4, "date", "The date cannot be in the future."),
        (5, "type", "Choose buy, sell, dividend or fee."),
        (6, "stock", "Choose the stock."),
    ]
    assert not Transaction.objects.exists()


def test_an_oversell_on_a_later_line_refuses_the_whole_file(client, portfolio, samsung, ecopro):
    record(portfolio, "buy", samsung, "1", "100", date(2024, 1, 2))
    before = rows_of(portfolio.owner)
    text = CSV_HEADER + (
        "2024-03-04,buy,005930,10,1000,,\n"
        "2024-03-05,sell,005930,4,1100,,\n"
        "2024-03-06,buy,247540,1,1000,,\n"
        "2024-03-07,sell,005930,8,1200,,too many\n"
    )

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["field"]) == (5, "quantity")
    assert "held only 7 then" in error["message"]
    assert rows_of(portfolio.owner) == before


def test_a_csv_missing_a_column_is_refused_on_its_header(client, portfolio, samsung):
    text = "date,type,stock,quantity,fee\n2024-03-04,buy,005930,10,0\n"

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["field"]) == (1, "header")
    assert "price" in error["message"]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        CSV_HEADER.encode(),  # no rows
        "date,type,stock,quantity,price\n".encode("utf-16"),  # neither UTF-8 nor CP949
    ],
)
def test_an_empty_or_undecodable_file_is_refused_on_file(client, portfolio, raw):
    response = import_csv(client, portfolio, raw)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["file"]
    assert not Transaction.objects.exists()


def test_an_import_without_a_file_is_400_on_file(client, portfolio):
    response = client.post(url(portfolio.pk, "transactions/import/"), {}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()


# --- caches (C9) ----------------------------------------------------------------------------------
# The cache stores only outside a pending transaction, so these tests commit for real.


def assert_cached_summary(user_id: int, portfolio_id: int | None, assert_num_queries) -> dict:  # noqa: ANN001
    """Read the summary twice, the second time from the cache, and return it."""
    selectors.portfolio_summary(user_id, portfolio_id)
    with assert_num_queries(0):
        return selectors.portfolio_summary(user_id, portfolio_id)


@pytest.mark.django_db(transaction=True)
def test_a_repeated_summary_is_answered_from_the_cache(django_assert_num_queries, user, samsung):
    portfolio = PortfolioFactory(owner=user)
    record_known_sequence(portfolio, samsung)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)  # no user look-up: what is left is the view's own
    cold = client.get(url(portfolio.pk, "summary/")).json()
    client.get(OVERALL_URL)

    with django_assert_num_queries(1):  # only the ownership check of the portfolio id
        warm = client.get(url(portfolio.pk, "summary/")).json()
    with django_assert_num_queries(1):
        holdings = client.get(url(portfolio.pk, "holdings/")).json()
    with django_assert_num_queries(0):
        overall = client.get(OVERALL_URL).json()

    assert warm == cold
    assert holdings == cold["holdings"]
    assert overall["market_value"] == cold["market_value"] == "75000.00"


@pytest.mark.django_db(transaction=True)
def test_recording_editing_and_deleting_a_transaction_drops_the_cached_summary(
    django_assert_num_queries, user, samsung
):
    portfolio = PortfolioFactory(owner=user)
    record_known_sequence(portfolio, samsung)
    client = client_for(user)
    assert assert_cached_summary(user.pk, portfolio.pk, django_assert_num_queries)[
        "market_value"
    ] == D("75000.00")  # fmt: skip
    assert_cached_summary(user.pk, None, django_assert_num_queries)

    created = record(portfolio, "buy", samsung, "5", "3000", date(2024, 10, 1))
    assert client.get(url(portfolio.pk, "summary/")).json()["market_value"] == "90000.00"
    assert client.get(OVERALL_URL).json()["market_value"] == "90000.00"
    assert_cached_summary(user.pk, portfolio.pk, django_assert_num_queries)

    data = TransactionInput("buy", samsung, D(10), D(3000), D(0), date(2024, 10, 1))
    services.transaction_update(record=created, data=data)
    assert client.get(url(portfolio.pk, "summary/")).json()["market_value"] == "105000.00"
    assert_cached_summary(user.pk, portfolio.pk, django_assert_num_queries)

    assert client.delete(url(portfolio.pk, f"transactions/{created.pk}/")).status_code == 204
    assert client.get(url(portfolio.pk, "summary/")).json()["market_value"] == "75000.00"
    assert client.get(OVERALL_URL).json()["market_value"] == "75000.00"


@pytest.mark.django_db(transaction=True)
def test_an_import_and_a_gains_change_drop_the_cached_reads(
    django_assert_num_queries, user, samsung
):
    portfolio = PortfolioFactory(owner=user)
    client = client_for(user)
    assert client.get(url(portfolio.pk, "gains/")).json() == []
    assert_cached_summary(user.pk, portfolio.pk, django_assert_num_queries)
    selectors.realised_gains_by_year(user.pk, portfolio.pk)
    with django_assert_num_queries(0):
        selectors.realised_gains_by_year(user.pk, portfolio.pk)

    text = CSV_HEADER + "2024-03-04,buy,005930,10,1000,,\n2024-03-05,sell,005930,4,1500,,\n"
    assert import_csv(client, portfolio, text).status_code == 201

    assert client.get(url(portfolio.pk, "summary/")).json()["market_value"] == "18000.00"
    assert [row["gain"] for row in client.get(url(portfolio.pk, "gains/")).json()] == ["2000.00"]


@pytest.mark.django_db(transaction=True)
def test_creating_renaming_and_deleting_a_portfolio_drops_the_cached_list(
    django_assert_num_queries, user
):
    client = client_for(user)
    assert client.get(BASE).json() == []
    selectors.portfolio_list_for(user.pk)
    with django_assert_num_queries(0):
        selectors.portfolio_list_for(user.pk)

    created = client.post(BASE, {"name": "Main"}, format="json").json()
    assert [p["name"] for p in client.get(BASE).json()] == ["Main"]
    client.patch(url(created["id"]), {"name": "Renamed"}, format="json")
    assert [p["name"] for p in client.get(BASE).json()] == ["Renamed"]
    client.delete(url(created["id"]))
    assert client.get(BASE).json() == []


@pytest.mark.django_db(transaction=True)
def test_a_new_quote_shows_in_the_cached_summary(django_assert_num_queries, user, samsung):
    portfolio = PortfolioFactory(owner=user)
    record_known_sequence(portfolio, samsung)
    assert_cached_summary(user.pk, portfolio.pk, django_assert_num_queries)

    samsung.last_price = D(3100)
    samsung.save()

    summary = selectors.portfolio_summary(user.pk, portfolio.pk)
    assert (summary["market_value"], summary["day_change"]) == (D("77500.00"), D("5000.00"))


@pytest.mark.django_db(transaction=True)
def test_two_users_see_their_own_summaries_and_ones_write_keeps_the_others_cache(
    django_assert_num_queries, samsung
):
    alice, bob = UserFactory(), UserFactory()
    alice_portfolio = PortfolioFactory(owner=alice, name="Main")
    bob_portfolio = PortfolioFactory(owner=bob, name="Main")
    record_known_sequence(alice_portfolio, samsung)
    record(bob_portfolio, "buy", samsung, "2", "2500", date(2024, 3, 4))
    alice_client, bob_client = client_for(alice), client_for(bob)

    # each reads their own, whoever filled the cache first
    assert alice_client.get(OVERALL_URL).json()["market_value"] == "75000.00"
    assert bob_client.get(OVERALL_URL).json()["market_value"] == "6000.00"
    assert alice_client.get(OVERALL_URL).json()["market_value"] == "75000.00"
    assert [p["id"] for p in alice_client.get(BASE).json()] == [alice_portfolio.pk]
    assert [p["id"] for p in bob_client.get(BASE).json()] == [bob_portfolio.pk]
    bob_summary = assert_cached_summary(bob.pk, None, django_assert_num_queries)
    bob_one = assert_cached_summary(bob.pk, bob_portfolio.pk, django_assert_num_queries)
    bob_list = selectors.portfolio_list_for(bob.pk)

    record(alice_portfolio, "buy", samsung, "5", "3000", date(2024, 10, 1))
    renamed = alice_client.patch(url(alice_portfolio.pk), {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200

    with django_assert_num_queries(0):  # alice's writes dropped none of bob's entries
        assert selectors.portfolio_summary(bob.pk, None) == bob_summary
        assert selectors.portfolio_summary(bob.pk, bob_portfolio.pk) == bob_one
        assert selectors.portfolio_list_for(bob.pk) == bob_list
    assert alice_client.get(OVERALL_URL).json()["market_value"] == "90000.00"
    assert bob_client.get(OVERALL_URL).json()["market_value"] == "6000.00"


def holdings_and_transactions(portfolio: Portfolio, holdings: int, transactions: int) -> None:
    """``holdings`` stocks, each bought and partly sold, ``transactions`` rows in all (one is a
    fee), recorded in one import."""
    stocks = [StockFactory(last_price=D(1000 + n), previous_close=D(1000)) for n in range(holdings)]
    per_stock = (transactions - 1) // holdings
    rows = [(0, TransactionInput("fee", None, None, None, D(500), date(2024, 1, 1)))]
    for stock in stocks:
        for n in range(per_stock):
            kind = "sell" if n % 4 == 3 else "buy"
            day = date(2024, 1, 2) + timedelta(days=n)
            rows.append((len(rows), TransactionInput(kind, stock, D(1), D(900 + n), D(5), day)))
    rows += [(len(rows), TransactionInput("buy", stocks[0], D(1), D(900), D(0), date(2024, 1, 2)))
             for _ in range(transactions - len(rows))]  # fmt: skip
    services.transactions_import(portfolio=portfolio, rows=rows)
    assert Transaction.objects.filter(portfolio=portfolio).count() == transactions
    assert Holding.objects.filter(portfolio=portfolio).count() == holdings


# the ownership check, the holdings, the fees, and the quote board (a cache entry of its own)
COLD_SUMMARY_QUERIES = 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("holdings", "transactions"), [(2, 10), (20, 200)])
def test_a_cold_summary_is_a_constant_number_of_queries(
    django_assert_num_queries, user, holdings, transactions
):
    portfolio = PortfolioFactory(owner=user)
    holdings_and_transactions(portfolio, holdings, transactions)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)

    with django_assert_num_queries(COLD_SUMMARY_QUERIES):
        body = client.get(url(portfolio.pk, "summary/")).json()
    with django_assert_num_queries(2):  # the holdings, the fees: the quote board is warm now
        overall = client.get(OVERALL_URL).json()

    assert len(body["holdings"]) == holdings
    assert overall["market_value"] == body["market_value"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("holdings", "transactions"), [(2, 10), (20, 200)])
def test_list_endpoints_are_a_constant_number_of_queries(
    django_assert_num_queries, user, holdings, transactions
):
    portfolio = PortfolioFactory(owner=user)
    for n in range(holdings // 2):
        PortfolioFactory(owner=user, name=f"Extra {n}")
    holdings_and_transactions(portfolio, holdings, transactions)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)

    with django_assert_num_queries(1):
        client.get(BASE)
    with django_assert_num_queries(3):  # the ownership check, the count, the page with stocks
        page = client.get(url(portfolio.pk, "transactions/")).json()
    with django_assert_num_queries(3):  # the ownership check, the gains, the dividends
        client.get(url(portfolio.pk, "gains/"))
    with django_assert_num_queries(2):  # the ownership check, the sales with their stocks
        client.get(url(portfolio.pk, "gains/"), {"year": 2024})
    with django_assert_num_queries(2):  # the ownership check, the transactions with stocks
        text = client.get(url(portfolio.pk, "transactions/export/")).content.decode()

    assert len(page["results"]) == min(transactions, 50)
    assert len(text.splitlines()) == transactions + 1


@pytest.mark.parametrize("body", ["null", '"abc"', "5", '["note"]'])
def test_a_patch_that_is_not_an_object_is_a_400(client, portfolio, samsung, body):
    buy = record(portfolio, "buy", samsung, "1", "100", date(2024, 3, 4))

    response = client.patch(url(portfolio.pk, f"transactions/{buy.pk}/"), body,
                            content_type="application/json")  # fmt: skip

    assert response.status_code == 400


def test_a_patch_cannot_blank_the_date(client, portfolio, samsung):
    buy = record(portfolio, "buy", samsung, "1", "100", date(2024, 3, 4))

    response = client.patch(url(portfolio.pk, f"transactions/{buy.pk}/"), {"date": None},
                            content_type="application/json")  # fmt: skip

    assert response.status_code == 400
    assert Transaction.objects.get(pk=buy.pk).traded_on == date(2024, 3, 4)


@pytest.mark.parametrize(
    "text",
    [
        CSV_HEADER + "2024-03-04,buy,005930,1,100,,a\x00b\n",
        CSV_HEADER + "2024-03-04,buy,005930,0.00001,100,,\n",
        CSV_HEADER + '2024-03-04,buy,005930,1,100,,"' + "x" * 200_000 + '"\n',
    ],
    ids=["nul", "too-many-places", "huge-field"],
)
def test_unstorable_csv_files_are_refused_not_a_500(client, portfolio, text):
    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    assert response.json()["errors"]
    assert not Transaction.objects.exists()
