"""Writes of the news app: crawling feeds into articles (N1), analysing them (L9), pruning old
ones (N2)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from news.analysis import Listing, StockMatcher, sentiment_of
from news.crawler import FeedEntry, FeedFetch, FetchLimits, allowed_private_hosts, fetch_feed
from news.models import Article, FeedSource
from pipelines.services import job_run_now
from stocks.models import Stock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlOutcome:
    """What one crawl did, over all the sources it fetched."""

    sources: int
    new_articles: int
    failed_sources: int


def retention_cutoff() -> datetime:
    """Articles published before this are pruned (N2), so the crawler does not store them."""
    return timezone.now() - timedelta(days=settings.NEWS_RETENTION_DAYS)


def _new_article(source: FeedSource, entry: FeedEntry) -> Article:
    article = Article(source=source, url=entry.url, title=entry.title, summary=entry.summary,
                      published_at=entry.published_at, language=source.language)  # fmt: skip
    article.search_document = article.search_document_of_text()
    return article


def _store(source: FeedSource, fetched: FeedFetch) -> int:
    """Record one source's fetch; returns how many new articles it added."""
    created = 0
    cutoff = retention_cutoff()
    with transaction.atomic():
        if fetched.status == "ok":
            urls = {entry.url for entry in fetched.entries}
            known = set(Article.objects.filter(url__in=urls).values_list("url", flat=True))
            fresh: dict = {}
            for entry in fetched.entries:  # the first of the feed's copies of a URL wins
                # Older than the retention age: the weekly clean-up would delete it, and the next
                # crawl bring it back.
                if entry.url not in known and entry.published_at >= cutoff:
                    fresh.setdefault(entry.url, entry)
            created = len(Article.objects.bulk_create(
                [_new_article(source, entry) for entry in fresh.values()],
                ignore_conflicts=True,  # another crawl stored the same URL meanwhile
            ))  # fmt: skip
        if fetched.status != "error":
            source.etag, source.last_modified = fetched.etag, fetched.last_modified
        source.last_error = fetched.error
        source.last_fetched_at = timezone.now()
        source.save(update_fields=["etag", "last_modified", "last_error", "last_fetched_at"])
    return created


def _fetch(source: FeedSource, *, limits: FetchLimits, now: datetime) -> FeedFetch:
    """One source's fetch; a fault of ours in it is that source's error, not the crawl's end."""
    try:
        return fetch_feed(source.url, etag=source.etag, last_modified=source.last_modified,
                          limits=limits, now=now)  # fmt: skip
    except Exception as exc:
        logger.exception("news: fetching feed %s failed", source.name)
        return FeedFetch("error", error=f"fetch failed: {type(exc).__name__}: {exc}"[:500])


def feeds_crawl(
    *,
    source_ids: Iterable[int] | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> CrawlOutcome:
    """Fetch every enabled source at once (or the given ones) and store their new articles."""
    sources = FeedSource.objects.filter(is_enabled=True)
    if source_ids is not None:
        sources = sources.filter(pk__in=list(source_ids))
    # The stalest first: a crawl stopped by its job's time limit (thousands of feeds) leaves the
    # rest to the next crawl, which would otherwise fetch the same first ones (by name) again.
    sources = list(sources.order_by(F("last_fetched_at").asc(nulls_first=True), "pk"))
    now = timezone.now()
    limits = FetchLimits(
        timeout=settings.NEWS_FETCH_TIMEOUT_SECONDS,
        max_bytes=settings.NEWS_FETCH_MAX_BYTES,
        max_entries=settings.NEWS_MAX_ENTRIES_PER_FEED,
        allowed_private=allowed_private_hosts(settings.NEWS_ALLOWED_PRIVATE_HOSTS),
    )
    new_articles = failed = 0
    pool = ThreadPoolExecutor(max_workers=max(1, settings.NEWS_FETCH_CONCURRENCY))
    try:
        futures = [
            (source, pool.submit(_fetch, source, limits=limits, now=now)) for source in sources
        ]
        for done, (source, future) in enumerate(futures, start=1):
            fetched = future.result()
            try:
                new_articles += _store(source, fetched)
            except DatabaseError as exc:  # what the feed held could not be stored
                logger.warning("news: storing feed %s failed: %s", source.name, exc)
                fetched = FeedFetch("error", error=f"could not store: {type(exc).__name__}")
                _store(source, fetched)
            failed += fetched.status == "error"
            if progress is not None:
                progress(int(done * 100 / len(futures)), f"{source.name}: {fetched.status}")
    finally:
        # Stopped early (a job's soft time limit): feeds not started yet are not fetched, and
        # each running one ends by its own deadline.
        pool.shutdown(wait=True, cancel_futures=True)
    if new_articles:
        # New articles are analysed at once on the ai branch, not at its next sweep. They are
        # committed already, so the analysis needs no crawl of its own first.
        job_run_now(name="news.analyse_articles", include_dependencies=False)
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


def article_save(*, article: Article, changed_fields: Iterable[str] | None = None) -> Article:
    """Save a new article, or staff's edit of one (``changed_fields``), keeping its search
    document in step with its text."""
    if article.pk is None or changed_fields is None:
        article.search_document = article.search_document_of_text()
        article.save()
        return article
    fields = set(changed_fields) & {field.name for field in Article._meta.concrete_fields}
    if fields & {"title", "summary"}:
        article.search_document = article.search_document_of_text()
        fields.add("search_document")
    if fields:
        article.save(update_fields=sorted(fields))
    return article


def articles_prune(*, older_than_days: int, batch_size: int) -> int:
    """Delete articles published more than ``older_than_days`` ago, ``batch_size`` at a time
    (N2), each batch its own short transaction. Returns how many were deleted."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    article_table = Article._meta.db_table
    link_table = Article.stocks.through._meta.db_table
    deleted = 0
    # Raw batches, links and articles in one statement: the ORM's delete() would load every
    # article to send post_delete signals, one cache invalidation each.
    sql = (
        f"WITH doomed AS (SELECT id FROM {article_table} WHERE published_at < %s "  # noqa: S608
        f"  ORDER BY published_at LIMIT %s FOR UPDATE SKIP LOCKED), "
        f"links AS (DELETE FROM {link_table} WHERE article_id IN (SELECT id FROM doomed)) "
        f"DELETE FROM {article_table} WHERE id IN (SELECT id FROM doomed)"
    )
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [cutoff, batch_size])
            batch = cursor.rowcount
            if batch:
                Article.objects.invalidate_all()
        deleted += batch
        if batch < batch_size:
            return deleted
