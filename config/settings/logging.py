"""Logging to stdout, level from LOG_LEVEL."""

from config.env import env

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {
        # One warning per minute per kind of failure, not one per request (F3).
        "once_a_minute": {"()": "core.logging.RateLimitedWarningFilter", "interval_seconds": 60},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # django-redis and our Redis helpers log here; the filter sits on the logger so that
        # every handler (and the test suite's log capture) sees the same throttled stream.
        "insightstock.redis": {"filters": ["once_a_minute"], "level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request at INFO: one line per symbol per price collection.
        "httpx": {"level": "WARNING"},
    },
}
