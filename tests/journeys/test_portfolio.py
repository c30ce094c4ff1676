"""Journey 3: the demo investor signs in, opens the demo portfolio from /portfolio/, records the
purchase of a stock not yet held, and sees the holdings, the summary and the overview change."""

from __future__ import annotations

import pytest

from portfolio.demo import DEMO_HOLDINGS
from stocks.models import Stock
from tests.browser import in_thread
from tests.journeys.conftest import expect, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_history_days() -> int:
    return 90  # the demo portfolio buys a stock only where 60 closes are known


def test_portfolio(demo_site, person, look):
    new = in_thread(
        lambda: Stock.objects.exclude(code__in=[code for code, _ in DEMO_HOLDINGS])
        .exclude(last_price=None).order_by("code").first()
    )  # fmt: skip
    page = person()
    sign_in(page, demo_site, "demo", "/portfolio/")
    expect(page.locator("#live-status")).to_have_text("live", timeout=15_000)
    table = page.get_by_test_id("portfolio-table")
    holdings_count = table.locator("tbody tr").first.locator("td").last
    held_before = int(holdings_count.text_content())
    look(page, "portfolios")

    table.get_by_role("link", name="장기 투자").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("장기 투자")
    expect(page.get_by_test_id("value-chart").locator("canvas").first).to_be_visible(timeout=15_000)
    value = page.get_by_test_id("summary").locator('[data-field="market_value"]')
    before = value.text_content()
    expect(page.get_by_test_id("holdings").locator(f'tr[data-code="{new.code}"]')).to_have_count(0)
    look(page, "portfolio")

    form = page.get_by_test_id("transaction-form")
    form.get_by_label("Type").select_option("buy")
    form.get_by_label("Stock code").fill(new.code)
    form.get_by_label("Quantity").fill("3")
    form.get_by_label("Price (KRW)").fill(str(int(new.last_price)))
    form.get_by_label("Note").fill("journey")
    form.get_by_role("button", name="Record").click()

    expect(page.locator(".messages")).to_contain_text("Transaction recorded.")
    holding = page.get_by_test_id("holdings").locator(f'tr[data-code="{new.code}"]')
    expect(holding.locator("td").nth(1)).to_have_text("3")
    expect(value).not_to_have_text(before)
    expect(page.get_by_test_id("transactions")).to_contain_text("journey")
    look(page, "portfolio-after-purchase")

    page.get_by_role("link", name="← My portfolios").click()
    expect(holdings_count).to_have_text(str(held_before + 1))
