from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.conf import settings


@pytest.fixture(autouse=True)
def _clean_channel_layer() -> Iterator[None]:
    """Groups and hub channels of an earlier test must not receive this test's snapshots."""
    client = redis.Redis.from_url(settings.REDIS_CHANNELS_URL)
    client.flushdb()
    yield
    client.close()


from tests.pipelines.conftest import worker  # noqa: E402, F401 - a real Celery worker for jobs
