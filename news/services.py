"""Writes of the news app: crawling feeds into articles (N1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from news.analysis import Listing, StockMatcher, sentiment_of
from news.crawler import FeedFetch, fetch_feed
from news.models import Article, FeedSource
from pipelines.services import job_run_now
from stocks.models import Stock


@dataclass(frozen=True)
class CrawlOutcome:
    """What one crawl did, over all the sources it fetched."""

    sources: int
    new_articles: int
    failed_sources: int


def _store(source: FeedSource, fetched: FeedFetch) -> int:
    """Record one source's fetch; returns how many new articles it added."""
    created = 0
    with transaction.atomic():
        if fetched.status == "ok":
            urls = {entry.url for entry in fetched.entries}
            known = set(Article.objects.filter(url__in=urls).values_list("url", flat=True))
            fresh: dict = {}
            for entry in fetched.entries:  # the first of the feed's copies of a URL wins
                if entry.url not in known:
                    fresh.setdefault(entry.url, entry)
            created = len(Article.objects.bulk_create(
                [Article(source=source, url=e.url, title=e.title, summary=e.summary,
                         published_at=e.published_at, language=source.language)
                 for e in fresh.values()],
                ignore_conflicts=True,  # another crawl stored the same URL meanwhile
            ))  # fmt: skip
        if fetched.status != "error":
            source.etag, source.last_modified = fetched.etag, fetched.last_modified
        source.last_error = fetched.error
        source.last_fetched_at = timezone.now()
        source.save(update_fields=["etag", "last_modified", "last_error", "last_fetched_at"])
    return created


def feeds_crawl(
    *,
    source_ids: Iterable[int] | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> CrawlOutcome:
    """Fetch every enabled source at once (or the given ones) and store their new articles."""
    sources = FeedSource.objects.filter(is_enabled=True)
    if source_ids is not None:
        sources = sources.filter(pk__in=list(source_ids))
    sources = list(sources)
    now = timezone.now()
    new_articles = failed = 0
    with (
        httpx.Client(timeout=settings.NEWS_FETCH_TIMEOUT_SECONDS, max_redirects=5) as client,
        ThreadPoolExecutor(max_workers=max(1, settings.NEWS_FETCH_CONCURRENCY)) as pool,
    ):
        futures = [
            (source, pool.submit(fetch_feed, client, source.url, etag=source.etag,
                                 last_modified=source.last_modified,
                                 max_bytes=settings.NEWS_FETCH_MAX_BYTES, now=now))
            for source in sources
        ]  # fmt: skip
        for done, (source, future) in enumerate(futures, start=1):
            fetched = future.result()
            failed += fetched.status == "error"
            new_articles += _store(source, fetched)
            if progress is not None:
                progress(int(done * 100 / len(futures)), f"{source.name}: {fetched.status}")
    if new_articles:
        # New articles are analysed at once on the ai branch, not at its next sweep. Its
        # dependency, this crawl, holds its lock until it ends: the analysis waits for it and
        # uses its outcome instead of crawling again.
        job_run_now(name="news.analyse_articles")
    return CrawlOutcome(len(sources), new_articles, failed)


ANALYSE_BATCH_SIZE = 200


def stock_matcher() -> StockMatcher:
    return StockMatcher(
        Listing(code, name_ko, name_en)
        for code, name_ko, name_en in Stock.objects.values_list("code", "name_ko", "name_en")
    )


def articles_analyse(*, limit: int | None = None) -> int:
    """Link not-yet-analysed articles to the stocks they name and score their sentiment (L9)."""
    matcher = stock_matcher()
    stock_ids = dict(Stock.objects.values_list("code", "id"))
    pending = Article.objects.filter(analysed_at__isnull=True).order_by("created_at", "id")
    analysed = 0
    while limit is None or analysed < limit:
        batch = list(pending[: min(ANALYSE_BATCH_SIZE, (limit or 10**9) - analysed)])
        if not batch:
            break
        now = timezone.now()
        links = []
        for article in batch:
            text = f"{article.title}\n{article.summary}"
            result = sentiment_of(text)
            article.sentiment, article.sentiment_score = result.label, result.score
            article.analysed_at = now
            links += [Article.stocks.through(article_id=article.pk, stock_id=stock_ids[code])
                      for code in matcher.codes_in(text)]  # fmt: skip
        with transaction.atomic():
            Article.objects.bulk_update(batch, ["sentiment", "sentiment_score", "analysed_at"])
            Article.stocks.through.objects.bulk_create(links, ignore_conflicts=True)
        analysed += len(batch)
    return analysed
