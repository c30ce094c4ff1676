"""Issue 7's "done means", as the demo user does it: the portfolio page shows today's value and
P/L, follows the market live, and a sale recorded through the form changes the summary at once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from portfolio import services
from portfolio.services import TransactionInput
from stocks import services as stock_services
from tests.accounts.factories import UserFactory
from tests.browser import in_thread, require_chromium
from tests.portfolio.factories import PortfolioFactory
from tests.stocks.factories import StockFactory

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


def test_investor_sees_the_portfolio_follow_the_market_and_records_a_sale(
    asgi_server, browser_page
):
    def an_investor_with_shares() -> int:
        user = UserFactory(username="investor")
        stock = StockFactory(code="005930", name_ko="삼성전자")
        stock_services.prices_collect(now=timezone.now() - timedelta(minutes=30))
        portfolio = PortfolioFactory(owner=user, name="장기 투자")
        week_ago = timezone.localdate() - timedelta(days=7)
        bought = TransactionInput("buy", stock, D(10), D(50000), D(0), week_ago)
        services.transaction_record(portfolio=portfolio, data=bought)
        return portfolio.pk

    portfolio_id = in_thread(an_investor_with_shares)
    server = asgi_server()
    page = browser_page
    page.goto(f"{server.http_url}/accounts/login/?next=/portfolio/{portfolio_id}/")
    page.get_by_label("Username").fill("investor")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.http_url}/portfolio/{portfolio_id}/")
    expect(page.locator("#live-status")).to_have_text("live", timeout=15_000)

    value = page.get_by_test_id("summary").locator('[data-field="market_value"]')
    before = value.text_content()

    def the_market_moves() -> bool:
        stock_services.prices_collect(now=timezone.now())
        return stock_services.market_snapshot_publish()

    assert in_thread(the_market_moves) is True
    expect(value).not_to_have_text(before, timeout=15_000)  # live, without a reload
    moved = value.text_content()

    form = page.get_by_test_id("transaction-form")
    form.get_by_label("Type").select_option("sell")
    form.get_by_label("Stock code").fill("005930")
    form.get_by_label("Quantity").fill("4")
    form.get_by_label("Price (KRW)").fill("51000")
    form.get_by_role("button", name="Record").click()

    expect(page.locator(".messages")).to_contain_text("Transaction recorded.")
    expect(value).not_to_have_text(moved)
    holding = page.get_by_test_id("holdings").locator('tr[data-code="005930"]')
    expect(holding.locator("td").nth(1)).to_have_text("6")

    form = page.get_by_test_id("transaction-form")
    form.get_by_label("Type").select_option("sell")
    form.get_by_label("Stock code").fill("005930")
    form.get_by_label("Quantity").fill("100")
    form.get_by_label("Price (KRW)").fill("51000")
    form.get_by_role("button", name="Record").click()
    expect(form.locator(".field-error")).to_contain_text("held only 6")
