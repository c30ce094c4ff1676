"""The virtual users of `make load`: browsers with a session, apps with a bearer token, and
websocket subscribers on /ws/market/ and /ws/chat/, all in one asyncio process (aiohttp).

Each kind of request is timed from send to the last byte of the body. Only what happens in the
hold phase is reported; the ramp's samples are kept apart so a cold start does not hide in them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import aiohttp

REQUEST_TIMEOUT_SECONDS = 10
CHAT_PING_EVERY_SECONDS = 20  # the server closes a chat socket silent for CHAT_IDLE_SECONDS (60)

# Weights of what a browser user opens next, and of what an app user calls next.
PAGE_MIX = {
    "page /": 20,
    "page /stocks/": 15,
    "page /stocks/<code>/": 25,
    "page /news/": 10,
    "page /news/<id>/": 10,
    "page /portfolio/": 12,
    "page /chat/": 8,
}
API_MIX = {
    "api stocks list": 12,
    "api stock detail": 18,
    "api stock prices": 10,
    "api market": 14,
    "api news list": 8,
    "api news detail": 6,
    "api portfolio summary": 10,
    "api chat rooms": 6,
    "api chat messages": 6,
    "POST portfolio transaction": 5,
    "POST chat message": 5,
}


@dataclass
class Catalogue:
    """Ids the users pick from, read from the API at set-up."""

    stock_codes: list[str]
    news_ids: list[int]
    room_ids: list[int]
    prices: dict[str, str]


@dataclass
class Account:
    username: str
    access: str = ""
    session_cookie: str = ""
    portfolio_id: int = 0


@dataclass
class Recorder:
    phase: str = "setup"
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    error_kinds: Counter = field(default_factory=Counter)  # (kind, status or exception) in hold
    ramp_requests: int = 0
    ramp_errors: int = 0
    active_users: int = 0
    peak_users: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    open_sockets: Counter = field(default_factory=Counter)
    peak_sockets: Counter = field(default_factory=Counter)
    peak_sockets_total: int = 0
    socket_attempts: Counter = field(default_factory=Counter)
    socket_failures: Counter = field(default_factory=Counter)
    socket_failure_kinds: Counter = field(default_factory=Counter)
    socket_messages: Counter = field(default_factory=Counter)
    socket_messages_hold: Counter = field(default_factory=Counter)
    peak_concurrent: int = 0  # HTTP users + open sockets at the same moment

    def record(self, kind: str, ms: float, error: str | None) -> None:
        if self.phase == "hold":
            self.latencies[kind].append(ms)
            self.requests[kind] += 1
            if error is not None:
                self.errors[kind] += 1
                self.error_kinds[(kind, error)] += 1
        elif self.phase == "ramp":
            self.ramp_requests += 1
            self.ramp_errors += error is not None

    def socket_opened(self, kind: str) -> None:
        self.open_sockets[kind] += 1
        self.peak_sockets[kind] = max(self.peak_sockets[kind], self.open_sockets[kind])
        self.peak_sockets_total = max(self.peak_sockets_total, sum(self.open_sockets.values()))
        self._concurrency()

    def socket_closed(self, kind: str) -> None:
        self.open_sockets[kind] -= 1

    def socket_failed(self, kind: str, why: str) -> None:
        self.socket_failures[kind] += 1
        self.socket_failure_kinds[(kind, why)] += 1

    def user_started(self) -> None:
        self.active_users += 1
        self.peak_users = max(self.peak_users, self.active_users)
        self._concurrency()

    def _concurrency(self) -> None:
        total = self.active_users + sum(self.open_sockets.values())
        self.peak_concurrent = max(self.peak_concurrent, total)


class Load:
    def __init__(
        self,
        base: str,
        *,
        catalogue: Catalogue,
        accounts: list[Account],
        recorder: Recorder,
        think_seconds: float,
        seed: int = 1,
    ) -> None:
        if not base.startswith("http://127.0.0.1:"):
            raise ValueError("load targets 127.0.0.1 only")
        self.base = base
        self.ws_base = "ws" + base.removeprefix("http")
        self.catalogue = catalogue
        self.accounts = accounts
        self.rec = recorder
        self.think_seconds = think_seconds
        self.random = random.Random(seed)
        self.stopping = asyncio.Event()
        self._sequence = itertools.count(1)

    # --- one timed request ---------------------------------------------------------------

    async def _request(
        self,
        session: aiohttp.ClientSession,
        kind: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: dict | None = None,
    ) -> tuple[int, bytes]:
        self.rec.in_flight += 1
        self.rec.peak_in_flight = max(self.rec.peak_in_flight, self.rec.in_flight)
        started = time.perf_counter()
        status, data, error = 0, b"", None
        try:
            async with session.request(
                method, self.base + path, headers=headers, json=body, allow_redirects=False
            ) as response:
                data = await response.read()
                status = response.status
                if not 200 <= status < 400:
                    error = str(status)
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = type(exc).__name__
        finally:
            self.rec.in_flight -= 1
        self.rec.record(kind, (time.perf_counter() - started) * 1000, error)
        return status, data

    async def _think(self) -> None:
        pause = self.think_seconds * self.random.uniform(0.5, 1.5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), pause)

    # --- browser users ----------------------------------------------------------------------

    def _page_path(self, kind: str, account: Account) -> str:
        c = self.catalogue
        paths = {
            "page /": "/",
            "page /stocks/": f"/stocks/?page={self.random.randint(1, 3)}",
            "page /stocks/<code>/": f"/stocks/{self._code()}/",
            "page /news/": "/news/",
            "page /news/<id>/": f"/news/{self.random.choice(c.news_ids)}/" if c.news_ids else "",
            "page /portfolio/": "/portfolio/",
            "page /chat/": f"/chat/{self.random.choice(c.room_ids)}/" if c.room_ids else "/chat/",
        }
        return paths[kind]

    def _code(self) -> str:
        # A few stocks are far more popular than the rest (Zipf-like), as on a real market site.
        codes = self.catalogue.stock_codes
        return codes[min(len(codes) - 1, int(self.random.paretovariate(1.2)) - 1)]

    async def browser_user(self, account: Account, *, start_after: float) -> None:
        await asyncio.sleep(start_after)
        if self.stopping.is_set():
            return
        headers = {"Cookie": account.session_cookie, "Accept-Language": "ko"}
        kinds, weights = zip(*PAGE_MIX.items(), strict=True)
        self.rec.user_started()
        try:
            async with _user_session() as session:
                while not self.stopping.is_set():
                    kind = self.random.choices(kinds, weights)[0]
                    path = self._page_path(kind, account)
                    if path:
                        await self._request(session, kind, "GET", path, headers=headers)
                    await self._think()
        finally:
            self.rec.active_users -= 1

    # --- app users (bearer token) ------------------------------------------------------------

    async def app_user(self, account: Account, *, start_after: float) -> None:
        await asyncio.sleep(start_after)
        if self.stopping.is_set():
            return
        headers = {"Authorization": f"Bearer {account.access}", "Accept-Language": "ko"}
        kinds, weights = zip(*API_MIX.items(), strict=True)
        self.rec.user_started()
        try:
            async with _user_session() as session:
                while not self.stopping.is_set():
                    kind = self.random.choices(kinds, weights)[0]
                    await self._api_call(session, kind, account, headers)
                    await self._think()
        finally:
            self.rec.active_users -= 1

    async def _api_call(
        self, session: aiohttp.ClientSession, kind: str, account: Account, headers: dict
    ) -> None:
        c, api = self.catalogue, "/api/v1"
        code = self._code()
        body = None
        method = "GET"
        if kind == "api stocks list":
            path = f"{api}/stocks/?page={self.random.randint(1, 3)}"
        elif kind == "api stock detail":
            path = f"{api}/stocks/{code}/"
        elif kind == "api stock prices":
            path = f"{api}/stocks/{code}/prices/"
        elif kind == "api market":
            path = f"{api}/market/"
        elif kind == "api news list":
            path = f"{api}/news/"
        elif kind == "api news detail":
            if not c.news_ids:
                return
            path = f"{api}/news/{self.random.choice(c.news_ids)}/"
        elif kind == "api portfolio summary":
            path = f"{api}/portfolios/summary/"
        elif kind == "api chat rooms":
            path = f"{api}/chat/rooms/"
        elif kind == "api chat messages":
            path = f"{api}/chat/rooms/{self.random.choice(c.room_ids)}/messages/"
        elif kind == "POST portfolio transaction":
            method, path = "POST", f"{api}/portfolios/{account.portfolio_id}/transactions/"
            body = {
                "side": "buy",
                "stock": code,
                "quantity": str(self.random.randint(1, 10)),
                "price": c.prices.get(code, "10000.00"),
                "note": "load test",
            }
        else:  # POST chat message
            method = "POST"
            path = f"{api}/chat/rooms/{self.random.choice(c.room_ids)}/messages/"
            body = {"content": f"load test message {next(self._sequence)}"}
        await self._request(session, kind, method, path, headers=headers, body=body)

    # --- websocket subscribers ---------------------------------------------------------------

    async def market_socket(self, session: aiohttp.ClientSession, *, start_after: float) -> None:
        await self._socket(session, "market", f"{self.ws_base}/ws/market/", start_after, None)

    async def chat_socket(
        self, session: aiohttp.ClientSession, account: Account, *, start_after: float
    ) -> None:
        url = f"{self.ws_base}/ws/chat/?token={account.access}"
        await self._socket(session, "chat", url, start_after, {"type": "ping"})

    async def _socket(
        self,
        session: aiohttp.ClientSession,
        kind: str,
        url: str,
        start_after: float,
        ping: dict | None,
    ) -> None:
        await asyncio.sleep(start_after)
        if self.stopping.is_set():
            return
        self.rec.socket_attempts[kind] += 1
        try:
            ws = await session.ws_connect(
                url,
                origin=self.base,  # AllowedHostsOriginValidator refuses a foreign Origin
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5),
                heartbeat=None,
                autoping=True,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.rec.socket_failed(kind, f"connect: {type(exc).__name__} {exc}"[:120])
            return
        self.rec.socket_opened(kind)
        pinger = asyncio.create_task(self._ping(ws, ping)) if ping else None
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                self.rec.socket_messages[kind] += 1
                if self.rec.phase == "hold":
                    self.rec.socket_messages_hold[kind] += 1
                if kind == "chat":
                    with contextlib.suppress(ValueError, AttributeError):
                        self.rec.socket_messages[f"chat {json.loads(message.data)['type']}"] += 1
            if not self.stopping.is_set():
                self.rec.socket_failed(kind, f"closed by server: {ws.close_code}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            if not self.stopping.is_set():
                self.rec.socket_failed(kind, f"dropped: {type(exc).__name__}")
        finally:
            if pinger is not None:
                pinger.cancel()
            self.rec.socket_closed(kind)
            with contextlib.suppress(Exception):
                await ws.close()

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse, ping: dict) -> None:
        while not ws.closed:
            await asyncio.sleep(CHAT_PING_EVERY_SECONDS)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(ping)


def _user_session() -> aiohttp.ClientSession:
    # One keep-alive connection per virtual user, as a browser or an app holds one; cookies are
    # sent explicitly, so no jar.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
    )


# --- set-up: sign-in through the real endpoints, and the ids to pick from ----------------------

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


async def api_login(session: aiohttp.ClientSession, base: str, username: str, password: str):
    started = time.perf_counter()
    async with session.post(
        f"{base}/api/v1/auth/token/", json={"username": username, "password": password}
    ) as response:
        body = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"API sign-in of {username}: {response.status} {body}")
    return body["access"], (time.perf_counter() - started) * 1000


async def web_login(base: str, username: str, password: str) -> tuple[str, float]:
    """Sign in on /accounts/login/ as a browser does (CSRF cookie and form field); the session
    cookie to send, and the POST's duration."""
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: cookies for an IP address host
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{base}/accounts/login/") as response:
            match = _CSRF_INPUT.search(await response.text())
        if match is None:
            raise RuntimeError("no CSRF token on /accounts/login/")
        started = time.perf_counter()
        async with session.post(
            f"{base}/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": match[1]},
            headers={"Referer": f"{base}/accounts/login/", "Origin": base},
            allow_redirects=False,
        ) as response:
            await response.read()
            if response.status != 302:
                raise RuntimeError(f"web sign-in of {username}: {response.status}")
        elapsed = (time.perf_counter() - started) * 1000
        cookies = {c.key: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"web sign-in of {username} set no session cookie")
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), elapsed


