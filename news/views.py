"""Pages: the news list with its filters (/news/), an article (/news/<id>/), the demo feeds."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from core.http import NotFoundWithReason
from news import selectors
from news.demo import demo_feed_document
from news.forms import NewsFilterForm


def _page_number(raw: str | None, pages: int) -> int:
    """The requested page, within 1..pages (a bad or out-of-range number is not an error)."""
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), pages)


def news_list(request: HttpRequest) -> HttpResponse:
    form = NewsFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound:
        form.is_valid()  # an invalid filter is left out, and the form shows why
        filters = form.filters()
    page_size = settings.NEWS_PAGE_SIZE
    # The count comes from the first page's (cached) entry; most visitors read only that one.
    first = selectors.news_page(page=1, page_size=page_size, **filters)
    pages = max(1, -(-first["count"] // page_size))
    number = _page_number(request.GET.get("page"), pages)
    page = first if number == 1 else selectors.news_page(page=number, page_size=page_size,
                                                         **filters)  # fmt: skip
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "news/news_list.html",
        {
            "form": form,
            "articles": page["results"],
            "count": page["count"],
            "number": number,
            "pages": pages,
            "query": query.urlencode(),
            "searching": bool(filters.get("q")),
        },
    )


def news_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    article = selectors.news_detail(article_id)
    if article is None:
        raise NotFoundWithReason(
            _("There is no article with the id %(id)s; it may have been cleaned up.")
            % {"id": article_id}
        )
    return render(request, "news/news_detail.html", {"article": article})


def _demo_feed_etag(request: HttpRequest, file_name: str) -> str | None:
    try:
        return hashlib.sha256(demo_feed_document(file_name)).hexdigest()[:32]
    except FileNotFoundError:
        return None


@require_safe
@condition(etag_func=_demo_feed_etag)  # an unchanged feed is a 304, as real feeds answer
def demo_feed(request: HttpRequest, file_name: str) -> HttpResponse:
    """A demo feed (news/demo_feeds/), its dates brought up to date; see news.demo."""
    try:
        body = demo_feed_document(file_name)
    except FileNotFoundError as exc:
        raise NotFoundWithReason(_("There is no demo feed with this name.")) from exc
    kind = "atom" if b"<feed" in body[:500] else "rss"
    return HttpResponse(body, content_type=f"application/{kind}+xml")
