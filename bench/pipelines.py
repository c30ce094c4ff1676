"""Pipelines benchmark: catalogue sync time; per-run overhead against a bare Celery task."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bench.pipelines_bench"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
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
