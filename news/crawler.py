"""Fetching and parsing feeds (N1): what one HTTP round trip to one feed yields.

Conditional requests (ETag / Last-Modified), redirects followed hop by hop, and feedparser for
RSS 2.0 and Atom, which honours the document's declared encoding (EUC-KR feeds are common in
Korea); when it cannot, the encoding is detected. Every fetch is hostile until proven otherwise:
one deadline for the whole fetch, decoded bytes capped as they are produced, only http(s) URLs,
and no loopback, private or link-local address unless allowed. A feed that is malformed, empty,
huge, slow or refused yields an error for that feed only.
"""

from __future__ import annotations

import calendar
import functools
import html
import io
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import charset_normalizer
import feedparser
import httpcore
import httpx
from django.core.exceptions import SuspiciousOperation
from django.utils.html import strip_tags
from feedparser.encodings import convert_to_utf8

USER_AGENT = "InsightStockNewsBot/1.0 (+https://insightstock.example/bot)"
TITLE_MAX = 500
URL_MAX = 1000
SUMMARY_MAX = 2000
# What FeedSource stores of a feed's validators (ETag, Last-Modified).
ETAG_MAX = 255
LAST_MODIFIED_MAX = 64
MAX_REDIRECTS = 5
MAX_CONTENT_ENCODINGS = 4
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid")
_FETCHABLE_SCHEMES = ("http", "https")
_REDIRECTS = (301, 302, 303, 307, 308)
_DECODE_CHUNK = 64 * 1024


def normalise_url(url: str) -> str:
    """One spelling per article: lower-case scheme and host, no fragment, no tracking
    parameters, sorted query, no trailing slash."""
    parts = urlsplit(url.strip())
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(_TRACKING_PARAMS)
    )
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    summary: str
    published_at: datetime


