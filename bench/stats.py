"""Small timing helpers the benchmarks share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timing_summary(samples_ms: list[float]) -> dict[str, float]:
    """Median, p95 (nearest rank below) and count of some timings in milliseconds."""
    ordered = sorted(samples_ms)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "n": len(ordered),
    }


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """``function()``'s duration in milliseconds, and its value."""
    started = time.perf_counter()
    value = function()
    return (time.perf_counter() - started) * 1000, value


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]
