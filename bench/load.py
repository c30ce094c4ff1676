"""`make load`: a bounded, realistic load on the `make run` stack from 127.0.0.1, judged against
the product plan's targets (O3: p95 < 100 ms, error rate < 0.1 %, cache hit rate > 70 %, 5,000
concurrent users).

    make load                                  # starts its own stack (.var/load, a free port)
    make load ARGS="--users 300 --market-sockets 4000 --hold 90"
    make load ARGS="--url http://127.0.0.1:8000 --var-dir .var"   # a `make run` already up

By default it starts `scripts/devstack.py run` with its own INSIGHTSTOCK_VAR_DIR (.var/load) and
a free port, so it never touches the data of, or the port of, a `make run` of yours; the stack's
rate limits are raised through its environment (RATE_LIMIT_*), because every virtual user comes
from one IP. It ramps up, holds, stops by itself, prints the table and writes bench/LOAD.md
(unless --no-write), and stops the stack with SIGINT, as Ctrl-C would, even when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import resource
import signal
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load_stack  # noqa: E402
from bench.load_users import (  # noqa: E402
    REQUEST_TIMEOUT_SECONDS,
    Catalogue,
    Load,
    Recorder,
    prepare_accounts,
    read_catalogue,
)
from bench.stats import percentile  # noqa: E402

LOAD_MD = ROOT / "bench" / "LOAD.md"
PASSWORD = "load-test-password-7f3a"  # noqa: S105 - the load accounts only; reset each run
TARGET_P95_MS = 100
TARGET_ERROR_RATE = 0.001
TARGET_HIT_RATE = 0.70
TARGET_CONCURRENT = 5000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running stack (http://127.0.0.1:PORT); default: start one")
    parser.add_argument(
        "--var-dir",
        type=Path,
        help="the stack's INSIGHTSTOCK_VAR_DIR (for its services.env): default .var/load when "
        "starting one, .var with --url",
    )
    parser.add_argument("--users", type=int, default=200, help="HTTP virtual users (default 200)")
    parser.add_argument(
        "--browser-share", type=float, default=0.5, help="share of users that browse pages"
    )
    parser.add_argument("--market-sockets", type=int, default=3000, help="/ws/market/ subscribers")
    parser.add_argument("--chat-sockets", type=int, default=50, help="/ws/chat/ subscribers")
    parser.add_argument(
        "--accounts", type=int, default=20, help="load accounts the users sign in as (default 20)"
    )
    parser.add_argument("--ramp", type=float, default=20, help="seconds to start everyone")
    parser.add_argument("--hold", type=float, default=60, help="seconds measured after the ramp")
    parser.add_argument(
        "--think", type=float, default=10.0, help="mean seconds between a user's requests (10)"
    )
    parser.add_argument(
        "--web-concurrency",
        type=int,
        default=max(1, min(4, os.cpu_count() or 1)),  # as scripts/devstack.py's default
        help="uvicorn workers of a stack started here (one per core, at most 4, as make run)",
    )
    parser.add_argument(
        "--ws-deflate",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="websocket permessage-deflate in a stack started here (off, as make run)",
    )
    parser.add_argument("--access-log", action="store_true", help="keep uvicorn's access log")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite bench/LOAD.md")
    parser.add_argument("--note", default="", help="a line added to LOAD.md (e.g. machine load)")
    args = parser.parse_args(argv)
    if args.url and not args.url.startswith("http://127.0.0.1:"):
        parser.error("--url must be http://127.0.0.1:PORT: load is for this machine only")
    if args.var_dir is None:
        args.var_dir = ROOT / ".var" if args.url else load_stack.DEFAULT_LOAD_VAR
    args.var_dir = args.var_dir.resolve()
    args.chat_sockets = min(args.chat_sockets, 5 * args.accounts)  # CHAT_MAX_CONNECTIONS_PER_USER
    return args


def raise_open_files_limit(needed: int) -> tuple[int, int]:
    """The soft limit on open files up to the hard one: every socket is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = hard if hard == resource.RLIM_INFINITY else min(max(needed, soft), hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# --- CPU accounting: who used the 2 cores during the hold -------------------------------------


class CpuShares:
    """CPU seconds during the hold of: this process, the stack (web, worker, beat, PostgreSQL,
    Redis) and everything else on the machine (other helpers' tests, say)."""

    def __init__(self, stack_root_pid: int | None, server_port: int, var_dir: Path) -> None:
        self.stack_root_pid = stack_root_pid
        self.server_port = server_port
        self.var_dir = var_dir

    def _stack_processes(self) -> dict[str, list[psutil.Process]]:
        groups: dict[str, list[psutil.Process]] = {"web": [], "stack (other)": []}
        for proc in psutil.process_iter(["cmdline", "pid", "ppid"]):
            cmd = " ".join(proc.info["cmdline"] or [])
            if self.stack_root_pid and proc.info["pid"] == self.stack_root_pid:
                groups["stack (other)"].append(proc)
            elif "uvicorn" in cmd and f"--port {self.server_port}" in cmd:
                groups["web"].append(proc)
        for web in list(groups["web"]):
            with contextlib.suppress(psutil.Error):
                groups["web"] += web.children(recursive=True)
        if self.stack_root_pid:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(self.stack_root_pid)
                known = {p.pid for p in groups["web"]}
                groups["stack (other)"] += [
                    c for c in root.children(recursive=True) if c.pid not in known
                ]
        # PostgreSQL is daemonized by pg_ctl: its postmaster names our pgdata folder.
        for proc in psutil.process_iter(["cmdline"]):
            cmd = " ".join(proc.info["cmdline"] or [])
            if str(self.var_dir / "pgdata") in cmd:
                groups["stack (other)"].append(proc)
                with contextlib.suppress(psutil.Error):
                    groups["stack (other)"] += proc.children(recursive=True)
        return groups

    def snapshot(self) -> dict[str, float]:
        def seconds(procs: list[psutil.Process]) -> float:
            total = 0.0
            for proc in {p.pid: p for p in procs}.values():
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    total += t.user + t.system
            return total

        shares = {name: seconds(procs) for name, procs in self._stack_processes().items()}
        own = psutil.Process().cpu_times()
        shares["load generator"] = own.user + own.system
        machine = psutil.cpu_times()
        shares["machine busy"] = (
            machine.user
            + machine.system
            + machine.nice
            + machine.irq
            + (machine.softirq + getattr(machine, "steal", 0.0))
        )
        shares["wall"] = time.monotonic()
        return shares


# --- the run ---------------------------------------------------------------------------------


async def run_load(args: argparse.Namespace, base: str, users: list[str], cpu: CpuShares) -> dict:
    # A signal handler that raises would raise inside whichever task happens to run, and only end
    # that task: in the loop, a stop request cancels this main task instead, whose clean-up runs.
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    stop_requests: list[str] = []

    def stop_requested(name: str) -> None:
        stop_requests.append(name)
        main.cancel()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop_requested, signal.Signals(signum).name)
    try:
        return await _run_load(args, base, users, cpu)
    except asyncio.CancelledError:
        if stop_requests:
            raise Stopped(stop_requests[0]) from None
        raise


