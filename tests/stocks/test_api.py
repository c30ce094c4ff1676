"""The stocks and market API (S1-S4, S7): list, detail, prices, recently viewed, market, stats."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from stocks.models import BarInterval, Market, MarketIndexSnapshot, StockView
from tests.stocks.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db

KST = ZoneInfo("Asia/Seoul")
LIST_URL = "/api/v1/stocks/"
RECENT_URL = "/api/v1/stocks/recent/"
MARKET_URL = "/api/v1/market/"
STATS_URL = "/api/v1/market/stats/"
MALFORMED_CODES = ["12345", "abcdef", "0059300", "00593a"]


def detail_url(code: str) -> str:
    return f"/api/v1/stocks/{code}/"


def prices_url(code: str) -> str:
    return f"/api/v1/stocks/{code}/prices/"


def codes(results: list[dict]) -> list[str]:
    return [row["code"] for row in results]


def kst_midnight_today() -> datetime:
    return timezone.localtime(timezone.now(), KST).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


@pytest.fixture
def listed():
    """A small, hand-written market: names and codes chosen so each search matches one way."""
    rows = [
        ("005930", Market.KOSPI, "삼성전자", "Samsung Electronics", "3.10", 300, 400_000),
        ("005935", Market.KOSPI, "삼성전자우", "Samsung Electronics Pref", "-1.20", 200, 50_000),
        ("000660", Market.KOSPI, "SK하이닉스", "SK hynix", "0.50", 100, 120_000),
        ("066570", Market.KOSPI, "LG전자", "LG Electronics", "-4.00", 500, 15_000),
        ("247540", Market.KOSDAQ, "에코프로비엠", "EcoPro BM", "7.25", 400, 20_000),
        ("105930", Market.KOSDAQ, "카카오게임즈", "Kakao Games", "0.00", 600, 2_000),
    ]
    return {
        code: StockFactory(code=code, market=market, name_ko=name_ko, name_en=name_en,
                           change_percent=Decimal(change), market_cap=cap * 1_000_000_000,
                           volume=volume)
        for code, market, name_ko, name_en, change, cap, volume in rows
    }  # fmt: skip


# --- GET /api/v1/stocks/ ------------------------------------------------------------------------


def test_list_is_public_and_paginated_twenty_per_page(api_client):
    created = sorted(StockFactory.create_batch(25), key=lambda s: s.code)

    first = api_client.get(LIST_URL)

    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 25
    assert body["previous"] is None
    assert codes(body["results"]) == [s.code for s in created[:20]]
    assert body["next"] == "http://testserver/api/v1/stocks/?page=2"
    second = api_client.get(body["next"]).json()
    assert codes(second["results"]) == [s.code for s in created[20:]]
    assert second["next"] is None


def test_list_rows_carry_the_stock_fields(api_client):
    stock = StockFactory(
        code="005930", market=Market.KOSPI, name_ko="삼성전자", name_en="Samsung Electronics",
        sector="Semiconductors", last_price=Decimal("71500"), previous_close=Decimal("70000"),
        change=Decimal("1500"), change_percent=Decimal("2.14"), volume=12_345_678,
        market_cap=426_839_453_325_000,
    )  # fmt: skip

    (row,) = api_client.get(LIST_URL).json()["results"]

    assert row == {
        "code": "005930",
        "market": "KOSPI",
        "name_ko": "삼성전자",
        "name_en": "Samsung Electronics",
        "sector": "Semiconductors",
        "last_price": "71500.00",
        "previous_close": "70000.00",
        "change": "1500.00",
        "change_percent": "2.14",
        "volume": 12_345_678,
        "market_cap": 426_839_453_325_000,
        "updated_at": timezone.localtime(stock.updated_at).isoformat(),
    }


def test_market_filter_lists_only_that_market(api_client, listed):
    body = api_client.get(LIST_URL, {"market": "KOSDAQ"}).json()

    assert body["count"] == 2
    assert codes(body["results"]) == ["105930", "247540"]


def test_search_matches_a_code_prefix_not_a_code_infix(api_client, listed):
    assert codes(api_client.get(LIST_URL, {"search": "0059"}).json()["results"]) == [
        "005930",
        "005935",
    ]
    # 005930 and 105930 contain "5930", but neither starts with it
    assert api_client.get(LIST_URL, {"search": "5930"}).json()["count"] == 0


def test_search_matches_a_korean_name_substring(api_client, listed):
    body = api_client.get(LIST_URL, {"search": "전자"}).json()

    assert codes(body["results"]) == ["005930", "005935", "066570"]


def test_search_matches_an_english_name_case_insensitively(api_client, listed):
    assert codes(api_client.get(LIST_URL, {"search": "HYNIX"}).json()["results"]) == ["000660"]
    assert codes(api_client.get(LIST_URL, {"search": "kakao games"}).json()["results"]) == [
        "105930"
    ]


def test_search_ignores_surrounding_whitespace(api_client, listed):
    body = api_client.get(LIST_URL, {"search": "  에코프로  "}).json()

    assert codes(body["results"]) == ["247540"]


def test_search_combines_with_the_market_filter(api_client, listed):
    body = api_client.get(LIST_URL, {"search": "카카오", "market": "KOSPI"}).json()

    assert body["count"] == 0


def test_ordering_by_change_percent_descending(api_client, listed):
    body = api_client.get(LIST_URL, {"ordering": "-change_percent"}).json()

    assert codes(body["results"]) == ["247540", "005930", "000660", "105930", "005935", "066570"]


def test_ordering_by_market_cap_ascending(api_client, listed):
    body = api_client.get(LIST_URL, {"ordering": "market_cap"}).json()

    assert codes(body["results"]) == ["000660", "005935", "005930", "247540", "066570", "105930"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ordering": "price"}, "ordering"),
        ({"ordering": "shares_outstanding"}, "ordering"),
        ({"ordering": "code; DROP TABLE stocks_stock"}, "ordering"),
        ({"market": "NYSE"}, "market"),
        ({"market": "kosdaq"}, "market"),
    ],
)
def test_invalid_filter_is_400_json_naming_the_field(api_client, listed, params, field):
    response = api_client.get(LIST_URL, params)

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field, "code"]
    assert "valid choice" in body[field][0]


@pytest.mark.parametrize("stocks", [5, 25])
def test_list_query_count_does_not_grow_with_the_stocks(
    api_client, django_assert_num_queries, stocks
):
    StockFactory.create_batch(stocks, market=Market.KOSDAQ)

    with django_assert_num_queries(2):  # the count, then the page
        response = api_client.get(LIST_URL, {"market": "KOSDAQ", "ordering": "-volume"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(stocks, 20)


# --- GET /api/v1/stocks/{code}/ -----------------------------------------------------------------


def test_detail_returns_the_stock(api_client, listed):
    response = api_client.get(detail_url("005930"))

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "005930"
    assert body["market"] == "KOSPI"
    assert body["name_ko"] == "삼성전자"
    assert body["name_en"] == "Samsung Electronics"
    assert body["change_percent"] == "3.10"
    assert body["market_cap"] == 300_000_000_000
    assert set(body) == {
        "code", "market", "name_ko", "name_en", "sector", "last_price", "previous_close",
        "change", "change_percent", "volume", "market_cap", "updated_at",
    }  # fmt: skip


@pytest.mark.parametrize("code", MALFORMED_CODES)
def test_malformed_code_is_400_with_a_reason(api_client, listed, code):
    response = api_client.get(detail_url(code))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "A stock code is six digits, such as 005930.",
        "code": "invalid",
    }


def test_unknown_code_is_404_json(api_client, listed):
    response = api_client.get(detail_url("999999"))

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No listed stock has the code 999999.",
        "code": "not_found",
    }


def test_anonymous_detail_view_is_not_recorded_as_recently_viewed(api_client, listed):
    api_client.get(detail_url("005930"))

    assert not StockView.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_authenticated_detail_view_comes_first_in_recently_viewed(bearer_client, user, listed):
    bearer_client.get(detail_url("005930"))
    assert codes(bearer_client.get(RECENT_URL).json()) == ["005930"]

    bearer_client.get(detail_url("247540"))
    recent = bearer_client.get(RECENT_URL)

    assert recent.status_code == 200
    assert codes(recent.json()) == ["247540", "005930"]
    assert recent.json()[0]["name_ko"] == "에코프로비엠"
    assert recent.json()[0]["market"] == "KOSDAQ"
    # viewing an older one again moves it back to the front
    bearer_client.get(detail_url("005930"))
    assert codes(bearer_client.get(RECENT_URL).json()) == ["005930", "247540"]


def test_recently_viewed_needs_authentication(api_client):
    response = api_client.get(RECENT_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- GET /api/v1/stocks/{code}/prices/ ----------------------------------------------------------


def starts(bars: list[dict]) -> list[datetime]:
    return [datetime.fromisoformat(bar["starts_at"]) for bar in bars]


@pytest.mark.parametrize(("period", "days"), [("1w", 7), ("1m", 31), ("3m", 92), ("1y", 366)])
def test_long_periods_are_daily_bars_of_their_window_in_ascending_order(api_client, period, days):
    stock = StockFactory(code="005930")
    other = StockFactory(code="000660")
    today = kst_midnight_today()
    offsets = [400, 6, 367, 0, 91, 30, 365, 8, 93, 1, 32]  # not in order on purpose
    for offset in offsets:
        PriceBarFactory(stock=stock, starts_at=today - timedelta(days=offset))
    PriceBarFactory(stock=other, starts_at=today - timedelta(days=2))
    PriceBarFactory(stock=stock, interval=BarInterval.MINUTE, starts_at=today + timedelta(hours=9))

    response = api_client.get(prices_url("005930"), {"period": period})

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["period"], body["interval"]) == ("005930", period, "1d")
    assert body["simulated"] is True
    expected = sorted(today - timedelta(days=o) for o in offsets if o < days)
    assert starts(body["bars"]) == expected


def test_daily_bars_carry_ohlcv(api_client):
    bar = PriceBarFactory(
        stock=StockFactory(code="005930"), starts_at=kst_midnight_today(),
        open=Decimal("70000"), high=Decimal("72000"), low=Decimal("69500"),
        close=Decimal("71500"), volume=9_876_543,
    )  # fmt: skip

    (row,) = api_client.get(prices_url("005930"), {"period": "1y"}).json()["bars"]

    assert row == {
        "starts_at": timezone.localtime(bar.starts_at).isoformat(),
        "open": "70000.00",
        "high": "72000.00",
        "low": "69500.00",
        "close": "71500.00",
        "volume": 9_876_543,
    }


def test_one_day_is_the_minute_bars_of_the_latest_kst_day(api_client):
    stock = StockFactory(code="005930")
    older_day = [  # 2025-03-13 KST, the last two minutes on the UTC date 2025-03-13
        datetime(2025, 3, 13, 15, 29, tzinfo=KST),
        datetime(2025, 3, 13, 23, 55, tzinfo=KST),
    ]
    newer_day = [  # 2025-03-14 KST; 00:05 KST is still 2025-03-13 in UTC
        datetime(2025, 3, 14, 0, 5, tzinfo=KST),
        datetime(2025, 3, 14, 9, 0, tzinfo=KST),
        datetime(2025, 3, 14, 9, 1, tzinfo=KST),
    ]
    for moment in [newer_day[2], *older_day, newer_day[0], newer_day[1]]:
        PriceBarFactory(stock=stock, interval=BarInterval.MINUTE, starts_at=moment)
    PriceBarFactory(
        stock=stock, interval=BarInterval.DAY, starts_at=datetime(2025, 3, 14, tzinfo=KST)
    )
    other = StockFactory(code="000660")
    PriceBarFactory(stock=other, interval=BarInterval.MINUTE, starts_at=newer_day[1])

    response = api_client.get(prices_url("005930"), {"period": "1d"})

    assert response.status_code == 200
    body = response.json()
    assert (body["period"], body["interval"]) == ("1d", "1m")
    assert starts(body["bars"]) == newer_day


def test_period_defaults_to_one_day(api_client):
    stock = StockFactory(code="005930")
    PriceBarFactory(stock=stock, interval=BarInterval.MINUTE, starts_at=timezone.now())

    body = api_client.get(prices_url("005930")).json()

    assert (body["period"], body["interval"], len(body["bars"])) == ("1d", "1m", 1)


def test_stock_without_bars_has_an_empty_series(api_client):
    StockFactory(code="005930")

    assert api_client.get(prices_url("005930"), {"period": "1y"}).json()["bars"] == []
    assert api_client.get(prices_url("005930"), {"period": "1d"}).json()["bars"] == []


def test_unknown_period_is_400_listing_the_periods(api_client):
    StockFactory(code="005930")

    response = api_client.get(prices_url("005930"), {"period": "5y"})

    assert response.status_code == 400
    (message,) = response.json()["period"]
    assert "1d, 1w, 1m, 3m, 1y" in message
    assert "5y" in message


@pytest.mark.parametrize("code", MALFORMED_CODES)
def test_prices_of_a_malformed_code_are_400(api_client, code):
    response = api_client.get(prices_url(code), {"period": "1y"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "A stock code is six digits, such as 005930.",
        "code": "invalid",
    }


def test_prices_of_an_unknown_code_are_404(api_client):
    StockFactory(code="005930")

    response = api_client.get(prices_url("999999"), {"period": "1y"})

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No listed stock has the code 999999.",
        "code": "not_found",
    }


# --- GET /api/v1/market/ ------------------------------------------------------------------------


def index_snapshot(symbol: str, value: str, captured_at: datetime) -> MarketIndexSnapshot:
    value_ = Decimal(value)
    previous = Decimal("1000")
    return MarketIndexSnapshot.objects.create(
        symbol=symbol, value=value_, previous_close=previous, change=value_ - previous,
        change_percent=((value_ - previous) / previous * 100).quantize(Decimal("0.01")),
        captured_at=captured_at,
    )  # fmt: skip


def test_market_has_the_newest_value_of_each_index_in_a_fixed_order(api_client):
    t0 = datetime(2025, 3, 14, 9, 0, tzinfo=KST)
    index_snapshot("USDKRW", "1440.10", t0)
    index_snapshot("KOSDAQ", "760.00", t0 + timedelta(minutes=2))
    index_snapshot("USDKRW", "1452.30", t0 + timedelta(minutes=3))
    index_snapshot("KOSPI", "2600.00", t0)
    index_snapshot("KOSDAQ", "755.55", t0 + timedelta(minutes=5))
    index_snapshot("KOSPI", "2650.12", t0 + timedelta(minutes=4))
    index_snapshot("KOSDAQ", "758.00", t0 + timedelta(minutes=1))

    response = api_client.get(MARKET_URL)

    assert response.status_code == 200
    indices = response.json()["indices"]
    assert [(i["symbol"], i["name"], i["value"]) for i in indices] == [
        ("KOSPI", "KOSPI", "2650.1200"),
        ("KOSDAQ", "KOSDAQ", "755.5500"),
        ("USDKRW", "USD/KRW", "1452.3000"),
    ]
    assert indices[0]["change"] == "1650.1200"
    assert datetime.fromisoformat(indices[1]["captured_at"]) == t0 + timedelta(minutes=5)
    assert datetime.fromisoformat(response.json()["as_of"]) == t0 + timedelta(minutes=5)


def test_market_movers_split_gainers_and_losers_and_rank_by_volume(api_client, listed):
    # priced long ago, with the largest change of all: never collected, so not a mover
    StockFactory(code="100000", change_percent=Decimal("29.90"), volume=10**9, updated_at=None)

    movers = api_client.get(MARKET_URL).json()["movers"]

    assert codes(movers["gainers"]) == ["247540", "005930", "000660"]
    assert all(Decimal(row["change_percent"]) > 0 for row in movers["gainers"])
    assert codes(movers["losers"]) == ["066570", "005935"]
    assert all(Decimal(row["change_percent"]) < 0 for row in movers["losers"])
    assert codes(movers["most_active"]) == ["005930", "000660", "005935", "247540", "066570"]
    assert movers["gainers"][0] == {
        "code": "247540", "market": "KOSDAQ", "name_ko": "에코프로비엠", "name_en": "EcoPro BM",
        "last_price": "50000.00", "change": "1000.00", "change_percent": "7.25",
        "volume": 20_000,
    }  # fmt: skip


def test_market_movers_are_capped_at_the_configured_count(api_client, settings):
    settings.STOCKS_MOVERS_COUNT = 3
    for n in range(6):
        StockFactory(change_percent=Decimal(n + 1), volume=n)

    movers = api_client.get(MARKET_URL).json()["movers"]

    assert [Decimal(row["change_percent"]) for row in movers["gainers"]] == [6, 5, 4]
    assert [row["volume"] for row in movers["most_active"]] == [5, 4, 3]


def test_market_is_flagged_simulated_by_default(api_client):
    body = api_client.get(MARKET_URL).json()

    assert body["simulated"] is True
    assert body["indices"] == []
    assert body["as_of"] is None


def test_market_is_not_flagged_simulated_with_a_real_provider(api_client, settings):
    settings.STOCKS_PROVIDER = "yahoo"

    assert api_client.get(MARKET_URL).json()["simulated"] is False


# --- GET /api/v1/market/stats/ ------------------------------------------------------------------


def test_market_stats_count_average_price_and_volume_per_market(api_client):
    for price, volume in (("10000", 100), ("20000", 200), ("30001", 300)):
        StockFactory(market=Market.KOSPI, last_price=Decimal(price), volume=volume,
                     market_cap=int(price) * 1000)  # fmt: skip
    StockFactory(market=Market.KOSDAQ, last_price=Decimal("5000.50"), volume=7, market_cap=42)

    response = api_client.get(STATS_URL)

    assert response.status_code == 200
    assert response.json() == [
        {"market": "KOSDAQ", "count": 1, "average_price": "5000.50", "total_volume": 7,
         "total_market_cap": 42},
        {"market": "KOSPI", "count": 3, "average_price": "20000.33", "total_volume": 600,
         "total_market_cap": 60_001_000},
    ]  # fmt: skip


def test_market_stats_of_an_empty_market_are_an_empty_list(api_client):
    response = api_client.get(STATS_URL)

    assert response.status_code == 200
    assert response.json() == []


def test_blank_filters_mean_no_filter(api_client):
    StockFactory(code="005930", market="KOSPI")
    StockFactory(code="247540", market="KOSDAQ")

    response = api_client.get("/api/v1/stocks/", {"search": "  ", "market": "", "ordering": ""})

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["005930", "247540"]


def test_a_live_refresh_of_the_detail_is_not_recorded_as_a_view(bearer_client, user):
    StockFactory(code="005930")

    assert bearer_client.get("/api/v1/stocks/005930/", {"live": "1"}).status_code == 200
    assert bearer_client.get("/api/v1/stocks/recent/").json() == []
    assert bearer_client.get("/api/v1/stocks/005930/", {"live": "maybe"}).status_code == 400
