"""Settings for the test suite: the real PostgreSQL and Redis that `make test` provides."""

import os

from config.env import broker_url_for, redis_url_for_db

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
# Tests use their own Redis databases (10-13) and flush them. Assigned, not defaulted: a REDIS_*
# variable exported for another purpose must never be what the suite flushes.
_redis_url = os.environ.get("REDIS_URL", "")
if _redis_url:
    for _name, _db in (
        ("REDIS_CACHE_URL", 10),
        ("REDIS_STATE_URL", 11),
        ("CELERY_BROKER_URL", 12),
        ("REDIS_CHANNELS_URL", 13),
    ):
        _url = redis_url_for_db(_redis_url, _db)
        os.environ[_name] = broker_url_for(_url) if _name == "CELERY_BROKER_URL" else _url

from config.settings.base import *  # noqa: E402,F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405

# Models and views that exist only for the cache toolkit's tests.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.cachekit.testapp"]  # noqa: F405

# Demo data in tests: a month of daily bars and half an hour of minute bars is enough to check it.
STOCKS_DEMO_HISTORY_DAYS = 30
STOCKS_DEMO_INTRADAY_MINUTES = 30

# The suite's fake feeds and its in-thread site listen on 127.0.0.1 at random ports; the news
# crawler's own tests narrow this to the one server they allow.
NEWS_ALLOWED_PRIVATE_HOSTS = "127.0.0.1:*"
