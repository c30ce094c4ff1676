"""Stock API with the cache toolkit on vs off: the same server, data and requests, one run.

Two uvicorn processes serve the same Django app, PostgreSQL and Redis at the same time; one runs
with CACHE_ENABLED=0 (every cached read computes from PostgreSQL). Both are measured on the stock
detail and the one-year price endpoints, cycling over 20 seeded stock codes, in rounds that
alternate between the two servers so that machine noise hits both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.loadgen import LoadResult, hammer
from bench.servers import UvicornServer

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

MODES = ("uncached", "cached")
# path template, requests per round (the price endpoint serialises a year of daily bars per
# request, so it gets fewer requests to keep the whole benchmark within about two minutes).
ENDPOINTS = {
    "/api/v1/stocks/{code}/": 1000,
    "/api/v1/stocks/{code}/prices/?period=1y": 250,
}
ROUNDS = 3
CONCURRENCY = 32
WARMUP_PER_CODE = 3
CODE_COUNT = 20
STARTUP_SECONDS = 30
NAMESPACE = "stocks"


# --- servers ------------------------------------------------------------------------------------


# --- data and checks ----------------------------------------------------------------------------


def _manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def _stock_codes(env: dict[str, str]) -> list[str]:
    """The first CODE_COUNT seeded stocks (by code) that have daily bars."""
    script = (
        "import json, django; django.setup();"
        "from stocks.models import BarInterval, Stock;"
        "codes = Stock.objects.filter(bars__interval=BarInterval.DAY).distinct()"
        f".order_by('code').values_list('code', flat=True)[:{CODE_COUNT}];"
        "print(json.dumps(list(codes)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"could not read stock codes:\n{out.stderr}")
    codes = json.loads(out.stdout.strip().splitlines()[-1])
    if len(codes) < CODE_COUNT:
        raise RuntimeError(f"only {len(codes)} stocks with daily bars; seed_demo did not load them")
    return codes


def _check(server: UvicornServer, path: str, code: str) -> dict:
    """One request must be a 200 JSON answer about ``code`` (prices: with bars); else raise."""
    url = server.base + path.format(code=code)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status = response.status
            content_type = response.headers.get("Content-Type", "")
            body = response.read()
    except urllib.error.HTTPError as exc:
        status, content_type, body = exc.code, exc.headers.get("Content-Type", ""), exc.read()
    problem = None
    if status != 200 or "json" not in content_type:
        problem = f"status {status}, Content-Type {content_type!r}"
    else:
        data = json.loads(body)
        if data.get("code") != code:
            problem = f'no "code": {code!r} in the answer'
        elif "prices" in path and not data.get("bars"):
            problem = "no bars in the answer"
    if problem:
        raise RuntimeError(
            f"{server.mode} server, GET {url}: {problem}\n{body[:500]!r}\n" + server.log_tail()
        )
    return data


def _namespace_counts(env: dict[str, str]) -> dict[str, int] | None:
    """This namespace's line of `manage.py cache stats`, or None if it is not there."""
    try:
        text = _manage(env, "cache", "stats")
    except (RuntimeError, subprocess.TimeoutExpired):
        return None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 7 and fields[0] == NAMESPACE:
            try:
                hits, stale, misses, refreshes, invalidated = map(int, fields[1:6])
            except ValueError:
                return None
            return {
                "hits": hits,
                "stale": stale,
                "misses": misses,
                "refreshes": refreshes,
                "invalidated": invalidated,
            }
    return {"hits": 0, "stale": 0, "misses": 0, "refreshes": 0, "invalidated": 0}


# --- load ---------------------------------------------------------------------------------------


def _hammer(urls: list[str], total: int) -> LoadResult:
    return hammer(urls, total=total, concurrency=CONCURRENCY)


def _pooled(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        seconds=sum(r.seconds for r in results),
        latencies_ms=[ms for r in results for ms in r.latencies_ms],
    )


def _spread(results: list[LoadResult]) -> float:
    rates = [r.requests_per_second for r in results]
    return (max(rates) - min(rates)) / max(rates)


# --- the benchmark ------------------------------------------------------------------------------


def run(env: dict[str, str]) -> str:
    """Measure and return a markdown section for bench/README.md."""
    began = time.monotonic()
    _manage(env, "seed_demo", "--if-empty")
    codes = _stock_codes(env)
    before = _namespace_counts(env)
    envs = {"cached": {**env, "CACHE_ENABLED": "1"}, "uncached": {**env, "CACHE_ENABLED": "0"}}
    servers: dict[str, UvicornServer] = {}
    results: dict[tuple[str, str], list[LoadResult]] = {}
    try:
        for mode in MODES:
            servers[mode] = UvicornServer(mode, envs[mode])
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in servers.values():
            server.wait_ready(deadline)
        bars = []
        for server in servers.values():
            for path in ENDPOINTS:
                for code in codes:
                    bars.append(len(_check(server, path, code).get("bars", [])))
        for path in ENDPOINTS:  # warm-up: connections, PostgreSQL buffers, the cache's entries
            for mode, server in servers.items():
                urls = [server.base + path.format(code=code) for code in codes]
                warm = _hammer(urls, WARMUP_PER_CODE * len(codes))
                if warm.errors:
                    raise RuntimeError(f"{mode} {path}: {warm.errors} errors in the warm-up")
        for round_number in range(ROUNDS):
            # Alternate which server goes first, so neither always runs right after the other.
            order = MODES if round_number % 2 == 0 else MODES[::-1]
            for path, total in ENDPOINTS.items():
                for mode in order:
                    server = servers[mode]
                    urls = [server.base + path.format(code=code) for code in codes]
                    result = _hammer(urls, total)
                    results.setdefault((mode, path), []).append(result)
                    print(
                        f"  {mode:8} {path:42} {result.requests_per_second:7.0f} req/s "
                        f"p50 {result.median_ms:6.1f} ms p95 {result.percentile_ms(95):6.1f} ms "
                        f"errors {result.errors}",
                        flush=True,
                    )
        # Each server process adds its counters to Redis at most once a second, on a cache read:
        # one more read after a pause flushes what the last round counted.
        time.sleep(1.2)
        _check(servers["cached"], next(iter(ENDPOINTS)), codes[0])
    finally:
        for server in servers.values():
            server.stop()
    after = _namespace_counts(env)
    return _report(results, codes, max(bars), before, after, time.monotonic() - began)


