"""Chat fan-out (/ws/chat/): latency across two ASGI processes, memory and sockets per process.

1. Fan-out: 1,000 sockets (ROOMS rooms of MEMBERS members, one socket per user) spread over two
   uvicorn processes of this site that share the real channels-redis layer, every room's members
   split half and half between them; two client processes (bench/chat_fanout_client.py, one per
   server) send `send_message` frames in FANOUT_ROUNDS (a light round, then 200 a second in all
   for 15 s), from every socket in turn, each with its time.time() in the content. Latency:
   every recipient's time.time() on receipt minus that (the sender gets its own message too),
   over all deliveries; per message, its first and its last recipient's.
2. Memory: one fresh uvicorn process's VmRSS after WARMUP sockets and after MEMORY_AT idle ones.
3. Capacity: the same process, idle sockets stepped up through STEPS; at each step SAMPLE sockets
   each time PING_ROUNDS `ping` → `pong` round trips (a sample that misses is taken once more);
   the answer is the last step before the first one whose p99 is not under RTT_GOAL_MS or that
   lost a socket or a pong; the steps stay within CAPACITY_BUDGET_SECONDS.

Everything runs on 127.0.0.1: the sockets are dropped at once at the end of each part (as a
crashed client or a network cut would), and what the servers log then is reported apart.

Users, rooms and memberships are made (idempotently) by a set-up process with Django; tokens are
access tokens signed with the servers' key. The per-user limits (CHAT_MAX_CONNECTIONS_PER_USER,
CHAT_MESSAGES_PER_MINUTE, CHAT_FRAMES_PER_MINUTE) are left at the settings' values and respected
by spreading the load over enough distinct users; the section says what each user did.

    python -m bench.chat_fanout                 # this benchmark alone (migrates first)
    python -m bench.chat_fanout setup PATH      # the set-up process run() starts itself
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as `python bench/chat_fanout.py`
    sys.path.insert(0, str(ROOT))

from bench.market_fanout import Child, _cpu_seconds, _rss_kib, _wait_listening  # noqa: E402
from bench.servers import free_port, uvicorn_command  # noqa: E402
from bench.stats import percentile  # noqa: E402

ROOMS = 20
MEMBERS = 50
FANOUT_SOCKETS = ROOMS * MEMBERS
SERVERS = 2
# (messages a second from all senders together, seconds): the lighter round first, so that
# its figures are not those of a backlog the heavier one left.
FANOUT_ROUNDS = ((50, 10), (200, 15))
DELIVERY_TIMEOUT = 15.0
USERS = 3200  # enough for the largest step at CHAT_MAX_CONNECTIONS_PER_USER (5) sockets a user
USER_PREFIX = "bench-chat-"
ROOM_PREFIX = "bench-chat-room-"
CLIENT_PROCESSES = 2
WARMUP = 20
MEMORY_AT = 1000
STEPS = (500, 1000, 2000, 4000, 8000, 16000)
SAMPLE = 200
PING_ROUNDS = 5
RTT_GOAL_MS = 100.0
CAPACITY_BUDGET_SECONDS = 180.0
SPARE_FILES = 1000  # descriptors kept free in the server for Redis, PostgreSQL, logs
CONNECT_TIMEOUT = 180.0
# Handshakes in flight per client process. Each runs several channel-layer commands, and the
# layer's redis-py pool refuses the 101st concurrent one (MaxConnectionsError) instead of waiting:
# at 100 a client, sockets of the first step already fail (see the report).
CONNECT_CONCURRENCY = 25


# --- helpers -----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _counts(counter: collections.Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{count}× {what}" for what, count in collections.Counter(counter).items())


def _client(env: dict[str, str]) -> Child:
    return Child([sys.executable, "-m", "bench.chat_fanout_client"], env, stdout_lines=True)


def _server(env: dict[str, str]) -> tuple[Child, str]:
    port = free_port()
    server = Child(uvicorn_command(port), env, stdout_lines=False)
    _wait_listening(server, port)
    return server, f"ws://127.0.0.1:{port}/ws/chat/"


def _connect(clients: list[Child], shares: list[list[list]], folder: Path) -> list[dict]:
    """Each client opens its share ([url, token, room] each); their `connected` answers."""
    for index, (client, share) in enumerate(zip(clients, shares, strict=True)):
        path = folder / f"connect-{index}-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(share))
        client.write(f"connect {path} {CONNECT_CONCURRENCY}")
    return [
        c.next_json(CONNECT_TIMEOUT, want=lambda p: p.get("event") == "connected") for c in clients
    ]


def _stop(children: list[Child]) -> None:
    """The clients drop every socket at once (as a crashed client or a network cut would)."""
    for child in children:
        with contextlib.suppress(OSError):
            child.write("stop")
    time.sleep(0.5)
    for child in children:
        child.stop()


def _log_counts(server: Child) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for entry in server.log_summary():
        count, text = entry.split("× ", 1)
        counts[text] += int(count)
    return counts


def _stop_all(clients: list[Child], servers: list[Child], label: str) -> list[str]:
    """Stop clients, then servers; what each server logged while measured and at the drop."""
    during = [_log_counts(server) for server in servers]
    _stop(clients)
    time.sleep(2 if clients else 0)  # the servers handle the disconnects
    notes = []
    for index, (server, before) in enumerate(zip(servers, during, strict=True), 1):
        name = f"{label} {index}" if len(servers) > 1 else label
        after = _log_counts(server) - before
        if before:
            notes.append(f"{name} logged while measured: {_counts(before)}")
        if after:
            notes.append(f"{name} logged when the clients dropped their sockets: {_counts(after)}")
        server.stop()
    return notes


# --- set-up (a Django process) -----------------------------------------------------------------


def _set_up(env: dict[str, str], folder: Path) -> dict:
    path = folder / "setup.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.chat_fanout", "setup", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"set-up failed: {done.stderr[-3000:]}")
    return json.loads(path.read_text())


def _setup_process(path: str) -> None:
    """USERS users, USERS / MEMBERS public rooms of MEMBERS each (user i in room i // MEMBERS),
    made once and reused; writes {"users": [[token, room_id], ...], "limits": {...}}."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from accounts.tokens import access_token_encode
    from chat import services
    from chat.models import Membership, Room

    user_model = get_user_model()
    names = [f"{USER_PREFIX}{i:05d}" for i in range(USERS)]
    have = set(user_model.objects.filter(username__in=names).values_list("username", flat=True))
    missing = []
    for name in names:
        if name not in have:
            user = user_model(username=name)
            user.set_unusable_password()
            missing.append(user)
    user_model.objects.bulk_create(missing, batch_size=1000)
    by_name = {u.username: u for u in user_model.objects.filter(username__in=names)}
    users = [by_name[name] for name in names]
    rooms = []
    for r in range(USERS // MEMBERS):
        owner = users[r * MEMBERS]
        name = f"{ROOM_PREFIX}{r:03d}"
        room = Room.objects.filter(name=name, created_by=owner).first()
        rooms.append(room or services.room_create(creator=owner, name=name))
    Membership.objects.bulk_create(
        [Membership(room=rooms[i // MEMBERS], user=user) for i, user in enumerate(users)],
        batch_size=1000,
        ignore_conflicts=True,
    )
    tokens = [
        [access_token_encode(user_id=u.pk, token_generation=u.token_generation), room.pk]
        for u, room in zip(users, [r for r in rooms for _ in range(MEMBERS)], strict=True)
    ]
    limits = {
        name: getattr(settings, name)
        for name in (
            "CHAT_MAX_CONNECTIONS_PER_USER",
            "CHAT_MESSAGES_PER_MINUTE",
            "CHAT_FRAMES_PER_MINUTE",
            "CHAT_PING_SECONDS",
            "CHAT_IDLE_SECONDS",
            "CHAT_WS_QUEUE_LENGTH",
            "ACCESS_TOKEN_TTL_SECONDS",
        )
    }
    Path(path).write_text(json.dumps({"users": tokens, "limits": limits}))


# --- 1. fan-out over two processes -------------------------------------------------------------


@dataclass
class Round:
    rate: int
    seconds: int
    sent: int = 0
    delivered: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)  # per message: its first recipient
    last_ms: list[float] = field(default_factory=list)  # per message all got: its last one
    complete: int = 0  # messages every member got
    duplicates: int = 0
    late: int = 0
    behind_ms: float = 0.0
    server_cpu: list[float] = field(default_factory=list)  # % of one core while sending
    client_cpu: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def expected(self) -> int:
        return self.sent * MEMBERS


@dataclass
class Fanout:
    connected: int = 0
    connect_seconds: float = float("nan")
    rounds: list[Round] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    notes: list[str] = field(default_factory=list)


def _fanout(env: dict[str, str], users: list[list], folder: Path) -> Fanout:
    result = Fanout()
    servers: list[Child] = []
    clients: list[Child] = []
    try:
        urls = []
        for _ in range(SERVERS):
            server, url = _server(env)
            servers.append(server)
            urls.append(url)
        clients = [_client(env) for _ in range(SERVERS)]
        # Socket i (user i, room i // MEMBERS) on server i % SERVERS, so every room has members
        # on both processes and every message crosses the channel layer.
        shares: list[list[list]] = [[] for _ in range(SERVERS)]
        for i, (token, room) in enumerate(users[:FANOUT_SOCKETS]):
            shares[i % SERVERS].append([urls[i % SERVERS], token, room])
        answers = _connect(clients, shares, folder)
        result.connected = sum(a["live"] for a in answers)
        result.connect_seconds = max(a["seconds"] for a in answers)
        for answer in answers:
            result.errors.update({f"connect: {k}": v for k, v in answer["errors"].items()})
        time.sleep(3)
        for number, (rate, seconds) in enumerate(FANOUT_ROUNDS, 1):
            one = _round(number, rate, seconds, servers, clients)
            result.rounds.append(one)
            lat = one.latencies_ms
            print(
                f"  fan-out {rate}/s × {seconds} s: sent {one.sent}, delivered "
                f"{one.delivered}/{one.expected}, p50 {_ms(percentile(lat, 50))} p95 "
                f"{_ms(percentile(lat, 95))} p99 {_ms(percentile(lat, 99))} ms, server CPU "
                f"{[round(c) for c in one.server_cpu]} %, errors {_counts(one.errors)}",
                flush=True,
            )
    except Exception as exc:  # noqa: BLE001 - reported in the section, the other parts still run
        result.notes.append(f"aborted: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        result.notes += _stop_all(clients, servers, "server")
    return result


def _round(
    number: int, rate: int, seconds: int, servers: list[Child], clients: list[Child]
) -> Round:
    one = Round(rate, seconds)
    processes = [*servers, *clients]
    cpu_before = [_cpu_seconds(p.process.pid) for p in processes]
    measured_from = time.time()
    start = measured_from + 1.0
    for index, client in enumerate(clients):
        share = rate / len(clients)
        client.write(f"send {number} {start} {share} {seconds} {index} {len(clients)}")
    per_room: collections.Counter[str] = collections.Counter()
    for client in clients:
        sent = client.next_json(seconds + 30, want=lambda p: p.get("event") == "sent")
        one.sent += sent["sent"]
        one.behind_ms = max(one.behind_ms, sent["behind_ms"])
        per_room.update(sent["per_room"])
        if sent["failed"]:
            one.errors["send on a closed socket"] += sent["failed"]
    elapsed = time.time() - measured_from
    cpu = [
        (_cpu_seconds(p.process.pid) - before) / elapsed * 100
        for p, before in zip(processes, cpu_before, strict=True)
    ]
    one.server_cpu, one.client_cpu = cpu[: len(servers)], cpu[len(servers) :]

    for client in clients:
        client.write(f"expect {DELIVERY_TIMEOUT} {json.dumps(per_room)}")
    per_message: dict[str, list[float]] = {}
    for client in clients:
        got = client.next_json(DELIVERY_TIMEOUT + 30, want=lambda p: p.get("event") == "delivered")
        one.delivered += got["delivered"]
        one.latencies_ms += got["latencies_ms"]
        one.duplicates += got["duplicates"]
        one.late += got["late"]
        one.errors.update({f"error frame: {k}": v for k, v in got["errors"].items()})
        one.errors.update({f"closed by server: {k}": v for k, v in got["closed"].items()})
        for seq, (first, last, count) in got["per_message"].items():
            mine = per_message.setdefault(seq, [first, last, 0])
            mine[0], mine[1], mine[2] = min(mine[0], first), max(mine[1], last), mine[2] + count
    one.first_ms = [first for first, _last, _count in per_message.values()]
    one.last_ms = [last for _first, last, count in per_message.values() if count == MEMBERS]
    one.complete = len(one.last_ms)
    return one


# --- 2 and 3. memory and sockets per process ---------------------------------------------------


@dataclass
class Step:
    sockets: int
    connect_seconds: float = float("nan")
    failed: int = 0
    rss_kib: int = 0
    kib_per_socket: float = float("nan")
    rtts_ms: list[float] = field(default_factory=list)
    lost: int = 0
    closed: int = 0
    first_p99: float | None = None  # a first sample's p99 that missed, measured again

    @property
    def passed(self) -> bool:
        return (
            not self.failed
            and not self.lost
            and not self.closed
            and percentile(self.rtts_ms, 99) < RTT_GOAL_MS
        )


@dataclass
class Capacity:
    rss_base_kib: int = 0
    steps: list[Step] = field(default_factory=list)
    stopped: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def held(self) -> int | None:
        """The last step that passed before the first that missed."""
        held = None
        for step in self.steps:
            if not step.passed:
                break
            held = step.sockets
        return held


def _capacity(env: dict[str, str], users: list[list], folder: Path) -> Capacity:
    result = Capacity()
    server = None
    clients: list[Child] = []
    started = time.monotonic()
    try:
        server, url = _server(env)
        clients = [_client(env) for _ in range(CLIENT_PROCESSES)]

        def open_sockets(first: int, last: int) -> list[dict]:
            # Socket i is user i % USERS's: at most ceil(last / USERS) sockets a user.
            shares: list[list[list]] = [[] for _ in clients]
            for i in range(first, last):
                token, room = users[i % len(users)]
                shares[i % len(clients)].append([url, token, room])
            return _connect(clients, shares, folder)

        warm = open_sockets(0, WARMUP)  # the layer, pools and threads start with the first ones
        if sum(a["live"] for a in warm) != WARMUP:
            raise RuntimeError(f"warm-up sockets failed: {[a['errors'] for a in warm]}")
        time.sleep(1)
        result.rss_base_kib = _rss_kib(server.process.pid)
        opened = WARMUP
        rate = math.nan  # sockets a second the last step connected
        _soft, files = resource.getrlimit(resource.RLIMIT_NOFILE)  # the children raise to it
        for target in STEPS:
            if target > files - SPARE_FILES:
                result.stopped = f"the file-descriptor limit ({files:,}) allows no more sockets"
                break
            # Connecting slows down as sockets add up: half as much again as the last rate says.
            guess = time.monotonic() - started + 1.5 * (target - opened) / rate
            if guess > CAPACITY_BUDGET_SECONDS:
                result.stopped = (
                    f"the {target:,} step would not end within the time budget "
                    f"({CAPACITY_BUDGET_SECONDS:.0f} s)"
                )
                break
            step = Step(target)
            result.steps.append(step)
            answers = open_sockets(opened, target)
            step.connect_seconds = max(a["seconds"] for a in answers)
            rate = (target - opened) / max(step.connect_seconds, 0.001)
            opened = target
            live = sum(a["live"] for a in answers)
            step.failed = target - live
            for answer in answers:
                if answer["errors"]:
                    result.notes.append(
                        f"{target:,}: could not connect: {_counts(answer['errors'])}"
                    )
            time.sleep(2)
            step.rss_kib = _rss_kib(server.process.pid)
            if live > WARMUP:
                step.kib_per_socket = (step.rss_kib - result.rss_base_kib) / (live - WARMUP)
            rtts, step.lost = _ping(clients)
            if not percentile(rtts, 99) < RTT_GOAL_MS and not step.lost:
                # One stall (this machine is shared) spoils a few seconds' sample: once more.
                step.first_p99 = percentile(rtts, 99)
                rtts, step.lost = _ping(clients)
            step.rtts_ms = rtts
            closed: collections.Counter[str] = collections.Counter()  # since the start
            for client in clients:
                client.write("status")
            for client in clients:
                status = client.next_json(30, want=lambda p: p.get("event") == "status")
                closed.update(status["closed"])
            step.closed = closed.total()
            if step.closed:
                result.notes.append(f"by {target:,}: closed by the server: {_counts(closed)}")
            print(
                f"  capacity {target:5} sockets: connect {step.connect_seconds:.1f} s, "
                f"failed {step.failed}, RSS {step.rss_kib / 1024:.0f} MiB "
                f"({_ms(step.kib_per_socket)} KiB/socket), ping p50 "
                f"{_ms(percentile(step.rtts_ms, 50))} p99 {_ms(percentile(step.rtts_ms, 99))} ms, "
                f"lost {step.lost}",
                flush=True,
            )
            if not step.passed and not result.stopped:
                p99 = percentile(step.rtts_ms, 99)
                why = [
                    f"{step.failed} not connected" if step.failed else "",
                    f"{step.closed} closed by the server" if step.closed else "",
                    f"{step.lost} pongs lost" if step.lost else "",
                    f"ping p99 {_ms(p99)} ms" if not p99 < RTT_GOAL_MS else "",
                ]
                result.stopped = f"at {target:,}: " + ", ".join(filter(None, why))
            if result.stopped and target >= MEMORY_AT:
                break  # (a miss below MEMORY_AT still steps on to measure the memory)
        else:
            if not result.stopped:
                result.stopped = f"the largest step ({STEPS[-1]:,}) passed; none larger is tried"
    except Exception as exc:  # noqa: BLE001
        result.notes.append(f"aborted: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        result.notes += _stop_all(clients, [server] if server else [], "the server")
    return result


def _ping(clients: list[Child]) -> tuple[list[float], int]:
    """SAMPLE sockets' ping → pong round trips (ms), and the pongs lost."""
    for client in clients:
        client.write(f"ping {SAMPLE // len(clients)} {PING_ROUNDS}")
    rtts: list[float] = []
    lost = 0
    for client in clients:
        rtt = client.next_json(60, want=lambda p: p.get("event") == "rtt")
        rtts += rtt["rtts_ms"]
        lost += rtt["lost"]
    return rtts, lost


# --- report ------------------------------------------------------------------------------------


def _markdown(
    limits: dict, fanout: Fanout, capacity: Capacity, seconds: float, load: list[float]
) -> str:
    per_user = sum(rate * secs for rate, secs in FANOUT_ROUNDS) / FANOUT_SOCKETS
    span = sum(secs for _rate, secs in FANOUT_ROUNDS) + 2 * DELIVERY_TIMEOUT
    most_per_user = math.ceil(max(step.sockets for step in capacity.steps or [Step(0)]) / USERS)
    rounds = " then ".join(f"{rate} a second for {secs} s" for rate, secs in FANOUT_ROUNDS)
    lines = [
        "## Chat fan-out (/ws/chat/)",
        "",
        f"Two uvicorn processes of this site on 127.0.0.1 sharing the channels-redis layer "
        "(permessage-deflate declined, as make run does); "
        f"{FANOUT_SOCKETS:,} `/ws/chat/` sockets, one per user, in {ROOMS} public rooms of "
        f"{MEMBERS} members (socket i on process i mod 2, so every room has half its members on "
        "each process and every message crosses Redis); each socket follows its room from "
        "`welcome` on (opened with "
        f"{CONNECT_CONCURRENCY} handshakes in flight per client process). Two client processes "
        "(one per server) send `send_message` frames, "
        f"{rounds}, all senders together, each from the next socket in turn (consecutive ones "
        "to different rooms) with its `time.time()` in the content. Latency: each recipient's "
        "`time.time()` on receipt minus that, over every delivery (the sender gets its own "
        f"message too, so each message is expected {MEMBERS} times, counted for up to "
        f"{DELIVERY_TIMEOUT:.0f} s after the last send); per message, its first recipient's "
        "latency (storing and publishing) and, over the messages every member got, its last "
        "one's (plus the fan-out). Limits are left at the servers' settings: each user sent at "
        f"most {math.ceil(per_user)} messages in about {span:.0f} s on one socket "
        f"(CHAT_MESSAGES_PER_MINUTE {limits['CHAT_MESSAGES_PER_MINUTE']}, "
        f"CHAT_FRAMES_PER_MINUTE {limits['CHAT_FRAMES_PER_MINUTE']}, "
        f"CHAT_MAX_CONNECTIONS_PER_USER {limits['CHAT_MAX_CONNECTIONS_PER_USER']}). Clients, "
        "servers, Redis and PostgreSQL share one 2-CPU machine (with other work running), so "
        "the clients' own time is in every latency and the figures are noisy.",
        "",
        "| messages | deliveries | p50 ms | p95 ms | p99 ms | max ms | first recipient p50 / "
        "p99 ms | last recipient p50 / p99 ms | server CPU | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for one in fanout.rounds:
        lat = one.latencies_ms
        everyone = "all" if one.delivered == one.expected and one.expected else "**not all**"
        lines.append(
            f"| {one.sent:,} ({one.rate}/s × {one.seconds} s) | "
            f"{one.delivered:,}/{one.expected:,} ({everyone}; {one.complete:,} messages reached "
            f"every member) | {_ms(percentile(lat, 50))} | {_ms(percentile(lat, 95))} | "
            f"{_ms(percentile(lat, 99))} | {_ms(max(lat, default=math.nan))} | "
            f"{_ms(percentile(one.first_ms, 50))} / {_ms(percentile(one.first_ms, 99))} | "
            f"{_ms(percentile(one.last_ms, 50))} / {_ms(percentile(one.last_ms, 99))} | "
            + ", ".join(f"{value:.0f} %" for value in one.server_cpu)
            + f" | {_counts(one.errors) or 'none'} |"
        )
    extras = [
        f"{one.rate}/s: client processes' CPU "
        + ", ".join(f"{value:.0f} %" for value in one.client_cpu)
        + f", senders at most {one.behind_ms:.0f} ms behind schedule, {one.duplicates} "
        f"duplicate and {one.late} late (earlier round) deliveries"
        for one in fanout.rounds
    ]
    lines += [
        "",
        f"Server CPU is of one core, while sending. {fanout.connected:,} of "
        f"{FANOUT_SOCKETS:,} sockets connected and had their `welcome` in "
        f"{fanout.connect_seconds:.1f} s"
        + (f" ({_counts(fanout.errors)})" if fanout.errors else "")
        + ". "
        + "; ".join(extras)
        + ".",
        "",
        "### Memory and sockets per process",
        "",
        f"One fresh uvicorn process; {WARMUP} sockets first (they start the layer, pools and "
        "threads), its VmRSS then is the baseline; then idle sockets are added up to each step "
        f"(two client processes, {CONNECT_CONCURRENCY} handshakes in flight each; socket i is "
        f"user i mod {USERS:,}'s, so at most {most_per_user} a user), each answering the "
        "server's heartbeat. At each step, two seconds after the "
        f"last socket opened, {SAMPLE} sockets spread over the list each send {PING_ROUNDS} `ping` "
        "frames one after another (random pauses of 0.5–1.5 s, so over about 6 s) and time the "
        "`pong`; a sample whose p99 misses is taken once more (the machine is shared: one "
        "stall of another process's making spoils a few seconds), and the second counts. Stepping "
        f"stops after the first step with ping p99 ≥ {RTT_GOAL_MS:.0f} ms, a socket that could "
        "not connect or was closed, or a lost pong (but not below "
        f"{MEMORY_AT:,}, the memory figure's step), or when the next step would not end within "
        f"{CAPACITY_BUDGET_SECONDS:.0f} s of the first. Each socket's server heartbeat runs "
        f"every CHAT_PING_SECONDS ({limits['CHAT_PING_SECONDS']:g} s) from its connect, without "
        "jitter, so sockets opened in a burst are pinged (and touch their presence record) in a "
        "burst too: a step's sample can fall on an earlier step's wave, as after a reconnect "
        "storm in production.",
        "",
        "| idle sockets | connect s | not connected | server RSS MiB | KiB per socket | "
        "ping p50 ms | p95 ms | p99 ms | max ms | pongs lost | p99 < "
        f"{RTT_GOAL_MS:.0f} ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for step in capacity.steps:
        rtts = step.rtts_ms
        lines.append(
            f"| {step.sockets:,} | {step.connect_seconds:.1f} | {step.failed} | "
            f"{step.rss_kib / 1024:.0f} | {_ms(step.kib_per_socket)} | {_ms(percentile(rtts, 50))} "
            f"| {_ms(percentile(rtts, 95))} | {_ms(percentile(rtts, 99))}"
            + (f" (first sample {_ms(step.first_p99)})" if step.first_p99 is not None else "")
            + f" | {_ms(max(rtts, default=math.nan))} | {step.lost} | "
            f"{'yes' if step.passed else '**no**'} |"
        )
    at = next((step for step in capacity.steps if step.sockets == MEMORY_AT), None)
    memory = (
        f"**{at.kib_per_socket:.1f} KiB** per idle socket (RSS "
        f"{capacity.rss_base_kib / 1024:.0f} MiB with {WARMUP} sockets → "
        f"{at.rss_kib / 1024:.0f} MiB with {MEMORY_AT:,})"
        if at and not math.isnan(at.kib_per_socket)
        else "not measured"
    )
    held = capacity.held
    lines += [
        "",
        f"Memory per idle connection: {memory}. Most sockets one process held with ping→pong "
        f"p99 under {RTT_GOAL_MS:.0f} ms: "
        + (f"**{held:,}**" if held else f"**fewer than {STEPS[0]:,}**")
        + f" ({capacity.stopped or 'stopped early'}).",
    ]
    notes = [f"fan-out: {note}" for note in fanout.notes]
    notes += [f"capacity: {note}" for note in capacity.notes]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    lines += [
        "",
        f"This benchmark took {seconds:.0f} s; the machine's 1-minute load average was "
        f"{load[0]:.1f} at its start and {load[1]:.1f} at its end ({os.cpu_count()} CPUs; the "
        "benchmark's own processes account for part of it, the rest is other work taking CPU "
        "time from them).",
    ]
    return "\n".join(lines)


def run(env: dict[str, str]) -> str:
    """Measure and return a markdown section for bench/README.md."""
    started = time.monotonic()
    load = [os.getloadavg()[0]]
    env = {**env, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory(prefix="chat-fanout-") as tmp:
        folder = Path(tmp)
        setup = _set_up(env, folder)
        print(f"  set-up: {USERS:,} users in {USERS // MEMBERS} rooms", flush=True)
        fanout = _fanout(env, setup["users"], folder)
        capacity = _capacity(env, setup["users"], folder)
    load.append(os.getloadavg()[0])
    return _markdown(setup["limits"], fanout, capacity, time.monotonic() - started, load)


def _main() -> int:
    """As `bench/run.py chat_fanout` would: migrate, run, print the section."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PYTHONPATH": str(ROOT),
        "RATE_LIMIT_USER_PER_MINUTE": "100000000",
        "RATE_LIMIT_ANON_PER_MINUTE": "100000000",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(run(env))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["setup"]:
        _setup_process(sys.argv[2])
    else:
        sys.exit(_main())
