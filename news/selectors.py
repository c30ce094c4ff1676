"""Reads of the news app (N3): the filtered, searchable article list and an article's detail,
both cached and dropped by the cache toolkit's signals when articles change."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchRank
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q, QuerySet

from cachekit import AnyRow, Row, cached
from core.textsearch import TsQuery, search_query
from news.models import Article, FeedSource
from stocks.models import Stock

# A query needs this many characters (after trimming) and is cut at the longer length.
QUERY_MIN_CHARS = 2
QUERY_MAX_CHARS = 100


def _list_depends_on(**_: object) -> list:
    # Not on FeedSource: every crawl writes each source's bookkeeping, which would drop every
    # list each five minutes; a renamed source shows its old name until the entry expires.
    return [AnyRow(Article)]


def _payload(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "summary": article.summary,
        "url": article.url,
        "source": {"id": article.source_id, "name": article.source.name},
        "language": article.language,
        "published_at": article.published_at,
        "sentiment": article.sentiment or None,
        "sentiment_score": article.sentiment_score,
        "stocks": [
            {"code": stock.code, "name_ko": stock.name_ko, "name_en": stock.name_en}
            for stock in article.stocks.all()
        ],
    }


def _with_relations(articles: QuerySet[Article]) -> QuerySet[Article]:
    stocks = Stock.objects.only("id", "code", "name_ko", "name_en").order_by("code")
    return (
        articles.defer("search_document")
        .select_related("source")
        .prefetch_related(Prefetch("stocks", queryset=stocks))
    )


def article_search(
    *,
    stock: str | None = None,
    q: str | None = None,
    source: int | None = None,
    sentiment: str | None = None,
) -> QuerySet[Article]:
    """Articles matching the filters: newest first, or by relevance then recency when ``q`` is
    given (Korean and English; see core.textsearch). Filters left None do not filter."""
    articles = Article.objects.all()
    if stock:
        # By id: through the join on code the planner cannot see which stock, walks every
        # article newest first and probes the links (640 ms vs 1.3 ms for a stock without news
        # at 300,000 articles).
        stock_id = Stock.objects.filter(code=stock).values_list("id", flat=True).first()
        if stock_id is None:
            return articles.none()
        articles = articles.filter(stocks=stock_id)
    if source is not None:
        articles = articles.filter(source_id=source)
    if sentiment:
        articles = articles.filter(sentiment=sentiment)
    query = search_query(q[:QUERY_MAX_CHARS]) if q else None
    if q and query is None:
        return articles.none()  # punctuation only: nothing to look for
    if query is None:
        return articles.order_by("-published_at", "-id")
    # Title matches first: ts_rank alone lets a summary that repeats a word outrank a title
    # that has it once.
    in_title = Q(search_document=TsQuery(search_query(q[:QUERY_MAX_CHARS], weights="A")))
    return (
        articles.filter(search_document=TsQuery(query))
        .annotate(
            in_title=ExpressionWrapper(in_title, output_field=BooleanField()),
            rank=SearchRank(F("search_document"), TsQuery(query)),
        )
        .order_by("-in_title", "-rank", "-published_at", "-id")
    )


@cached(namespace="news", ttl="news_list", depends_on=_list_depends_on)
def news_page(
    *,
    page: int = 1,
    page_size: int,
    stock: str | None = None,
    q: str | None = None,
    source: int | None = None,
    sentiment: str | None = None,
) -> dict[str, Any]:
    """One page of `article_search`: ``{"count", "results"}``, ``results`` empty past the end.

    Cached per set of filters and page; three queries when cold (count, page, linked stocks).
    """
    articles = article_search(stock=stock, q=q, source=source, sentiment=sentiment)
    count = articles.count()
    start = (page - 1) * page_size
    rows = list(_with_relations(articles)[start : start + page_size]) if start < count else []
    return {"count": count, "results": [_payload(article) for article in rows]}


@cached(
    namespace="news",
    ttl="news_detail",
    depends_on=lambda article_id: [Row(Article, pk=article_id)],
)
def news_detail(article_id: int) -> dict[str, Any] | None:
    """One article with its source and linked stocks, or None if there is none with this id."""
    article = _with_relations(Article.objects.filter(pk=article_id)).first()
    return None if article is None else _payload(article)


@cached(namespace="news", ttl="news_list", depends_on=lambda **_: [AnyRow(FeedSource)])
def source_choices(*, limit: int) -> list[tuple[int, str]]:
    """The ``limit`` sources with the most articles as (id, name), by name, for the news page's
    filter: all 4,273 of a large catalogue made the page 346 KB."""
    top = (
        FeedSource.objects.annotate(articles_count=Count("articles"))
        .order_by("-articles_count", "name")
        .values_list("id", "name")[:limit]
    )
    return sorted(top, key=lambda choice: choice[1])


def source_choice(source_id: int) -> list[tuple[int, str]]:
    """The one source as [(id, name)], or [] if there is none with this id."""
    return list(FeedSource.objects.filter(pk=source_id).values_list("id", "name"))


def latest_news_for_stock(code: str, *, limit: int) -> list[dict[str, Any]]:
    """The newest articles linked to a stock, for its page."""
    return news_page(page=1, page_size=limit, stock=code)["results"]
