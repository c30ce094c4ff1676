"""Client side of bench/chat_fanout.py: many `/ws/chat/` sockets in one process, driven by stdin.

    python -m bench.chat_fanout_client

One command a line on stdin, each answered by one JSON line on stdout:
- `connect PATH CONCURRENCY`: open the sockets listed in the JSON file PATH (`[[url, token,
  room_id], ...]`), CONCURRENCY handshakes at a time; a socket counts once its `welcome` lists its
  room → {"event": "connected", "live", "opened", "errors", "seconds"};
- `send ROUND START RATE SECONDS SEQ_FROM SEQ_STEP`: a new round (what earlier rounds still
  deliver is counted apart): from the wall-clock time START, RATE `send_message` frames a second
  for SECONDS, from the live sockets in turn (interleaved so that consecutive messages go to
  different rooms), each with the content `bench:<round>:<seq>:<time.time()>` taken just before
  the frame is written → {"event": "sent", "sent", "failed", "per_room", "behind_ms"};
- `expect TIMEOUT {room_id: messages, ...}`: wait until every live socket has had that many
  `new_message` of its room in this round, or TIMEOUT s → {"event": "delivered", "latencies_ms",
  "per_message": {seq: [first ms, last ms, deliveries]}, "delivered", "expected", "duplicates",
  "late", "errors", "closed"} (latency: receive time.time() minus the one in the content, so
  sender and receiver may be different processes on this machine);
- `ping SOCKETS ROUNDS`: SOCKETS live sockets spread over the list each send ROUNDS `ping` frames
  one after another (random pauses of PING_PAUSE s) and time the `pong` → {"event": "rtt",
  "rtts_ms", "lost", "sampled"};
- `status` → {"event": "status", "live", "closed", "errors"};
- `stop`: abort every socket and exit.

Every socket answers the server's heartbeat `ping` with a `ping` of its own (the server closes a
socket it has not heard from for CHAT_IDLE_SECONDS); the `pong`s of those are skipped when timing.
The client sends an Origin header and offers permessage-deflate, as browsers do.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import resource
import sys
import threading
import time

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.market_fanout_client import origin_of

PREFIX = "bench:"
PING = json.dumps({"type": "ping"})
PONG_TIMEOUT = 5.0
PING_PAUSE = (0.5, 1.5)  # seconds between one socket's timed pings, at random


def emit(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


class Socket:
    __slots__ = ("closed", "got", "pending", "room", "seen", "ws")

    def __init__(self, ws: ClientConnection, room: int) -> None:
        self.ws = ws
        self.room = room
        self.got = 0  # bench messages of its room received
        self.seen: set[str] = set()
        # One entry per `ping` written, in order: a future to resolve with the pong's arrival
        # time (a timed ping) or None (a heartbeat answer).
        self.pending: collections.deque[asyncio.Future[float] | None] = collections.deque()
        self.closed = False


class Clients:
    def __init__(self) -> None:
        self.sockets: list[Socket] = []
        self.round = ""
        self.latencies_ms: list[float] = []
        self.per_message: dict[str, list[float]] = {}  # seq: [first ms, last ms, deliveries]
        self.duplicates = 0
        self.late = 0  # deliveries of an earlier round's messages
        self.errors: collections.Counter[str] = collections.Counter()
        self.closed: collections.Counter[str] = collections.Counter()
        self.stopping = False

    # --- connect ---------------------------------------------------------------------------

    async def connect_all(self, path: str, concurrency: int) -> None:
        with open(path) as file:
            wanted = json.load(file)
        started = time.monotonic()
        gate = asyncio.Semaphore(concurrency)
        errors: collections.Counter[str] = collections.Counter()
        before = len(self.sockets)

        async def one(url: str, token: str, room: int) -> None:
            async with gate:
                try:
                    ws = await connect(
                        f"{url}?token={token}",
                        origin=origin_of(url),
                        open_timeout=60,
                        ping_interval=None,  # browsers send no protocol pings
                        close_timeout=1,
                        max_size=2**20,
                    )
                except Exception as exc:  # noqa: BLE001 - a failed connection is a result
                    status = getattr(getattr(exc, "response", None), "status_code", None)
                    errors[f"{type(exc).__name__} {status or ''}".strip()] += 1
                    return
                try:
                    welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
                except ConnectionClosed as exc:
                    errors[f"closed {exc.rcvd.code if exc.rcvd else '?'} before welcome"] += 1
                    return
                except Exception as exc:  # noqa: BLE001
                    errors[f"welcome: {type(exc).__name__}"] += 1
                    ws.transport.abort()
                    return
            if welcome.get("type") != "welcome" or room not in welcome.get("rooms", ()):
                errors[f"first frame {welcome.get('type')!r} without room"] += 1
                ws.transport.abort()
                return
            sock = Socket(ws, room)
            self.sockets.append(sock)
            asyncio.create_task(self.read(sock))  # noqa: RUF006 - lives as long as the socket

        await asyncio.gather(*(one(*entry) for entry in wanted))
        emit(
            {
                "event": "connected",
                "live": self.live_count(),
                "opened": len(self.sockets) - before,
                "errors": dict(errors),
                "seconds": time.monotonic() - started,
            }
        )

    def live_count(self) -> int:
        return sum(not sock.closed for sock in self.sockets)

    # --- reading ---------------------------------------------------------------------------

    async def read(self, sock: Socket) -> None:
        try:
            async for raw in sock.ws:
                now = time.time()
                event = json.loads(raw)
                kind = event.get("type")
                if kind == "new_message":
                    self.on_message(sock, event["message"], now)
                elif kind == "pong":
                    if sock.pending:
                        waiter = sock.pending.popleft()
                        if waiter is not None and not waiter.done():
                            waiter.set_result(time.perf_counter())
                elif kind == "ping":
                    sock.pending.append(None)
                    await sock.ws.send(PING)
                elif kind == "error":
                    self.errors[str(event.get("message"))[:80]] += 1
        except Exception:  # noqa: BLE001, S110 - the close is counted below
            pass
        sock.closed = True
        if not self.stopping:
            code = sock.ws.close_code
            self.closed[f"{code} {sock.ws.close_reason or ''}".strip()] += 1

    def on_message(self, sock: Socket, message: dict, now: float) -> None:
        content = message.get("content") or ""
        if not content.startswith(PREFIX) or message.get("room_id") != sock.room:
            self.errors["unexpected new_message"] += 1
            return
        _prefix, round_, seq, sent = content.split(":")
        if round_ != self.round:
            self.late += 1
            return
        if seq in sock.seen:
            self.duplicates += 1
            return
        sock.seen.add(seq)
        sock.got += 1
        latency = round((now - float(sent)) * 1000, 3)
        self.latencies_ms.append(latency)
        seen = self.per_message.get(seq)
        if seen is None:
            self.per_message[seq] = [latency, latency, 1]
        else:
            seen[1] = max(seen[1], latency)
            seen[2] += 1

    # --- sending ---------------------------------------------------------------------------

    def interleaved(self) -> list[Socket]:
        by_room: dict[int, list[Socket]] = collections.defaultdict(list)
        for sock in self.sockets:
            if not sock.closed:
                by_room[sock.room].append(sock)
        rows = list(by_room.values())
        return [row[i] for i in range(max(map(len, rows), default=0)) for row in rows
                if i < len(row)]  # fmt: skip

    async def send(
        self, round_: str, start: float, rate: float, seconds: float, first: int, step: int
    ) -> None:
        self.round = round_
        self.latencies_ms, self.per_message = [], {}
        self.duplicates = self.late = 0
        self.errors.clear()
        self.closed.clear()
        for sock in self.sockets:
            sock.got, sock.seen = 0, set()
        senders = self.interleaved()
        per_room: collections.Counter[int] = collections.Counter()
        sent = failed = 0
        behind = 0.0
        await asyncio.sleep(max(0.0, start - time.time()))
        for j in range(round(rate * seconds) if senders else 0):
            delay = start + j / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                behind = max(behind, -delay)
            sock = senders[j % len(senders)]
            seq = first + j * step
            frame = {"type": "send_message", "room_id": sock.room,
                     "content": f"{PREFIX}{round_}:{seq}:{time.time():.6f}"}  # fmt: skip
            try:
                await sock.ws.send(json.dumps(frame))
            except ConnectionClosed:
                failed += 1
                continue
            sent += 1
            per_room[sock.room] += 1
        emit(
            {
                "event": "sent",
                "sent": sent,
                "failed": failed,
                "per_room": per_room,
                "behind_ms": behind * 1000,
            }
        )

    async def expect(self, timeout: float, per_room: dict[str, int]) -> None:
        deadline = time.monotonic() + timeout

        def missing() -> int:
            return sum(max(0, per_room.get(str(s.room), 0) - s.got) for s in self.sockets
                       if not s.closed)  # fmt: skip

        while missing() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        emit(
            {
                "event": "delivered",
                "latencies_ms": self.latencies_ms,
                "per_message": self.per_message,
                "delivered": sum(sock.got for sock in self.sockets),
                "expected": sum(per_room.get(str(sock.room), 0) for sock in self.sockets),
                "duplicates": self.duplicates,
                "late": self.late,
                "errors": dict(self.errors),
                "closed": dict(self.closed),
            }
        )

    # --- ping ------------------------------------------------------------------------------

    async def ping(self, count: int, rounds: int) -> None:
        live = [sock for sock in self.sockets if not sock.closed]
        sample = live[:: max(1, len(live) // max(1, count))][:count]
        rtts: list[float] = []
        lost = 0
        loop = asyncio.get_running_loop()

        async def one(sock: Socket) -> None:
            nonlocal lost
            await asyncio.sleep(random.uniform(0, PING_PAUSE[1]))
            for _ in range(rounds):
                waiter: asyncio.Future[float] = loop.create_future()
                sock.pending.append(waiter)
                started = time.perf_counter()
                try:
                    await sock.ws.send(PING)
                    arrived = await asyncio.wait_for(asyncio.shield(waiter), PONG_TIMEOUT)
                except (TimeoutError, ConnectionClosed):
                    lost += 1
                else:
                    rtts.append((arrived - started) * 1000)
                await asyncio.sleep(random.uniform(*PING_PAUSE))

        await asyncio.gather(*(one(sock) for sock in sample))
        emit({"event": "rtt", "rtts_ms": rtts, "lost": lost, "sampled": len(sample)})


def _read_stdin(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(lines.put_nowait, line)
    loop.call_soon_threadsafe(lines.put_nowait, None)


async def main() -> None:
    clients = Clients()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(
        target=_read_stdin, args=(asyncio.get_running_loop(), lines), daemon=True
    ).start()
    while (line := await lines.get()) is not None:
        command, *args = line.split(maxsplit=2) or [""]
        if command == "connect":
            await clients.connect_all(args[0], int(args[1]))
        elif command == "send":
            round_, start, rate, seconds, first, step = line.split()[1:]
            await clients.send(
                round_, float(start), float(rate), float(seconds), int(first), int(step)
            )
        elif command == "expect":
            await clients.expect(float(args[0]), json.loads(args[1]))
        elif command == "ping":
            await clients.ping(int(args[0]), int(args[1]))
        elif command == "status":
            emit(
                {
                    "event": "status",
                    "live": clients.live_count(),
                    "closed": dict(clients.closed),
                    "errors": dict(clients.errors),
                }
            )
        elif command == "stop":
            break
    clients.stopping = True
    for sock in clients.sockets:
        sock.ws.transport.abort()
    os._exit(0)  # thousands of tasks need no orderly shutdown; the sockets are already aborted


if __name__ == "__main__":
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
