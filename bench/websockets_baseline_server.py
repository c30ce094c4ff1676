"""The baseline for bench/market_fanout.py: a market broadcast with nothing but `websockets`.

    python -m bench.websockets_baseline_server PORT

Each connection joins a set and gets the latest snapshot at once. Each line read on stdin is a
snapshot: it becomes the latest and goes to every connection with `broadcast()` (one process,
uvloop like uvicorn's, the same permessage-deflate defaults and backlog as uvicorn).
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

connections: set[ServerConnection] = set()
latest: str | None = None


async def handler(websocket: ServerConnection) -> None:
    connections.add(websocket)
    try:
        if latest is not None:
            await websocket.send(latest)
        await websocket.wait_closed()
    finally:
        connections.discard(websocket)


async def main(port: int) -> None:
    global latest
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    async with serve(handler, "127.0.0.1", port, backlog=2048):
        print("ready", flush=True)
        while line := await stdin.readline():
            latest = line.decode().rstrip("\n")
            broadcast(connections, latest)


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(int(sys.argv[1])))
    else:
        uvloop.run(main(int(sys.argv[1])))
