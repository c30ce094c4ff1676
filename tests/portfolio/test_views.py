"""Portfolio pages (P1-P3): the overview and a portfolio's page, the forms that change them, and
privacy: another user's portfolio is a 404 on every page, whatever the method."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portfolio import services
from portfolio.models import Holding, Portfolio, Transaction
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
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def text_of(response) -> str:  # noqa: ANN001
    return response.content.decode()


def section(text: str, testid: str, *ends: str) -> str:
    """The markup of the element with this data-testid, up to the first of ``ends`` (by default
    the end of a section, table, list or form)."""
    start = text.index(f'data-testid="{testid}"')
    found = [
        text.find(end, start) for end in ends or ("</section>", "</table>", "</ul>", "</form>")
    ]
    return text[start : min(end for end in found if end != -1)]


def shown(markup: str, name: str) -> str:
    """The text of the first element with data-field=name."""
    match = re.search(rf'data-field="{name}"[^>]*>([^<]*)<', markup)
    assert match is not None, f"no {name}"
    return html.unescape(match.group(1)).strip()


def holding_row(text: str, code: str) -> str:
    table = section(text, "holdings")
    match = re.search(rf'<tr data-code="{code}">.*?</tr>', table, re.S)
    assert match is not None, f"no holding row for {code}"
    return match.group(0)


@pytest.fixture
def page_client(user) -> Client:  # noqa: ANN001
    """The signed-in user, reading English (pages are Korean by default)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def detail_url(portfolio: Portfolio) -> str:
    return f"/portfolio/{portfolio.pk}/"


