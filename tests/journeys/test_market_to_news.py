"""Journey 2: a reader follows the market dashboard to a stock in the news, that stock's chart
and news, all of its news on /news/, and one article, which leads back to the stock;
then the menu's list of all stocks finds it by name."""

from __future__ import annotations

import re

import pytest

from news.models import Article
from stocks.models import Stock
from tests.browser import in_thread
from tests.journeys.conftest import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_market_to_news(demo_site, demo_news, person, look):
    in_the_news = in_thread(
        lambda: set(Article.objects.values_list("stocks__code", flat=True).exclude(stocks=None))
    )
    page = person()
    page.goto(f"{demo_site.http_url}/")
    expect(page.get_by_test_id("live-status")).to_have_text("live", timeout=15_000)
    look(page, "market")

    # The movers the dashboard shows; the reader picks one that the news talks about.
    movers = page.locator('.movers a[href^="/stocks/"]')
    expect(movers.first).to_be_visible()
    hrefs = movers.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    codes = [m.group(1) for href in hrefs if (m := re.fullmatch(r"/stocks/(\d{6})/", href))]
    code = next((code for code in codes if code in in_the_news), None)
    assert code, f"no stock on the dashboard is in the news: {hrefs} / {in_the_news}"
    page.locator(f'.movers a[href="/stocks/{code}/"]').first.click()

    expect(page).to_have_url(f"{demo_site.http_url}/stocks/{code}/")
    chart = page.get_by_test_id("price-chart")
    expect(chart).not_to_have_attribute("data-bars", re.compile(r"^0?$"), timeout=15_000)
    expect(chart.locator("canvas").first).to_be_visible()
    panel = page.get_by_test_id("stock-news")
    expect(panel.get_by_test_id("article").first).to_be_visible()
    look(page, "stock")

    panel.get_by_role("link", name="All news about this stock").click()
    expect(page).to_have_url(f"{demo_site.http_url}/news/?stock={code}")
    articles = page.get_by_test_id("article")
    expect(articles.first).to_be_visible()
    for chips in articles.locator(".stock-chips").all():  # every one of them is about the stock
        expect(chips.locator(f'a[href="/stocks/{code}/"]')).to_have_count(1)
    look(page, "news-of-the-stock")

    title = articles.first.locator(".article-title")
    heading = title.text_content()
    title.click()
    article = page.get_by_test_id("news-article")
    expect(article.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_test_id("sentiment")).to_be_visible()
    look(page, "article")

    article.get_by_test_id("linked-stocks").locator(f'a[href="/stocks/{code}/"]').click()
    expect(page).to_have_url(f"{demo_site.http_url}/stocks/{code}/")

    # From the menu, the list of all stocks finds the same stock by its Korean name.
    name = in_thread(lambda: Stock.objects.get(code=code).name_ko)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stocks").click()
    page.get_by_label("Search").fill(name)
    page.get_by_role("button", name="Apply").click()
    rows = page.get_by_test_id("stock-table").locator("tbody tr")
    expect(rows.first.locator(f'a[href="/stocks/{code}/"]').first).to_be_visible()
    look(page, "stock-list")