@dataclass
class FeedFetch:
    """The outcome of fetching one feed."""

    status: str  # "ok", "not_modified" or "error"
    entries: list[FeedEntry] = field(default_factory=list)
    etag: str = ""
    last_modified: str = ""
    error: str = ""


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may take: ``timeout`` seconds in all (DNS, connect, headers and body),
    ``max_bytes`` decoded, ``max_entries`` kept, and the private ``host:port`` pairs allowed."""

    timeout: float
    max_bytes: int
    max_entries: int
    allowed_private: frozenset[tuple[str, str]] = frozenset()


def allowed_private_hosts(value: str) -> frozenset[tuple[str, str]]:
    """``"127.0.0.1:8000, [::1]:8000, feeds.lan:*"`` as (host, port) pairs; ``*`` is any port."""
    pairs = set()
    for item in value.split(","):
        host, sep, port = item.strip().rpartition(":")
        if sep and host and port:
            pairs.add((host.strip("[]").lower(), port))
    return frozenset(pairs)


class FetchRefused(Exception):
    """The fetch was stopped on purpose (a refused address or scheme, too many bytes)."""


# --- the network: every hop resolved, checked, and connected to the address checked ----------

# getaddrinfo cannot be interrupted: it runs here, so the fetch's deadline wins over a stuck
# resolver (the lookup ends on its own later).
_RESOLVER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="news-dns")


# IPv6 addresses that carry an IPv4 one, which a gateway (NAT64, 6to4) or the kernel may reach:
# judged by that IPv4 address. The local-use NAT64 prefix reaches only private networks.
_EMBEDDING_IPV4 = (
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated)
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64's well-known prefix
)
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return True
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and any(address in network for network in _EMBEDDING_IPV4):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _refused_address(embedded)
    return not address.is_global or address.is_multicast


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read, write and TLS handshake ends by the fetch's deadline: a feed
    that drips a byte at a time never resets a per-read timeout for ever."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner, self._deadline = inner, deadline

    def _budget(self, timeout: float | None, error: type[Exception]) -> float:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise error("the feed's time is up")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        budget = self._budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, budget), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves each host itself, refuses non-public addresses (unless allowed), and connects to
    the very address it checked, so a second DNS answer cannot swap in another (rebinding)."""

    def __init__(self, deadline: float, allowed: frozenset[tuple[str, str]]) -> None:
        self._deadline, self._allowed = deadline, allowed
        self._inner = httpcore.SyncBackend()

    def _is_allowed(self, host: str, port: int) -> bool:
        host = host.lower()
        return (host, str(port)) in self._allowed or (host, "*") in self._allowed

    def _resolve(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            answers = lookup.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except FutureTimeout as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except (OSError, UnicodeError) as exc:  # UnicodeError: a label empty or too long
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        return list(dict.fromkeys(str(answer[4][0]) for answer in answers))

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port)
        usable = [
            address
            for address in addresses
            if not _refused_address(ipaddress.ip_address(address.split("%")[0]))
            or self._is_allowed(host, port)
            or self._is_allowed(address, port)
        ]
        if not usable:
            raise FetchRefused(
                f"refused: {host}:{port} resolves to a loopback, private or link-local address "
                f"({', '.join(addresses)}); allow it in NEWS_ALLOWED_PRIVATE_HOSTS"
            )
        failure: Exception = httpcore.ConnectError(f"cannot connect to {host}:{port}")
        for address in usable:  # as socket.create_connection would, but only those checked
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise httpcore.ConnectTimeout("the feed's time is up")
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=remaining if timeout is None else min(timeout, remaining),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise failure

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes a while; one context serves every fetch (it is thread-safe).
    return httpx.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool on the guarded network backend."""

    def __init__(self, backend: _GuardedBackend) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._pool.close()
        # httpx takes no network backend of its own; httpcore's pool (public API) does.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=1,
            network_backend=backend,
        )


# --- the body: decoded layer by layer, never more than the cap ----------------------------------


def _inflate(pieces: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """One Content-Encoding layer undone, at most _DECODE_CHUNK bytes per step: a bomb costs
    the cap, not its expanded size."""
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj(zlib.MAX_WBITS)  # zlib-wrapped; raw deflate as fallback
    else:
        raise FetchRefused(f"unsupported Content-Encoding: {encoding}"[:200])
    first = True
    try:
        for piece in pieces:
            data = piece
            while not decoder.eof:
                try:
                    out = decoder.decompress(data, _DECODE_CHUNK)
                except zlib.error:
                    if not (first and encoding == "deflate"):
                        raise
                    decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # servers that send raw deflate
                    out = decoder.decompress(data, _DECODE_CHUNK)
                first = False
                data = decoder.unconsumed_tail
                if out:
                    yield out
                # A full chunk may leave output pending: go round again, with no new input.
                if not data and len(out) < _DECODE_CHUNK:
                    break
        tail = decoder.flush()
    except zlib.error as exc:
        raise FetchRefused(f"corrupt {encoding} body: {exc}") from exc
    if tail:
        yield tail


def _decoded_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The body with its Content-Encoding layers undone, raw and decoded sizes both capped."""
    too_large = f"too large: larger than {max_bytes} bytes"
    encodings = [
        value.strip().lower()
        for value in response.headers.get("content-encoding", "").split(",")
        if value.strip() and value.strip().lower() != "identity"
    ]
    if (
        len(encodings) > MAX_CONTENT_ENCODINGS
    ):  # each a generator deeper: 1,000 overflowed the stack
        raise FetchRefused(f"refused: {len(encodings)} Content-Encoding layers")

    def raw() -> Iterator[bytes]:
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > max_bytes:
                raise FetchRefused(too_large)
            yield chunk

    pieces: Iterable[bytes] = raw()
    for encoding in reversed(encodings):  # the last one listed was applied last
        pieces = _inflate(pieces, encoding)
    body = bytearray()
    for piece in pieces:
        body.extend(piece)
        if len(body) > max_bytes:
            raise FetchRefused(too_large)
    return bytes(body)


# --- text -----------------------------------------------------------------------------------------

