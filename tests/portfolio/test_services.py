"""Portfolio writes: holdings kept by average cost, oversells refused, all-or-nothing import,
splits, and the value history a worker rebuilds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portfolio import services
from portfolio.models import Holding, Portfolio, RealisedGain, Transaction, ValuePoint
from portfolio.services import ImportRefused, TransactionInput
from stocks.models import StockSplit
from tests.portfolio.factories import PortfolioFactory
from tests.stocks.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


def trade(kind: str, stock, quantity: str, price: str, day: date, fee: str = "0"):  # noqa: ANN001
    return TransactionInput(kind, stock, D(quantity), D(price), D(fee), day)


@pytest.fixture
def samsung():
    return StockFactory(
        code="005930", name_ko="삼성전자", last_price=D(72000), previous_close=D(71000)
    )


def record(portfolio: Portfolio, *args: object) -> Transaction:
    return services.transaction_record(portfolio=portfolio, data=trade(*args))


def holding(portfolio: Portfolio, stock) -> Holding:  # noqa: ANN001
    return Holding.objects.get(portfolio=portfolio, stock=stock)


def test_appended_and_back_dated_trades_give_the_same_holding_as_a_replay(samsung):
    portfolio = PortfolioFactory()
    record(portfolio, "buy", samsung, "10", "1000", days_ago(30), "50")
    record(portfolio, "sell", samsung, "4", "1500", days_ago(10), "20")
    # back-dated: before the sale, so the sale's cost changes
    record(portfolio, "buy", samsung, "30", "2000", days_ago(20), "150")

    stored = holding(portfolio, samsung)
    assert (stored.quantity, stored.cost_basis) == (D(36), D("63180.00"))
    gain = RealisedGain.objects.get(portfolio=portfolio)
    assert (gain.cost, gain.proceeds, gain.gain) == (D("7020.00"), D("5980.00"), D("-1040.00"))
    replayed = services.holding_rederive(portfolio_id=portfolio.pk, stock_id=samsung.pk)
    assert (replayed.quantity, replayed.cost_basis) == (stored.quantity, stored.cost_basis)


def test_an_oversell_is_refused_with_a_clear_message_and_stores_nothing(samsung):
    portfolio = PortfolioFactory()
    record(portfolio, "buy", samsung, "10", "1000", days_ago(5))

    with pytest.raises(ValidationError) as refused:
        record(portfolio, "sell", samsung, "11", "1000", days_ago(1))

    assert "held only 10" in refused.value.message_dict["quantity"][0]
    assert Transaction.objects.count() == 1
    assert holding(portfolio, samsung).quantity == D(10)


def test_deleting_a_buy_that_a_later_sale_needed_is_refused(samsung):
    portfolio = PortfolioFactory()
    buy = record(portfolio, "buy", samsung, "10", "1000", days_ago(5))
    record(portfolio, "sell", samsung, "5", "1000", days_ago(1))
    buy_id = buy.pk
    with pytest.raises(ValidationError):
        services.transaction_delete(record=buy)
    assert Transaction.objects.filter(pk=buy_id).exists()
    assert holding(portfolio, samsung).quantity == D(5)


def test_an_edit_re_derives_the_holding(samsung):
    portfolio = PortfolioFactory()
    buy = record(portfolio, "buy", samsung, "10", "1000", days_ago(5))
    services.transaction_update(record=buy, data=trade("buy", samsung, "12", "900", days_ago(5)))
    assert (holding(portfolio, samsung).quantity, holding(portfolio, samsung).cost_basis) == (
        D(12),
        D("10800.00"),
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (TransactionInput("buy", None, D(1), D(1), D(0), None), "stock"),
        (TransactionInput("sell", "stock", D(0), D(1), D(0), None), "quantity"),
        (TransactionInput("buy", "stock", D(1), D(0), D(0), None), "price"),
        (TransactionInput("fee", None, None, None, D(0), None), "fee"),
        (TransactionInput("gift", None, None, None, D(0), None), "kind"),
    ],
)
def test_invalid_transactions_name_their_field(samsung, data, field):
    if data.stock == "stock":
        data = TransactionInput(data.kind, samsung, data.quantity, data.price, data.fee, None)
    with pytest.raises(ValidationError) as refused:
        services.transaction_record(portfolio=PortfolioFactory(), data=data)
    assert field in refused.value.message_dict


def test_a_future_date_is_refused(samsung):
    with pytest.raises(ValidationError) as refused:
        services.transaction_record(
            portfolio=PortfolioFactory(), data=trade("buy", samsung, "1", "1", days_ago(-1))
        )
    assert "traded_on" in refused.value.message_dict


def test_an_import_with_bad_rows_stores_nothing_and_names_every_line(samsung):
    portfolio = PortfolioFactory()
    rows = [
        (2, trade("buy", samsung, "10", "1000", days_ago(9))),
        (3, TransactionInput("buy", None, D(1), D(1), D(0), days_ago(8))),  # no stock
        (4, trade("sell", samsung, "50", "1000", days_ago(7))),  # oversell, in the same pass
    ]
    with pytest.raises(ImportRefused) as refused:
        services.transactions_import(portfolio=portfolio, rows=rows)
    assert [(e.line, e.field) for e in refused.value.errors] == [(3, "stock"), (4, "quantity")]
    assert not Transaction.objects.exists()

    with pytest.raises(ImportRefused) as refused:
        services.transactions_import(portfolio=portfolio, rows=[rows[0], rows[2]])
    assert [(e.line, e.field) for e in refused.value.errors] == [(4, "quantity")]
    assert not Transaction.objects.exists() and not Holding.objects.exists()


def test_a_recorded_split_re_derives_every_holding_of_the_stock(
    samsung, django_capture_on_commit_callbacks
):
    one, two = PortfolioFactory(), PortfolioFactory()
    for portfolio in (one, two):
        record(portfolio, "buy", samsung, "2", "2500000", days_ago(30))

    with django_capture_on_commit_callbacks(execute=True):
        StockSplit.objects.create(
            stock=samsung, effective_on=days_ago(10), old_shares=1, new_shares=50
        )

    assert [holding(p, samsung).quantity for p in (one, two)] == [D(100), D(100)]
    assert holding(one, samsung).cost_basis == D("5000000.00")


def test_value_history_follows_holdings_and_daily_closes(samsung):
    portfolio = PortfolioFactory()
    today = timezone.localdate()
    for n, close in enumerate(["100", "110", "120", "130"]):
        day = today - timedelta(days=3 - n)
        PriceBarFactory(
            stock=samsung,
            starts_at=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 9)),
            close=D(close),
        )
    record(portfolio, "buy", samsung, "10", "100", today - timedelta(days=2))
    record(portfolio, "sell", samsung, "5", "120", today - timedelta(days=1))
    assert Portfolio.objects.get(pk=portfolio.pk).history_stale_since is not None

    assert services.value_histories_refresh(days=366) == 1

    points = list(ValuePoint.objects.filter(portfolio=portfolio).values_list("day", "market_value"))
    assert points == [(today - timedelta(days=2), D("1100.00")),
                      (today - timedelta(days=1), D("600.00")),
                      (today, D("650.00"))]  # fmt: skip
    assert Portfolio.objects.get(pk=portfolio.pk).history_stale_since is None


def test_an_update_of_a_copy_deleted_meanwhile_is_refused_not_resurrected(samsung):
    portfolio = PortfolioFactory()
    buy = record(portfolio, "buy", samsung, "10", "1000", days_ago(5))
    stale_copy = Transaction.objects.get(pk=buy.pk)
    services.transaction_delete(record=buy)

    with pytest.raises(services.TransactionGone):
        services.transaction_update(
            record=stale_copy, data=trade("buy", samsung, "12", "900", days_ago(5))
        )
    assert not Transaction.objects.exists()


def test_an_update_re_derives_the_stock_the_record_has_now_not_the_copys(samsung):
    hynix = StockFactory(code="000660")
    portfolio = PortfolioFactory()
    buy = record(portfolio, "buy", samsung, "10", "1000", days_ago(5))
    stale_copy = Transaction.objects.get(pk=buy.pk)
    services.transaction_update(record=buy, data=trade("buy", hynix, "10", "1000", days_ago(5)))

    services.transaction_update(
        record=stale_copy, data=trade("buy", samsung, "3", "1000", days_ago(5))
    )

    assert not Holding.objects.filter(portfolio=portfolio, stock=hynix).exists()
    assert holding(portfolio, samsung).quantity == D(3)


@pytest.mark.parametrize(
    ("quantity", "price", "field"),
    [
        ("999999999999", "999999999", "quantity"),  # over the per-transaction bounds
        ("9000000000", "900000", "quantity"),  # each in bounds, the amount is not
        ("0.00001", "1000", "quantity"),  # more places than are stored
        ("1", "1000.001", "price"),
    ],
)
def test_amounts_the_columns_cannot_hold_are_refused(samsung, quantity, price, field):
    with pytest.raises(ValidationError) as refused:
        record(PortfolioFactory(), "buy", samsung, quantity, price, days_ago(1))
    assert field in refused.value.message_dict


def _bar(stock, day: date, close: str) -> None:  # noqa: ANN001
    PriceBarFactory(stock=stock, close=D(close), starts_at=timezone.make_aware(
        timezone.datetime(day.year, day.month, day.day, 9)))  # fmt: skip


def test_value_history_applies_a_split_after_trades_before_the_window(samsung):
    portfolio = PortfolioFactory()
    today = timezone.localdate()
    record(portfolio, "buy", samsung, "10", "2500000", today - timedelta(days=30))
    StockSplit.objects.create(stock=samsung, effective_on=today - timedelta(days=20),
                              old_shares=1, new_shares=50)  # fmt: skip
    services.holding_rederive(portfolio_id=portfolio.pk, stock_id=samsung.pk)
    _bar(samsung, today - timedelta(days=2), "50000")

    services.value_history_rebuild(portfolio_id=portfolio.pk, days=5, today=today)

    (point,) = ValuePoint.objects.filter(portfolio=portfolio)
    assert point.market_value == D(500 * 50000)


def test_value_history_applies_a_buy_on_a_day_without_a_bar_before_a_later_split(samsung):
    portfolio = PortfolioFactory()
    today = timezone.localdate()
    _bar(samsung, today - timedelta(days=10), "100")
    record(portfolio, "buy", samsung, "10", "100", today - timedelta(days=10))
    record(portfolio, "buy", samsung, "10", "100", today - timedelta(days=8))  # no bar that day
    StockSplit.objects.create(stock=samsung, effective_on=today - timedelta(days=6),
                              old_shares=1, new_shares=2)  # fmt: skip
    _bar(samsung, today - timedelta(days=6), "50")

    services.value_history_rebuild(portfolio_id=portfolio.pk, days=30, today=today)

    points = ValuePoint.objects.filter(portfolio=portfolio)
    values = list(points.values_list("market_value", flat=True))
    assert values == [D("1000.00"), D("2000.00")]  # 10 × 100, then 40 × 50


def test_a_portfolio_stored_past_the_bounds_is_charted_once_not_retried(samsung):
    # Its value (10^16 shares at 10^9 won) overflowed the chart's numeric(20, 2) column, and its
    # mark stayed, so every sweep failed on it again.
    broken, fine = PortfolioFactory(name="0 first"), PortfolioFactory(name="1 second")
    today = timezone.localdate()
    _bar(samsung, today - timedelta(days=1), "1000000000")
    # Written around the services' bounds, as data stored before them may be.
    Transaction.objects.create(portfolio=broken, kind="buy", stock=samsung,
                               quantity=D("9999999999999999"), price=D(1),
                               traded_on=today - timedelta(days=2))  # fmt: skip
    record(fine, "buy", samsung, "1", "100", today - timedelta(days=2))
    Portfolio.objects.filter(pk__in=[broken.pk, fine.pk]).update(history_stale_since=timezone.now())

    assert services.value_histories_refresh(days=30) == 2
    assert services.value_histories_refresh(days=30) == 0

    assert ValuePoint.objects.get(portfolio=broken).market_value == D("9999999999999999") * 10**9
    assert ValuePoint.objects.filter(portfolio=fine).exists()


def test_a_split_moved_to_another_stock_re_derives_both(
    samsung, django_capture_on_commit_callbacks
):
    hynix = StockFactory(code="000660")
    portfolio = PortfolioFactory()
    record(portfolio, "buy", samsung, "10", "1000", days_ago(30))
    record(portfolio, "buy", hynix, "10", "1000", days_ago(30))
    with django_capture_on_commit_callbacks(execute=True):
        split = StockSplit.objects.create(stock=samsung, effective_on=days_ago(10), old_shares=1,
                                          new_shares=50)  # fmt: skip
    split.stock = hynix
    with django_capture_on_commit_callbacks(execute=True):
        split.save()

    assert (holding(portfolio, samsung).quantity, holding(portfolio, hynix).quantity) == (
        D(10), D(500),
    )  # fmt: skip
