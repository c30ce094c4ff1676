"""Market fan-out: one snapshot to 1,000 and 5,000 websocket subscribers on one ASGI process.

Servers, each one process on a free 127.0.0.1 port, started afresh for every size:
- ours: uvicorn serving config.asgi:application, `/ws/market/` (stocks/consumers.py, whose
  process-wide MarketHub is the `market` group's one member and fills per-socket mailboxes);
  snapshots published from another process with stocks.broadcast.publish_market_snapshot;
- ours with permessage-deflate declined by uvicorn (the clients still offer it): what
  compressing every frame once per socket costs;
- baseline: bench/websockets_baseline_server.py, plain `websockets` with broadcast(); snapshots
  arrive as lines on its stdin;
- naive Channels: bench/channels_group_asgi.py under uvicorn, one group member per socket.

Every server gets a warm-up subscriber (kept open) and a first snapshot, so that connecting
sockets receive the last snapshot from memory; then the subscribers connect (two client processes,
bench/market_fanout_client.py) and SNAPSHOTS snapshots are published one after another, each once
every subscriber has the previous one. Latency: the subscriber's time.time() on receipt minus the
publisher's time.time() just before it published. Memory: the server's VmRSS after the warm-up
and after all subscribers have their first message, divided by the number of subscribers.

    python -m bench.market_fanout publisher    # the publishing process run() starts itself
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import queue
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from bench.market_fanout_client import origin_of, seq_of
from bench.servers import free_port, uvicorn_command

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SIZES = (1000, 5000)
SNAPSHOTS = 5
CLIENT_PROCESSES = 2
PAUSE_BETWEEN_SNAPSHOTS = 0.3
START_TIMEOUT = 30.0
CONNECT_TIMEOUT = 120.0
DELIVERY_TIMEOUT = 15.0
LOG_LINE = re.compile(r"^(?:\d{4}-\d\d-\d\d [\d:,.]+ )?(WARNING|ERROR|CRITICAL):?\s+(.*)$")
EXCEPTION_LINE = re.compile(r"^((?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception))(?::|$)")
NAIVE_GROUP = "market-naive"  # bench/channels_group_asgi.py; not imported: it sets Django up


def _uvicorn(app: str, *, deflate: bool = True) -> Callable[[int], list[str]]:
    # Declined (make run's default), the clients still offer it and the server says no.
    def command(port: int) -> list[str]:
        return uvicorn_command(
            port, app=app, ws_deflate=deflate, extra=("--ws", "websockets-sansio")
        )

    return command


@dataclass(frozen=True)
class Server:
    key: str
    label: str
    command: Callable[[int], list[str]]
    publish_via: str  # "market" / "naive": the publisher process; "stdin": the server's stdin


SERVERS = [
    Server(
        "ours",
        "ours: uvicorn + Channels, one MarketHub (deflate negotiated)",
        _uvicorn("config.asgi:application"),
        "market",
    ),
    Server(
        "ours_plain",
        "ours, permessage-deflate declined (make run's default)",
        _uvicorn("config.asgi:application", deflate=False),
        "market",
    ),
    Server(
        "baseline",
        "baseline: `websockets` broadcast()",
        lambda port: [sys.executable, "-m", "bench.websockets_baseline_server", str(port)],
        "stdin",
    ),
    Server(
        "naive",
        "naive Channels: group_add per socket",
        _uvicorn("bench.channels_group_asgi:application"),
        "naive",
    ),
]


# --- processes ---------------------------------------------------------------------------------


class Child:
    """A subprocess whose stdout lines are read by a thread, so waits can have timeouts."""

    def __init__(self, argv: list[str], env: dict[str, str], *, stdout_lines: bool) -> None:
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if stdout_lines else subprocess.DEVNULL,
            stderr=self.stderr,
            text=True,
            start_new_session=True,
            preexec_fn=_raise_nofile_limit,  # noqa: PLW1509 - one setrlimit call
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        if stdout_lines:
            threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_json(self, timeout: float, *, want: Callable[[dict], bool] = lambda _: True) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no answer within {timeout:.0f} s") from None
            if line is None:
                raise RuntimeError(f"process ended: {self.stderr_tail()}")
            with contextlib.suppress(ValueError):
                payload = json.loads(line)
                if isinstance(payload, dict) and want(payload):
                    return payload

    def write(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def stderr_tail(self, chars: int = 2000) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-chars:].strip()

    def log_summary(self) -> list[str]:
        """Warnings and errors the process logged, counted, each with the exception it ended in."""
        self.stderr.flush()
        self.stderr.seek(0)
        counts: collections.Counter[str] = collections.Counter()
        message = exception = None
        for line in [*self.stderr.read().splitlines(), "ERROR end"]:
            logged = LOG_LINE.match(line)
            raised = EXCEPTION_LINE.match(line)
            if logged:
                if message:
                    counts[f"{message} ({exception})" if exception else message] += 1
                message, exception = f"{logged[1]} {logged[2]}", None
            elif raised and message:
                exception = raised[1]
        return [f"{count}× {text}" for text, count in counts.most_common()]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        self.stderr.close()


def _raise_nofile_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _wait_listening(child: Child, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"server exited: {child.stderr_tail()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port}: {child.stderr_tail()}")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# --- one measurement ---------------------------------------------------------------------------


@dataclass
class Row:
    server: Server
    subscribers: int
    latencies_ms: list[float] = field(default_factory=list)
    delivered: int = 0
    connected: int = 0
    kib_per_connection: float = float("nan")
    cpu_ms_per_snapshot: float = float("nan")
    connect_seconds: float = float("nan")
    notes: list[str] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.subscribers * SNAPSHOTS

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _measure(server: Server, n: int, env: dict[str, str], publisher: Child, texts: dict) -> Row:
    row = Row(server, n)
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws/market/"
    child = Child(server.command(port), env, stdout_lines=False)
    clients: list[Child] = []

    def publish(seq: int) -> float:
        if server.publish_via == "stdin":
            published = time.time()
            child.write(texts[str(seq)])
            return published
        publisher.write(f"{server.publish_via} {seq}")
        return publisher.next_json(DELIVERY_TIMEOUT, want=lambda p: p.get("seq") == seq)["t"]

    def everyone_got(seq: int) -> None:
        for client in clients:
            try:
                client.next_json(DELIVERY_TIMEOUT, want=lambda p: p.get("seq") == seq)
            except TimeoutError:
                row.notes.append(
                    f"snapshot {seq}: not every subscriber had it after {DELIVERY_TIMEOUT:.0f} s"
                )

    try:
        with contextlib.ExitStack() as stack:
            _wait_listening(child, port)
            # A subscriber before the measured ones, open to the end: it starts our hub (its
            # first connection), and the first snapshot becomes the one sent on connect.
            warmup = stack.enter_context(
                ws_connect(url, origin=origin_of(url), open_timeout=START_TIMEOUT, max_size=2**24)
            )
            _first_snapshot(warmup, publish)
            time.sleep(0.5)
            rss_before = _rss_kib(child.process.pid)

            for share in _shares(n):
                argv = [sys.executable, "-m", "bench.market_fanout_client", url, str(share)]
                argv += [str(SNAPSHOTS), "--timeout", str(CONNECT_TIMEOUT + 6 * DELIVERY_TIMEOUT)]
                clients.append(Child(argv, env, stdout_lines=True))
            readies = [
                c.next_json(CONNECT_TIMEOUT, want=lambda p: p["event"] == "ready") for c in clients
            ]
            row.connected = sum(r["live"] for r in readies)
            row.connect_seconds = max(r["seconds"] or float("nan") for r in readies)
            failed: collections.Counter[str] = collections.Counter()
            for ready in readies:
                failed.update(ready["errors"])
            if failed:
                row.notes.append(
                    f"{failed.total()} subscribers could not connect ("
                    + ", ".join(f"{count}× {error}" for error, count in failed.items())
                    + ")"
                )
            time.sleep(0.5)
            if row.connected:
                row.kib_per_connection = (_rss_kib(child.process.pid) - rss_before) / row.connected

            # Untimed: our hub may have backed off while the subscribers connected (see notes).
            publish(0)
            everyone_got(0)
            time.sleep(PAUSE_BETWEEN_SNAPSHOTS)

            cpu_before = _cpu_seconds(child.process.pid)
            published: dict[int, float] = {}
            for seq in range(1, SNAPSHOTS + 1):
                published[seq] = publish(seq)
                everyone_got(seq)
                time.sleep(PAUSE_BETWEEN_SNAPSHOTS)
            row.cpu_ms_per_snapshot = (_cpu_seconds(child.process.pid) - cpu_before) * 1000
            row.cpu_ms_per_snapshot /= SNAPSHOTS

            for client in clients:
                with contextlib.suppress(OSError):
                    client.write("stop")
            unexpected = closed_early = 0
            for client in clients:
                result = client.next_json(DELIVERY_TIMEOUT, want=lambda p: p["event"] == "result")
                unexpected += result["unexpected"]
                closed_early += result["closed_early"]
                for seq, times in result["received"].items():
                    if int(seq) not in published:
                        continue
                    for received in times:
                        if received is not None:
                            row.delivered += 1
                            row.latencies_ms.append((received - published[int(seq)]) * 1000)
            if unexpected:
                row.notes.append(f"{unexpected} unexpected or duplicate messages")
            if closed_early:
                row.notes.append(f"{closed_early} connected subscriber(s) closed by the server")
    except Exception as exc:  # noqa: BLE001 - reported in the section, the other servers still run
        row.notes.append(f"aborted: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        for client in clients:
            client.stop()
        row.notes += [f"server log: {entry}" for entry in child.log_summary()]
        child.stop()
    return row


def _first_snapshot(warmup: ClientConnection, publish: Callable[[int], float]) -> None:
    """Publish snapshot 0 until the warm-up subscriber has it.

    Our consumer accepts the socket before its hub has joined the group, so a snapshot published
    at once after the handshake can reach the group before the hub does (it then sends the
    database's snapshot instead, which is what a real subscriber would get).
    """
    for _attempt in range(10):
        publish(0)
        deadline = time.monotonic() + 3
        with contextlib.suppress(TimeoutError):
            while seq_of(warmup.recv(timeout=max(0.0, deadline - time.monotonic()))) != 0:
                pass
            return
    raise RuntimeError("the warm-up subscriber never received a snapshot")


def _shares(n: int) -> list[int]:
    return [n // CLIENT_PROCESSES + (i < n % CLIENT_PROCESSES) for i in range(CLIENT_PROCESSES)]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- report ------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _ratio(ours: float, baseline: float) -> str:
    if math.isnan(ours) or math.isnan(baseline) or baseline <= 0:
        return "–"
    return f"{ours / baseline:.1f}×"


def _markdown(rows: list[Row], texts: dict[str, str]) -> str:
    lines = [
        "## Market fan-out (/ws/market/)",
        "",
        "Each ASGI process runs one MarketHub: its channel is the process's only member of the "
        "channel-layer group `market`, so a snapshot comes out of Redis once per process, and the "
        "hub puts the same text into every local socket's bounded mailbox, which that socket's "
        "task writes out. Measured: one uvicorn process with 1,000 or 5,000 subscribers on "
        "`/ws/market/`, each already holding the snapshot it was sent on connect; then "
        f"{SNAPSHOTS} snapshots published one after another from a separate process (each once "
        "every subscriber has the previous one, after one untimed snapshot). Latency: the "
        "subscriber's `time.time()` on receipt minus the publisher's just before publishing, "
        "over all deliveries. Beside it, in the same run with the same snapshot text: a minimal "
        "broadcast server written with the plain `websockets` library (a set of connections and "
        "`broadcast()`; it reads snapshots on its stdin, so no Redis hop) and a naive Channels "
        "consumer in which every socket joins the group itself (one `group_send` to "
        "1,000/5,000 members). One server process each, started afresh per size; "
        "permessage-deflate negotiated as browsers do, and for ours also declined by the server "
        "(`--ws-per-message-deflate false`). The subscribers are two client processes "
        "on the same 2-CPU machine, so their own reading time is in every latency; memory is "
        "the server's RSS growth from before the subscribers connected to after each had its "
        "first snapshot, per connected subscriber.",
        "",
        "| subscribers | server | p50 ms | p99 ms | max ms | delivered | KiB per connection |",
        "|---:|---|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        everyone = "yes" if row.delivered == row.expected else "**no**"
        lines.append(
            f"| {row.subscribers:,} | {row.server.label} | {_ms(row.percentile(50))} | "
            f"{_ms(row.percentile(99))} | {_ms(max(row.latencies_ms, default=math.nan))} | "
            f"{row.delivered:,}/{row.expected:,}, all N got every snapshot: {everyone} | "
            f"{_ms(row.kib_per_connection)} |"
        )
    ratios, deflate = [], []
    for n in SIZES:
        by_key = {row.server.key: row for row in rows if row.subscribers == n}
        ours, base = by_key.get("ours"), by_key.get("baseline")
        plain = by_key.get("ours_plain")
        if ours and base:
            ratios.append(
                f"{n:,} subscribers: p99 {_ratio(ours.percentile(99), base.percentile(99))}, "
                f"memory per connection "
                f"{_ratio(ours.kib_per_connection, base.kib_per_connection)}, server CPU per "
                f"snapshot {_ratio(ours.cpu_ms_per_snapshot, base.cpu_ms_per_snapshot)}"
            )
        if ours and plain:
            deflate.append(
                f"{n:,} subscribers: server CPU per snapshot "
                f"{_ratio(plain.cpu_ms_per_snapshot, ours.cpu_ms_per_snapshot)}, p99 "
                f"{_ratio(plain.percentile(99), ours.percentile(99))}"
            )
    lines += ["", "Ours ÷ baseline: " + "; ".join(ratios) + "."]
    if deflate:
        lines += [
            "",
            "Deflate declined ÷ negotiated (ours, frames of "
            f"{len(next(iter(texts.values()))):,} characters): " + "; ".join(deflate) + ".",
        ]
    cpu = ", ".join(
        f"{row.server.key} {row.subscribers:,}: {_ms(row.cpu_ms_per_snapshot)} ms" for row in rows
    )
    connects = ", ".join(
        f"{row.server.key} {row.subscribers:,}: {row.connect_seconds:.1f} s" for row in rows
    )
    lines += [
        "",
        f"Server CPU time per snapshot (user + system, mean of {SNAPSHOTS}): {cpu}. "
        f"Time for all subscribers to connect and get their first snapshot: {connects}.",
    ]
    notes = [f"{row.server.key} {row.subscribers:,}: {note}" for row in rows for note in row.notes]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return "\n".join(lines)


def run(env: dict[str, str]) -> str:
    """Measure and return a markdown section for bench/README.md."""
    env = {**env, "PYTHONUNBUFFERED": "1"}
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--if-empty"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    publisher = Child(
        [sys.executable, "-m", "bench.market_fanout", "publisher"], env, stdout_lines=True
    )
    rows: list[Row] = []
    try:
        texts = publisher.next_json(START_TIMEOUT)["texts"]
        for n in SIZES:
            for server in SERVERS:
                row = _measure(server, n, env, publisher, texts)
                rows.append(row)
                print(
                    f"  {server.key:8} {n:5} p50 {_ms(row.percentile(50))} ms "
                    f"p99 {_ms(row.percentile(99))} ms delivered {row.delivered}/{row.expected} "
                    f"{row.kib_per_connection:.1f} KiB/conn cpu {row.cpu_ms_per_snapshot:.0f} ms "
                    f"connect {row.connect_seconds:.1f} s "
                    f"{'; '.join(row.notes)}",
                    flush=True,
                )
    finally:
        for entry in publisher.log_summary():
            print(f"  publisher log: {entry}", flush=True)
        publisher.stop()
    return _markdown(rows, texts)


# --- the publishing process --------------------------------------------------------------------


def _publisher() -> None:
    """Reads `market SEQ` / `naive SEQ` lines; publishes; answers {"seq", "t"} (t: time.time())."""
    import django

    django.setup()
    from core.realtime import group_send_nowait
    from stocks import selectors
    from stocks.broadcast import publish_market_snapshot, snapshot_text

    base = selectors.market_snapshot()
    texts = {seq: snapshot_text({**base, "bench_seq": seq}) for seq in range(SNAPSHOTS + 1)}
    print(json.dumps({"texts": texts}), flush=True)
    for line in sys.stdin:
        kind, seq = line.split()
        snapshot = {**base, "bench_seq": int(seq)}
        published = time.time()
        if kind == "market":
            publish_market_snapshot(snapshot)
        else:
            group_send_nowait(NAIVE_GROUP, {"type": "market.snapshot", "text": texts[int(seq)]})
        print(json.dumps({"seq": int(seq), "t": published}), flush=True)
    time.sleep(1)  # group_send_nowait sends from a background thread


if __name__ == "__main__" and sys.argv[1:] == ["publisher"]:
    _publisher()
