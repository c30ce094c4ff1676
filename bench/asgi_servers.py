"""uvicorn vs daphne serving the same Django ASGI application, measured in one run; and the
site's bounded HTTP protocol (core.server) vs uvicorn's plain httptools protocol it subclasses.

Each server runs one process on a free loopback port with the same settings, database and Redis.
Three endpoints: /healthz (no I/O), / (a page: session, template, i18n) and /api/v1/auth/me/ (DRF,
bearer auth: one PostgreSQL query, one Redis rate-limit round trip). Servers alternate per round
so that machine noise hits both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.loadgen import LoadResult, hammer
from bench.servers import free_port, uvicorn_command

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _plain_httptools(port: int) -> list[str]:
    """uvicorn as `make run` starts it, but with its own httptools protocol (no head bounds)."""
    command = uvicorn_command(port)
    at = command.index("--http")
    return command[:at] + command[at + 2 :]


SERVERS = {
    "uvicorn": uvicorn_command,
    "plain": _plain_httptools,
    "daphne": lambda port: [
        str(BIN / "daphne"),
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "-v",
        "0",
        "config.asgi:application",
    ],
}
ROUNDS = 3
REQUESTS_PER_ROUND = 2000
CONCURRENCY = 32


def _start(name: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        SERVERS[name](port),
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{name} did not start")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _access_token(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup();"
        "from accounts.models import User; from accounts.tokens import access_token_encode;"
        "u, _ = User.objects.get_or_create(username='bench-user');"
        "print(access_token_encode(user_id=u.pk, token_generation=u.token_generation))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def run(env: dict[str, str]) -> str:
    """Measure and return a markdown section for bench/README.md."""
    token = _access_token(env)
    endpoints = {
        "/healthz": {},
        "/": {},
        "/api/v1/auth/me/": {"Authorization": f"Bearer {token}"},
    }
    results: dict[tuple[str, str], list[LoadResult]] = {}
    for _round in range(ROUNDS):
        for name in SERVERS:
            process, port = _start(name, env)
            try:
                for path, headers in endpoints.items():
                    url = f"http://127.0.0.1:{port}{path}"
                    hammer(url, total=200, concurrency=CONCURRENCY, headers=headers)  # warm-up
                    result = hammer(
                        url, total=REQUESTS_PER_ROUND, concurrency=CONCURRENCY, headers=headers
                    )
                    results.setdefault((name, path), []).append(result)
                    print(
                        f"  {name:8} {path:20} {result.requests_per_second:8.0f} req/s "
                        f"p95 {result.percentile_ms(95):6.1f} ms errors {result.errors}",
                        flush=True,
                    )
            finally:
                _stop(process)

    def best(name: str, path: str) -> LoadResult:
        return max(results[(name, path)], key=lambda r: r.requests_per_second)

    def spread(name: str, path: str) -> float:
        rates = [r.requests_per_second for r in results[(name, path)]]
        return (max(rates) - min(rates)) / max(rates)

    def comparison(ours: str, other: str, ours_label: str, other_label: str) -> list[str]:
        """The side-by-side table of two servers' best rounds, then a verdict per endpoint."""
        table = [
            f"| endpoint | {ours_label} req/s | {other_label} req/s | {ours_label} ÷ {other_label} "
            f"| {ours_label} p95 ms | {other_label} p95 ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        verdicts = []
        for path in endpoints:
            a, b = best(ours, path), best(other, path)
            ratio = a.requests_per_second / b.requests_per_second
            table.append(
                f"| `{path}` | {a.requests_per_second:.0f} | {b.requests_per_second:.0f} | "
                f"{ratio:.2f}× | {a.percentile_ms(95):.1f} | {b.percentile_ms(95):.1f} | "
                f"{a.errors}/{b.errors} |"
            )
            noise = max(spread(ours, path), spread(other, path))
            if abs(ratio - 1) <= noise:
                verdicts.append(f"`{path}`: a tie within round-to-round noise (±{noise:.0%})")
            else:
                faster = ours_label if ratio > 1 else other_label
                verdicts.append(f"`{path}`: {faster} faster, beyond the ±{noise:.0%} noise")
        return [*table, "", "Verdict per endpoint: " + "; ".join(verdicts) + "."]

    lines = [
        "## ASGI server: uvicorn vs daphne",
        "",
        f"Same app, settings, PostgreSQL and Redis; one server process each; {CONCURRENCY} "
        f"concurrent keep-alive clients; {REQUESTS_PER_ROUND} requests per endpoint per round, "
        f"best of {ROUNDS} alternating rounds (noise: the spread between rounds).",
        "",
        *comparison("uvicorn", "daphne", "uvicorn", "daphne"),
        "",
        "The server's own overhead shows on `/healthz`; where Django and the database do the work "
        "the servers matter less. `make run` uses uvicorn (uvloop and httptools from "
        "`uvicorn[standard]`): never slower here, faster where the server is what is measured. "
        "daphne stays a dev dependency only for this comparison.",
        "",
        "### The bounded request head: core.server vs plain httptools",
        "",
        "The same uvicorn, once with the site's protocol (431 over `REQUEST_MAX_HEADER_BYTES`, 408 "
        "after `REQUEST_HEADER_TIMEOUT_SECONDS`) and once with the httptools protocol it "
        "subclasses, which bounds neither.",
        "",
        *comparison("uvicorn", "plain", "bounded", "plain"),
    ]
    return "\n".join(lines)
