"""The news pages as a reader uses them (issue 6, "done means"): the demo feeds are crawled over
HTTP from the running site, analysed, searched in Korean, read, and followed to the stock page."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from news import services
from tests.browser import in_thread, require_chromium

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


def test_reader_searches_korean_news_reads_it_and_reaches_the_stock_page(
    asgi_server, browser_page, settings
):
    server = asgi_server()
    settings.NEWS_DEMO_FEED_BASE_URL = server.http_url

    def demo_site_after_a_crawl() -> None:
        call_command("seed_demo", stdout=StringIO())  # stocks and the demo feed sources
        services.feeds_crawl()
        services.articles_analyse()

    in_thread(demo_site_after_a_crawl)
    page = browser_page
    page.goto(f"{server.http_url}/news/")
    expect(page.get_by_test_id("article")).to_have_count(17)

    page.get_by_label("Search").fill("반도체")  # inside "삼성전자, 반도체 업황…" and in compounds
    page.get_by_role("button", name="Apply").click()
    articles = page.get_by_test_id("article")
    expect(articles.first).to_contain_text("삼성전자")
    assert "q=%EB%B0%98%EB%8F%84%EC%B2%B4" in page.url
    assert articles.count() < 17

    articles.first.get_by_role("link").first.click()
    expect(page.get_by_test_id("news-article")).to_contain_text("반도체")
    expect(page.get_by_test_id("sentiment")).to_have_text("positive")
    page.get_by_test_id("linked-stocks").get_by_role("link", name=re.compile("삼성전자")).click()

    expect(page).to_have_url(f"{server.http_url}/stocks/005930/")
    panel = page.get_by_test_id("stock-news")
    expect(panel.get_by_test_id("article").first).to_be_visible()
    expect(panel).to_contain_text("삼성전자, 반도체 업황 회복 기대에 상승")
