"""The news jobs with a real Celery worker: a crawl that adds articles gets them analysed."""

from __future__ import annotations

import time

import pytest

from news.models import Article, FeedSource
from pipelines import services as pipeline_services
from pipelines.models import JobRun
from pipelines.registry import JOBS
from tests.news.test_crawler import FeedServer, _source
from tests.news.test_hostile_feeds import HostileServer
from tests.pipelines.conftest import worker  # noqa: F401 - a real Celery worker
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_jobs_are_declared_on_their_branches():
    assert (JOBS["news.crawl_feeds"].branch, JOBS["news.crawl_feeds"].schedule.cron) == (
        "data", "*/5 * * * *",
    )  # fmt: skip
    assert JOBS["news.analyse_articles"].branch == "ai"
    assert JOBS["news.analyse_articles"].depends_on == ("news.crawl_feeds",)


def test_a_crawl_with_new_articles_gets_them_linked_and_scored(worker, settings):  # noqa: F811
    settings.NEWS_RETENTION_DAYS = 36500  # the recorded feed dates from March 2025
    samsung = StockFactory(code="005930", name_ko="삼성전자", name_en="Samsung Electronics")
    feeds = FeedServer()
    _source(feeds, "/rss")
    worker()

    crawl = pipeline_services.job_run_now(name="news.crawl_feeds")
    deadline = time.monotonic() + 30
    while Article.objects.filter(analysed_at__isnull=True).exists() or not Article.objects.exists():
        assert time.monotonic() < deadline, "articles were not analysed"
        time.sleep(0.2)

    crawl.refresh_from_db()
    assert crawl.status == "succeeded"
    analysis = JobRun.objects.filter(job="news.analyse_articles").latest("queued_at")
    while analysis.status in ("queued", "running"):  # it records its end just after the work
        assert time.monotonic() < deadline, "the analysis run never finished"
        time.sleep(0.1)
        analysis.refresh_from_db()
    assert analysis.status == "succeeded"
    article = Article.objects.get(url="https://wire.example/news/1")
    assert list(article.stocks.all()) == [samsung]
    assert article.sentiment == "positive"
    feeds.close()


def test_crawl_news_command_records_its_crawl_and_gets_the_articles_analysed(
    worker,  # noqa: F811
    settings,
):
    # What docs/news.md tells a new user to run, on a fresh install: no crawl has run as a job.
    from io import StringIO

    from django.core.management import call_command

    settings.NEWS_RETENTION_DAYS = 36500  # the recorded feed dates from March 2025
    samsung = StockFactory(code="005930", name_ko="삼성전자", name_en="Samsung Electronics")
    feeds = FeedServer()
    _source(feeds, "/rss")
    worker()
    out = StringIO()

    call_command("crawl_news", stdout=out)

    crawl = JobRun.objects.get(job="news.crawl_feeds")  # the history shows the command's crawl
    assert (crawl.trigger, crawl.status) == ("manual", "succeeded")
    assert crawl.worker.startswith("crawl_news@")
    assert f"(run {crawl.pk})" in out.getvalue()
    deadline = time.monotonic() + 30
    analysis = JobRun.objects.filter(job="news.analyse_articles").get()
    while analysis.status in ("queued", "running"):
        assert time.monotonic() < deadline, "the analysis run never finished"
        time.sleep(0.1)
        analysis.refresh_from_db()
    assert (analysis.status, analysis.error) == ("succeeded", "")
    assert not Article.objects.filter(analysed_at__isnull=True).exists()
    article = Article.objects.get(url="https://wire.example/news/1")
    assert list(article.stocks.all()) == [samsung]
    assert article.sentiment == "positive"
    feeds.close()


def test_a_crawl_job_with_a_dripping_feed_ends_and_stores_the_others(worker, settings):  # noqa: F811
    # A feed that drips a byte every 0.2 s held the whole job until its hard time limit.
    settings.NEWS_FETCH_TIMEOUT_SECONDS = 1
    settings.NEWS_RETENTION_DAYS = 36500
    feeds = HostileServer()
    settings.NEWS_ALLOWED_PRIVATE_HOSTS = feeds.url.removeprefix("http://")
    try:
        drip = FeedSource.objects.create(name="drip", url=f"{feeds.url}/drip", language="ko")
        FeedSource.objects.create(name="good", url=f"{feeds.url}/good", language="ko")
        worker()

        crawl = pipeline_services.job_run_now(name="news.crawl_feeds")
        deadline = time.monotonic() + 30
        while crawl.status in ("queued", "running"):
            assert time.monotonic() < deadline, "the crawl never ended"
            time.sleep(0.2)
            crawl.refresh_from_db()
    finally:
        feeds.close()

    assert crawl.status == "succeeded"
    assert "1 new articles, 1 failed" in crawl.progress_message
    assert Article.objects.filter(source__name="good").count() == 1
    drip.refresh_from_db()
    assert "timed out" in drip.last_error
