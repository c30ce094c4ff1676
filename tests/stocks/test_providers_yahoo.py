"""The Yahoo chart provider against recorded-format payloads served from 127.0.0.1.

A local ``ThreadingHTTPServer`` plays Yahoo: ``/v8/finance/chart/<symbol>`` answers the file
``payloads/yahoo/<symbol>.json`` (404 and Yahoo's own error body for any other symbol), and a test
may make one symbol misbehave (HTTP 500 or 429, a truncated body, an answer slower than the
client's timeout). Nothing here touches the internet, the database or Redis.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from stocks.providers.base import ProviderError, ProviderUnavailable, StockState
from stocks.providers.yahoo import YahooChartProvider
from stocks.symbols import code_from_yahoo_symbol, yahoo_index_symbol, yahoo_symbol

PAYLOADS = Path(__file__).parent / "payloads" / "yahoo"
CHART_PREFIX = "/v8/finance/chart/"
NOW = datetime(2025, 3, 14, 0, 21, tzinfo=UTC)  # 09:21 KST, just after the recorded bars
TIMEOUT = 0.3

SAMSUNG = StockState(
    code="005930", market="KOSPI", last_price=Decimal("54500"), shares_outstanding=5_969_782_550
)
ECOPRO_BM = StockState(
    code="247540", market="KOSDAQ", last_price=Decimal("97900"), shares_outstanding=97_801_344
)
DELISTED = StockState(
    code="999990", market="KOSPI", last_price=Decimal("1000"), shares_outstanding=1
)


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the suite's Redis flush: these are plain unit tests with no Redis to flush."""
    yield


# --- the fake Yahoo ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeenRequest:
    raw_path: str  # as sent, percent-encoding included
    symbol: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class FakeYahoo:
    """What the handler serves, what it saw, and how a test wants it to misbehave."""

    SLOW_SECONDS = 3.0  # ten times the provider's timeout in these tests

    def __init__(self) -> None:
        self.bodies = {
            path.name.removesuffix(".json"): path.read_bytes()
            for path in PAYLOADS.glob("*.json")
            if path.name != "not_found.json"
        }
        self.not_found = (PAYLOADS / "not_found.json").read_bytes()
        self.lock = threading.Lock()
        self.release = threading.Event()  # wakes slow handlers when a test ends
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.seen: list[SeenRequest] = []
            self.misbehaviour: dict[str, str] = {}
            self.overrides: dict[str, bytes] = {}
        self.release.clear()

    def misbehave(self, symbol: str, how: str) -> None:
        """``how``: "500", "429", "truncated" or "slow"."""
        assert how in {"500", "429", "truncated", "slow"}
        with self.lock:
            self.misbehaviour[symbol] = how

    def serve(self, symbol: str, payload: dict[str, Any]) -> None:
        """Answer ``payload`` (HTTP 200) for ``symbol`` instead of its recorded file."""
        with self.lock:
            self.overrides[symbol] = json.dumps(payload).encode()

    def record(self, request: SeenRequest) -> tuple[str | None, bytes | None]:
        with self.lock:
            self.seen.append(request)
            body = self.overrides.get(request.symbol, self.bodies.get(request.symbol))
            return self.misbehaviour.get(request.symbol), body

    @property
    def requested_paths(self) -> list[str]:
        with self.lock:
            return [request.raw_path for request in self.seen]


