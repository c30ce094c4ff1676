"""Subscriber side of bench/market_fanout.py: N websocket connections to one URL in one process.

    python -m bench.market_fanout_client URL N SNAPSHOTS [--no-initial] [--timeout SECONDS]

Writes one JSON object a line on stdout:
- {"event": "ready", ...} once every connection is open and has its initial message (or failed);
- {"event": "got", "seq": s} once every connection has snapshot s or has been closed;
- {"event": "result", "received": {s: [time.time() per connection or null]}, ...} at the end:
  when every connection has every snapshot, when stdin says "stop" or closes, or at the timeout.
Snapshots 0 … SNAPSHOTS are expected after the initial message (which is not recorded).
Snapshots are told apart by the `"bench_seq":` the publisher puts at the end of each one; the
receive time is time.time() taken as soon as the message is handed to this connection's task.
The client sends an Origin header and offers permessage-deflate, as browsers do.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import resource
import sys
import threading
import time
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

MARKER = '"bench_seq":'
CONNECT_CONCURRENCY = 100


def seq_of(text: str | bytes) -> int | None:
    """The `bench_seq` number in a snapshot frame (None if there is none)."""
    if isinstance(text, bytes):
        text = text.decode()
    at = text.rfind(MARKER)
    if at < 0:
        return None
    start = end = at + len(MARKER)
    while end < len(text) and text[end].isdigit():
        end += 1
    return int(text[start:end]) if end > start else None


def origin_of(url: str) -> Origin:
    """The Origin a page served by that host would send (Channels refuses sockets without one)."""
    parts = urlsplit(url)
    return Origin(f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}")


def emit(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


class Subscribers:
    def __init__(self, url: str, n: int, snapshots: int, *, initial: bool) -> None:
        self.url = url
        self.n = n
        self.initial = initial
        self.received: dict[int, list[float | None]] = {
            seq: [None] * n for seq in range(snapshots + 1)
        }
        # Per snapshot: connections that have it, or were closed before they got it.
        self.resolved = dict.fromkeys(self.received, 0)
        self.settled = 0  # open with the initial message, or failed
        self.live = 0  # open with the initial message
        self.errors: collections.Counter[str] = collections.Counter()
        self.unexpected = 0
        self.closed_early = 0
        self.connections: list[ClientConnection] = []
        self.all_settled = asyncio.Event()
        self.finished = asyncio.Event()
        self.started = time.monotonic()
        self.ready_seconds: float | None = None

    def _settle(self, *, ok: bool, error: str | None = None) -> None:
        self.settled += 1
        if ok:
            self.live += 1
        if error:
            self.errors[error] += 1
        if self.settled == self.n:
            self.ready_seconds = time.monotonic() - self.started
            self.all_settled.set()
            for seq in self.resolved:  # connections closed while others were still connecting
                if self.resolved[seq]:
                    self._check_complete(seq)

    def _check_complete(self, seq: int) -> None:
        if self.all_settled.is_set() and self.resolved[seq] == self.live:
            emit({"event": "got", "seq": seq})
            if all(count == self.live for count in self.resolved.values()):
                self.finished.set()

    async def subscriber(self, index: int, gate: asyncio.Semaphore) -> None:
        try:
            async with gate:
                websocket = await connect(
                    self.url,
                    origin=origin_of(self.url),
                    open_timeout=60,
                    ping_interval=None,
                    close_timeout=1,
                    max_size=2**24,
                )
        except Exception as exc:  # noqa: BLE001 - a failed connection is a result, not a crash
            status = getattr(getattr(exc, "response", None), "status_code", None)
            self._settle(ok=False, error=f"{type(exc).__name__} {status or ''}".strip())
            return
        self.connections.append(websocket)
        try:
            if self.initial:
                await asyncio.wait_for(websocket.recv(), 60)
        except Exception as exc:  # noqa: BLE001
            self._settle(ok=False, error=f"initial: {type(exc).__name__}")
            return
        self._settle(ok=True)
        try:
            async for message in websocket:
                now = time.time()
                seq = seq_of(message)
                times = self.received.get(seq) if seq is not None else None
                if times is None or times[index] is not None:
                    self.unexpected += 1
                    continue
                times[index] = now
                self.resolved[seq] += 1
                self._check_complete(seq)
        except Exception:  # noqa: BLE001, S110 - counted below
            pass
        self.closed_early += 1
        for seq, times in self.received.items():
            if times[index] is None:
                self.resolved[seq] += 1
                self._check_complete(seq)

    def result(self) -> dict:
        return {
            "event": "result",
            "requested": self.n,
            "live": self.live,
            "errors": dict(self.errors),
            "unexpected": self.unexpected,
            "closed_early": self.closed_early,
            "received": {str(seq): times for seq, times in self.received.items()},
        }


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    loop.call_soon_threadsafe(stop.set)


async def main(url: str, n: int, snapshots: int, *, initial: bool, timeout: float) -> None:
    subscribers = Subscribers(url, n, snapshots, initial=initial)
    stop = asyncio.Event()
    threading.Thread(
        target=_watch_stdin, args=(asyncio.get_running_loop(), stop), daemon=True
    ).start()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks = [asyncio.create_task(subscribers.subscriber(i, gate)) for i in range(n)]
    deadline = time.monotonic() + timeout

    async def until(event: asyncio.Event) -> None:
        waits = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(stop.wait())}
        _done, pending = await asyncio.wait(
            waits, timeout=max(0.0, deadline - time.monotonic()), return_when="FIRST_COMPLETED"
        )
        for waiter in pending:
            waiter.cancel()

    await until(subscribers.all_settled)
    emit(
        {
            "event": "ready",
            "live": subscribers.live,
            "settled": subscribers.settled,
            "errors": dict(subscribers.errors),
            "seconds": subscribers.ready_seconds,
        }
    )
    if not stop.is_set() and subscribers.live:
        await until(subscribers.finished)
    emit(subscribers.result())
    for websocket in subscribers.connections:
        websocket.transport.abort()
    del tasks
    os._exit(0)  # 5,000 tasks need no orderly shutdown; the connections are already aborted


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("n", type=int)
    parser.add_argument("snapshots", type=int)
    parser.add_argument("--no-initial", action="store_true", help="the server sends nothing first")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    runner(
        main(args.url, args.n, args.snapshots, initial=not args.no_initial, timeout=args.timeout)
    )
