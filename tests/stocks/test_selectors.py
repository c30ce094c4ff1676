"""Reads of stocks and the market through the cache: query counts, and freshness after writes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from stocks import selectors, services
from stocks.models import BarInterval, Market, PriceBar, Stock
from stocks.providers.base import Quote
from tests.accounts.factories import UserFactory
from tests.stocks.factories import PriceBarFactory, StockFactory

KST = ZoneInfo("Asia/Seoul")


def quote(code: str, *, price: str, previous_close: str, as_of: datetime) -> Quote:
    minute = as_of.replace(second=0, microsecond=0)
    price_ = Decimal(price)
    return Quote(
        code=code, as_of=as_of, price=price_, previous_close=Decimal(previous_close),
        day_open=Decimal(previous_close), day_high=max(price_, Decimal(previous_close)),
        day_low=min(price_, Decimal(previous_close)), day_volume=123_456,
        minute_start=minute, minute_open=price_, minute_high=price_, minute_low=price_,
        minute_close=price_, minute_volume=789,
    )  # fmt: skip


def recent_codes(user_id: int) -> list[str]:
    return [row["code"] for row in selectors.recently_viewed_for(user_id)]


# --- market_statistics --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_market_statistics_is_one_query_cold_and_none_warm(django_assert_num_queries):
    StockFactory.create_batch(3, market=Market.KOSPI)
    StockFactory.create_batch(2, market=Market.KOSDAQ)

    with django_assert_num_queries(1):
        cold = selectors.market_statistics()
    with django_assert_num_queries(0):
        warm = selectors.market_statistics()

    assert warm == cold
    assert [(row["market"], row["count"]) for row in cold] == [("KOSDAQ", 2), ("KOSPI", 3)]


@pytest.mark.django_db(transaction=True)
def test_market_statistics_is_refreshed_after_a_stock_is_listed():
    StockFactory(market=Market.KOSPI, last_price=Decimal("1000"))
    assert selectors.market_statistics()[0]["average_price"] == Decimal("1000.00")

    StockFactory(market=Market.KOSPI, last_price=Decimal("2001"))

    (kospi,) = selectors.market_statistics()
    assert (kospi["count"], kospi["average_price"]) == (2, Decimal("1500.50"))


# --- stock_detail -------------------------------------------------------------------------------


def _write_with_quotes_store(stock: Stock) -> None:
    services.quotes_store(
        quotes=[quote(stock.code, price="61000", previous_close="50000", as_of=timezone.now())]
    )


def _write_with_queryset_update(stock: Stock) -> None:
    Stock.objects.filter(code=stock.code).update(
        last_price=Decimal("61000"), change=Decimal("11000"), change_percent=Decimal("22.00")
    )


def _write_with_save(stock: Stock) -> None:
    stock = Stock.objects.get(pk=stock.pk)
    stock.last_price = Decimal("61000")
    stock.change = Decimal("11000")
    stock.change_percent = Decimal("22.00")
    stock.save()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "write", [_write_with_quotes_store, _write_with_queryset_update, _write_with_save]
)
def test_stock_detail_reflects_a_price_change_after_a_write(write, django_assert_num_queries):
    stock = StockFactory(
        code="005930", last_price=Decimal("50000"), previous_close=Decimal("50000")
    )
    assert selectors.stock_detail("005930")["last_price"] == Decimal("50000")
    with django_assert_num_queries(0):  # cached: the next read is not fresh by accident
        selectors.stock_detail("005930")

    write(stock)

    detail = selectors.stock_detail("005930")
    assert detail["last_price"] == Decimal("61000")
    assert detail["change"] == Decimal("11000")
    assert detail["change_percent"] == Decimal("22.00")


@pytest.mark.django_db(transaction=True)
def test_stock_detail_of_a_code_listed_after_a_miss_is_found():
    assert selectors.stock_detail("005930") is None

    StockFactory(code="005930", name_ko="삼성전자")

    assert selectors.stock_detail("005930")["name_ko"] == "삼성전자"


@pytest.mark.django_db(transaction=True)
def test_write_to_one_stock_keeps_another_stocks_detail_cached(django_assert_num_queries):
    StockFactory(code="005930")
    other = StockFactory(code="000660")
    selectors.stock_detail("005930")

    other.name_en = "SK hynix"
    other.save()

    with django_assert_num_queries(0):
        selectors.stock_detail("005930")


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["12345", "abcdef", "0059300", ""])
def test_stock_detail_or_raise_rejects_a_malformed_code(code):
    with pytest.raises(ValueError, match="6-digit"):
        selectors.stock_detail_or_raise(code)


@pytest.mark.django_db
def test_stock_detail_or_raise_raises_unknown_stock_for_a_valid_unlisted_code():
    with pytest.raises(selectors.UnknownStock):
        selectors.stock_detail_or_raise("999999")


# --- price_bars_for_period ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["5y", "1D", "", "1h"])
def test_price_bars_for_period_rejects_an_unknown_period(period):
    StockFactory(code="005930")

    with pytest.raises(ValueError, match="1d, 1w, 1m, 3m, 1y"):
        selectors.price_bars_for_period("005930", period)


@pytest.mark.django_db(transaction=True)
def test_daily_bars_are_refreshed_after_price_bars_upsert():
    stock = StockFactory(code="005930")
    today = timezone.localtime(timezone.now(), KST).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    yesterday = today - timedelta(days=1)
    PriceBarFactory(stock=stock, starts_at=yesterday, close=Decimal("50000"))
    assert [bar["close"] for bar in selectors.price_bars_for_period("005930", "1w")] == [
        Decimal("50000")
    ]

    d = Decimal
    services.price_bars_upsert(
        rows=[
            (stock.pk, BarInterval.DAY, yesterday, d(1), d(2), d(1), d("50500"), 10),  # replaced
            (stock.pk, BarInterval.DAY, today, d(1), d(2), d(1), d("51000"), 20),  # new
        ]
    )

    bars = selectors.price_bars_for_period("005930", "1w")
    assert [(bar["starts_at"], bar["close"]) for bar in bars] == [
        (yesterday, Decimal("50500")),
        (today, Decimal("51000")),
    ]
    assert PriceBar.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_intraday_bars_and_detail_are_refreshed_after_quotes_store():
    StockFactory(code="005930", updated_at=None)
    first = datetime(2025, 3, 14, 9, 0, 12, tzinfo=KST)
    services.quotes_store(
        quotes=[quote("005930", price="50000", previous_close="49000", as_of=first)]
    )
    assert len(selectors.price_bars_for_period("005930", "1d")) == 1

    later = first + timedelta(minutes=1)
    services.quotes_store(
        quotes=[quote("005930", price="50100", previous_close="49000", as_of=later)]
    )

    bars = selectors.price_bars_for_period("005930", "1d")
    assert [bar["close"] for bar in bars] == [Decimal("50000"), Decimal("50100")]
    assert selectors.stock_detail("005930")["last_price"] == Decimal("50100")
    (daily,) = selectors.price_bars_for_period("005930", "1w")
    assert daily["close"] == Decimal("50100")
    assert daily["starts_at"] == datetime(2025, 3, 14, tzinfo=KST)


# --- recently_viewed_for ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_recently_viewed_is_newest_first_and_refreshed_after_a_view(django_assert_num_queries):
    user = UserFactory()
    for code in ("005930", "000660", "035720"):
        StockFactory(code=code)
    services.stock_view_record(user_id=user.pk, stock_code="005930")
    services.stock_view_record(user_id=user.pk, stock_code="000660")
    assert recent_codes(user.pk) == ["000660", "005930"]
    with django_assert_num_queries(0):
        recent_codes(user.pk)

    services.stock_view_record(user_id=user.pk, stock_code="035720")
    assert recent_codes(user.pk) == ["035720", "000660", "005930"]
    services.stock_view_record(user_id=user.pk, stock_code="005930")
    assert recent_codes(user.pk) == ["005930", "035720", "000660"]


@pytest.mark.django_db(transaction=True)
def test_recently_viewed_keeps_only_the_newest_few(settings):
    settings.STOCKS_RECENTLY_VIEWED_COUNT = 3
    user = UserFactory()
    viewed = [StockFactory().code for _ in range(5)]
    for code in viewed:
        services.stock_view_record(user_id=user.pk, stock_code=code)

    assert recent_codes(user.pk) == viewed[::-1][:3]


@pytest.mark.django_db(transaction=True)
def test_recently_viewed_never_shows_another_users_views():
    alice, bob = UserFactory(), UserFactory()
    for code in ("005930", "000660"):
        StockFactory(code=code)
    services.stock_view_record(user_id=alice.pk, stock_code="005930")
    assert recent_codes(alice.pk) == ["005930"]
    assert recent_codes(bob.pk) == []

    services.stock_view_record(user_id=bob.pk, stock_code="000660")
    services.stock_view_record(user_id=bob.pk, stock_code="005930")

    assert recent_codes(alice.pk) == ["005930"]
    assert recent_codes(bob.pk) == ["005930", "000660"]


@pytest.mark.django_db(transaction=True)
def test_anonymous_view_records_no_recently_viewed_entry():
    user = UserFactory()
    StockFactory(code="005930")

    services.stock_view_record(user_id=None, stock_code="005930")

    assert recent_codes(user.pk) == []


# --- hottest_stock_codes ------------------------------------------------------------------------


@pytest.fixture
def ranked_by_cap(db):
    """Five stocks, largest market cap first."""
    caps = {"005930": 400, "000660": 120, "373220": 90, "035420": 30, "035720": 20}
    return [StockFactory(code=code, market_cap=cap * 10**12).code for code, cap in caps.items()]


def test_hottest_stock_codes_fall_back_to_market_cap_without_views(ranked_by_cap):
    assert selectors.hottest_stock_codes(count=3) == ranked_by_cap[:3]


def test_hottest_stock_codes_rank_by_views_then_fill_by_market_cap(ranked_by_cap):
    for code, views in (("035720", 3), ("035420", 2), ("000660", 1)):
        for _ in range(views):
            services.stock_view_record(user_id=None, stock_code=code)
    # a signed-in view counts too
    services.stock_view_record(user_id=UserFactory().pk, stock_code="035420")
    services.stock_view_record(user_id=UserFactory().pk, stock_code="035420")

    assert selectors.hottest_stock_codes(count=2) == ["035420", "035720"]
    assert selectors.hottest_stock_codes(count=5) == [
        "035420", "035720", "000660", "005930", "373220"
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_recently_viewed_shows_a_stocks_new_name_after_it_is_renamed():
    user = UserFactory()
    stock = StockFactory(code="005930", name_ko="삼성전자")
    services.stock_view_record(user_id=user.pk, stock_code="005930")
    assert selectors.recently_viewed_for(user.pk)[0]["name_ko"] == "삼성전자"

    stock.name_ko = "삼성전자(주)"
    stock.save()

    assert selectors.recently_viewed_for(user.pk)[0]["name_ko"] == "삼성전자(주)"
