"""`manage.py cache stats` and `manage.py cache clear [--namespace N]` (C10, C11)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cachekit import metrics
from cachekit.core import all_namespaces, clear_namespaces
from cachekit.store import RedisUnavailable


class Command(BaseCommand):
    help = "Cache hit rates per namespace, or clear a namespace (no KEYS, no SCAN)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        stats = sub.add_parser("stats", help="hits, misses, refreshes, invalidations, hit rate")
        stats.add_argument("--reset", action="store_true", help="zero the counters afterwards")
        clear = sub.add_parser("clear", help="drop every entry of one namespace, or of all")
        clear.add_argument("--namespace", help="only this namespace (default: all)")

    def handle(self, *args: object, action: str, **options: object) -> None:
        try:
            if action == "stats":
                self._stats(reset=bool(options.get("reset")))
            else:
                self._clear(namespace=options.get("namespace"))
        except RedisUnavailable as exc:
            raise CommandError("Redis is unreachable; see REDIS_CACHE_URL.") from exc

    def _stats(self, *, reset: bool) -> None:
        table = metrics.stats()
        if not table:
            self.stdout.write("No cache activity recorded yet.")
            return
        header = (
            f"{'namespace':<16} {'hits':>10} {'stale':>8} {'misses':>10} {'refreshes':>10} "
            f"{'invalidated':>11} {'hit rate':>9}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for namespace, counts in table.items():
            rate = metrics.hit_rate(counts)
            self.stdout.write(
                f"{namespace:<16} {counts['hits']:>10} {counts['stale_hits']:>8} "
                f"{counts['misses']:>10} {counts['refreshes']:>10} {counts['invalidations']:>11} "
                f"{'-' if rate is None else f'{rate:.1%}':>9}"
            )
        if reset:
            metrics.reset()
            self.stdout.write("Counters reset.")

    def _clear(self, *, namespace: str | None) -> None:
        names = [namespace] if namespace else sorted(all_namespaces())
        if namespace and namespace not in all_namespaces():
            raise CommandError(
                f"Unknown namespace {namespace!r}; known: {sorted(all_namespaces())}"
            )
        count = clear_namespaces(names)
        self.stdout.write(self.style.SUCCESS(f"Cleared {count} namespace(s): {', '.join(names)}"))
