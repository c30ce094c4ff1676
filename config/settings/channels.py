"""Channels (F4): a Redis channel layer so every ASGI process on every machine shares groups."""

from config.settings.redis import REDIS_CHANNELS_URL, REDIS_CONNECT_TIMEOUT_SECONDS

# Must outlast the layer's 5 s blocking receive (BZPOPMIN): at redis-py's default of 5 s every
# idle receive ended in a TimeoutError (a reconnect, a logged traceback, a consumer crash).
CHANNELS_REDIS_SOCKET_TIMEOUT_SECONDS = 15

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # A connect timeout: a black-holed Redis must not hang sockets' connect for minutes.
            "hosts": [
                {
                    "address": REDIS_CHANNELS_URL,
                    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                    "socket_timeout": CHANNELS_REDIS_SOCKET_TIMEOUT_SECONDS,
                    # redis-py's async pool raises at its cap (100) instead of waiting: a
                    # thousand sockets dropping at once need more for their group_discards.
                    "max_connections": 1000,
                }
            ],
            "prefix": "is:channels",
            "capacity": 1000,
            "expiry": 60,
        },
    },
}
