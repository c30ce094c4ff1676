"""Run a benchmark module in its own process (its own Django settings) and read its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(module: str, *args: str, env: dict[str, str]) -> dict:
    """`python -m module args…`; its last stdout line is one JSON object."""
    out = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
