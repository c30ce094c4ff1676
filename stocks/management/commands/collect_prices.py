"""`manage.py collect_prices`: collect quotes and index values now, with a progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stocks import services
from stocks.providers import ProviderError

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Collect every stock's quote and the market indices from the configured provider now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=25, help="Stocks per provider call (default 25)."
        )
        parser.add_argument(
            "--no-publish",
            action="store_true",
            help="Do not push the new snapshot to /ws/market/ subscribers.",
        )

    def _progress(self, percent: int, message: str) -> None:
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        # One line per step when piped (logs), a redrawn bar on a terminal.
        end = "\r" if self.stdout.isatty() else "\n"
        self.stdout.write(f"[{bar}] {percent:3}% {message}", ending=end)

    def handle(self, *args: object, batch_size: int, no_publish: bool, **options: object) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            outcome = services.prices_collect(progress=self._progress, batch_size=batch_size)
            indices = services.market_indices_collect()
        except ProviderError as exc:
            raise CommandError(f"the market data provider failed: {exc}") from exc
        if self.stdout.isatty():
            self.stdout.write("")
        self.stdout.write(f"{outcome.stocks_priced}/{outcome.stocks_total} stocks priced")
        if outcome.skipped_reason:
            self.stdout.write(self.style.WARNING(f"stopped early: {outcome.skipped_reason}"))
        self.stdout.write(f"{indices} index values recorded")
        if not no_publish:
            published = services.market_snapshot_publish(wait=True)
            self.stdout.write("snapshot published" if published else "no market subscribers")
        self.stdout.write(self.style.SUCCESS("done"))
