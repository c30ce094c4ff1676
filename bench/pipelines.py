"""Pipelines benchmark: catalogue sync time; per-run overhead against a bare Celery task."""

from __future__ import annotations

from bench.subprocess_json import measure


def run(env: dict[str, str]) -> str:
    result = measure("bench.pipelines_bench", env=env)
    sync, bare, job = result["sync"], result["overhead"]["bare"], result["overhead"]["job"]
    return "\n".join(
        [
            "## Pipelines",
            "",
            f"Catalogue sync into django-celery-beat, {sync['jobs']} jobs: "
            f"**{sync['first_sync_s']:.2f} s** the first time (creates them), "
            f"**{sync['unchanged_sync_s']:.2f} s** when nothing changed.",
            "",
            "One run end to end (queued → done), one worker (solo pool) on the same Redis broker, "
            "runs one after another, alternating:",
            "",
            "| | p50 | p95 |",
            "|---|---:|---:|",
            f"| bare Celery task (queued → body done) | {bare['p50_ms']:.1f} ms | "
            f"{bare['p95_ms']:.1f} ms |",
            f"| empty pipeline job (queued run record → recorded succeeded; lock, 4 run writes, "
            f"events) | {job['p50_ms']:.1f} ms | {job['p95_ms']:.1f} ms |",
            f"| overhead of the job machinery | {job['p50_ms'] - bare['p50_ms']:+.1f} ms "
            f"({job['p50_ms'] / bare['p50_ms']:.1f}×) | {job['p95_ms'] - bare['p95_ms']:+.1f} ms |",
        ]
    )
