"""Redis endpoints. One REDIS_URL; each use gets its own logical database unless overridden.

Keeping caches apart from state (refresh tokens, rate limits, presence) means `cache clear` never
logs users out. Eviction is per Redis instance, not per database: in production give state its
own instance (REDIS_STATE_URL) with `maxmemory-policy noeviction`.
"""

from config.env import broker_url_for, env, redis_url_for_db

REDIS_URL = env.str("REDIS_URL")
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default=redis_url_for_db(REDIS_URL, 0))
REDIS_STATE_URL = env.str("REDIS_STATE_URL", default=redis_url_for_db(REDIS_URL, 1))
REDIS_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=broker_url_for(redis_url_for_db(REDIS_URL, 2))
)
REDIS_CHANNELS_URL = env.str("REDIS_CHANNELS_URL", default=redis_url_for_db(REDIS_URL, 3))

# django-redis leaves these unset, and a hung Redis then blocks every worker thread.
REDIS_CONNECT_TIMEOUT_SECONDS = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT_SECONDS = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
