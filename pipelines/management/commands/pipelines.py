"""`manage.py pipelines list | sync | run NAME [--wait] | status` (L8, operators)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from pipelines import selectors, services
from pipelines.models import JobRun
from pipelines.registry import JOBS

FINISHED = {JobRun.Status.SUCCEEDED, JobRun.Status.FAILED, JobRun.Status.SKIPPED}


class Command(BaseCommand):
    help = "The job catalogue: list it, sync it into beat, run a job now, show recent runs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every job, its branch, schedule and last outcome")
        sub.add_parser("sync", help="write the catalogue into the beat schedule")
        run = sub.add_parser("run", help="queue a run of one job now")
        run.add_argument("name")
        run.add_argument("--wait", action="store_true", help="wait for it and show the outcome")
        run.add_argument("--timeout", type=float, default=600, help="seconds to wait at most")
        status = sub.add_parser("status", help="recent runs")
        status.add_argument("--limit", type=int, default=20)

    def handle(self, *args: object, action: str, **options: object) -> None:
        getattr(self, f"_{action}")(**options)

    def _list(self, **options: object) -> None:
        rows = selectors.job_overviews()
        header = f"{'job':<32} {'branch':<8} {'schedule':<36} {'on':<3} {'last':<10} {'7d ok':>6}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for row in rows:
            rate = "-" if row.success_rate_7d is None else f"{row.success_rate_7d:.0%}"
            marks = " *" if row.differs_from_code else ""
            marks += " (removed from code)" if not row.is_in_code else ""
            self.stdout.write(
                f"{row.name:<32} {row.branch:<8} {row.schedule:<36} "
                f"{'yes' if row.enabled else 'no':<3} {row.last_status or '-':<10} {rate:>6}{marks}"
            )
        if any(row.differs_from_code for row in rows):
            self.stdout.write("* edited in the admin: differs from the code's values")

    def _sync(self, **options: object) -> None:
        report = services.catalogue_sync()
        self.stdout.write(
            self.style.SUCCESS(
                f"Synced {len(JOBS)} jobs: {len(report.created)} created, "
                f"{len(report.updated)} updated, {len(report.kept_staff_edits)} kept staff edits, "
                f"{len(report.disabled_removed)} removed from code and disabled."
            )
        )
        for name in report.kept_staff_edits:
            self.stdout.write(f"  kept staff edit: {name}")
        for name in report.disabled_removed:
            self.stdout.write(f"  disabled (no longer in code): {name}")

    def _run(self, *, name: str, wait: bool, timeout: float, **options: object) -> None:
        if name not in JOBS:
            raise CommandError(f"No job named {name!r}. Try `pipelines list`.")
        run = services.job_run_now(name=name)
        self.stdout.write(f"Queued {name} as run #{run.pk} on the {JOBS[name].branch} queue.")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        shown = -1
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.progress != shown:
                shown = run.progress
                self.stdout.write(f"  {run.status:<9} {run.progress:>3}% {run.progress_message}")
            if run.status in FINISHED:
                break
            time.sleep(0.5)
        else:
            raise CommandError(f"Run #{run.pk} did not finish within {timeout:.0f}s.")
        if run.status != JobRun.Status.SUCCEEDED:
            raise CommandError(f"Run #{run.pk} {run.status}: {run.error}")
        self.stdout.write(self.style.SUCCESS(f"Run #{run.pk} succeeded in {run.duration_ms} ms."))

    def _status(self, *, limit: int, **options: object) -> None:
        runs = JobRun.objects.all()[:limit]
        header = f"{'run':>6} {'job':<32} {'trigger':<10} {'status':<10} {'queued':<19} {'ms':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for run in runs:
            queued = timezone.localtime(run.queued_at).strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(
                f"{run.pk:>6} {run.job:<32} {run.trigger:<10} {run.status:<10} {queued:<19} "
                f"{run.duration_ms if run.duration_ms is not None else '-':>8}"
            )
