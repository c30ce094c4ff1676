"""A bounded HTTP load generator for the benchmarks (loopback only, stops by itself).

Runs in its own process so its CPU use is visible and separate from the server's.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


async def _run(
    urls: list[str], *, total: int, concurrency: int, headers: dict[str, str]
) -> LoadResult:
    if not all(url.startswith("http://127.0.0.1:") for url in urls):
        raise ValueError("load tests target 127.0.0.1 only")
    latencies: list[float] = []
    errors = 0
    order = itertools.islice(itertools.cycle(urls), total)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            for url in order:  # shared iterator: each request is taken by exactly one worker
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status != 200:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return LoadResult(requests=total, errors=errors, seconds=elapsed, latencies_ms=latencies)


def hammer(
    url: str | list[str],
    *,
    total: int,
    concurrency: int,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Send exactly ``total`` GET requests with ``concurrency`` in flight; request i goes to
    ``urls[i % len(urls)]`` when given several."""
    urls = [url] if isinstance(url, str) else url
    return asyncio.run(_run(urls, total=total, concurrency=concurrency, headers=headers or {}))
