"""Public pages: the market dashboard (/), the stock list (/stocks/) and a stock's page."""

from __future__ import annotations

import html
import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from stocks import selectors
from stocks.models import Market, MarketIndexSnapshot
from tests.conftest import PASSWORD
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db

KST = ZoneInfo("Asia/Seoul")
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def page_client() -> Client:
    """An anonymous visitor reading English (pages are Korean by default)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def page(response) -> str:
    return response.content.decode()


def detail_links(text: str) -> list[str]:
    """Codes of the stock pages linked from the stock table, in order, once each."""
    table = text.split('data-testid="stock-table"', 1)[1].split("</table>", 1)[0]
    return list(dict.fromkeys(re.findall(r'href="/stocks/(\d{6})/"', table)))


def pagination_links(text: str) -> dict[str, dict[str, list[str]]]:
    """The pagination links by label ("Next", "Previous"), as parsed query strings."""
    nav = re.search(r'<nav class="pagination".*?</nav>', text, re.S)
    assert nav is not None, "no pagination"
    links = re.findall(r'<a href="\?([^"]*)">([^<]*)</a>', nav.group(0))
    return {
        ("Next" if "Next" in label else "Previous"): parse_qs(html.unescape(query))
        for query, label in links
    }


def movers_codes(text: str, key: str) -> list[str]:
    body = text.split(f'data-testid="movers-{key}"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'href="/stocks/(\d{6})/"', body)


# --- the dashboard ------------------------------------------------------------------------------


def test_dashboard_shows_the_newest_indices_and_the_movers(page_client):
    for symbol, value, minute in (
        ("KOSPI", "2600.00", 0), ("KOSPI", "2650.12", 5), ("KOSDAQ", "761.40", 5),
        ("USDKRW", "1452.30", 5),
    ):  # fmt: skip
        MarketIndexSnapshot.objects.create(
            symbol=symbol, value=Decimal(value), previous_close=Decimal(value),
            change=Decimal("0"), change_percent=Decimal("0"),
            captured_at=datetime(2025, 3, 14, 9, minute, tzinfo=KST),
        )  # fmt: skip
    StockFactory(code="247540", name_ko="에코프로비엠", change_percent=Decimal("7.25"), volume=10)
    StockFactory(code="066570", name_ko="LG전자", change_percent=Decimal("-4.00"), volume=30)
    StockFactory(code="005930", name_ko="삼성전자", change_percent=Decimal("3.10"), volume=20)

    response = page_client.get("/")

    assert response.status_code == 200
    text = page(response)
    kospi = text.split('data-testid="index-KOSPI"', 1)[1].split("</article>", 1)[0]
    assert "2,650.12" in kospi
    assert "2,600.00" not in text
    assert 'data-testid="index-KOSDAQ"' in text
    assert "USD/KRW" in text
    assert text.index("index-KOSPI") < text.index("index-KOSDAQ") < text.index("index-USDKRW")
    assert movers_codes(text, "gainers") == ["247540", "005930"]
    assert movers_codes(text, "losers") == ["066570"]
    assert movers_codes(text, "most_active") == ["066570", "005930", "247540"]
    assert "에코프로비엠" in text


def test_dashboard_shows_the_simulated_notice(page_client):
    text = page(page_client.get("/"))

    assert 'data-testid="simulated-notice"' in text
    assert "market simulator" in text


def test_dashboard_has_no_simulated_notice_with_a_real_provider(page_client, settings):
    settings.STOCKS_PROVIDER = "yahoo"

    assert 'data-testid="simulated-notice"' not in page(page_client.get("/"))


def test_dashboard_shows_per_market_statistics(page_client):
    StockFactory(market=Market.KOSDAQ, last_price=Decimal("12000"), volume=1_500_000)
    StockFactory(market=Market.KOSDAQ, last_price=Decimal("13000"), volume=2_500_000)

    text = page(page_client.get("/"))

    assert '<a href="/stocks/?market=KOSDAQ">KOSDAQ</a></td><td class="num">2</td>' in text
    assert '<td class="num">12,500</td><td class="num">4,000,000</td>' in text


# --- the stock list -----------------------------------------------------------------------------


@pytest.fixture
def listed():
    rows = [
        ("005930", Market.KOSPI, "삼성전자", "Samsung Electronics"),
        ("000660", Market.KOSPI, "SK하이닉스", "SK hynix"),
        ("066570", Market.KOSPI, "LG전자", "LG Electronics"),
        ("247540", Market.KOSDAQ, "에코프로비엠", "EcoPro BM"),
        ("293490", Market.KOSDAQ, "카카오게임즈", "Kakao Games"),
    ]
    for code, market, name_ko, name_en in rows:
        StockFactory(code=code, market=market, name_ko=name_ko, name_en=name_en)


def test_stock_list_lists_every_stock_by_code(page_client, listed):
    response = page_client.get("/stocks/")

    assert response.status_code == 200
    text = page(response)
    assert detail_links(text) == ["000660", "005930", "066570", "247540", "293490"]
    assert "SK하이닉스" in text
    assert "Samsung Electronics" in text
    assert "5 stocks" in text


def test_stock_list_filters_by_market(page_client, listed):
    text = page(page_client.get("/stocks/", {"market": "KOSDAQ"}))

    assert detail_links(text) == ["247540", "293490"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [("전자", ["005930", "066570"]), ("HYNIX", ["000660"]), ("2475", ["247540"])],
)
def test_stock_list_searches_names_and_codes(page_client, listed, q, expected):
    assert detail_links(page(page_client.get("/stocks/", {"q": q}))) == expected


def test_stock_list_combines_market_and_search(page_client, listed):
    text = page(page_client.get("/stocks/", {"q": "카카오", "market": "KOSPI"}))

    assert detail_links(text) == []
    assert "No stock matches these filters." in text


def test_stock_list_orders_as_asked(page_client, listed):
    StockFactory(code="035720", market_cap=10**15)

    text = page(page_client.get("/stocks/", {"ordering": "-market_cap"}))

    assert detail_links(text)[0] == "035720"


def test_stock_list_paginates_thirty_per_page_keeping_the_filters(page_client):
    kosdaq = sorted(StockFactory(market=Market.KOSDAQ, name_en=f"Bio {n}").code for n in range(35))
    StockFactory.create_batch(3, market=Market.KOSPI, name_en="Bio Kospi")
    StockFactory(market=Market.KOSDAQ, name_en="Steel")

    first = page(page_client.get("/stocks/", {"market": "KOSDAQ", "q": "bio"}))

    assert detail_links(first) == kosdaq[:30]
    assert "Page 1 of 2" in first
    links = pagination_links(first)
    assert set(links) == {"Next"}
    assert links["Next"] == {"market": ["KOSDAQ"], "q": ["bio"], "page": ["2"]}

    second = page(page_client.get("/stocks/", {"market": "KOSDAQ", "q": "bio", "page": "2"}))
    assert detail_links(second) == kosdaq[30:]
    assert pagination_links(second)["Previous"] == {
        "market": ["KOSDAQ"], "q": ["bio"], "page": ["1"]
    }  # fmt: skip


def test_stock_list_page_link_does_not_repeat_the_page(page_client):
    StockFactory.create_batch(61)

    text = page(page_client.get("/stocks/", {"page": "2"}))

    links = pagination_links(text)
    assert links["Next"] == {"page": ["3"]}
    assert links["Previous"] == {"page": ["1"]}


@pytest.mark.parametrize(
    "params",
    [{"ordering": "password"}, {"market": "NYSE"}, {"ordering": "-price", "market": "KOSDAQ"}],
)
def test_invalid_filter_warns_and_still_lists_every_stock(page_client, listed, params):
    response = page_client.get("/stocks/", params)

    assert response.status_code == 200
    text = page(response)
    assert "Some filters were not understood and were ignored." in text
    assert detail_links(text) == ["000660", "005930", "066570", "247540", "293490"]


# --- a stock's page -----------------------------------------------------------------------------


def test_stock_page_shows_name_price_and_chart(page_client):
    StockFactory(
        code="005930", market=Market.KOSPI, name_ko="삼성전자", name_en="Samsung Electronics",
        last_price=Decimal("71500"), change=Decimal("1500"), change_percent=Decimal("2.14"),
    )  # fmt: skip

    response = page_client.get("/stocks/005930/")

    assert response.status_code == 200
    text = page(response)
    assert "<h1>삼성전자 <span" in text
    assert "Samsung Electronics" in text
    assert '<span id="last-price" data-testid="last-price">71,500</span>' in text
    assert "(2.14%)" in text
    assert re.search(
        r'<div id="price-chart"[^>]*data-prices-url="/api/v1/stocks/005930/prices/"', text
    )
    assert 'data-testid="simulated-notice"' in text


def test_stock_page_shows_the_signed_in_users_recently_viewed(page_client, user):
    StockFactory(code="005930", name_ko="삼성전자")
    StockFactory(code="000660", name_ko="SK하이닉스")
    page_client.login(username=user.username, password=PASSWORD)
    page_client.get("/stocks/000660/")

    text = page(page_client.get("/stocks/005930/"))

    recent = text.split('id="recent-title"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'href="/stocks/(\d{6})/"', recent) == ["005930", "000660"]


@pytest.mark.parametrize("code", ["12345", "abcdef", "0059300"])
def test_malformed_code_page_is_404_saying_a_code_is_six_digits(page_client, code):
    StockFactory(code="005930")

    response = page_client.get(f"/stocks/{code}/")

    assert response.status_code == 404
    text = page(response)
    assert "A stock code is six digits, such as 005930." in text
    assert "Page not found" in text


def test_malformed_code_page_gives_its_reason_in_korean_by_default(client):
    response = client.get("/stocks/12345/")

    assert response.status_code == 404
    assert "종목코드는 005930처럼 6자리 숫자입니다." in page(response)


def test_unknown_code_page_is_404_naming_the_code(page_client):
    StockFactory(code="005930")

    response = page_client.get("/stocks/999999/")

    assert response.status_code == 404
    assert "No listed stock has the code 999999." in page(response)


def test_live_quote_refreshes_of_an_open_stock_page_are_not_counted_as_views(page_client):
    StockFactory(code="005930")
    StockFactory(code="000660")
    for _ in range(2):  # two visits
        page_client.get("/stocks/000660/")
    text = page(page_client.get("/stocks/005930/"))  # one visit, left open
    detail_url = re.search(r'data-detail-url="([^"]+)"', text).group(1)
    script = (settings.BASE_DIR / "static" / "js" / "stock_detail.js").read_text()
    assert "detailUrl}?live=1" in script  # what the page's script fetches as the market moves
    for _ in range(5):
        response = page_client.get(f"{detail_url}?live=1", HTTP_ACCEPT="application/json")
        assert response.status_code == 200

    assert selectors.hottest_stock_codes(count=2) == ["000660", "005930"]


# --- escaping, navigation, access ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/stocks/", "/stocks/005930/"])
def test_stock_names_are_escaped(page_client, url):
    # a gainer, so the dashboard's movers show it too
    StockFactory(code="005930", name_ko=SCRIPT, name_en=SCRIPT, change_percent=Decimal("1"))

    text = page(page_client.get(url))

    assert ESCAPED_SCRIPT in text
    assert SCRIPT not in text


def test_recently_viewed_names_are_escaped(page_client, user):
    StockFactory(code="005930", name_ko=SCRIPT)
    page_client.login(username=user.username, password=PASSWORD)
    page_client.get("/stocks/005930/")

    text = page(page_client.get("/stocks/"))

    assert 'id="recent-title"' in text
    assert SCRIPT not in text


@pytest.mark.parametrize("url", ["/", "/stocks/", "/stocks/005930/"])
def test_site_nav_links_to_the_stock_list(page_client, url):
    StockFactory(code="005930")

    text = page(page_client.get(url))

    nav = text.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/stocks/">Stocks</a>' in nav


@pytest.mark.parametrize("url", ["/", "/stocks/", "/stocks/005930/"])
def test_pages_are_public(client, url):
    StockFactory(code="005930")

    response = client.get(url)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
