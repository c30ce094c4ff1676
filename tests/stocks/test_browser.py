"""The pages as a person uses them: headless Chromium driven by Playwright (S6, S2 charts)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from stocks import services
from stocks.models import BarInterval, MarketIndexSnapshot
from tests.browser import in_thread, require_chromium
from tests.stocks.factories import PriceBarFactory, StockFactory

require_chromium()

from playwright.sync_api import expect  # noqa: E402


def test_the_dashboard_moves_by_itself(asgi_server, browser_page):
    def market_half_an_hour_ago() -> None:
        for code in ("005930", "000660", "035420"):
            StockFactory(code=code)
        start = timezone.now() - timedelta(minutes=30)
        services.prices_collect(now=start)
        services.market_indices_collect(now=start)

    in_thread(market_half_an_hour_ago)
    server = asgi_server()

    browser_page.goto(f"{server.http_url}/")
    expect(browser_page.get_by_test_id("live-status")).to_have_text("live", timeout=15_000)
    kospi = browser_page.get_by_test_id("index-KOSPI").locator('[data-field="value"]')
    before = kospi.text_content()

    def data_branch_tick() -> bool:  # what the data branch does every minute and every 10 s
        later = timezone.now()
        services.prices_collect(now=later)
        services.market_indices_collect(now=later)
        return services.market_snapshot_publish()

    assert in_thread(data_branch_tick) is True  # the open page is a subscriber
    expect(kospi).not_to_have_text(before, timeout=15_000)
    newest = in_thread(
        lambda: MarketIndexSnapshot.objects.filter(symbol="KOSPI").latest("captured_at")
    )
    assert kospi.text_content() == f"{newest.value:,.2f}"
    assert browser_page.url == f"{server.http_url}/"  # no reload happened
    expect(browser_page.get_by_test_id("movers-most_active").locator("tr")).to_have_count(3)


def test_a_stock_page_draws_a_year_of_candles_and_switches_period(asgi_server, browser_page):
    def a_year_of_trading_days() -> None:
        stock = StockFactory(code="005930", name_ko="삼성전자")
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        for days_ago in range(250):
            PriceBarFactory(stock=stock, interval=BarInterval.DAY,
                            starts_at=today - timedelta(days=days_ago))  # fmt: skip

    in_thread(a_year_of_trading_days)
    server = asgi_server()

    browser_page.goto(f"{server.http_url}/stocks/005930/")
    chart = browser_page.get_by_test_id("price-chart")
    expect(chart).to_have_attribute("data-bars", "250", timeout=15_000)
    expect(chart.locator("canvas").first).to_be_visible()
    expect(browser_page.get_by_test_id("simulated-notice")).to_be_visible()

    browser_page.get_by_role("button", name="1w").click()
    expect(chart).to_have_attribute("data-bars", "7", timeout=15_000)
    expect(browser_page.get_by_role("button", name="1w")).to_have_attribute("aria-pressed", "true")