# Tags that separate words: stripped bare, "one<br>two" would read "onetwo". Every pattern here
# runs in linear time: a feed's text is hostile ("<" and 200,000 spaces took minutes).
_WORD_BREAKS = re.compile(
    r"<\s*(?:/\s*)?(?:br|p|div|li|ul|ol|tr|td|th|h[1-6]|hr|blockquote|table|section|article)\b"
    r"[^<>]*>",
    re.IGNORECASE,
)
_CDATA_MARKS = re.compile(r"<!\[CDATA\[|\]\]>")
_MARKUP = re.compile(r"<[A-Za-z!/]")
_TAG = re.compile(r"<[^<>]*>")
_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# html.unescape resolves every entity HTML knows; any `&name;` left is undefined (`&lol9;`).
_UNRESOLVED_ENTITY = re.compile(r"&[A-Za-z][A-Za-z0-9]{0,31};")
# Text kept per character shown: markup around it, never megabytes of it.
_MARKUP_PER_CHARACTER = 32


def _strip(text: str) -> str:
    text = _WORD_BREAKS.sub(" ", _CDATA_MARKS.sub("", text))
    try:
        return strip_tags(text)
    except SuspiciousOperation:  # tags nested or left open past Django's bound
        return _TAG.sub(" ", text)


def _plain(text: str, limit: int) -> str:
    plain = html.unescape(_strip((text or "")[: limit * _MARKUP_PER_CHARACTER]))
    if _MARKUP.search(plain):  # markup escaped twice, revealed by the unescape
        plain = _strip(plain)
    plain = _UNRESOLVED_ENTITY.sub("", plain)
    # NUL cannot be stored in PostgreSQL text; a feed may still carry one (`&#0;`), or other
    # control characters XML forbids (`&#x1b;`), which the lenient parser lets through.
    return " ".join(_CONTROLS.sub(" ", plain.replace("\x00", "")).split())[:limit]


def _published(entry: feedparser.FeedParserDict, fallback: datetime) -> datetime:
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    if moment is None:
        return fallback
    try:
        return datetime.fromtimestamp(calendar.timegm(moment), tz=UTC)
    except (ValueError, OverflowError, OSError):
        # Past datetime's years in UTC: .NET's "no date", 0001-01-01T00:00:00+09:00, is year 0.
        return fallback


_XML_DECLARED_ENCODING = re.compile(rb"^(\s*<\?xml[^>]*?)\s+encoding=[\"'][^\"']*[\"']")
_PROLOG_END = re.compile(rb"<\w")  # where feedparser takes the root element to start


def _without_doctype(document: bytes) -> bytes:
    """The UTF-8 document without its DOCTYPE and entity declarations: feedparser's lenient
    parser expands declared entities without any bound (a 200 KB feed took 1.2 GB), and scans
    the declarations in quadratic time. Feeds need neither."""
    root = _PROLOG_END.search(document)
    end = root.start() if root else len(document)
    prolog = document[:end].upper()
    starts = [at for at in (prolog.find(b"<!DOCTYPE"), prolog.find(b"<!ENTITY")) if at >= 0]
    return document[: min(starts)] + document[end:] if starts else document


# feedparser's lenient parser turns each of these into chr(value).encode(): a surrogate (an emoji
# written as two UTF-16 halves, `&#55357;&#56832;`) or a value past U+10FFFF raised out of it.
_CHAR_REF = re.compile(rb"&#([0-9]+|[xX][0-9a-fA-F]+);")
_REPLACEMENT_REF = b"&#xFFFD;"


def _char_ref_value(ref: bytes) -> int:
    if len(ref) > 12:  # past any code point (and int()'s digit limit)
        return 0x110000
    return int(ref[1:], 16) if ref[:1] in b"xX" else int(ref)


