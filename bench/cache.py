"""Cache toolkit benchmark: cached vs uncached, Zipf hit rate, stampede, Redis stopped."""

from __future__ import annotations

from bench.subprocess_json import measure
from config.env import redis_url_for_db


def run(env: dict[str, str]) -> str:
    up = measure("bench.cache_bench", "up", env=env)
    # "Redis stopped": the cache URL points at a port nothing listens on (connection refused).
    down_env = {**env, "REDIS_CACHE_URL": redis_url_for_db("redis://127.0.0.1:1/0", 0)}
    down = measure("bench.cache_bench", "down", env=down_env)
    u, c = up["uncached"], up["cached"]
    cold, steady = up["zipf"]["cold_start"], up["zipf"]["steady_state"]
    lines = [
        "## Cache toolkit (cachekit)",
        "",
        "Query: one user with their groups and each group's member count (3 tables, an "
        "aggregate), 1,000 users. Same process, same data, one run.",
        "",
        "| measure | uncached | cached | ratio |",
        "|---|---:|---:|---:|",
        f"| read latency, median | {u['median_us']:.0f} µs | {c['median_us']:.0f} µs | "
        f"{u['median_us'] / c['median_us']:.1f}× faster |",
        f"| read latency, p95 | {u['p95_us']:.0f} µs | {c['p95_us']:.0f} µs | "
        f"{u['p95_us'] / c['p95_us']:.1f}× faster |",
        f"| Redis stopped, median (breaker open: computes) | {down['uncached']['median_us']:.0f} µs"
        f" | {down['cached']['median_us']:.0f} µs | "
        f"{down['cached']['median_us'] / down['uncached']['median_us']:.2f}× the uncached time |",
        "",
        "Hit rate under a Zipf(1.1) mix over 1,000 keys with one write per 50 reads (writes on "
        "Zipf-chosen, so mostly hot, rows; 20,000 operations per phase):",
        "",
        "| phase | reads | writes | hits | misses | of which invalidated "
        "| hit rate (goal ≥ 95 %) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {p['reads']} | {p['writes']} | {p['hits'] + p['stale_hits']} | "
            f"{p['misses']} | {p['invalidations']} | **{p['hit_rate']:.1%}** |"
            for label, p in (("from a cold cache", cold), ("steady state", steady))
        ),
        "",
        "200 concurrent readers on one hot key (computation takes 50 ms):",
        "",
        "| case | computations (goal 1) | slowest reader |",
        "|---|---:|---:|",
        f"| just expired (served stale while one recomputes) | "
        f"{up['stampede_expired']['computations']} | {up['stampede_expired']['max_ms']:.0f} ms |",
        f"| just invalidated by a write (others wait for the one) | "
        f"{up['stampede_invalidated']['computations']} | "
        f"{up['stampede_invalidated']['max_ms']:.0f} ms |",
    ]
    return "\n".join(lines)
