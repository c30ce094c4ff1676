"""Demo data of the portfolio app: the demo user's portfolio with a year of transactions, at
the prices of the demo's own daily bars, so its profit and loss are consistent with the charts."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from accounts.models import User
from portfolio import services
from portfolio.models import Portfolio
from stocks.models import BarInterval, PriceBar, Stock

DEMO_PORTFOLIO = "장기 투자"
# code, budget per monthly buy (KRW)
DEMO_HOLDINGS = (
    ("005930", 1_500_000), ("000660", 1_200_000), ("035420", 600_000), ("035720", 400_000),
    ("005380", 700_000), ("373220", 500_000), ("068270", 500_000), ("247540", 300_000),
)  # fmt: skip
BROKER_FEE_RATE = Decimal("0.00015")
SALES_TAX_RATE = Decimal("0.0018")


def has_data() -> bool:
    return Portfolio.objects.exists()


def _closes(stock: Stock) -> list[tuple[date, Decimal]]:
    bars = PriceBar.objects.filter(stock=stock, interval=BarInterval.DAY).order_by("starts_at")
    return [(timezone.localdate(at), close) for at, close in bars.values_list("starts_at", "close")]


def demo_rows(today: date) -> list[tuple[int, services.TransactionInput]]:
    """A year of monthly buys, a few sales, dividends and an account fee, in date order."""
    chooser = random.Random(20261122)  # noqa: S311 - demo data, not security
    stocks = {s.code: s for s in Stock.objects.filter(code__in=[c for c, _ in DEMO_HOLDINGS])}
    rows: list[services.TransactionInput] = []
    for code, budget in DEMO_HOLDINGS:
        stock = stocks.get(code)
        closes = _closes(stock) if stock else []
        if len(closes) < 60:
            continue
        held = 0
        months_seen: set[tuple[int, int]] = set()
        for day, close in closes[:-1]:
            month = (day.year, day.month)
            if month in months_seen or day.day < 3 + chooser.randrange(5):
                continue
            months_seen.add(month)
            quantity = max(1, int(budget * chooser.uniform(0.6, 1.4) / float(close)))
            fee = (close * quantity * BROKER_FEE_RATE).quantize(Decimal(1))
            rows.append(services.TransactionInput("buy", stock, Decimal(quantity), close, fee,
                                                  day, "정기 매수"))  # fmt: skip
            held += quantity
            if len(months_seen) in (5, 9) and code in ("035720", "247540", "000660"):
                sold = held // 2
                fee = (close * sold * (BROKER_FEE_RATE + SALES_TAX_RATE)).quantize(Decimal(1))
                rows.append(services.TransactionInput("sell", stock, Decimal(sold), close, fee,
                                                      day, "비중 축소"))  # fmt: skip
                held -= sold
            if (
                code == "005930"
                and day.month in (4, 5, 8, 11)
                and month
                not in {(r.traded_on.year, r.traded_on.month) for r in rows if r.kind == "dividend"}
            ):
                rows.append(services.TransactionInput("dividend", stock, Decimal(held),
                                                      Decimal(361), Decimal(held * 55), day,
                                                      "분기 배당"))  # fmt: skip
    first = min((r.traded_on for r in rows), default=today)
    rows.append(services.TransactionInput("fee", None, None, None, Decimal(5000), first,
                                          "계좌 관리 수수료"))  # fmt: skip
    rows.sort(key=lambda r: r.traded_on)
    return list(enumerate(rows, start=2))


def seed_demo(*, stdout: TextIO) -> None:
    owner = User.objects.filter(username="demo").first()
    if owner is None:
        stdout.write("  no demo user: portfolio skipped\n")
        return
    portfolio = Portfolio.objects.filter(owner=owner, name=DEMO_PORTFOLIO).first()
    if portfolio is not None:
        return
    rows = demo_rows(timezone.localdate())
    portfolio = services.portfolio_create(owner=owner, name=DEMO_PORTFOLIO)
    if rows:
        services.transactions_import(portfolio=portfolio, rows=rows)
    stdout.write(f"  portfolio “{DEMO_PORTFOLIO}” for demo: {len(rows)} transactions over a year\n")
