import pytest

from cachekit import metrics, store
from tests.cachekit.testapp import selectors, views


@pytest.fixture(autouse=True)
def _fresh_toolkit_state():
    store.breaker.reset()
    metrics.counters.flush()  # counts of earlier tests go out before this test's flush of Redis
    selectors.CALLS.clear()
    views.RENDERS["count"] = 0
    yield
    store.breaker.reset()
