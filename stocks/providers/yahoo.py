"""Yahoo Finance's public chart API (v8) as a market-data provider.

One GET per symbol: ``/v8/finance/chart/{symbol}?interval=1m&range=1d`` answers both the day so
far (in ``meta``) and its one-minute bars. Yahoo has no batch endpoint for that, so the symbols of
one call are fetched concurrently over a single pooled client.

Failure policy, because the caller's circuit breaker counts our exceptions:

* a symbol Yahoo does not know (404, ``chart.error``) or a chart with nothing usable is *absent*:
  it is left out and never counts as a failure, so one delisted stock cannot open the breaker;
* network errors, timeouts, 429, 5xx and unparseable bodies are *failures*; only when every
  requested symbol failed is the whole call a ``ProviderError`` - otherwise the rest is returned;
* the rate limiter (``before_request``) may refuse a request: nothing more is sent in this call
  and what was gathered is returned, or ``ProviderUnavailable`` is raised if that is nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx

from stocks.providers.base import (
    IndexQuote,
    ProviderError,
    ProviderUnavailable,
    Quote,
    StockState,
)
from stocks.symbols import yahoo_index_symbol, yahoo_symbol

logger = logging.getLogger(__name__)

# Yahoo rejects requests without a browser-like User-Agent (HTTP 429 "Too Many Requests").
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)
INDEX_SYMBOLS = ("KOSPI", "KOSDAQ", "USDKRW")

_STOCK_STEP = Decimal("0.01")
_INDEX_STEP = Decimal("0.0001")


def _no_limit() -> None:
    """The default ``before_request``: every request may go."""


class _Absent(Exception):
    """Yahoo answered, but has nothing usable for this symbol: leave it out, quietly.

    An outcome rather than an error: it never leaves this module.
    """


@dataclass(frozen=True)
class _Fetched:
    """The charts one call gathered, the symbols that failed, and whether the limiter said stop."""

    charts: dict[str, Mapping[str, Any]]
    failures: dict[str, str]
    requested: int
    refused: ProviderUnavailable | None


class YahooChartProvider:
    """Quotes and index values from Yahoo's chart API (see the module docstring for failures)."""

    name = "yahoo"

    def __init__(
        self,
        *,
        base_url: str,
        timeout_seconds: float,
        concurrency: int,
        before_request: Callable[[], None] = _no_limit,
        deadline_seconds: float = 20.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        # A whole call ends by then: requests still queued or running count as failed, so a slow
        # source fails the call (and feeds the circuit breaker) instead of outliving the job.
        self.deadline_seconds = deadline_seconds
        self.concurrency = max(1, concurrency)
        self.before_request = before_request

    # --- the provider interface ------------------------------------------------------------

    def quotes(self, stocks: list[StockState], *, now: datetime) -> list[Quote]:
        """Quotes for the stocks Yahoo has; ``now`` is unused, Yahoo's own times are kept."""
        code_by_symbol = {yahoo_symbol(code=s.code, market=s.market): s.code for s in stocks}
        fetched = self._fetch(list(code_by_symbol))
        quotes: list[Quote] = []
        for symbol, chart in fetched.charts.items():
            try:
                quotes.append(_stock_quote(code_by_symbol[symbol], chart))
            except _Absent as exc:
                logger.debug("yahoo: %s left out: %s", symbol, exc)
        return self._settle(quotes, fetched, what="quotes")

    def index_quotes(self, *, now: datetime) -> list[IndexQuote]:
        """KOSPI, KOSDAQ and USD/KRW, as many as Yahoo answers for."""
        name_by_symbol = {yahoo_index_symbol(name): name for name in INDEX_SYMBOLS}
        fetched = self._fetch(list(name_by_symbol))
        quotes: list[IndexQuote] = []
        for symbol, chart in fetched.charts.items():
            try:
                quotes.append(_index_quote(name_by_symbol[symbol], chart))
            except _Absent as exc:
                logger.debug("yahoo: %s left out: %s", symbol, exc)
        return self._settle(quotes, fetched, what="index quotes")

    # --- fetching ----------------------------------------------------------------------------

    def _fetch(self, symbols: Sequence[str]) -> _Fetched:
        """GET every symbol's chart, ``concurrency`` at a time, asking the limiter before each.

        The limiter is asked on this thread, in order, as each request is handed to the pool: a
        refusal then stops exactly the requests not yet issued, and a limiter needs no locking.
        """
        charts: dict[str, Mapping[str, Any]] = {}
        failures: dict[str, str] = {}
        refused: ProviderUnavailable | None = None
        if not symbols:
            return _Fetched(charts, failures, 0, None)
        futures: dict[str, Future[Mapping[str, Any]]] = {}
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        client = httpx.Client(
            timeout=self.timeout_seconds,
            headers=headers,
            # One connection per worker: a smaller pool would make workers wait on it.
            limits=httpx.Limits(max_connections=self.concurrency),
        )
        pool = ThreadPoolExecutor(
            max_workers=min(self.concurrency, len(symbols)), thread_name_prefix="yahoo"
        )
        try:
            for symbol in symbols:
                try:
                    self.before_request()
                except ProviderUnavailable as exc:
                    refused = exc
                    break
                futures[symbol] = pool.submit(self._chart, client, symbol)
            futures_wait(futures.values(), timeout=self.deadline_seconds)
            for symbol, future in futures.items():
                if not future.done():
                    future.cancel()
                    failures[symbol] = f"{symbol}: not answered within the call's deadline"
                    continue
                try:
                    charts[symbol] = future.result()
                except _Absent as exc:
                    logger.debug("yahoo: %s left out: %s", symbol, exc)
                except ProviderError as exc:
                    logger.debug("yahoo: %s failed: %s", symbol, exc)
                    failures[symbol] = str(exc)
        finally:
            # Never wait for stragglers: each ends by its own request timeout.
            pool.shutdown(wait=False, cancel_futures=True)
            if all(future.done() for future in futures.values()):
                client.close()
        return _Fetched(charts, failures, len(futures), refused)

    def _chart(self, client: httpx.Client, symbol: str) -> Mapping[str, Any]:
        """The ``chart.result[0]`` of one symbol; ``_Absent`` or ``ProviderError`` otherwise."""
        url = f"{self.base_url}/v8/finance/chart/{quote(symbol, safe='')}"
        try:
            response = client.get(url, params={"interval": "1m", "range": "1d"})
        except httpx.TimeoutException as exc:
            raise ProviderError(f"{symbol}: timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"{symbol}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == httpx.codes.NOT_FOUND:
            raise _Absent(f"HTTP 404: {_error_description(response)}")
        if response.status_code != httpx.codes.OK:
            raise ProviderError(f"{symbol}: HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:  # json.JSONDecodeError, UnicodeDecodeError
            raise ProviderError(
                f"{symbol}: unparseable body ({len(response.content)} bytes)"
            ) from exc
        chart = payload.get("chart") if isinstance(payload, dict) else None
        if not isinstance(chart, dict):
            raise ProviderError(f"{symbol}: no 'chart' object in the body")
        if chart.get("error"):
            raise _Absent(f"chart error: {_describe(chart['error'])}")
        results = chart.get("result")
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise _Absent("no chart result")
        return results[0]

    def _settle(self, gathered: list[Any], fetched: _Fetched, *, what: str) -> list[Any]:
        """Return what was gathered, or raise when the whole call must count as failed."""
        if fetched.requested and len(fetched.failures) == fetched.requested:
            first_error = next(iter(fetched.failures.values()))  # already names its symbol
            message = f"yahoo {what}: all {fetched.requested} requests failed; first: {first_error}"
            logger.warning("%s", message)
            raise ProviderError(message)
        if fetched.refused is not None and not gathered:
            # Not a failure of Yahoo's: the caller knows the limit, and sees the exception.
            logger.debug("yahoo %s: the rate limit refused before anything was gathered", what)
            raise fetched.refused
        return gathered


# --- parsing -------------------------------------------------------------------------------


def _stock_quote(code: str, chart: Mapping[str, Any]) -> Quote:
    """A ``Quote`` from one chart result; ``_Absent`` when it lacks what a quote needs."""
    meta = _meta(chart)
    price = _price(meta.get("regularMarketPrice"), _STOCK_STEP, "regularMarketPrice")
    previous_close = _previous_close(meta, _STOCK_STEP)
    bars = _Bars(chart)
    last = bars.last_complete()
    if last is None:
        raise _Absent("no complete one-minute bar")
    opens = [o for o in bars.open if _is_number(o)]
    day_open = _price(opens[0], _STOCK_STEP, "open") if opens else price
    day_high = _optional_price(meta.get("regularMarketDayHigh"), _STOCK_STEP)
    day_low = _optional_price(meta.get("regularMarketDayLow"), _STOCK_STEP)
    return Quote(
        code=code,
        as_of=_as_of(meta),
        price=price,
        previous_close=previous_close,
        day_open=day_open,
        # Yahoo sends these during a session; should one be missing, the bars still give the
        # day's range better than the last price alone would.
        day_high=day_high if day_high is not None else bars.extreme(bars.high, max, price),
        day_low=day_low if day_low is not None else bars.extreme(bars.low, min, price),
        day_volume=_volume(meta.get("regularMarketVolume"), default=bars.total_volume()),
        minute_start=_minute_floor(bars.timestamp[last]),
        minute_open=_price(bars.open[last], _STOCK_STEP, "open"),
        minute_high=_price(bars.high[last], _STOCK_STEP, "high"),
        minute_low=_price(bars.low[last], _STOCK_STEP, "low"),
        minute_close=_price(bars.close[last], _STOCK_STEP, "close"),
        minute_volume=_volume(bars.volume[last], default=0),
    )


def _index_quote(name: str, chart: Mapping[str, Any]) -> IndexQuote:
    """An ``IndexQuote`` from one chart result: only ``meta`` matters, bars are not needed."""
    meta = _meta(chart)
    return IndexQuote(
        symbol=name,
        as_of=_as_of(meta),
        value=_price(meta.get("regularMarketPrice"), _INDEX_STEP, "regularMarketPrice"),
        previous_close=_previous_close(meta, _INDEX_STEP),
    )


class _Bars:
    """The one-minute bars of a chart, columns as Yahoo sends them (nulls included)."""

    def __init__(self, chart: Mapping[str, Any]) -> None:
        timestamp = chart.get("timestamp")
        indicators = chart.get("indicators")
        quotes = indicators.get("quote") if isinstance(indicators, dict) else None
        columns = quotes[0] if isinstance(quotes, list) and quotes else None
        if not isinstance(timestamp, list) or not isinstance(columns, dict):
            # A symbol with no trade yet today has meta but no bars at all.
            timestamp, columns = [], {}
        self.timestamp: list[Any] = timestamp
        self.open = _column(columns, "open", len(timestamp))
        self.high = _column(columns, "high", len(timestamp))
        self.low = _column(columns, "low", len(timestamp))
        self.close = _column(columns, "close", len(timestamp))
        self.volume = _column(columns, "volume", len(timestamp))

    def last_complete(self) -> int | None:
        """The last bar with open, high, low and close all present: Yahoo pads with nulls."""
        for i in range(len(self.timestamp) - 1, -1, -1):
            values = (self.open[i], self.high[i], self.low[i], self.close[i])
            if _is_number(self.timestamp[i]) and all(_is_number(v) for v in values):
                return i
        return None

    @staticmethod
    def extreme(column: list[Any], pick: Callable[..., Any], default: Decimal) -> Decimal:
        """The day's high (``max`` of highs) or low (``min`` of lows) from the bars."""
        values = [v for v in column if _is_number(v)]
        return _price(pick(values), _STOCK_STEP, "bar extreme") if values else default

    def total_volume(self) -> int:
        return sum(int(v) for v in self.volume if _is_number(v) and v >= 0)


def _column(columns: Mapping[str, Any], key: str, length: int) -> list[Any]:
    """One indicator column, padded with ``None`` to the timestamps' length if short."""
    values = columns.get(key)
    values = list(values) if isinstance(values, list) else []
    return values + [None] * (length - len(values))


def _meta(chart: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = chart.get("meta")
    if not isinstance(meta, dict):
        raise _Absent("no meta")
    return meta


def _as_of(meta: Mapping[str, Any]) -> datetime:
    seconds = meta.get("regularMarketTime")
    if not _is_number(seconds):
        raise _Absent("no regularMarketTime")
    return _utc(seconds)


def _minute_floor(seconds: float) -> datetime:
    """The UTC minute a bar belongs to: Yahoo stamps the live bar with the last trade's second."""
    return _utc(int(seconds) // 60 * 60)


def _utc(seconds: float) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:  # a nonsense epoch, not a real time
        raise _Absent(f"bad epoch time {seconds!r}") from exc


def _previous_close(meta: Mapping[str, Any], step: Decimal) -> Decimal:
    """``chartPreviousClose`` (the close before this chart's range), else ``previousClose``."""
    for key in ("chartPreviousClose", "previousClose"):
        value = _optional_price(meta.get(key), step)
        if value is not None:
            return value
    raise _Absent("no previous close")


def _price(value: Any, step: Decimal, field: str) -> Decimal:
    result = _optional_price(value, step)
    if result is None:
        raise _Absent(f"no usable {field}")
    return result


def _optional_price(value: Any, step: Decimal) -> Decimal | None:
    """A JSON number as a Decimal at ``step``; via ``str`` so 0.1-style float noise is dropped."""
    if not _is_number(value):
        return None
    try:
        result = Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # too many digits for the context at this step
        return None
    return result if result > 0 else None


def _volume(value: Any, *, default: int) -> int:
    if not _is_number(value) or value < 0:
        return default
    return int(value)


def _is_number(value: Any) -> bool:
    """A finite JSON number: ``true`` is not one (though a bool is an int), nor is ``NaN``."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _error_description(response: httpx.Response) -> str:
    """Yahoo's own words from an error body, short; the body itself is never logged."""
    try:
        payload = response.json()
    except ValueError:
        return "no chart body"
    chart = payload.get("chart") if isinstance(payload, dict) else None
    return _describe(chart.get("error")) if isinstance(chart, dict) else "no chart body"


def _describe(error: Any) -> str:
    if isinstance(error, dict):
        return f"{error.get('code', '?')}: {error.get('description', '')}"[:200]
    return str(error)[:200]
