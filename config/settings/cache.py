"""django-redis cache (F3): serve from the database when Redis is unreachable."""

from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

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
            "CONNECTION_POOL_KWARGS": {
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
