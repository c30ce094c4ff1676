"""News writes: the weekly clean-up (N2), the retention cut in the crawl, staff edits, and the
demo feeds' dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
from django.utils import timezone

from news import selectors, services
from news.demo import DEMO_FEEDS, demo_feed_document
from news.models import Article
from pipelines.registry import JOBS
from tests.news.factories import ArticleFactory, FeedSourceFactory
from tests.news.test_crawler import FeedServer
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db


def test_prune_job_runs_weekly_on_the_cleanup_branch_sunday_2am_seoul():
    declared = JOBS["news.prune_old_articles"]
    assert declared.branch == "cleanup"
    assert (declared.schedule.cron, declared.schedule.timezone) == ("0 2 * * 0", "Asia/Seoul")


def test_prune_deletes_old_articles_and_their_links_in_batches(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    stock = StockFactory()
    now = timezone.now()
    old = [ArticleFactory(published_at=now - timedelta(days=91 + n), stocks=[stock])
           for n in range(5)]  # fmt: skip
    recent = ArticleFactory(published_at=now - timedelta(days=89), stocks=[stock])

    # 5 old articles, 2 a batch: 3 batches (the last short), each its own delete statement.
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_num_queries(3 * 3),  # per batch: savepoint, delete, release
    ):
        deleted = services.articles_prune(older_than_days=90, batch_size=2)

    assert deleted == 5
    assert list(Article.objects.all()) == [recent]
    assert not Article.stocks.through.objects.filter(article_id__in=[a.pk for a in old]).exists()
    assert list(stock.articles.all()) == [recent]


@pytest.mark.django_db(transaction=True)  # entries are stored only outside a pending write
def test_prune_drops_cached_lists_and_details(django_assert_num_queries):
    old = ArticleFactory(published_at=timezone.now() - timedelta(days=120))
    assert selectors.news_page(page_size=20)["count"] == 1
    assert selectors.news_detail(old.pk) is not None
    with django_assert_num_queries(0):  # both cached now
        selectors.news_page(page_size=20)
        selectors.news_detail(old.pk)

    services.articles_prune(older_than_days=90, batch_size=100)

    assert selectors.news_page(page_size=20)["count"] == 0
    assert selectors.news_detail(old.pk) is None


def test_crawl_does_not_store_articles_older_than_the_retention_age(settings):
    settings.NEWS_RETENTION_DAYS = 90  # the feed's items date from March 2025
    feeds = FeedServer()
    try:
        FeedSourceFactory(url=f"{feeds.url}/rss")
        outcome = services.feeds_crawl()
    finally:
        feeds.close()
    assert (outcome.new_articles, outcome.failed_sources) == (0, 0)
    assert not Article.objects.exists()


def test_a_staff_edit_of_the_title_is_searchable_at_once(django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Chip exports rise", summary="")
    assert [a.pk for a in selectors.article_search(q="chip")] == [article.pk]

    article.title = "배터리 수출 증가"
    with django_capture_on_commit_callbacks(execute=True):
        services.article_save(article=article, changed_fields=["title"])

    assert not selectors.article_search(q="chip").exists()
    assert [a.pk for a in selectors.article_search(q="배터리")] == [article.pk]
    assert selectors.news_detail(article.pk)["title"] == "배터리 수출 증가"


@pytest.mark.parametrize("file_name", [name for _, name, _ in DEMO_FEEDS])
def test_demo_feeds_are_served_with_recent_dates_that_are_never_in_the_future(file_name):
    now = datetime(2027, 6, 1, 3, 0, tzinfo=UTC)
    parsed = feedparser.parse(demo_feed_document(file_name, now=now))

    assert not parsed.bozo, parsed.get("bozo_exception")
    published = [
        datetime(*(entry.get("published_parsed") or entry.updated_parsed)[:6], tzinfo=UTC)
        for entry in parsed.entries
    ]
    assert len(published) >= 3
    assert now - timedelta(days=1) < max(published) <= now
    assert min(published) > now - timedelta(days=5)  # the spacing of the originals is kept


def test_demo_feed_shift_keeps_the_euc_kr_encoding_and_offsets():
    body = demo_feed_document("gyeongje-euckr.xml", now=datetime(2027, 6, 1, tzinfo=UTC))
    assert body.startswith(b'<?xml version="1.0" encoding="EUC-KR"?>')
    text = body.decode("euc-kr")
    dates = [line.split("<pubDate>")[1].split("<")[0] for line in text.splitlines()
             if "<pubDate>" in line]  # fmt: skip
    assert dates and all(parsedate_to_datetime(d).utcoffset() == timedelta(hours=9) for d in dates)


def test_unknown_demo_feed_names_are_refused():
    with pytest.raises(FileNotFoundError):
        demo_feed_document("../settings.py")


def test_demo_feed_view_answers_304_to_its_etag(client):
    first = client.get("/news/demo-feeds/market-wire.xml")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/rss+xml"
    again = client.get("/news/demo-feeds/market-wire.xml", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert client.get("/news/demo-feeds/nope.xml").status_code == 404