async def _run_load(args: argparse.Namespace, base: str, users: list[str], cpu: CpuShares) -> dict:
    rec = Recorder()
    web_sessions = min(len(users), max(1, round(args.accounts * args.browser_share)))
    accounts = await prepare_accounts(
        base, users, PASSWORD, web_sessions=web_sessions, recorder=rec
    )
    catalogue: Catalogue = await read_catalogue(base, accounts[0].access)
    before = await asyncio.to_thread(load_stack.cache_stats, args.var_dir)
    load = Load(base, catalogue=catalogue, accounts=accounts, recorder=rec,
                think_seconds=args.think)  # fmt: skip
    browser_accounts = [a for a in accounts if a.session_cookie]
    tasks: list[asyncio.Task] = []
    spread = max(args.ramp, 0.001)
    share = args.browser_share if browser_accounts else 0.0
    for i in range(args.users):
        at = spread * i / max(1, args.users)
        # Browsers and apps interleaved, so both ramp up together.
        if int((i + 1) * share) > int(i * share):
            account = browser_accounts[i % len(browser_accounts)]
            tasks.append(asyncio.create_task(load.browser_user(account, start_after=at)))
        else:
            account = accounts[i % len(accounts)]
            tasks.append(asyncio.create_task(load.app_user(account, start_after=at)))
    socket_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                           cookie_jar=aiohttp.DummyCookieJar())  # fmt: skip
    sockets: list[asyncio.Task] = []
    for i in range(args.market_sockets):
        at = spread * i / max(1, args.market_sockets)
        sockets.append(asyncio.create_task(load.market_socket(socket_session, start_after=at)))
    for i in range(args.chat_sockets):
        at = spread * i / max(1, args.chat_sockets)
        account = accounts[i % len(accounts)]
        sockets.append(
            asyncio.create_task(load.chat_socket(socket_session, account, start_after=at))
        )
    peak_connections = 0

    async def count_connections() -> None:
        # Established TCP connections of this process to the server: what the server holds.
        nonlocal peak_connections
        port = int(base.rsplit(":", 1)[1].split("/")[0])
        me = psutil.Process()
        while True:
            with contextlib.suppress(psutil.Error):
                n = sum(
                    1
                    for c in me.net_connections("tcp")
                    if c.raddr and c.raddr.port == port and c.status == "ESTABLISHED"
                )
                peak_connections = max(peak_connections, n)
            await asyncio.sleep(2)

    loop_lag_ms: list[float] = []

    async def measure_loop_lag() -> None:
        # How late a 10 ms sleep of this process wakes: every latency measured here includes up
        # to that much of the load generator's own delay (4,000 sockets' frames arrive at once).
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            if rec.phase == "hold":
                loop_lag_ms.append((time.perf_counter() - started - LAG_PROBE_SECONDS) * 1000)

    counter = asyncio.create_task(count_connections())
    lag_probe = asyncio.create_task(measure_loop_lag())
    try:
        rec.phase = "ramp"
        await asyncio.sleep(args.ramp + 2)  # +2: the last ones started have connected
        rec.phase = "hold"
        cpu_start = cpu.snapshot()
        hold_started = time.monotonic()
        await asyncio.sleep(args.hold)
        held = time.monotonic() - hold_started
        cpu_end = cpu.snapshot()
        rec.phase = "stop"
        open_at_end = dict(rec.open_sockets)
        users_at_end = rec.active_users
    finally:
        load.stopping.set()
        counter.cancel()
        lag_probe.cancel()
        _done, pending = await asyncio.wait(tasks, timeout=REQUEST_GRACE)
        for task in [*pending, *sockets]:
            task.cancel()
        await asyncio.gather(*tasks, *sockets, counter, lag_probe, return_exceptions=True)
        await socket_session.close()
    # cachekit counts in memory and adds to Redis at most once a second, on a cache read: one
    # more read after that second makes the web process hand in the run's last counts.
    await asyncio.sleep(1.5)
    with contextlib.suppress(OSError):
        await asyncio.to_thread(_get, f"{base}/api/v1/market/")
    after = await asyncio.to_thread(load_stack.cache_stats, args.var_dir)
    return {
        "rec": rec,
        "held": held,
        "cache": _cache_delta(before, after),
        "cpu": {k: cpu_end[k] - cpu_start[k] for k in cpu_end},
        "open_at_end": open_at_end,
        "users_at_end": users_at_end,
        "peak_connections": peak_connections,
        "loop_lag_ms": loop_lag_ms,
        "catalogue": catalogue,
    }


