"""The news app's jobs: the feed crawl (data), the analysis (ai), the weekly clean-up."""

from __future__ import annotations

from django.conf import settings

from news import services
from pipelines.registry import job
from pipelines.runner import RunContext


@job(
    name="news.crawl_feeds",
    branch="data",
    cron="*/5 * * * *",
    priority=3,
    max_retries=2,
    retry_backoff_seconds=30,
    soft_time_limit_seconds=120,
    time_limit_seconds=150,
)
def crawl_feeds(run: RunContext) -> None:
    """Fetch every enabled feed and store new articles (N1)."""
    outcome = services.feeds_crawl(progress=run.progress)
    run.progress(
        100,
        f"{outcome.sources} feeds, {outcome.new_articles} new articles, "
        f"{outcome.failed_sources} failed",
    )


@job(
    name="news.analyse_articles",
    branch="ai",
    cron="7 * * * *",  # an hourly sweep; each crawl that adds articles queues a run at once
    priority=4,
    depends_on=["news.crawl_feeds"],
    max_retries=2,
    soft_time_limit_seconds=240,
    time_limit_seconds=300,
)
def analyse_articles(run: RunContext) -> None:
    """Link new articles to the stocks they mention and score their sentiment (L9)."""
    run.progress(100, f"{services.articles_analyse()} articles analysed")


@job(
    name="news.prune_old_articles",
    branch="cleanup",
    cron="0 2 * * 0",  # Sundays 02:00, in the catalogue's default zone, Asia/Seoul
    max_retries=1,
    soft_time_limit_seconds=1800,
    time_limit_seconds=2000,
)
def prune_old_articles(run: RunContext) -> None:
    """Delete articles older than NEWS_RETENTION_DAYS (90), in batches (N2)."""
    deleted = services.articles_prune(
        older_than_days=settings.NEWS_RETENTION_DAYS,
        batch_size=settings.NEWS_PRUNE_BATCH_SIZE,
    )
    run.progress(100, f"deleted {deleted} articles older than {settings.NEWS_RETENTION_DAYS} days")
