"""The pipelines app's own jobs."""

from __future__ import annotations

from django.conf import settings

from pipelines import services
from pipelines.registry import job
from pipelines.runner import RunContext


@job(name="pipelines.prune_runs", branch="cleanup", cron="30 2 * * 0")
def prune_runs(run: RunContext) -> None:
    """Delete run records older than PIPELINES_RUN_RETENTION_DAYS (default 30)."""
    deleted = services.job_runs_prune(older_than_days=settings.PIPELINES_RUN_RETENTION_DAYS)
    run.progress(100, f"deleted {deleted} runs")
