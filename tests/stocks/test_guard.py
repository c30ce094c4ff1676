"""The provider guard (S5): a shared rate limit and a circuit breaker, state in real Redis."""

from __future__ import annotations

import logging
import time

import pytest

from core.redis import state_redis
from stocks.providers import ProviderError, ProviderUnavailable
from stocks.providers.guard import ProviderGuard


def _guard(**overrides) -> ProviderGuard:
    options = {"requests_per_minute": 1000, "failures_to_open": 3, "open_seconds": 60}
    return ProviderGuard("test", **{**options, **overrides})


def _failing() -> None:
    raise ProviderError("HTTP 503 from the source")


def test_breaker_opens_after_repeated_failures_and_then_skips_the_source(caplog, fresh_rate_window):
    guard = _guard()
    calls = []

    def failing() -> None:
        calls.append(1)
        _failing()

    with caplog.at_level(logging.WARNING, logger="stocks.providers.guard"):
        for _ in range(3):
            with pytest.raises(ProviderError):
                guard.call(failing)
        for _ in range(20):
            with pytest.raises(ProviderUnavailable, match="circuit open"):
                guard.call(failing)

    assert len(calls) == 3  # the open breaker never reached the source
    opened = [r for r in caplog.records if "circuit opened" in r.getMessage()]
    assert len(opened) == 1  # one line for the outage, not one per call


def test_breaker_state_is_shared_by_every_guard_of_the_provider():
    first, second = _guard(), _guard()
    for _ in range(3):
        with pytest.raises(ProviderError):
            first.call(_failing)

    with pytest.raises(ProviderUnavailable):
        second.call(lambda: "answer")


def test_after_the_pause_one_trial_call_closes_a_healthy_breaker(caplog):
    guard = _guard(open_seconds=1)
    for _ in range(3):
        with pytest.raises(ProviderError):
            guard.call(_failing)
    time.sleep(1.1)

    with caplog.at_level(logging.WARNING, logger="stocks.providers.guard"):
        assert guard.call(lambda: "answer") == "answer"
    assert guard.open_until() is None
    assert guard.call(lambda: "again") == "again"
    assert any("circuit closed" in r.getMessage() for r in caplog.records)


def test_a_failed_trial_reopens_the_breaker_at_once():
    guard = _guard(open_seconds=1)
    for _ in range(3):
        with pytest.raises(ProviderError):
            guard.call(_failing)
    time.sleep(1.1)

    with pytest.raises(ProviderError):
        guard.call(_failing)  # the trial
    with pytest.raises(ProviderUnavailable, match="circuit open"):
        guard.call(lambda: "answer")


def test_only_one_caller_tries_a_half_open_breaker():
    guard = _guard(open_seconds=1)
    state_redis().set(guard._open_until_key, time.time() - 1)
    state_redis().set(guard._trial_key, "1")  # another worker's trial is running

    with pytest.raises(ProviderUnavailable, match="half-open"):
        guard.call(lambda: "answer")


def test_a_success_resets_the_failure_count():
    guard = _guard()
    for _ in range(2):
        with pytest.raises(ProviderError):
            guard.call(_failing)
    guard.call(lambda: None)
    for _ in range(2):
        with pytest.raises(ProviderError):
            guard.call(_failing)

    assert guard.call(lambda: "still closed") == "still closed"


def test_rate_limit_refuses_requests_beyond_the_minutes_budget(fresh_rate_window):
    guard = _guard(requests_per_minute=5)
    for _ in range(5):
        guard.acquire_request()

    with pytest.raises(ProviderUnavailable, match="5 requests/minute"):
        guard.acquire_request()


def test_a_spent_rate_limit_does_not_count_as_a_source_failure():
    guard = _guard(failures_to_open=1)

    def throttled() -> None:
        raise ProviderUnavailable("rate limit spent")

    with pytest.raises(ProviderUnavailable):
        guard.call(throttled)
    assert guard.call(lambda: "answer") == "answer"


def test_a_trial_refused_by_the_rate_limit_lets_the_next_caller_try():
    guard = _guard(open_seconds=1)
    state_redis().set(guard._open_until_key, time.time() - 1)

    def throttled() -> None:
        raise ProviderUnavailable("rate limit spent")

    with pytest.raises(ProviderUnavailable):
        guard.call(throttled)  # took the trial, never reached the source
    assert guard.call(lambda: "answer") == "answer"


def test_failures_past_the_threshold_still_open_the_breaker():
    guard = _guard()
    state_redis().set(guard._failures_key, 7)  # counted while an earlier open was lost

    with pytest.raises(ProviderError):
        guard.call(_failing)
    with pytest.raises(ProviderUnavailable, match="circuit open"):
        guard.call(lambda: "answer")