def _handler_for(fake: FakeYahoo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the provider's pooled client expects

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if not url.path.startswith(CHART_PREFIX):
                self._send(404, b'{"finance":{"result":null,"error":{"code":"Not Found"}}}')
                return
            symbol = unquote(url.path.removeprefix(CHART_PREFIX))
            how, body = fake.record(
                SeenRequest(
                    raw_path=url.path,
                    symbol=symbol,
                    query=parse_qs(url.query),
                    headers={key.lower(): value for key, value in self.headers.items()},
                )
            )
            if how == "500":
                self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
            elif how == "429":
                self._send(429, b"Too Many Requests\r\n", "text/plain")
            elif body is None:
                self._send(404, fake.not_found)
            elif how == "truncated":
                self._send(200, body[: len(body) // 2])
            elif how == "slow":
                fake.release.wait(FakeYahoo.SLOW_SECONDS)
                self._send(200, body)
            else:
                self._send(200, body)

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type};charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            """Quiet: the test output is for assertions."""

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out and hung up is expected here, not worth a traceback."""


@pytest.fixture(scope="module")
def yahoo_server() -> Iterator[FakeYahoo]:
    fake = FakeYahoo()
    server = _QuietServer(("127.0.0.1", 0), _handler_for(fake))
    thread = threading.Thread(target=server.serve_forever, name="fake-yahoo", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    fake.base_url = f"http://{host}:{port}"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def yahoo(yahoo_server: FakeYahoo) -> Iterator[FakeYahoo]:
    """The module's server, with a clean slate for this test."""
    yahoo_server.reset()
    yield yahoo_server
    yahoo_server.release.set()  # let any slow handler of this test finish now


def provider(yahoo: FakeYahoo, **kwargs: Any) -> YahooChartProvider:
    options: dict[str, Any] = {
        "base_url": yahoo.base_url,
        "timeout_seconds": TIMEOUT,
        "concurrency": 4,
    }
    return YahooChartProvider(**{**options, **kwargs})


def recorded(symbol: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{symbol}.json").read_text())


class Limiter:
    """A ``before_request`` that allows ``allowed`` requests, then says the limit is spent."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls > self.allowed:
            raise ProviderUnavailable("rate limit spent")


# --- quotes ------------------------------------------------------------------------------------


def test_quote_of_a_kospi_stock_is_parsed_from_the_chart(yahoo):
    [quote] = provider(yahoo).quotes([SAMSUNG], now=NOW)

    assert quote.code == "005930"
    assert quote.price == Decimal("55000.00")
    assert quote.previous_close == Decimal("54500.00")
    assert quote.day_open == Decimal("54800.00")
    assert quote.day_high == Decimal("55200.00")
    assert quote.day_low == Decimal("54600.00")
    assert quote.day_volume == 5_551_116
    assert quote.as_of == datetime(2025, 3, 14, 0, 20, 13, tzinfo=UTC)  # 09:20:13 KST
    # The 09:20 and 09:21 bars are Yahoo's null padding: the last complete bar is 09:19 KST.
    assert quote.minute_start == datetime(2025, 3, 14, 0, 19, tzinfo=UTC)
    assert quote.minute_start.tzinfo is UTC
    assert (quote.minute_open, quote.minute_high, quote.minute_low, quote.minute_close) == (
        Decimal("54900.00"),
        Decimal("55100.00"),
        Decimal("54800.00"),
        Decimal("55000.00"),
    )
    assert quote.minute_volume == 163_209
    assert quote.price.as_tuple().exponent == -2


def test_request_is_the_one_minute_chart_of_the_day_with_browser_like_headers(yahoo):
    provider(yahoo).quotes([SAMSUNG], now=NOW)

    [request] = yahoo.seen
    assert request.raw_path == "/v8/finance/chart/005930.KS"
    assert request.query == {"interval": ["1m"], "range": ["1d"]}
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("Mozilla/5.0")


def test_kosdaq_stock_is_requested_as_kq_and_its_live_bar_floored_to_the_minute(yahoo):
    [quote] = provider(yahoo).quotes([ECOPRO_BM], now=NOW)

    assert yahoo.requested_paths == ["/v8/finance/chart/247540.KQ"]
    assert quote.code == "247540"
    assert quote.price == Decimal("99700.00")
    assert quote.previous_close == Decimal("97900.00")
    # No trade in the first minute: the day opened with the first bar that has an open.
    assert quote.day_open == Decimal("98100.00")
    # Yahoo stamps the live bar with the last trade's second (09:20:37 KST).
    assert quote.minute_start == datetime(2025, 3, 14, 0, 20, tzinfo=UTC)
    assert quote.minute_close == Decimal("99700.00")
    assert quote.minute_volume == 7_312


def test_no_stocks_means_no_requests(yahoo):
    assert provider(yahoo).quotes([], now=NOW) == []
    assert yahoo.seen == []


def test_previous_close_falls_back_to_previous_close_field(yahoo):
    payload = recorded("005930.KS")
    del payload["chart"]["result"][0]["meta"]["chartPreviousClose"]
    payload["chart"]["result"][0]["meta"]["previousClose"] = 54400.0
    yahoo.serve("005930.KS", payload)

    [quote] = provider(yahoo).quotes([SAMSUNG], now=NOW)

    assert quote.previous_close == Decimal("54400.00")


# --- indices -----------------------------------------------------------------------------------


def test_index_quotes_for_kospi_kosdaq_and_usdkrw_with_symbols_url_encoded(yahoo):
    quotes = provider(yahoo).index_quotes(now=NOW)

    assert sorted(yahoo.requested_paths) == [
        "/v8/finance/chart/%5EKQ11",
        "/v8/finance/chart/%5EKS11",
        "/v8/finance/chart/KRW%3DX",
    ]
    by_symbol = {quote.symbol: quote for quote in quotes}
    assert set(by_symbol) == {"KOSPI", "KOSDAQ", "USDKRW"}
    # Yahoo's float32 noise (2585.449951171875) is rounded away at four places.
    assert by_symbol["KOSPI"].value == Decimal("2585.4500")
    assert by_symbol["KOSPI"].previous_close == Decimal("2575.1201")
    assert by_symbol["KOSPI"].as_of == datetime(2025, 3, 14, 0, 20, 5, tzinfo=UTC)
    assert by_symbol["KOSDAQ"].value == Decimal("730.1400")
    assert by_symbol["KOSDAQ"].previous_close == Decimal("727.8300")
    assert by_symbol["USDKRW"].value == Decimal("1453.1801")
    assert by_symbol["USDKRW"].previous_close == Decimal("1450.1400")
    assert by_symbol["USDKRW"].as_of == datetime(2025, 3, 14, 0, 21, 4, tzinfo=UTC)
    assert all(quote.value.as_tuple().exponent == -4 for quote in quotes)


def test_index_quotes_all_failing_raise_provider_error(yahoo):
    for symbol in ("^KS11", "^KQ11", "KRW=X"):
        yahoo.misbehave(symbol, "500")

    with pytest.raises(ProviderError, match="all 3 requests failed"):
        provider(yahoo).index_quotes(now=NOW)


# --- what is left out, and what fails ----------------------------------------------------------


def test_unknown_symbol_is_left_out_and_the_others_returned(yahoo, caplog):
    caplog.set_level(logging.DEBUG, logger="stocks.providers.yahoo")

    quotes = provider(yahoo).quotes([SAMSUNG, DELISTED, ECOPRO_BM], now=NOW)

    assert sorted(quote.code for quote in quotes) == ["005930", "247540"]
    assert "/v8/finance/chart/999990.KS" in yahoo.requested_paths
    ours = [record for record in caplog.records if record.name == "stocks.providers.yahoo"]
    assert [record.levelno for record in ours] == [logging.DEBUG]  # one quiet line, no warning
    assert "999990.KS" in ours[0].getMessage()
    assert "regularMarketPrice" not in caplog.text  # never a payload in the log


def test_only_unknown_symbols_give_an_empty_list_not_an_error(yahoo):
    assert provider(yahoo).quotes([DELISTED], now=NOW) == []


def test_chart_error_in_a_200_answer_and_a_chart_without_bars_are_left_out(yahoo):
    yahoo.serve("005930.KS", json.loads((PAYLOADS / "not_found.json").read_text()))
    barless = recorded("247540.KQ")
    result = barless["chart"]["result"][0]
    for column in ("open", "high", "low", "close", "volume"):
        result["indicators"]["quote"][0][column] = [None] * len(result["timestamp"])
    yahoo.serve("247540.KQ", barless)

    assert provider(yahoo).quotes([SAMSUNG, ECOPRO_BM], now=NOW) == []


@pytest.mark.parametrize("status", ["500", "429"])
def test_every_symbol_failing_raises_provider_error(yahoo, status, caplog):
    # The logger's own level: a Celery worker started by an earlier test may have raised the root's.
    caplog.set_level(logging.WARNING, logger="stocks.providers.yahoo")
    yahoo.misbehave("005930.KS", status)
    yahoo.misbehave("247540.KQ", status)

    with pytest.raises(ProviderError, match=rf"all 2 requests failed; first: .*HTTP {status}"):
        provider(yahoo).quotes([SAMSUNG, ECOPRO_BM], now=NOW)

    assert [r.levelno for r in caplog.records if r.name == "stocks.providers.yahoo"] == [
        logging.WARNING
    ]


def test_one_symbol_failing_returns_the_others(yahoo):
    yahoo.misbehave("005930.KS", "429")

    quotes = provider(yahoo).quotes([SAMSUNG, ECOPRO_BM], now=NOW)

    assert [quote.code for quote in quotes] == ["247540"]


def test_unreachable_server_raises_provider_error(yahoo):
    with socket.socket() as sock:  # a port that was just free: connecting is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ProviderError, match="all 1 requests failed; first: 005930.KS: Connect"):
        provider(yahoo, base_url=f"http://127.0.0.1:{port}").quotes([SAMSUNG], now=NOW)


def test_slow_symbol_times_out_while_the_others_come_back(yahoo):
    yahoo.misbehave("005930.KS", "slow")
    started = time.monotonic()

    quotes = provider(yahoo, timeout_seconds=TIMEOUT).quotes([SAMSUNG, ECOPRO_BM], now=NOW)

    assert [quote.code for quote in quotes] == ["247540"]
    # Returned before the slow answer would have come: the timeout, not the server, ended it.
    assert time.monotonic() - started < FakeYahoo.SLOW_SECONDS


def test_every_symbol_slow_raises_provider_error_naming_the_timeout(yahoo):
    yahoo.misbehave("005930.KS", "slow")

    with pytest.raises(ProviderError, match="timed out"):
        provider(yahoo, timeout_seconds=TIMEOUT).quotes([SAMSUNG], now=NOW)


def test_truncated_json_for_one_symbol_is_left_out(yahoo):
    yahoo.misbehave("247540.KQ", "truncated")

    quotes = provider(yahoo).quotes([SAMSUNG, ECOPRO_BM], now=NOW)

    assert [quote.code for quote in quotes] == ["005930"]


def test_truncated_json_counts_as_a_failure(yahoo):
    yahoo.misbehave("005930.KS", "truncated")

    with pytest.raises(ProviderError, match="unparseable body"):
        provider(yahoo).quotes([SAMSUNG], now=NOW)


# --- the rate limit ----------------------------------------------------------------------------


def test_rate_limit_spent_after_n_requests_returns_what_was_gathered(yahoo):
    limiter = Limiter(allowed=2)

    quotes = provider(yahoo, before_request=limiter).quotes([SAMSUNG, ECOPRO_BM, DELISTED], now=NOW)

    assert sorted(quote.code for quote in quotes) == ["005930", "247540"]
    assert len(yahoo.seen) == 2  # the third request was never sent
    assert limiter.calls == 3


def test_rate_limit_is_asked_before_every_request(yahoo):
    limiter = Limiter(allowed=10)

    provider(yahoo, before_request=limiter).index_quotes(now=NOW)

    assert limiter.calls == len(yahoo.seen) == 3


def test_rate_limit_refusing_the_first_request_raises_provider_unavailable(yahoo):
    with pytest.raises(ProviderUnavailable, match="rate limit spent"):
        provider(yahoo, before_request=Limiter(allowed=0)).quotes([SAMSUNG, ECOPRO_BM], now=NOW)

    assert yahoo.seen == []


def test_rate_limit_refusal_after_nothing_usable_raises_provider_unavailable(yahoo):
    with pytest.raises(ProviderUnavailable):
        provider(yahoo, before_request=Limiter(allowed=1)).quotes([DELISTED, SAMSUNG], now=NOW)

    assert yahoo.requested_paths == ["/v8/finance/chart/999990.KS"]


# --- symbols -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "market", "symbol"),
    [("005930", "KOSPI", "005930.KS"), ("247540", "KOSDAQ", "247540.KQ")],
)
def test_yahoo_symbol_round_trip(code, market, symbol):
    assert yahoo_symbol(code=code, market=market) == symbol
    assert code_from_yahoo_symbol(symbol) == code


def test_yahoo_index_symbols():
    assert [yahoo_index_symbol(name) for name in ("KOSPI", "KOSDAQ", "USDKRW")] == [
        "^KS11",
        "^KQ11",
        "KRW=X",
    ]


@pytest.mark.parametrize("code", ["5930", "0059300", "00593A", "", "005930.KS"])
def test_yahoo_symbol_rejects_a_bad_code(code):
    with pytest.raises(ValueError, match="6-digit"):
        yahoo_symbol(code=code, market="KOSPI")


@pytest.mark.parametrize(
    "symbol", ["005930", "005930.T", "AAPL", "^KS11", "KRW=X", "5930.KS", "00593A.KQ", "005930.ks"]
)
def test_code_from_yahoo_symbol_rejects_a_non_krx_symbol(symbol):
    with pytest.raises(ValueError, match="not a KRX Yahoo symbol"):
        code_from_yahoo_symbol(symbol)


def test_a_call_ends_at_its_deadline_even_while_requests_are_outstanding(yahoo):
    yahoo.misbehave("005930.KS", "slow")
    yahoo.misbehave("247540.KQ", "slow")
    started = time.monotonic()

    # Each request may take 5 s; the whole call may not take more than 0.5 s.
    with pytest.raises(ProviderError, match="deadline"):
        provider(yahoo, timeout_seconds=5, deadline_seconds=0.5).quotes(
            [SAMSUNG, ECOPRO_BM], now=NOW
        )
    assert time.monotonic() - started < FakeYahoo.SLOW_SECONDS
