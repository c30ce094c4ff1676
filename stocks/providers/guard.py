"""A rate limiter and a circuit breaker in front of a market-data provider (S5).

Both keep their state in the state Redis, so every worker on every machine sees the same budget
and the same open breaker. A failing source costs one warning when the breaker opens and one line
when it closes again; while it is open, collections skip the call at once instead of waiting on
timeouts. If Redis itself is down the guard lets calls through: the provider's own timeouts still
bound them.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from core.redis import RedisError, state_redis
from core.throttling import rate_limit_hit
from stocks.providers.base import ProviderError, ProviderUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ProviderGuard:
    def __init__(
        self,
        name: str,
        *,
        requests_per_minute: int,
        failures_to_open: int,
        open_seconds: int,
    ) -> None:
        self.name = name
        self.requests_per_minute = requests_per_minute
        self.failures_to_open = failures_to_open
        self.open_seconds = open_seconds
        prefix = f"stocks:provider:{name}"
        self._failures_key = f"{prefix}:failures"
        self._open_until_key = f"{prefix}:open-until"
        self._trial_key = f"{prefix}:trial"

    def acquire_request(self) -> None:
        """Count one request; raise ProviderUnavailable when this minute's budget is spent."""
        decision = rate_limit_hit(
            scope=f"provider:{self.name}", identity="all", limit_per_minute=self.requests_per_minute
        )
        if not decision.is_allowed:
            raise ProviderUnavailable(
                f"{self.name}: {self.requests_per_minute} requests/minute spent; "
                f"retry in {decision.retry_after_seconds}s"
            )

    def open_until(self) -> float | None:
        """When the breaker closes again (epoch seconds), or None if it is closed."""
        try:
            value = state_redis().get(self._open_until_key)
        except RedisError:
            return None
        return float(value) if value is not None else None

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` unless the breaker is open; record its success or failure."""
        is_trial = self._admit()
        try:
            result = function()
        except ProviderUnavailable:
            if is_trial:  # the trial never reached the source: let the next caller try
                with contextlib.suppress(RedisError):
                    state_redis().delete(self._trial_key)
            raise  # a spent rate limit says nothing about the source's health
        except ProviderError as exc:
            self._record_failure(exc, is_trial=is_trial)
            raise
        self._record_success(is_trial=is_trial)
        return result

    def _admit(self) -> bool:
        """Whether this call is the one trial of a half-open breaker; raise if it may not run."""
        try:
            client = state_redis()
            open_until = client.get(self._open_until_key)
            if open_until is None:
                return False
            remaining = float(open_until) - time.time()
            if remaining > 0:
                raise ProviderUnavailable(
                    f"{self.name}: circuit open for another {math.ceil(remaining)}s"
                )
            # Half-open: exactly one caller tries the source; the others keep skipping. The trial
            # key outlives any one call (its deadline is well under the pause).
            if client.set(self._trial_key, "1", nx=True, ex=max(1, 2 * self.open_seconds)):
                return True
            raise ProviderUnavailable(f"{self.name}: circuit half-open, a trial call is running")
        except RedisError:
            return False

    def _record_failure(self, exc: Exception, *, is_trial: bool) -> None:
        try:
            client = state_redis()
            failures = client.incr(self._failures_key)
            if is_trial or failures >= self.failures_to_open:
                was_open = client.getset(self._open_until_key, time.time() + self.open_seconds)
                client.delete(self._trial_key)
                if was_open is not None and not is_trial:
                    return  # a call that was already under way when it opened: no new line
                logger.warning(
                    "market data provider %s: circuit opened for %ss after %s failure(s): %s",
                    self.name, self.open_seconds, failures, exc,
                )  # fmt: skip
        except RedisError:
            pass

    def _record_success(self, *, is_trial: bool) -> None:
        try:
            client = state_redis()
            if is_trial:
                logger.warning("market data provider %s: circuit closed, source answers", self.name)
            client.delete(self._failures_key, self._open_until_key, self._trial_key)
        except RedisError:
            pass


class GuardedProvider:
    """A provider whose every call goes through a ProviderGuard."""

    def __init__(self, provider: object, guard: ProviderGuard) -> None:
        self.provider = provider
        self.guard = guard
        self.name = provider.name  # type: ignore[attr-defined]

    def quotes(self, stocks: list, *, now: object) -> list:
        return self.guard.call(lambda: self.provider.quotes(stocks, now=now))  # type: ignore[attr-defined]

    def index_quotes(self, *, now: object) -> list:
        return self.guard.call(lambda: self.provider.index_quotes(now=now))  # type: ignore[attr-defined]
