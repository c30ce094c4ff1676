"""`manage.py crawl_news [--source NAME]`: crawl the feeds now, with progress."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from news import services
from news.models import FeedSource


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

        def progress(percent: int, message: str) -> None:
            self.stdout.write(f"[{percent:3}%] {message}")

        outcome = services.feeds_crawl(source_ids=source_ids, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"{outcome.sources} feeds fetched, {outcome.new_articles} new articles, "
                f"{outcome.failed_sources} failed"
            )
        )
