"""Issue 16, portfolio: what a holding may reach and reads that never overflow; one rounding of
dividends everywhere; CSV cells that round-trip; numbers with commas; an import's every problem
in one pass; messages in Korean."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts import services as account_services
from portfolio import services
from portfolio.models import Holding, Transaction
from stocks.models import Stock, StockSplit
from tests.portfolio.factories import PortfolioFactory
from tests.portfolio.helpers import CSV_HEADER, record, rows_of
from tests.portfolio.test_api import OVERALL_URL, error_lines, export, import_csv, stored, url
from tests.stocks.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db

# Under every per-transaction bound (10 billion shares, 1 trillion won): the issue's rows.
EDGE_ROW = "2024-01-02,buy,{code},9999999999,100,,\n"


def signed_in(user, language: str = "en") -> APIClient:  # noqa: ANN001
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {account_services.token_pair_issue(user=user).access}"
    )
    return client


@pytest.fixture
def client(user) -> APIClient:  # noqa: ANN001
    return signed_in(user)


@pytest.fixture
def costly() -> Stock:
    """A stock at 10 million won: 10^12 shares of it are worth 10^19 won."""
    return StockFactory(code="123450", last_price=D("10000000"), previous_close=D("9000000"))


def bar(stock: Stock, day: date, close: str) -> None:
    starts_at = datetime.combine(day, time(9), tzinfo=timezone.get_current_timezone())
    PriceBarFactory(stock=stock, starts_at=starts_at, close=D(close))


# --- overflow: bounded writes, reads of any size ------------------------------------------------


def test_the_issues_hundred_edge_buys_import_and_every_read_answers(client, portfolio, costly):
    bar(costly, timezone.localdate() - timedelta(days=1), "10000000")
    response = import_csv(client, portfolio, CSV_HEADER + EDGE_ROW.format(code="123450") * 100)
    assert (response.status_code, response.json()) == (201, {"imported": 100})
    value = "9999999999000000000.00"  # 999,999,999,900 shares × 10,000,000 won, past 10^18

    summary = client.get(url(portfolio.pk, "summary/"))
    overall = client.get(OVERALL_URL)
    holdings = client.get(url(portfolio.pk, "holdings/"))

    assert summary.status_code == overall.status_code == holdings.status_code == 200
    assert summary.json()["market_value"] == overall.json()["market_value"] == value
    assert summary.json()["day_change"] == "999999999900000000.00"
    assert holdings.json()[0]["market_value"] == value
    assert summary.json()["allocation"]["by_stock"][0]["market_value"] == value
    pages = Client()
    pages.force_login(portfolio.owner)
    assert pages.get("/portfolio/").status_code == 200
    assert pages.get(f"/portfolio/{portfolio.pk}/").status_code == 200
    # The chart's worker stores it too, once, and the sweep after has nothing left to do.
    assert services.value_histories_refresh(days=366) == 1
    assert services.value_histories_refresh(days=366) == 0
    history = client.get(url(portfolio.pk, "history/")).json()
    assert history["is_stale"] is False
    assert [point["market_value"] for point in history["points"]] == [value]


def test_a_row_that_makes_a_holding_too_large_is_refused_by_line_and_nothing_is_written(
    client, portfolio, costly
):
    before = rows_of(portfolio.owner)

    response = import_csv(client, portfolio, CSV_HEADER + EDGE_ROW.format(code="123450") * 101)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_refused"
    # Line 102 is the 101st buy: 1,009,999,999,899 shares, past the trillion.
    assert [(e["line"], e["field"], e["code"]) for e in body["errors"]] == [
        (102, "quantity", "holding_too_large")
    ]
    assert "1 trillion shares" in body["errors"][0]["message"]
    assert rows_of(portfolio.owner) == before


def test_one_transaction_past_the_holding_bound_is_400_on_quantity(client, portfolio, costly):
    edge = CSV_HEADER + EDGE_ROW.format(code="123450") * 100
    assert import_csv(client, portfolio, edge).status_code == 201
    before = rows_of(portfolio.owner)
    body = {"stock": "123450", "side": "buy", "quantity": "9999999999", "price": "100",
            "date": "2024-01-03"}  # fmt: skip

    response = client.post(url(portfolio.pk, "transactions/"), body, format="json")

    assert response.status_code == 400
    assert "1 trillion shares" in response.json()["quantity"][0]
    assert rows_of(portfolio.owner) == before


def test_a_split_past_the_holding_bound_is_applied_and_only_buys_are_then_refused(
    client, portfolio, costly, django_capture_on_commit_callbacks
):
    """A split is a fact about the stock, not the owner's write: refusing it left the holding
    unsplit and every sale, edit and deletion in that stock refused for good."""
    edge = CSV_HEADER + EDGE_ROW.format(code="123450") * 100
    assert import_csv(client, portfolio, edge).status_code == 201
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        StockSplit.objects.create(stock=costly, effective_on=today - timedelta(days=1),
                                  old_shares=1, new_shares=2)  # fmt: skip
    trade = {"stock": "123450", "quantity": "1", "price": "100", "date": today.isoformat()}

    sale = client.post(url(portfolio.pk, "transactions/"), {**trade, "side": "sell"},
                       format="json")  # fmt: skip
    buy = client.post(url(portfolio.pk, "transactions/"), {**trade, "side": "buy"}, format="json")

    assert sale.status_code == 201, sale.json()
    assert Holding.objects.get(portfolio=portfolio).quantity == D("1999999999799")
    assert buy.status_code == 400
    assert "1 trillion shares" in buy.json()["quantity"][0]


def test_holdings_stored_at_the_columns_limits_still_read_and_chart(client, portfolio):
    """Data stored before the bound (as large as the columns take) never makes a read fail, and
    its chart is built once rather than failing on every sweep."""
    huge = StockFactory(code="999990", last_price=D("999999999999.99"),
                        previous_close=D("999999999999.99"), shares_outstanding=1)  # fmt: skip
    day = timezone.localdate() - timedelta(days=2)
    shares = D("9999999999999999.9999")  # numeric(20, 4)'s largest
    Transaction.objects.create(
        portfolio=portfolio, kind="buy", stock=huge, quantity=shares, price=D(1), traded_on=day
    )
    Holding.objects.create(portfolio=portfolio, stock=huge, quantity=shares,
                           cost_basis=D("9999999999999999.99"), realised_pl=0, dividends=0,
                           last_traded_on=day)  # fmt: skip
    bar(huge, day, "999999999999.99")
    portfolio.history_stale_since = timezone.now()
    portfolio.save()
    value = "9999999999999899999900000000.00"  # shares × price, to the cent (10^28)

    summary = client.get(url(portfolio.pk, "summary/"))

    assert summary.status_code == 200
    assert summary.json()["market_value"] == value
    assert client.get(url(portfolio.pk, "holdings/")).status_code == 200
    assert services.value_histories_refresh(days=366) == 1
    assert services.value_histories_refresh(days=366) == 0  # no retry storm
    points = client.get(url(portfolio.pk, "history/")).json()["points"]
    assert [point["market_value"] for point in points] == [value]


# --- dividends: one rounding ---------------------------------------------------------------------


def test_yearly_dividends_in_gains_equal_the_holdings_and_summary(client, portfolio, samsung):
    record(portfolio, "buy", samsung, "1", "1000", date(2024, 1, 2))
    for month in (3, 6, 9):  # 0.5 shares × 0.01 won: 0.005 won each, a cent once rounded
        record(portfolio, "dividend", samsung, "0.5", "0.01", date(2024, month, 2))

    gains = client.get(url(portfolio.pk, "gains/")).json()
    summary = client.get(url(portfolio.pk, "summary/")).json()

    assert [(year["year"], year["dividends"]) for year in gains] == [(2024, "0.03")]
    assert summary["dividends"] == summary["holdings"][0]["dividends"] == "0.03"


# --- CSV: cells that round-trip -----------------------------------------------------------------

NASTY_NOTES = [
    "lone\rcarriage return",
    "line\nfeed",
    "crlf\r\nin the middle",
    'says "hello", twice ""',
    "a, b, c",
    "=1+1",
    "+82 10",
    "-5% 손절",
    "@SUM(A1:A2)",
    "'apostrophe",
    "'=already guarded",
    "\r\n=leading break, trimmed",
    "  spaces around  ",
    "탭\t안",
]


@pytest.mark.parametrize("note", NASTY_NOTES)
def test_an_exported_note_imports_back_as_it_was(client, user, portfolio, samsung, note):
    record(portfolio, "buy", samsung, "1", "100", date(2024, 3, 4), note=note)
    record(portfolio, "buy", samsung, "2", "200", date(2024, 3, 5), note="next row")
    copy = PortfolioFactory(owner=user, name="Copy")
    text = export(client, portfolio)

    response = import_csv(client, copy, text)

    assert response.status_code == 201, response.json()
    assert stored(copy) == stored(portfolio)
    assert Transaction.objects.filter(portfolio=copy).order_by("traded_on")[0].note == note.strip()
    assert export(client, copy) == text


def test_the_export_quotes_a_lone_carriage_return(client, portfolio, samsung):
    record(portfolio, "buy", samsung, "1", "100", date(2024, 3, 4), note="a\rb")

    text = export(client, portfolio)

    assert '"a\rb"' in text
    assert list(csv.reader(io.StringIO(text, newline="")))[1][6] == "a\rb"


# --- CSV: numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "price", "stored_as"),
    [("1,500", "1000", (D(1500), D(1000))), ("2", "1,500.25", (D(2), D("1500.25"))),
     ("1,000,000", "1", (D(1000000), D(1))), ("1.5", "100", (D("1.5"), D(100)))],
)  # fmt: skip
def test_grouped_thousands_are_read(client, portfolio, samsung, quantity, price, stored_as):
    text = CSV_HEADER + f'2024-03-04,buy,005930,"{quantity}","{price}",,\n'

    response = import_csv(client, portfolio, text)

    assert response.status_code == 201, response.json()
    assert Transaction.objects.values_list("quantity", "price").get() == stored_as


@pytest.mark.parametrize("cell", ["1,5", "12,34,567", ",500", "1,50", "1,500,0", "1_5", "1.5.0"])
def test_a_misplaced_comma_is_refused_naming_the_cell(client, portfolio, samsung, cell):
    text = CSV_HEADER + f'2024-03-04,buy,005930,"{cell}",1000,,\n'

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["field"], error["code"]) == (2, "quantity", "invalid")
    assert cell in error["message"]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("kind", ["buy", "dividend"])
def test_a_number_past_any_bound_is_refused_not_a_500(client, portfolio, samsung, kind):
    """Decimal reads "1e999999", and quantity × price then overflowed its exponent range
    (decimal.Overflow: a 500) although the quantity was already refused as out of range."""
    text = CSV_HEADER + f"2024-03-04,{kind},005930,1e999999,1000,,\n"

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    assert [(e["line"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (2, "quantity", "invalid")
    ]
    assert not Transaction.objects.exists()


# --- import: every problem in one pass -----------------------------------------------------------


def test_an_import_reports_all_seven_bad_rows_at_once(client, portfolio, samsung):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    text = CSV_HEADER + (
        "2024-03-04,buy,005930,10,1000,,fine\n"
        "2024/03/05,buy,005930,10,1000,,unreadable date\n"  # 3
        "2024-03-06,buy,999999,10,1000,,unknown stock\n"  # 4
        '2024-03-07,buy,005930,"1,5",1000,,comma\n'  # 5
        "2024-03-08,buy,005930,10,0,,zero price\n"  # 6: a check, not a reading
        f"{future},buy,005930,1,1000,,future\n"  # 7
        "2024-03-09,gift,005930,1,1000,,unknown type\n"  # 8
        "2024-03-10,buy,005930,0,1000,,no quantity\n"  # 9
    )

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    assert error_lines(response) == [
        (3, "date"), (4, "stock"), (5, "quantity"), (6, "price"), (7, "date"), (8, "type"),
        (9, "quantity"),
    ]  # fmt: skip
    assert response.json()["detail"] == "Nothing was imported: 7 problems."
    assert not Transaction.objects.exists()


def test_an_import_reports_every_oversell_in_every_stock_at_once(
    client, portfolio, samsung, ecopro, hynix
):
    record(portfolio, "buy", samsung, "5", "100", date(2024, 1, 2))
    before = rows_of(portfolio.owner)
    text = CSV_HEADER + (
        "2024-03-04,buy,005930,10,1000,,\n"
        "2024-03-05,sell,005930,20,1100,,oversell: 15 held\n"  # 3
        "2024-03-06,sell,005930,10,1100,,fine: 15 held\n"
        "2024-03-07,sell,005930,6,1100,,oversell: 5 held\n"  # 5
        "2024-03-08,buy,247540,1,1000,,\n"
        "2024-03-09,sell,247540,2,1000,,oversell: 1 held\n"  # 7
        "2024-03-10,buy,000660,1,1000,,\n"
        "2024-03-11,buy,000660,x,1000,,unreadable: this stock's sales go unjudged\n"  # 9
        "2024-03-12,sell,000660,5,1000,,\n"
    )

    response = import_csv(client, portfolio, text)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["field"], e["code"]) for e in errors] == [
        (3, "quantity", "oversell"), (5, "quantity", "oversell"), (7, "quantity", "oversell"),
        (9, "quantity", "invalid"),
    ]  # fmt: skip
    assert "held only 15 then" in errors[0]["message"]
    assert "held only 5 then" in errors[1]["message"]
    assert "held only 1 then" in errors[2]["message"]
    assert rows_of(portfolio.owner) == before


# --- messages in Korean, the default --------------------------------------------------------------


def test_the_apis_messages_are_korean_by_default(user, portfolio, samsung, settings):
    client = signed_in(user, language="ko")
    transactions = url(portfolio.pk, "transactions/")
    buy = {"side": "buy", "quantity": "1", "price": "100", "date": "2024-01-02"}

    # A request activates its language in the thread: put the one before back after.
    with translation.override(None):
        unknown = client.post(transactions, {**buy, "stock": "999999"}, format="json")
        malformed = client.post(transactions, {**buy, "stock": "12345"}, format="json")
        comma = import_csv(client, portfolio, CSV_HEADER + '2024-03-04,buy,005930,"1,5",1000,,\n')
        missing = client.get(url(portfolio.pk + 1000, "summary/"))
        settings.PORTFOLIO_IMPORT_MAX_BYTES = 10
        oversized = import_csv(client, portfolio, CSV_HEADER + "2024-03-04,buy,005930,1,1,,\n")

    assert unknown.json() == {"stock": ["종목코드 999999에 해당하는 상장 종목이 없습니다."],
                              "code": "invalid"}  # fmt: skip
    assert malformed.json() == {"stock": ["종목코드는 005930처럼 6자리 숫자입니다."],
                                "code": "invalid"}  # fmt: skip
    assert comma.json()["detail"] == "가져온 거래가 없습니다. 문제가 1개 있습니다."
    assert comma.json()["errors"][0]["message"].startswith("“1,5”은(는) 숫자가 아닙니다.")
    assert missing.json()["detail"] == "이 번호의 포트폴리오가 없습니다."
    assert oversized.json() == {"file": ["파일이 10바이트를 넘습니다."], "code": "invalid"}
