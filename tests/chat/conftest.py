from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.conf import settings


@pytest.fixture(autouse=True)
def _clean_channel_layer() -> Iterator[None]:
    """Groups of an earlier test must not receive this test's events."""
    client = redis.Redis.from_url(settings.REDIS_CHANNELS_URL)
    client.flushdb()
    yield
    client.close()
