"""Market-data providers (S5), chosen by the STOCKS_PROVIDER setting, each behind a guard."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from stocks.providers.base import (
    IndexQuote,
    MarketDataProvider,
    ProviderError,
    ProviderUnavailable,
    Quote,
    StockState,
)
from stocks.providers.guard import GuardedProvider, ProviderGuard

__all__ = [
    "GuardedProvider",
    "IndexQuote",
    "MarketDataProvider",
    "ProviderError",
    "ProviderUnavailable",
    "Quote",
    "StockState",
    "configured_provider",
]

_simulated = None


def configured_provider() -> GuardedProvider:
    """The provider STOCKS_PROVIDER names, behind its rate limiter and circuit breaker."""
    global _simulated
    name = settings.STOCKS_PROVIDER
    guard = ProviderGuard(
        name,
        requests_per_minute=settings.STOCKS_PROVIDER_REQUESTS_PER_MINUTE,
        failures_to_open=settings.STOCKS_PROVIDER_FAILURES_TO_OPEN,
        open_seconds=settings.STOCKS_PROVIDER_OPEN_SECONDS,
    )
    if name == "simulated":
        from stocks.providers.simulated import SimulatedProvider

        # One per process: it caches each day's price paths.
        if _simulated is None or _simulated.market.seed != settings.STOCKS_SIMULATION_SEED:
            _simulated = SimulatedProvider(seed=settings.STOCKS_SIMULATION_SEED)
        return GuardedProvider(_simulated, guard)
    if name == "yahoo":
        from stocks.providers.yahoo import YahooChartProvider

        return GuardedProvider(
            YahooChartProvider(
                base_url=settings.STOCKS_YAHOO_BASE_URL,
                timeout_seconds=settings.STOCKS_PROVIDER_TIMEOUT_SECONDS,
                concurrency=settings.STOCKS_PROVIDER_CONCURRENCY,
                before_request=guard.acquire_request,
                deadline_seconds=settings.STOCKS_PROVIDER_CALL_DEADLINE_SECONDS,
            ),
            guard,
        )
    raise ImproperlyConfigured(f"STOCKS_PROVIDER must be 'simulated' or 'yahoo', not {name!r}")
