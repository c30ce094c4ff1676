"""django-redis cache (F3): serve from the database when Redis is unreachable."""

from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from config.env import env
from config.settings.redis import (
    REDIS_CACHE_URL,
    REDIS_CONNECT_TIMEOUT_SECONDS,
    REDIS_SOCKET_TIMEOUT_SECONDS,
)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": "is",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT_SECONDS,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT_SECONDS,
            # A cache error becomes a miss, so callers compute from PostgreSQL instead of failing.
            "IGNORE_EXCEPTIONS": True,
            # A bounded pool whose callers wait briefly for a free connection, instead of
            # redis-py's default pool that fails the 101st concurrent caller outright.
            "CONNECTION_POOL_CLASS": "redis.BlockingConnectionPool",
            "CONNECTION_POOL_KWARGS": {
                "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=100),
                "timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
                # Reconnect with exponential back-off, but only briefly: a request must not wait
                # long on a cache that is down.
                "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1),
                "retry_on_error": [RedisConnectionError, RedisTimeoutError],
                "health_check_interval": 30,
            },
        },
    },
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# core.logging turns each ignored exception into one rate-limited warning line.
DJANGO_REDIS_LOGGER = "insightstock.redis"

# --- the cache toolkit (cachekit) ----------------------------------------------------------
# Default TTLs in seconds (C8), one table; each overridable as CACHE_TTL_<NAME>, e.g.
# CACHE_TTL_STOCK_DETAIL=30. (Chat presence is not here: its TTL follows the socket heartbeat,
# chat/presence.py.)
_DEFAULT_TTLS = {
    "stock_detail": 60,
    "stock_prices_1d": 10,
    "stock_prices": 60,
    "market_snapshot": 5,
    "market_stats": 30,
    "news_list": 300,
    "news_detail": 600,
    "chat_rooms": 300,
    "chat_messages": 600,
    "search_results": 300,
    "popular_search_terms": 600,
    "user_context": 300,
    "image_by_hash": 30 * 24 * 3600,
    "image_resized": 7 * 24 * 3600,
    "portfolio_list": 300,
    "portfolio_summary": 300,
    "model_lookup": 300,
}
CACHE_TTLS = {
    name: env.int(f"CACHE_TTL_{name.upper()}", default=seconds)
    for name, seconds in _DEFAULT_TTLS.items()
}
# Off: every cached read computes (benchmarks' uncached baseline; debugging a stale value).
CACHEKIT_ENABLED = env.bool("CACHE_ENABLED", default=True)
# A hit with less than this fraction of its TTL left is refreshed in the background (C7).
CACHEKIT_REFRESH_AHEAD_FRACTION = env.float("CACHE_REFRESH_AHEAD_FRACTION", default=0.2)
# Redis keeps an entry this fraction of its TTL past expiry, to serve while it is recomputed.
CACHEKIT_STALE_GRACE_FRACTION = 1.0
# Stampede lock: how long a computing caller holds it at most, how long others wait for it.
CACHEKIT_LOCK_TIMEOUT_MS = env.int("CACHE_LOCK_TIMEOUT_MS", default=10_000)
CACHEKIT_WAIT_MS = env.int("CACHE_WAIT_MS", default=2_000)
CACHEKIT_POLL_MS = 20
# Tag versions outlive every entry that recorded them (see cachekit.store.bump).
CACHEKIT_TAG_TTL_SECONDS = max(CACHE_TTLS.values()) * 2 + 24 * 3600
# After a Redis failure, skip Redis for 1 s, doubling per failure up to 30 s (reconnect back-off).
CACHEKIT_BREAKER_BASE_SECONDS = 1.0
CACHEKIT_BREAKER_MAX_SECONDS = 30.0
CACHEKIT_METRICS_FLUSH_SECONDS = 1.0
CACHEKIT_REFRESH_WORKERS = 2