async def prepare_accounts(
    base: str, usernames: list[str], password: str, *, web_sessions: int, recorder: Recorder
) -> list[Account]:
    """Sign each account in through the API (a bearer token) and the first ``web_sessions`` also
    on the login page (a session); give each a portfolio and membership of every public room.

    Sign-in is deliberately slow (PBKDF2), so it runs a few at a time and is timed on its own.
    """
    accounts = [Account(username=name) for name in usernames]
    limit = asyncio.Semaphore(4)
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=120), cookie_jar=aiohttp.DummyCookieJar()
    ) as session:

        async def one(index: int, account: Account) -> None:
            async with limit:
                account.access, ms = await api_login(session, base, account.username, password)
                recorder.latencies["sign-in (API token)"].append(ms)
                if index < web_sessions:
                    account.session_cookie, ms = await web_login(base, account.username, password)
                    recorder.latencies["sign-in (login page)"].append(ms)
            headers = {"Authorization": f"Bearer {account.access}"}
            api = f"{base}/api/v1"
            async with session.get(f"{api}/portfolios/", headers=headers) as response:
                portfolios = await response.json()
            if not portfolios:
                async with session.post(
                    f"{api}/portfolios/", json={"name": "Load test"}, headers=headers
                ) as response:
                    portfolios = [await response.json()]
            account.portfolio_id = portfolios[0]["id"]
            async with session.get(f"{api}/chat/rooms/?scope=all", headers=headers) as response:
                rooms = await response.json()
            for room in rooms if isinstance(rooms, list) else rooms.get("results", []):
                if room.get("kind") == "public" and room.get("role") in (None, ""):
                    async with session.post(
                        f"{api}/chat/rooms/{room['id']}/join/", headers=headers
                    ) as response:
                        await response.read()

        await asyncio.gather(*(one(i, a) for i, a in enumerate(accounts)))
    return accounts


async def read_catalogue(base: str, access: str) -> Catalogue:
    headers = {"Authorization": f"Bearer {access}"}
    api = f"{base}/api/v1"
    async with aiohttp.ClientSession(headers=headers) as session:
        # The biggest companies first: the Zipf pick makes them the hot ones.
        stocks: list[dict] = []
        for page in range(1, 21):
            async with session.get(f"{api}/stocks/?page={page}") as response:
                if response.status != 200:
                    break
                body = await response.json()
            stocks += body["results"]
            if not body.get("next"):
                break
        stocks.sort(key=lambda s: -(s.get("market_cap") or 0))
        async with session.get(f"{api}/news/") as response:
            news = (await response.json())["results"]
        async with session.get(f"{api}/chat/rooms/") as response:
            rooms = await response.json()
    return Catalogue(
        stock_codes=[s["code"] for s in stocks],
        news_ids=[n["id"] for n in news],
        room_ids=[r["id"] for r in rooms if r.get("kind") == "public"],
        prices={s["code"]: s["last_price"] for s in stocks if s.get("last_price")},
    )