def _with_sound_char_refs(document: bytes) -> bytes:
    """The document with each surrogate pair written as one character reference, and each lone
    surrogate or out-of-range one as U+FFFD."""
    pair_end = -1

    def sound(match: re.Match[bytes]) -> bytes:
        nonlocal pair_end
        if match.start() < pair_end:  # the low half of a pair already written
            return b""
        value = _char_ref_value(match[1])
        if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
            return match[0]
        low = _CHAR_REF.match(document, match.end()) if 0xD800 <= value <= 0xDBFF else None
        if low is not None and 0xDC00 <= _char_ref_value(low[1]) <= 0xDFFF:
            pair_end = low.end()
            code = 0x10000 + ((value - 0xD800) << 10) + (_char_ref_value(low[1]) - 0xDC00)
            return b"&#x%X;" % code
        return _REPLACEMENT_REF

    return _CHAR_REF.sub(sound, document)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _feed_parse(body: bytes, content_type: str) -> feedparser.FeedParserDict:
    # feedparser's own first step, taken here so the document is UTF-8 (whatever it came in)
    # before its declarations are cut.
    decoding = feedparser.FeedParserDict(bozo=False)
    if not body.isascii() and _is_utf8(body):
        # Non-ASCII text that reads as UTF-8 is UTF-8, whatever it declares: single-byte text
        # does not by chance, and a UTF-8 feed declared KOI8-R was read as mojibake.
        content_type = "application/xml; charset=utf-8"
        body = _XML_DECLARED_ENCODING.sub(rb"\1", body, count=1)
    try:
        text = convert_to_utf8({"content-type": content_type}, body, decoding)
        exc = decoding.get("bozo_exception")
    except ValueError as error:  # a declared encoding Python cannot look up ("x\0y", "idna")
        text, exc = body, feedparser.CharacterEncodingUnknown(str(error))
    if isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.CharacterEncodingUnknown):
        # Neither the headers nor the document said the truth, and feedparser fell back to a
        # single-byte encoding (EUC-KR read as windows-1252): detect it from the bytes instead.
        best = charset_normalizer.from_bytes(body).best()
        if best is None:
            raise FetchRefused(f"unknown character encoding ({exc})"[:500])
        text = _XML_DECLARED_ENCODING.sub(rb"\1", str(best).encode("utf-8"), count=1)
    # A stream, never bytes: feedparser opens bytes that name a file ("/dev/zero") and reads it.
    try:
        return feedparser.parse(
            io.BytesIO(_with_sound_char_refs(_without_doctype(text))),
            response_headers={"content-type": "application/xml; charset=utf-8"},
        )
    except Exception as exc:  # feedparser's own faults on broken markup (KeyError: 'links')
        raise FetchRefused(
            f"not a readable RSS/Atom feed: feedparser failed ({type(exc).__name__}: {exc})"[:500]
        ) from exc


def parse_feed(
    body: bytes, *, content_type: str, now: datetime, max_entries: int | None = None
) -> FeedFetch:
    try:
        parsed = _feed_parse(body, content_type)
    except FetchRefused as exc:
        return FeedFetch("error", error=str(exc))
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom document"
        return FeedFetch("error", error=f"not a readable RSS/Atom feed: {reason}")
    entries = []
    for entry in parsed.entries:
        link = _CONTROLS.sub("", (entry.get("link") or "").replace("\x00", ""))
        title = _plain(entry.get("title", ""), TITLE_MAX)
        try:
            url = normalise_url(link)
            host = urlsplit(url).hostname
        except ValueError:  # e.g. an unbalanced IPv6 bracket
            continue
        # `http:javascript:x` has an http scheme but no host: it would be stored as
        # `http:///javascript:x`.
        if not url.startswith(("http://", "https://")) or not host or len(url) > URL_MAX:
            continue  # nothing (safe) to link to
        if not title:
            continue  # nothing to show
        entries.append(
            FeedEntry(
                url=url,
                title=title,
                summary=_plain(entry.get("summary", ""), SUMMARY_MAX),
                published_at=min(_published(entry, now), now),  # a future date is a typo
            )
        )
    if parsed.bozo and not entries:
        reason = parsed.get("bozo_exception")
        return FeedFetch("error", error=f"not a readable RSS/Atom feed: {reason}")
    if max_entries is not None and len(entries) > max_entries:
        # A feed of 46,590 items is a dump, not news: its newest few are kept.
        entries = sorted(entries, key=lambda entry: entry.published_at, reverse=True)
        entries = entries[:max_entries]
    return FeedFetch("ok", entries=entries)


