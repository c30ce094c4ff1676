"""Channels (F4): a Redis channel layer so every ASGI process on every machine shares groups."""

from config.settings.redis import REDIS_CHANNELS_URL, REDIS_CONNECT_TIMEOUT_SECONDS

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # A connect timeout: a black-holed Redis must not hang sockets' connect for minutes.
            # (No read timeout: the layer's receive blocks on purpose.)
            "hosts": [
                {
                    "address": REDIS_CHANNELS_URL,
                    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                }
            ],
            "prefix": "is:channels",
            "capacity": 1000,
            "expiry": 60,
        },
    },
}
