"""`make bench`: run every benchmark against the real services and rewrite bench/README.md.

`bench/run.py NAME...` (e.g. `news_search`) runs only those and prints their sections; the README
keeps the last full run's figures.

Benchmarks print side-by-side ratios measured in one run; nothing here is a pass/fail threshold.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    asgi_servers,
    cache,
    chat_fanout,
    chat_search,
    market_fanout,
    media_variants,
    news_analysis,
    news_search,
    pipelines,
    portfolio_summary,
    stock_api,
)

# The product area each benchmark belongs to, for the report's index.
AREAS = {
    "cache": "caching (C)",
    "pipelines": "pipelines (L)",
    "asgi_servers": "foundation (F)",
    "stock_api": "stocks (S)",
    "market_fanout": "stocks (S)",
    "news_analysis": "news (N, L9)",
    "news_search": "news (N)",
    "portfolio_summary": "portfolio (P)",
    "chat_search": "chat (H)",
    "chat_fanout": "chat (H)",
    "media_variants": "media (M)",
}

BENCHMARKS = [
    cache,
    pipelines,
    asgi_servers,
    stock_api,
    market_fanout,
    news_analysis,
    news_search,
    portfolio_summary,
    chat_search,
    chat_fanout,
    media_variants,
]

HEADER = """# Benchmarks

Run with `make bench` (it starts its own PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are
set). Each benchmark measures the things it compares in the same run, on the same machine, and
reports ratios; the figures below are the last run's and are rewritten by every `make bench`.
Load is generated from a separate process on 127.0.0.1 with a bounded number of requests.
The whole site under a mixed load, against the product plan's targets (O3), is `make load`:
[LOAD.md](LOAD.md).
"""


def _summary(module: ModuleType) -> str:
    """A benchmark's docstring's first paragraph, on one line: what it compares."""
    paragraph = (module.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(paragraph.split()).rstrip(".")


def main(names: list[str]) -> int:
    by_name = {module.__name__.removeprefix("bench."): module for module in BENCHMARKS}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; one of: {', '.join(by_name)}")
        return 2
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PYTHONPATH": str(ROOT),
        # Benchmarks measure serving, not the limiter refusing the load generator.
        "RATE_LIMIT_USER_PER_MINUTE": "100000000",
        "RATE_LIMIT_ANON_PER_MINUTE": "100000000",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    sections = []
    index_rows = []
    run_started = time.monotonic()
    for module in [by_name[name] for name in names] or BENCHMARKS:
        name = module.__name__.removeprefix("bench.")
        print(f"running {module.__name__} ...", flush=True)
        started = time.monotonic()
        sections.append(module.run(env))
        elapsed = time.monotonic() - started
        index_rows.append(
            f"| {AREAS.get(name, '')} | `{name}` | {_summary(module)} | {elapsed:.0f} s |"
        )
    if names:  # a partial run: printed only, so the README never mixes runs
        print("\n\n".join(sections))
        return 0
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    total_minutes = (time.monotonic() - run_started) / 60
    index = "\n".join(
        [
            "| area | benchmark | what it compares | took |",
            "|---|---|---|---:|",
            *index_rows,
        ]
    )
    text = (
        "\n\n".join(
            [
                HEADER.strip(),
                f"Last run: {stamp} on {machine} ({os.cpu_count()} cores); "
                f"the whole run took {total_minutes:.0f} min.",
                index,
                *sections,
            ]
        )
        + "\n"
    )
    (ROOT / "bench" / "README.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