def _check_scheme(url: str, *, redirected: bool) -> None:
    # Checked on the text: httpx cannot even parse `javascript:` or `mailto:` as a URL to fetch.
    try:
        parts = urlsplit(url)
        fetchable = parts.scheme.lower() in _FETCHABLE_SCHEMES and bool(parts.hostname)
    except ValueError:
        fetchable = False
    if not fetchable:
        what = "a redirect to" if redirected else "the feed URL"
        raise FetchRefused(f"refused: {what} {url[:100]!r} is not an http(s) URL")


def _validator(value: str, limit: int) -> str:
    """An ETag or Last-Modified worth keeping: one that fits its column and can be sent back (a
    non-ASCII one made every later request fail, and a long one every store)."""
    if len(value) > limit or not value.isascii() or not value.isprintable():
        return ""
    return value


def fetch_feed(
    url: str, *, etag: str, last_modified: str, limits: FetchLimits, now: datetime
) -> FeedFetch:
    """GET one feed (conditionally) and parse it; never raises for the feed's own faults."""
    deadline = time.monotonic() + limits.timeout
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate",
               "Accept": "application/rss+xml, application/atom+xml, "
                         "application/xml;q=0.9, */*;q=0.8"}  # fmt: skip
    etag, last_modified = _validator(etag, ETAG_MAX), _validator(last_modified, LAST_MODIFIED_MAX)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = httpx.Timeout(limits.timeout).as_dict()
    # The transport, not a Client: a Client builds the next request of every redirect, even one
    # it will not follow, and raises InvalidURL on `Location: javascript:...`.
    try:
        with _GuardedTransport(_GuardedBackend(deadline, limits.allowed_private)) as transport:
            target = url
            for hop in range(MAX_REDIRECTS + 1):
                _check_scheme(target, redirected=hop > 0)
                try:
                    request = httpx.Request("GET", target, headers=headers,
                                            extensions={"timeout": timeout})  # fmt: skip
                except ValueError as exc:  # idna's, on a host such as `xn--a.example`
                    raise FetchRefused(f"refused: {target[:100]!r} is not a valid URL") from exc
                response = transport.handle_request(request)
                response.request = request
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        try:
                            target = urljoin(target, location.strip())
                        except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
                            raise FetchRefused(
                                f"refused: a redirect to {location[:100]!r} is not a valid URL"
                            ) from exc
                        continue
                    if response.status_code == httpx.codes.NOT_MODIFIED:
                        return FeedFetch("not_modified", etag=etag, last_modified=last_modified)
                    if response.status_code != httpx.codes.OK:
                        return FeedFetch("error", error=f"HTTP {response.status_code}")
                    body = _decoded_body(response, limits.max_bytes)
                finally:
                    response.close()
                content_type = response.headers.get("content-type", "")
                new_etag = _validator(response.headers.get("etag", ""), ETAG_MAX)
                new_last_modified = _validator(
                    response.headers.get("last-modified", ""), LAST_MODIFIED_MAX
                )
                break
            else:
                return FeedFetch("error", error=f"more than {MAX_REDIRECTS} redirects")
    except FetchRefused as exc:
        return FeedFetch("error", error=str(exc)[:500])
    except httpx.TimeoutException:
        return FeedFetch("error", error=f"timed out after {limits.timeout:g} s")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return FeedFetch("error", error=f"{type(exc).__name__}: {exc}"[:500])
    fetched = parse_feed(body, content_type=content_type, now=now, max_entries=limits.max_entries)
    fetched.etag, fetched.last_modified = new_etag, new_last_modified
    return fetched
