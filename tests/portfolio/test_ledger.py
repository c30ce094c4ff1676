"""Average-cost accounting on known sequences (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from portfolio.ledger import Entry, Oversell, Split, TooLarge, apply, replay

TODAY = date(2026, 11, 20)


def entry(n: int, kind: str, day: str, quantity: str, price: str, fee: str = "0") -> Entry:
    return Entry(n, kind, date.fromisoformat(day), D(quantity), D(price), D(fee))


def test_buys_average_their_cost_fees_included():
    buys = [entry(1, "buy", "2026-01-05", "10", "1000", "50"),
            entry(2, "buy", "2026-02-05", "30", "2000", "150")]  # fmt: skip
    position = replay(buys, today=TODAY)
    assert position.quantity == D(40)
    assert position.cost_basis == D("70200.00")  # 10 050 + 60 150
    assert position.average_cost == D("1755")


def test_a_partial_sale_realises_against_the_average_cost():
    position = replay(
        [entry(1, "buy", "2026-01-05", "10", "1000", "50"),
         entry(2, "buy", "2026-02-05", "30", "2000", "150"),
         entry(3, "sell", "2026-03-05", "15", "2500", "100")],
        today=TODAY,
    )  # fmt: skip
    (sale,) = position.sales
    assert sale.proceeds == D("37400.00")  # 15 × 2500 − 100
    assert sale.cost == D("26325.00")  # 15 × 1755
    assert sale.gain == D("11075.00")
    assert (position.quantity, position.cost_basis) == (D(25), D("43875.00"))
    assert position.realised_pl == D("11075.00")


def test_selling_everything_leaves_no_cost_behind_even_with_rounding():
    position = replay(
        [entry(1, "buy", "2026-01-05", "3", "1000.01"),
         entry(2, "sell", "2026-01-06", "1", "1000"),
         entry(3, "sell", "2026-01-07", "2", "1000")],
        today=TODAY,
    )  # fmt: skip
    assert (position.quantity, position.cost_basis) == (D(0), D(0))
    assert position.realised_pl == D("-0.03")  # exactly what was paid minus what came back


def test_overselling_is_refused_naming_the_sale():
    with pytest.raises(Oversell) as refused:
        replay([entry(1, "buy", "2026-01-05", "10", "1000"),
                entry(2, "sell", "2026-01-04", "5", "1000")], today=TODAY)  # fmt: skip
    assert refused.value.entry.id == 2  # the sale came first in date order
    assert refused.value.held == D(0)


def test_a_split_multiplies_shares_from_its_day_and_keeps_cost():
    position = replay(
        [entry(1, "buy", "2018-04-01", "2", "2500000"),
         entry(2, "sell", "2018-05-04", "50", "51900")],  # after the 50-for-1 split
        [Split(date(2018, 5, 4), 1, 50)],
        today=TODAY,
    )  # fmt: skip
    assert position.quantity == D(50)
    assert position.cost_basis == D("2500000.00")
    assert position.sales[0].cost == D("2500000.00")


def test_a_split_after_the_last_trade_applies_once_its_day_has_come():
    entries = [entry(1, "buy", "2026-01-05", "10", "1000")]
    later = [Split(date(2026, 6, 1), 10, 1)]  # a reverse split
    assert replay(entries, later, today=date(2026, 5, 31)).quantity == D(10)
    assert replay(entries, later, today=TODAY).quantity == D(1)


def test_dividends_add_income_net_of_tax_and_leave_the_position():
    position = replay(
        [entry(1, "buy", "2026-01-05", "100", "70000"),
         entry(2, "dividend", "2026-04-20", "100", "361", "5560")],
        today=TODAY,
    )  # fmt: skip
    assert position.dividends == D("30540.00")
    assert (position.quantity, position.realised_pl) == (D(100), D(0))


def test_a_holding_too_large_to_store_is_refused_and_left_as_it_was():
    buys = [entry(n, "buy", "2026-01-05", "100000000", "10000") for n in range(1, 1001)]
    with pytest.raises(TooLarge) as refused:
        replay(buys, today=TODAY)  # the 1,000th buy reaches 10^15 won of cost
    assert refused.value.entry is buys[-1]

    position = replay(buys[:999], today=TODAY)
    before = (position.quantity, position.cost_basis)
    with pytest.raises(TooLarge):
        apply(position, buys[-1])
    assert (position.quantity, position.cost_basis) == before
    apply(position, buys[-1], bounded=False)  # a chart of what is stored is not refused


def test_a_collecting_replay_names_every_oversell_and_goes_on_without_it():
    refused: list = []
    position = replay(
        [entry(1, "buy", "2026-01-05", "10", "1000"),
         entry(2, "sell", "2026-02-05", "20", "1000"),  # 10 held
         entry(3, "sell", "2026-03-05", "4", "1000"),
         entry(4, "sell", "2026-04-05", "7", "1000")],  # 6 held
        today=TODAY,
        refused=refused,
    )  # fmt: skip
    assert [(type(exc), exc.entry.id, exc.held) for exc in refused] == [
        (Oversell, 2, D(10)), (Oversell, 4, D(6)),
    ]  # fmt: skip
    assert position.quantity == D(6)