def _ratio(value: float, better: str, worse: str) -> str:
    return f"{value:.2f}× ({better if value >= 1 else worse})"


def _report(
    results: dict[tuple[str, str], list[LoadResult]],
    codes: list[str],
    bars: int,
    before: dict[str, int] | None,
    after: dict[str, int] | None,
    seconds: float,
) -> str:
    lines = [
        "## Stock detail API: cached vs uncached",
        "",
        "The same app, PostgreSQL and Redis served by two uvicorn processes running side by side, "
        "one with the cache toolkit on and one with `CACHE_ENABLED=0` (every cached read computes "
        f"from PostgreSQL). Anonymous GETs cycling over {len(codes)} seeded stocks "
        f"({codes[0]}…{codes[-1]}; simulated prices), {CONCURRENCY} concurrent keep-alive "
        f"clients, {ROUNDS} rounds alternating between the servers after a warm-up; latencies "
        "pooled over the rounds, requests/s over their total time. Ratios: uncached ÷ cached for "
        "latency, cached ÷ uncached for throughput.",
        "",
        "| endpoint | measure | uncached | cached | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    notes, verdicts = [], []
    for path, total in ENDPOINTS.items():
        u = _pooled(results[("uncached", path)])
        c = _pooled(results[("cached", path)])
        label = f"`{path}`"
        rows = [
            ("latency p50", u.median_ms, c.median_ms, "ms"),
            ("latency p95", u.percentile_ms(95), c.percentile_ms(95), "ms"),
        ]
        for measure, uv, cv, unit in rows:
            lines.append(
                f"| {label} | {measure} | {uv:.1f} {unit} | {cv:.1f} {unit} | "
                f"{_ratio(uv / cv, 'faster', 'slower')} |"
            )
            label = ""
        ur, cr = u.requests_per_second, c.requests_per_second
        lines.append(
            f"| {label} | requests/s | {ur:.0f} | {cr:.0f} | {_ratio(cr / ur, 'more', 'fewer')} |"
        )
        noise = max(_spread(results[(mode, path)]) for mode in MODES)
        if abs(cr / ur - 1) <= noise:
            verdicts.append(f"`{path}` a tie within round-to-round noise (±{noise:.0%})")
        else:
            faster = "cached" if cr > ur else "uncached"
            verdicts.append(f"`{path}` {faster} faster, beyond the ±{noise:.0%} noise")
        notes.append(
            f"`{path}`: {total} requests per round, errors {u.errors}/{c.errors} "
            f"(uncached/cached), req/s spread between rounds ±{noise:.0%}"
        )
    lines += [
        "",
        "; ".join(notes) + ".",
        "",
        "Verdict on throughput: " + "; ".join(verdicts) + ".",
        "",
        f"With {CONCURRENCY} requests in flight on one server process, latency is mostly queueing "
        f"(p50 ≈ {CONCURRENCY} ÷ req/s), so the latency and throughput ratios move together. "
        "What the cache changes per request: the detail endpoint's one PostgreSQL query, and the "
        "price endpoint's three, become one Redis read per cached function (one and two). Either "
        "way every request makes the rate limiter's Redis round trip (the detail endpoint also "
        "the view counter's), and the price endpoint serialises "
        f"up to {bars} daily bars with DRF whether or not they came from the cache.",
    ]
    if before is not None and after is not None:
        delta = {kind: after[kind] - before[kind] for kind in after}
        reads = delta["hits"] + delta["stale"] + delta["misses"]
        if reads > 0:
            rate = (delta["hits"] + delta["stale"]) / reads
            lines += [
                "",
                f"Cache toolkit counters of the `{NAMESPACE}` namespace over the run "
                "(`manage.py cache stats`, difference before/after; checks and warm-up included; "
                "the uncached server counts nothing): "
                f"{delta['hits']} hits, {delta['stale']} stale hits, {delta['misses']} misses, "
                f"{delta['refreshes']} refreshes ahead of expiry, {delta['invalidated']} "
                f"invalidated, **hit rate {rate:.1%}**.",
            ]
    lines += ["", f"Whole benchmark, seeding and server start-up included: {seconds:.0f} s."]
    return "\n".join(lines)
