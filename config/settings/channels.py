"""Channels (F4): a Redis channel layer so every ASGI process on every machine shares groups."""

from config.settings.redis import REDIS_CHANNELS_URL

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_CHANNELS_URL],
            "prefix": "is:channels",
            "capacity": 1000,
            "expiry": 60,
        },
    },
}
