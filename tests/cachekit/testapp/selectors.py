"""Cached selectors as an app author writes them."""

from __future__ import annotations

from cachekit import AnyRow, Row, cached
from tests.cachekit.testapp.models import Article, Tag

CALLS: dict[str, int] = {}


def _called(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


@cached(namespace="testapp", ttl=60, depends_on=lambda slug: [Row(Article, slug=slug)])
def article_title(slug: str) -> str | None:
    _called("article_title")
    article = Article.objects.filter(slug=slug).first()
    return article.title if article else None


@cached(namespace="testapp", ttl=60, depends_on=[AnyRow(Article)])
def article_count() -> int:
    _called("article_count")
    return Article.objects.count()


@cached(namespace="testapp", ttl=60, depends_on=lambda slug: [Row(Article, slug=slug), AnyRow(Tag)])
def article_tag_names(slug: str) -> list[str]:
    _called("article_tag_names")
    return sorted(Tag.objects.filter(articles__slug=slug).values_list("name", flat=True))


@cached(namespace="testapp", ttl=60, depends_on=lambda name: [Row(Tag, name=name)])
def tag_article_count(name: str) -> int:
    _called("tag_article_count")
    return Article.objects.filter(tags__name=name).count()