# --- privacy (P2): every page, every method -------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One request to a page of a portfolio; ``{p}`` and ``{t}`` in the path stand for a
    portfolio id and a transaction id."""

    method: str
    path: str
    body: Any = None  # a dict, or a function returning one (an upload is read once)

    @property
    def names_a_transaction(self) -> bool:
        return "{t}" in self.path

    def send(self, client: Client, portfolio_id: int = 0, transaction_id: int = 0):  # noqa: ANN201
        path = self.path.format(p=portfolio_id, t=transaction_id)
        body = self.body() if callable(self.body) else self.body
        return getattr(client, self.method)(path, body or {})


def _import_file() -> dict[str, Any]:
    text = CSV_HEADER + "2024-01-02,buy,005930,1,100,,intruder\n2024-01-03,sell,005930,1,1,,\n"
    return {"file": SimpleUploadedFile("t.csv", text.encode(), content_type="text/csv")}


BUY_FORM = {"kind": "buy", "stock": "005930", "quantity": "1", "price": "100", "fee": "",
            "traded_on": "2024-01-02", "note": "intruder"}  # fmt: skip

# Every page that names a portfolio, with the method it answers. A new page goes here.
PORTFOLIO_PAGES = [
    pytest.param(Page("get", "/portfolio/{p}/"), id="detail"),
    pytest.param(Page("get", "/portfolio/{p}/", {"page": "2"}), id="detail-page-2"),
    pytest.param(Page("post", "/portfolio/{p}/rename/", {"name": "Taken over"}), id="rename"),
    pytest.param(Page("post", "/portfolio/{p}/delete/"), id="delete"),
    pytest.param(Page("post", "/portfolio/{p}/transactions/", BUY_FORM), id="transaction-add"),
    pytest.param(Page("post", "/portfolio/{p}/transactions/{t}/delete/"), id="transaction-delete"),
    pytest.param(Page("post", "/portfolio/{p}/import/", _import_file), id="import"),
    pytest.param(Page("get", "/portfolio/{p}/export.csv"), id="export"),
]
TRANSACTION_PAGES = [page for page in PORTFOLIO_PAGES if page.values[0].names_a_transaction]
OWN_PAGES = [
    pytest.param(Page("get", "/portfolio/"), id="overview"),
    pytest.param(Page("post", "/portfolio/new/", {"name": "New"}), id="create"),
]
PATHS = sorted({page.values[0].path for page in PORTFOLIO_PAGES})
METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture
def bob_client(two_owners) -> Client:  # noqa: ANN001
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(two_owners.bob)
    return client


def assert_not_found_and_nothing_leaked(response, missing) -> None:  # noqa: ANN001
    assert response.status_code == 404
    assert missing.status_code == 404
    text = text_of(response)
    assert "You have no portfolio with this number." in text or "no such transaction" in text
    assert ALICE_SECRET not in text
    assert ALICE_NOTE not in text


@pytest.mark.parametrize("page", PORTFOLIO_PAGES)
def test_another_users_portfolio_page_is_404_and_unchanged(two_owners, bob_client, page):
    owners = two_owners
    alice_before, bob_before = rows_of(owners.alice), rows_of(owners.bob)
    missing = page.send(bob_client, owners.missing_id, owners.missing_id)

    response = page.send(bob_client, owners.alice_portfolio.pk, owners.alice_transaction.pk)

    assert_not_found_and_nothing_leaked(response, missing)
    assert rows_of(owners.alice) == alice_before
    assert rows_of(owners.bob) == bob_before


@pytest.mark.parametrize("page", TRANSACTION_PAGES)
@pytest.mark.parametrize(
    "target",
    ["alice-transaction-in-bob-portfolio", "bob-transaction-in-alice-portfolio"],
)
def test_a_transaction_under_the_wrong_portfolio_is_404_and_unchanged(
    two_owners, bob_client, page, target
):
    owners = two_owners
    if target == "alice-transaction-in-bob-portfolio":
        ids = (owners.bob_portfolio.pk, owners.alice_transaction.pk)
    else:
        ids = (owners.alice_portfolio.pk, owners.bob_transaction.pk)
    alice_before, bob_before = rows_of(owners.alice), rows_of(owners.bob)
    missing = page.send(bob_client, owners.bob_portfolio.pk, owners.missing_id)

    response = page.send(bob_client, *ids)

    assert_not_found_and_nothing_leaked(response, missing)
    assert rows_of(owners.alice) == alice_before
    assert rows_of(owners.bob) == bob_before


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_no_method_tells_another_users_portfolio_page_from_a_missing_one(
    two_owners, bob_client, path, method
):
    owners = two_owners
    alice_before = rows_of(owners.alice)
    page = Page(method, path)

    missing = page.send(bob_client, owners.missing_id, owners.missing_id)
    response = page.send(bob_client, owners.alice_portfolio.pk, owners.alice_transaction.pk)

    assert response.status_code == missing.status_code
    assert response.status_code in (404, 405)
    assert ALICE_SECRET not in text_of(response)
    assert rows_of(owners.alice) == alice_before


@pytest.mark.parametrize("page", OWN_PAGES)
def test_pages_without_an_id_show_only_the_requesters_portfolios(two_owners, bob_client, page):
    response = page.send(bob_client)

    assert response.status_code in (200, 302)
    assert ALICE_SECRET not in text_of(response)
    assert ALICE_SECRET not in text_of(bob_client.get("/portfolio/"))
    assert rows_of(two_owners.alice)["portfolios"][0]["name"] == ALICE_SECRET


@pytest.mark.parametrize("page", [*PORTFOLIO_PAGES, *OWN_PAGES])
def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(two_owners, page):
    alice_before = rows_of(two_owners.alice)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    response = page.send(client, two_owners.alice_portfolio.pk, two_owners.alice_transaction.pk)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    assert rows_of(two_owners.alice) == alice_before


# --- the overview ---------------------------------------------------------------------------------


def test_overview_shows_the_combined_summary_and_each_portfolio(
    page_client, user, portfolio, samsung, ecopro
):
    record_known_sequence(portfolio, samsung)
    second = PortfolioFactory(owner=user, name="Second")
    record(second, "buy", ecopro, "10", "4800", date(2024, 6, 2))
    PortfolioFactory(owner=UserFactory(), name="Somebody else's")

    response = page_client.get("/portfolio/")

    assert response.status_code == 200
    text = text_of(response)
    summary = section(text, "summary")
    assert shown(summary, "market_value") == "125,000"
    assert shown(summary, "cost_basis") == "91,875"
    assert shown(summary, "unrealised_pl") == "33,125"
    assert shown(summary, "day_change") == "1,500"  # +2,500 - 1,000
    assert 'data-summary-url="/api/v1/portfolios/summary/"' in summary
    table = section(text, "portfolio-table")
    rows = re.findall(r'<a href="/portfolio/(\d+)/">([^<]*)</a>', table)
    assert rows == [(str(portfolio.pk), "Main"), (str(second.pk), "Second")]
    assert "75,000" in table and "50,000" in table
    allocation = section(text, "allocation")
    assert "삼성전자" in allocation and "에코프로비엠" in allocation
    assert "60.00%" in allocation and "40.00%" in allocation
    assert "Somebody else" not in text


def test_overview_without_portfolios_invites_to_create_one(page_client):
    response = page_client.get("/portfolio/")

    assert response.status_code == 200
    assert "No portfolio yet" in text_of(response)


def test_creating_a_portfolio_opens_its_page(page_client, user):
    response = page_client.post("/portfolio/new/", {"name": "Long term"})

    created = Portfolio.objects.get(owner=user)
    assert created.name == "Long term"
    assert response.status_code == 302
    assert response["Location"] == detail_url(created)


def test_a_duplicate_or_blank_name_re_renders_the_overview_with_the_error(
    page_client, user, portfolio
):
    duplicate = page_client.post("/portfolio/new/", {"name": "Main"})
    blank = page_client.post("/portfolio/new/", {"name": ""})

    assert duplicate.status_code == 400
    assert "You already have a portfolio named “Main”." in text_of(duplicate)
    assert blank.status_code == 400
    assert "This field is required." in text_of(blank)
    assert Portfolio.objects.filter(owner=user).count() == 1


# --- a portfolio's page ---------------------------------------------------------------------------


def test_portfolio_page_shows_holdings_form_gains_and_the_chart(page_client, portfolio, samsung):
    record_known_sequence(portfolio, samsung)

    response = page_client.get(detail_url(portfolio))

    assert response.status_code == 200
    text = text_of(response)
    summary = section(text, "summary")
    assert shown(summary, "market_value") == "75,000"
    assert shown(summary, "unrealised_pl") == "31,125"
    assert shown(summary, "day_change") == "2,500"
    assert f'data-summary-url="/api/v1/portfolios/{portfolio.pk}/summary/"' in summary
    row = holding_row(text, "005930")
    assert "삼성전자" in row
    assert (shown(row, "last_price"), shown(row, "market_value")) == ("3,000", "75,000")
    assert (shown(row, "unrealised_pl"), shown(row, "weight")) == ("31,125", "100.00%")
    form = section(text, "transaction-form")
    assert f'action="/portfolio/{portfolio.pk}/transactions/#add-transaction"' in text
    for name in ("kind", "stock", "quantity", "price", "fee", "traded_on", "note"):
        assert f'name="{name}"' in form
    gains = section(text, "gains")
    assert re.search(r"<td>2024</td>\s*<td class=\"num\">1</td>", gains)
    assert "37,400" in gains and "26,325" in gains and "11,075" in gains
    chart = section(text, "value-chart")
    assert f'data-history-url="/api/v1/portfolios/{portfolio.pk}/history/"' in chart
    transactions = section(text, "transactions", "</table>")
    assert transactions.count("<tr>") == 4  # the header and three transactions
    assert f'href="/portfolio/{portfolio.pk}/export.csv"' in text


def test_an_empty_portfolio_page_says_nothing_is_held(page_client, portfolio):
    response = page_client.get(detail_url(portfolio))

    assert response.status_code == 200
    assert "Nothing held: record a purchase below." in section(text_of(response), "holdings")
    assert "No sales or dividends yet." in section(text_of(response), "gains")


def test_adding_a_transaction_redirects_and_the_holding_appears(page_client, portfolio, samsung):
    response = page_client.post(
        f"/portfolio/{portfolio.pk}/transactions/",
        {"kind": "buy", "stock": "005930", "quantity": "10", "price": "1000", "fee": "50",
         "traded_on": "2024-03-04", "note": "첫 매수"},
    )  # fmt: skip

    assert response.status_code == 302
    assert response["Location"] == detail_url(portfolio)
    page = page_client.get(response["Location"])
    text = text_of(page)
    assert "Transaction recorded." in text
    row = holding_row(text, "005930")
    assert shown(row, "market_value") == "30,000"
    assert "첫 매수" in section(text, "transactions", "</table>")
    assert Holding.objects.get(portfolio=portfolio).cost_basis == D("10050.00")


def test_an_oversell_re_renders_the_page_with_400_and_the_message(page_client, portfolio, samsung):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))

    response = page_client.post(
        f"/portfolio/{portfolio.pk}/transactions/",
        {"kind": "sell", "stock": "005930", "quantity": "11", "price": "1000",
         "traded_on": "2024-03-05"},
    )  # fmt: skip

    assert response.status_code == 400
    form = section(text_of(response), "transaction-form")
    assert (
        '<span class="field-error" role="alert">You cannot sell 11 shares on 2024-03-05: '
        "the portfolio held only 10 then.</span>"
    ) in form
    assert 'name="quantity" value="11"' in form  # what was typed is kept
    assert Transaction.objects.filter(portfolio=portfolio).count() == 1
    assert Holding.objects.get(portfolio=portfolio).quantity == D(10)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stock": "999999"}, "No listed stock has the code 999999."),
        ({"stock": "12345"}, "A stock code is six digits, such as 005930."),
        ({"stock": ""}, "Choose the stock."),
        ({"quantity": ""}, "The quantity must be more than zero and under 10 billion."),
        ({"price": "0"}, "A trade needs a price above zero."),
        ({"traded_on": (timezone.localdate() + timedelta(days=1)).isoformat()},
         "The date cannot be in the future."),
        ({"traded_on": "2024-02-30"}, "Enter a valid date."),
        ({"kind": "gift"}, "Select a valid choice."),
    ],
)  # fmt: skip
def test_an_invalid_transaction_shows_its_fields_error(
    page_client, portfolio, samsung, changes, message
):
    body = {"kind": "buy", "stock": "005930", "quantity": "10", "price": "1000",
            "traded_on": "2024-03-04", **changes}  # fmt: skip

    response = page_client.post(f"/portfolio/{portfolio.pk}/transactions/", body)

    assert response.status_code == 400
    assert message in section(text_of(response), "transaction-form")
    assert not Transaction.objects.exists()


def test_deleting_a_transaction_through_the_page(page_client, portfolio, samsung):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))
    sale = record(portfolio, "sell", samsung, "4", "1000", date(2024, 3, 5))

    response = page_client.post(f"/portfolio/{portfolio.pk}/transactions/{sale.pk}/delete/")

    assert (response.status_code, response["Location"]) == (302, detail_url(portfolio))
    assert not Transaction.objects.filter(pk=sale.pk).exists()
    assert Holding.objects.get(portfolio=portfolio).quantity == D(10)


def test_deleting_a_buy_a_later_sale_needs_is_refused_with_a_message(
    page_client, portfolio, samsung
):
    buy = record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))
    record(portfolio, "sell", samsung, "4", "1000", date(2024, 3, 5))

    response = page_client.post(
        f"/portfolio/{portfolio.pk}/transactions/{buy.pk}/delete/", follow=True
    )

    assert "held only 0 then" in text_of(response)
    assert Transaction.objects.filter(pk=buy.pk).exists()


def test_renaming_and_deleting_a_portfolio(page_client, user, portfolio, samsung):
    PortfolioFactory(owner=user, name="Other")
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4))

    taken = page_client.post(f"/portfolio/{portfolio.pk}/rename/", {"name": "Other"})
    assert taken.status_code == 400
    assert "You already have a portfolio named “Other”." in text_of(taken)

    renamed = page_client.post(f"/portfolio/{portfolio.pk}/rename/", {"name": "Renamed"})
    assert (renamed.status_code, renamed["Location"]) == (302, detail_url(portfolio))
    assert "<h1>Renamed</h1>" in text_of(page_client.get(detail_url(portfolio)))

    deleted = page_client.post(f"/portfolio/{portfolio.pk}/delete/")
    assert (deleted.status_code, deleted["Location"]) == (302, "/portfolio/")
    assert not Portfolio.objects.filter(pk=portfolio.pk).exists()
    assert not Transaction.objects.exists()
    assert page_client.get(detail_url(portfolio)).status_code == 404


def test_page_escapes_portfolio_names_and_notes(page_client, user, samsung):
    portfolio = PortfolioFactory(owner=user, name=SCRIPT)
    record(portfolio, "buy", samsung, "1", "100", date(2024, 3, 4), note=SCRIPT)

    for response in (page_client.get("/portfolio/"), page_client.get(detail_url(portfolio))):
        assert response.status_code == 200
        assert SCRIPT not in text_of(response)
        assert ESCAPED_SCRIPT in text_of(response)


def test_page_escapes_the_cells_an_import_error_quotes(page_client, portfolio, samsung):
    text = CSV_HEADER + f"2024-03-04,buy,005930,{SCRIPT},1000,,\n"

    response = page_client.post(f"/portfolio/{portfolio.pk}/import/", upload(text))

    assert response.status_code == 400
    assert SCRIPT not in text_of(response)


@pytest.mark.django_db(transaction=True)  # the caches store only outside a pending transaction
@pytest.mark.parametrize(("holdings", "transactions"), [(2, 10), (20, 200)])
def test_pages_are_a_constant_number_of_queries(
    django_assert_num_queries, user, holdings, transactions
):
    portfolio = PortfolioFactory(owner=user, name="Main")
    stocks = [StockFactory() for _ in range(holdings)]
    rows = [(n, TransactionInput("buy", stocks[n % holdings], D(2), D(100), D(0),
                                 date(2024, 1, 2) + timedelta(days=n)))
            for n in range(transactions - holdings)]  # fmt: skip
    rows += [(n, TransactionInput("sell", stock, D(1), D(150), D(0), date(2025, 1, 2)))
             for n, stock in enumerate(stocks)]  # fmt: skip
    services.transactions_import(portfolio=portfolio, rows=rows)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    # the session, the user, the header's avatar (cached after), the ownership check, the quote
    # board, the holdings, the fees, the transactions' count and page, the gains and the
    # dividends by year
    with django_assert_num_queries(11):
        detail = client.get(detail_url(portfolio))
    # the session, the user, the list, then the holdings and the fees of all portfolios together
    # (the quote board and this portfolio's summary are cached now)
    with django_assert_num_queries(5):
        overview = client.get("/portfolio/")
    with django_assert_num_queries(2):  # the session, the user: everything else is cached
        client.get("/portfolio/")

    assert text_of(detail).count("<tr data-code=") == holdings
    assert section(text_of(overview), "portfolio-table").count("<tr>") == 2


# --- import and export ----------------------------------------------------------------------------


def upload(text: str | bytes) -> dict[str, Any]:
    raw = text.encode() if isinstance(text, str) else text
    return {"file": SimpleUploadedFile("transactions.csv", raw, content_type="text/csv")}


def test_an_import_through_the_page_records_every_row(page_client, portfolio, samsung):
    text = CSV_HEADER + "2024-03-04,buy,005930,10,1000,50,\n2024-03-05,sell,005930,4,1500,,\n"

    response = page_client.post(f"/portfolio/{portfolio.pk}/import/", upload(text), follow=True)

    assert response.redirect_chain == [(detail_url(portfolio), 302)]
    assert "2 transactions imported." in text_of(response)
    assert Holding.objects.get(portfolio=portfolio).quantity == D(6)


def test_a_bad_import_lists_every_bad_line_and_stores_nothing(page_client, portfolio, samsung):
    record(portfolio, "buy", samsung, "1", "100", date(2024, 1, 2))
    before = rows_of(portfolio.owner)
    text = CSV_HEADER + (
        "2024-03-04,buy,005930,10,1000,50,fine\n"
        "2024/03/05,buy,005930,10,1000,,bad date\n"
        "2024-03-06,buy,999999,10,1000,,unknown stock\n"
        "2024-03-07,buy,005930,ten,1000,,not a number\n"
    )

    response = page_client.post(f"/portfolio/{portfolio.pk}/import/", upload(text))

    assert response.status_code == 400
    errors = section(text_of(response), "import-errors")
    assert re.findall(r"<li>Line (\d+) · (\w+):", errors) == [
        ("3", "date"), ("4", "stock"), ("5", "quantity"),
    ]  # fmt: skip
    assert "No listed stock has the code 999999." in errors
    assert "Nothing was imported: the file has 3 problems." in text_of(response)
    assert rows_of(portfolio.owner) == before


def test_an_oversell_in_an_import_names_its_line(page_client, portfolio, samsung):
    text = CSV_HEADER + "2024-03-04,buy,005930,10,1000,,\n2024-03-05,sell,005930,11,1500,,\n"

    response = page_client.post(f"/portfolio/{portfolio.pk}/import/", upload(text))

    assert response.status_code == 400
    errors = section(text_of(response), "import-errors")
    assert re.findall(r"<li>Line (\d+) · (\w+):", errors) == [("3", "quantity")]
    assert "held only 10 then" in errors
    assert not Transaction.objects.exists()


def test_an_import_without_a_file_shows_the_field_error(page_client, portfolio):
    response = page_client.post(f"/portfolio/{portfolio.pk}/import/", {})

    assert response.status_code == 400
    assert "This field is required." in text_of(response)


def test_export_through_the_page_downloads_the_csv(page_client, portfolio, samsung):
    record(portfolio, "buy", samsung, "10", "1000", date(2024, 3, 4), fee="50", note="첫 매수")

    response = page_client.get(f"/portfolio/{portfolio.pk}/export.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    # Records end in CRLF (RFC 4180), so a cell holding a lone CR is quoted too.
    assert text_of(response) == (
        CSV_HEADER.replace("\n", "\r\n") + "2024-03-04,buy,005930,10,1000,50,첫 매수\r\n"
    )