LAG_PROBE_SECONDS = 0.01
REQUEST_GRACE = 12  # seconds for in-flight requests to finish after the hold (> request timeout)


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        response.read()


def _cache_delta(before: dict, after: dict) -> dict[str, dict[str, int]]:
    delta = {}
    for namespace, counts in after.items():
        old = before.get(namespace, {})
        row = {kind: counts.get(kind, 0) - old.get(kind, 0) for kind in counts}
        if any(row.values()):
            delta[namespace] = row
    return delta


# --- the report ------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:.0f}" if value >= 10 else f"{value:.1f}"  # noqa: PLR0124


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**MISS**"


def report(args: argparse.Namespace, result: dict, *, runtime: float, command: str) -> str:
    rec: Recorder = result["rec"]
    held = result["held"]
    lines: list[str] = []
    out = lines.append
    out("| request | n | req/s | p50 ms | p95 ms | p99 ms | errors |")
    out("|---|---:|---:|---:|---:|---:|---:|")
    all_ms: list[float] = []
    kinds = sorted(rec.requests, key=lambda k: (k.startswith("POST"), k))
    for kind in kinds:
        samples = rec.latencies[kind]
        all_ms += samples
        errors = rec.errors[kind]
        out(_row(kind, samples, held, errors))
    http_errors = sum(rec.errors.values())
    out(_row("**all HTTP**", all_ms, held, http_errors))
    for kind in ("sign-in (API token)", "sign-in (login page)"):
        samples = rec.latencies.get(kind, [])
        if samples:
            out(
                f"| {kind}, at set-up, not in the totals | {len(samples)} | – | "
                f"{_ms(percentile(samples, 50))} | {_ms(percentile(samples, 95))} | "
                f"{_ms(percentile(samples, 99))} | 0 |"
            )
    table = "\n".join(lines)

    sock_lines = [
        "| socket | opened / tried | peak open | open at end of hold | failures | messages "
        "received (hold) | per socket per minute (hold) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in ("market", "chat"):
        tried = rec.socket_attempts[kind]
        if not tried:
            continue
        open_end = result["open_at_end"].get(kind, 0)
        hold_msgs = rec.socket_messages_hold[kind]
        per = hold_msgs / max(1, open_end) / (held / 60)
        sock_lines.append(
            f"| /ws/{kind}/ | {tried - _connect_failures(rec, kind)} / {tried} | "
            f"{rec.peak_sockets[kind]} | {open_end} | {rec.socket_failures[kind]} | "
            f"{hold_msgs} | {per:.1f} |"
        )
    sockets = "\n".join(sock_lines)

    cache = result["cache"]
    cache_lines = [
        "| namespace | hits | stale hits | misses | invalidations | hit rate |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    totals = {"hits": 0, "stale_hits": 0, "misses": 0, "invalidations": 0}
    for namespace, row in sorted(cache.items()):
        for k in totals:
            totals[k] += row.get(k, 0)
        cache_lines.append(
            f"| {namespace} | {row.get('hits', 0)} | {row.get('stale_hits', 0)} | "
            f"{row.get('misses', 0)} | {row.get('invalidations', 0)} | {_rate(row)} |"
        )
    cache_lines.append(
        f"| **all** | {totals['hits']} | {totals['stale_hits']} | {totals['misses']} | "
        f"{totals['invalidations']} | **{_rate(totals)}** |"
    )
    cache_table = "\n".join(cache_lines)
    hit_rate = _hit_rate(totals)

    p95 = percentile(all_ms, 95)
    socket_tries = sum(rec.socket_attempts.values())
    socket_failures = sum(rec.socket_failures.values())
    failures = http_errors + socket_failures
    attempts = len(all_ms) + socket_tries
    error_rate = failures / max(1, attempts)
    open_end_total = sum(result["open_at_end"].values())
    concurrent = result["users_at_end"] + open_end_total
    targets = "\n".join(
        [
            "| O3 target | measured | verdict |",
            "|---|---|---|",
            f"| p95 < {TARGET_P95_MS} ms (all HTTP requests in the hold) | {_ms(p95)} ms | "
            f"{_verdict(p95 < TARGET_P95_MS)} |",
            f"| error rate < {TARGET_ERROR_RATE:.1%} (non-2xx/3xx, timeouts, connection errors, "
            f"socket failures) | {error_rate:.3%} ({failures} of {attempts}) | "
            f"{_verdict(error_rate < TARGET_ERROR_RATE)} |",
            f"| cache hit rate > {TARGET_HIT_RATE:.0%} (cachekit, delta over the run) | "
            f"{'–' if hit_rate is None else f'{hit_rate:.1%}'} | "
            f"{_verdict(hit_rate is not None and hit_rate > TARGET_HIT_RATE)} |",
            f"| {TARGET_CONCURRENT:,} concurrent users (HTTP users + open sockets, at once, at the "
            f"end of the hold) | {concurrent:,} ({result['users_at_end']} HTTP users, "
            f"{open_end_total:,} sockets) | {_verdict(concurrent >= TARGET_CONCURRENT)} |",
        ]
    )

    cpu = result["cpu"]
    wall = cpu.pop("wall")
    busy = cpu.pop("machine busy")
    known = sum(cpu.values())
    cpu_line = ", ".join(f"{name} {seconds / wall:.2f}" for name, seconds in cpu.items())
    cpu_line += f", everything else {max(0.0, busy - known) / wall:.2f}"
    cpu_line += f" (of {os.cpu_count()} cores; machine busy {busy / wall:.2f})"

    web_ms = cpu.get("web", 0.0) * 1000 / max(1, len(all_ms))
    web_ms_per_request = f"{web_ms:.0f}" if web_ms else "–"
    per_core = f"{1000 / web_ms:.0f}" if web_ms else "–"
    errors_seen = (
        "; ".join(f"{kind}: {why} ×{n}" for (kind, why), n in rec.error_kinds.most_common(8))
        or "none"
    )
    socket_why = (
        "; ".join(
            f"{kind}: {why} ×{n}" for (kind, why), n in rec.socket_failure_kinds.most_common(5)
        )
        or "none"
    )
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    c = result["catalogue"]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.url:
        target = f"{args.url}, already running"
        limits_note = " when make load starts the stack; this one ran with its own settings"
    else:
        target = "started for the run: scripts/devstack.py run, its own .var/load and port"
        limits_note = ""
    machine = (
        f"{os.cpu_count()} cores (os.cpu_count()), {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    )
    deflate = "on" if args.ws_deflate else "off"
    summary = (
        f"| {stamp} | `{command}` ({args.web_concurrency} web, deflate {deflate}) |"
        f" {args.users} | {open_end_total:,} | {len(all_ms) / held:.1f} |"
        f" {_ms(p95)} | {error_rate:.2%} | {'–' if hit_rate is None else f'{hit_rate:.1%}'} |"
        f" {concurrent:,} | {cpu.get('web', 0) / wall:.2f} |"
        f" {max(0.0, busy - known) / wall:.2f} |"
    )
    history = _history_rows()
    history.insert(0, summary)
    history_table = "\n".join([HISTORY_HEADER, *history[:HISTORY_ROWS]])
    limits = _limits(cpu, busy=busy, wall=wall, p95=p95, rec=rec)
    lag = result["loop_lag_ms"]
    lag_line = (
        "The load generator's own event loop, probed every 10 ms in the hold, woke late by "
        f"p50 {_ms(percentile(lag, 50))} / p99 {_ms(percentile(lag, 99))} / max "
        f"{_ms(max(lag))} ms: each latency above includes up to that much of its own delay."
        if lag
        else ""
    )
    return f"""# Load test (`make load`)

Last run: {stamp} on {machine}.
Command: `{command}` ({runtime:.0f} s in all, set-up and stack start included).

- Stack: {target}; {args.web_concurrency} uvicorn worker(s) (websocket permessage-deflate
  {deflate}{"" if not args.url else " if started here"}), the Celery worker and beat,
  PostgreSQL and Redis, on this machine together with the load generator (one asyncio process,
  aiohttp), over 127.0.0.1 only.
- Rate limits raised through the stack's environment: `RATE_LIMIT_USER_PER_MINUTE` and
  `RATE_LIMIT_ANON_PER_MINUTE` = 100000000, `RATE_LIMIT_LOGIN_PER_MINUTE` = 100000{limits_note}.
  Every virtual user comes from one IP, which the limiter would otherwise refuse; the per-user
  chat send limit (60/min) is kept.
- HTTP users: {args.users} ({round(args.users * args.browser_share)} browsers with a session
  cookie from /accounts/login/, the others apps with a bearer token from /api/v1/auth/token/),
  signed in as {args.accounts} load accounts; one keep-alive connection each; {args.think:g} s of
  think time on average (0.5-1.5×) between requests.
- Browsers open /, /stocks/, /stocks/<code>/, /news/, /news/<id>/, /portfolio/, /chat/<room>/.
  Apps call the stocks list, a stock, its prices, /market/, the news list and an article, the
  portfolio summary, chat rooms and a room's messages, and write: a buy transaction POST and a
  chat message POST. Stocks are picked Zipf-like ({len(c.stock_codes)} stocks,
  {len(c.news_ids)} news articles, {len(c.room_ids)} chat rooms).
- Websockets: {args.market_sockets} /ws/market/ and {args.chat_sockets} /ws/chat/ subscribers,
  open for the whole run.
- Ramp {args.ramp:g} s, then a hold of {held:.0f} s; only the hold is measured (the ramp had
  {rec.ramp_requests} requests, {rec.ramp_errors} errors).
{f"- {args.note}" if args.note else ""}

## Targets (O3)

{targets}

## Requests in the hold

{table}

Errors seen: {errors_seen}.

## Websockets

{sockets}

Socket failures: {socket_why}. Market snapshots are published every STOCKS_PUBLISH_EVERY_SECONDS
(10 s); chat sockets also get the load's own chat messages in their rooms.

## Cache (cachekit counters, after minus before)

{cache_table}

## Concurrency and machine

Peak at once: {rec.peak_users} HTTP users, {rec.peak_sockets_total:,} open sockets
({rec.peak_concurrent:,} together); {rec.peak_in_flight} requests in flight at most; at most
{result["peak_connections"]:,} established TCP connections from the load generator to the server.
Open-files soft limit of the load generator: {soft}. The load generator shares the CPUs too: a
time above the {REQUEST_TIMEOUT_SECONDS} s request timeout is its own lag in noticing the timeout.
{lag_line}

CPU cores used on average during the hold: {cpu_line}. Web process CPU per HTTP request (the
sockets' fan-out included): {web_ms_per_request} ms, so one fully used core would serve about
{per_core} requests/s of this mix.

{limits}

## Runs on this machine (newest first; kept by each run)

{history_table}
"""


HISTORY_HEADER = (
    "| date | command | HTTP users | sockets | req/s | p95 ms | errors | cache hits |"
    " concurrent | web cores | other processes' cores |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)
HISTORY_ROWS = 12


def _history_rows() -> list[str]:
    """The previous runs' summary rows from the LOAD.md being replaced."""
    if not LOAD_MD.exists():
        return []
    text = LOAD_MD.read_text()
    if HISTORY_HEADER not in text:
        return []
    rows = text.split(HISTORY_HEADER, 1)[1].strip().splitlines()
    return [row for row in rows if row.startswith("| 20")]


def _limits(cpu: dict, *, busy: float, wall: float, p95: float, rec: Recorder) -> str:
    """What held the figures back, read from where the CPU went."""
    cores = os.cpu_count() or 1
    web = cpu.get("web", 0.0) / wall
    others = max(0.0, busy - sum(cpu.values())) / wall
    notes = []
    if busy / wall >= 0.9 * cores:
        notes.append(
            f"The machine's {cores} cores were saturated ({busy / wall:.2f} busy on average); "
            f"{others:.2f} of them went to other processes (other test runs on this machine), "
            f"which the figures above include."
        )
    if web >= 0.85:
        notes.append(
            "The web process ran at about one core: Django's synchronous views run in one "
            "thread per ASGI process (sync_to_async, thread-sensitive), so one uvicorn worker "
            "serves at most one core's worth of requests; WEB_CONCURRENCY adds processes."
        )
    if rec.peak_in_flight > 0.3 * max(1, rec.peak_users) and p95 > TARGET_P95_MS:
        notes.append(
            f"Requests queued in the server ({rec.peak_in_flight} in flight at most): the offered "
            "rate was above what it served, so latency is mostly waiting, not work."
        )
    return (
        " ".join(notes) or "No saturation seen: neither the machine nor the web process was full."
    )


def _row(kind: str, samples: list[float], held: float, errors: int) -> str:
    p50, p95, p99 = (_ms(percentile(samples, q)) for q in (50, 95, 99))
    share = errors / max(1, len(samples))
    return (
        f"| {kind} | {len(samples)} | {len(samples) / held:.1f} | {p50} | {p95} | {p99} | "
        f"{errors} ({share:.2%}) |"
    )


def _connect_failures(rec: Recorder, kind: str) -> int:
    return sum(n for (k, why), n in rec.socket_failure_kinds.items()
               if k == kind and why.startswith("connect"))  # fmt: skip


def _hit_rate(row: dict) -> float | None:
    served = row.get("hits", 0) + row.get("stale_hits", 0)
    reads = served + row.get("misses", 0)
    return served / reads if reads else None


def _rate(row: dict) -> str:
    rate = _hit_rate(row)
    return "–" if rate is None else f"{rate:.1%}"


# --- main ------------------------------------------------------------------------------------


def _without_note(argv: list[str]) -> list[str]:
    """The arguments as a command to repeat, without the free-text --note."""
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--note":
            skip = True
        elif not arg.startswith("--note="):
            shown.append(arg)
    return shown


class Stopped(Exception):
    pass


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop_requested(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def _handle_stop_signals() -> None:
    """Outside the event loop (stack start, set-up, report), a stop request raises Stopped."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_requested)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    shown = _without_note(argv)
    command = "make load" + (f' ARGS="{" ".join(shown)}"' if shown else "")
    needed = args.users + args.market_sockets + args.chat_sockets + 1000
    soft, _hard = raise_open_files_limit(needed)
    if soft < needed:
        print(f"warning: open-files limit {soft} < {needed}: sockets beyond it will fail")
    # Ctrl-C, SIGTERM and a closed terminal all stop the run, and the stack is stopped below.
    # SIGINT too is set here: a shell starts a background job with SIGINT ignored.
    _handle_stop_signals()
    stack = None
    try:
        if args.url:
            base = args.url.rstrip("/")
            load_stack.wait_ready(base, timeout_seconds=30)
        else:
            stack = load_stack.Stack(
                args.var_dir,
                port=load_stack.free_port(),
                web_concurrency=args.web_concurrency,
                ws_deflate=args.ws_deflate,
                access_log=args.access_log,
            )
            print(f"starting the stack on {stack.base} (log: {stack.log_path}) ...", flush=True)
            try:
                stack.start()
            except RuntimeError:
                print(stack.log_tail(), file=sys.stderr)
                raise
            base = stack.base
        print("preparing load accounts and data ...", flush=True)
        prepared = load_stack.prepare_data(
            args.var_dir, count=args.accounts, password=PASSWORD, rooms=3, base=base
        )
        port = int(base.rsplit(":", 1)[1])
        cpu = CpuShares(stack.process.pid if stack else None, port, args.var_dir)
        print(
            f"ramping up {args.users} users, {args.market_sockets} market and "
            f"{args.chat_sockets} chat sockets over {args.ramp:g} s, then holding {args.hold:g} s"
            " ...",
            flush=True,
        )
        try:
            result = asyncio.run(run_load(args, base, prepared["users"], cpu))
        finally:
            _handle_stop_signals()  # the loop reset its handlers to the defaults on closing
        text = report(args, result, runtime=time.monotonic() - started, command=command)
        print(text)
        if not args.no_write:
            LOAD_MD.write_text(text)
            print(f"written to {LOAD_MD.relative_to(ROOT)}")
        return 0
    except (KeyboardInterrupt, Stopped) as why:
        print(f"interrupted ({why or 'SIGINT'}): stopping", file=sys.stderr)
        return 130
    except Exception:
        if stack is not None and (failures := stack.logged_failures()):
            print(f"the stack logged these tracebacks ({stack.log_path}):\n{failures}",
                  file=sys.stderr)  # fmt: skip
        raise
    finally:
        if stack is not None:
            # A second Ctrl-C must not cut the stack's shutdown short.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            print("stopping the stack ...", flush=True)
            code = stack.stop()
            leftover = (args.var_dir / "pgdata" / "postmaster.pid").exists()
            print(
                f"stack stopped (launcher exit code {code})"
                + ("; PostgreSQL still running!" if leftover else ""),
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
