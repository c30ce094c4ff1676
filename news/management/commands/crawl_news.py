"""`manage.py crawl_news [--source NAME]`: crawl the feeds now, with progress.

The crawl is recorded as a manual run of the job `news.crawl_feeds` (under its lock, in the
pipelines history), and new articles are queued for analysis as the job's crawl queues them."""

from __future__ import annotations

import socket

from django.core.management.base import BaseCommand, CommandError, CommandParser

from news import services
from news.models import FeedSource
from pipelines.models import JobRun
from pipelines.runner import RunContext, job_run_here


class Command(BaseCommand):
    help = "Fetch every enabled news feed (or the named ones) now and store new articles."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source", action="append", default=[], help="A source's name or id (repeatable)."
        )

    def handle(self, *args: object, source: list[str], **options: object) -> None:
        source_ids = None
        if source:
            source_ids = []
            for wanted in source:
                match = FeedSource.objects.filter(name=wanted).first() or (
                    FeedSource.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
                )
                if match is None:
                    raise CommandError(f"no feed source named or numbered {wanted!r}")
                source_ids.append(match.pk)
        outcomes: list[services.CrawlOutcome] = []

        def crawl(run: RunContext) -> None:
            def progress(percent: int, message: str) -> None:
                self.stdout.write(f"[{percent:3}%] {message}")
                run.progress(percent, message)

            outcome = services.feeds_crawl(source_ids=source_ids, progress=progress)
            outcomes.append(outcome)
            run.progress(
                100,
                f"{outcome.sources} feeds, {outcome.new_articles} new articles, "
                f"{outcome.failed_sources} failed",
            )

        run = job_run_here(
            "news.crawl_feeds", worker=f"crawl_news@{socket.gethostname()}", work=crawl
        )
        if run.status != JobRun.Status.SUCCEEDED:
            raise CommandError(f"crawl {run.status} (run {run.pk}): {run.error}")
        outcome = outcomes[0]
        self.stdout.write(
            self.style.SUCCESS(
                f"{outcome.sources} feeds fetched, {outcome.new_articles} new articles, "
                f"{outcome.failed_sources} failed (run {run.pk})"
            )
        )
