"""The news app's panel on a stock's page: its latest articles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from news.selectors import latest_news_for_stock
from stocks.panels import StockPagePanel


def _stock_news_context(request: HttpRequest, code: str) -> dict[str, Any]:
    return {
        "code": code,
        "articles": latest_news_for_stock(code, limit=settings.NEWS_ON_STOCK_PAGE),
    }


stock_news_panel = StockPagePanel(
    name="news", template_name="news/_stock_news.html", context=_stock_news_context, order=10
)
