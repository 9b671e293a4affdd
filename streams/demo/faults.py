"""Misbehaving HTTP endpoints and switchable per-path faults of the demo feed server.

Routes (all GET), for the poller's fault tests:
  /fault/status/{code}[?retry_after=S[&retry_after_date=1]]  answer `code`, with Retry-After
  /fault/drip?bytes=N&interval=S    RSS one byte every S seconds (default 1.0) up to N bytes
  /fault/bad-encoding               declares UTF-8, sends windows-1252 French text
  /fault/huge?mb=N                  streams N MiB (default 50) of valid-looking RSS
  /fault/gzip-bomb?mb=N             small gzip body that inflates to N MiB (default 50)
  /fault/redirect-loop              302 between two URLs forever
  /fault/redirect?to=URL&code=301   one redirect (301, 302, 303, 307 or 308)
  /fault/junk?bytes=N               random binary labelled as RSS
  /fault/entity-bomb                billion-laughs XML (nested entities)
  /fault/many?n=N                   an RSS feed with N items (default 10000)
A `FaultRule` armed on a path (see `parse_fault_rule`) makes that path's next requests sleep,
drop the connection, or answer an error status instead of the real content.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

from aiohttp import web

from streams.demo.render import RSS_TAIL, FeedItem, FeedPage, render_rss, rss_head, rss_item
from streams.errors import TelexError

RSS_TYPE = "application/rss+xml; charset=utf-8"
MIB = 1 << 20
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
MAX_DELAY_SECONDS = 600.0
MAX_MANY_ITEMS = 200_000
MAX_MEBIBYTES = 1024
_CHUNK_BYTES = 64 * 1024


class FaultRequestError(TelexError):
    """A fault request (query or control JSON) is invalid."""


@dataclass(slots=True)
class FaultRule:
    """What the next `remaining` requests of a path get instead of the real answer."""

    remaining: int = 1
    status: int | None = None
    retry_after: float | None = None
    reset: bool = False
    delay: float = 0.0


def _number(raw: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise FaultRequestError(f"{key} must be a number in [{low}, {high}]")
    return float(value)


def parse_fault_rule(raw: Mapping[str, Any]) -> tuple[str, FaultRule]:
    """Validate a control request like {"path": "/liveblog.rss", "status": 500, "count": 3}."""
    path = raw.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise FaultRequestError("path must be an absolute path such as /liveblog.rss")
    status = _number(raw, "status", 200, 599)
    rule = FaultRule(
        remaining=int(_number(raw, "count", 1, 1_000_000) or 1),
        status=None if status is None else int(status),
        retry_after=_number(raw, "retry_after", 0, 86_400),
        reset=raw.get("reset") is True,
        delay=_number(raw, "delay", 0, MAX_DELAY_SECONDS) or 0.0,
    )
    if rule.status is None and not rule.reset and not rule.delay:
        raise FaultRequestError("a fault needs a status, reset or delay")
    return path, rule


class FaultSwitch:
    """Per-path faults armed through the control API, each for a number of requests."""

    def __init__(self) -> None:
        self._rules: dict[str, FaultRule] = {}

    def arm(self, path: str, rule: FaultRule) -> None:
        """Replace any fault on `path` with `rule`."""
        self._rules[path] = rule

    def take(self, path: str) -> FaultRule | None:
        """The fault for this request of `path`, counting it against the rule."""
        rule = self._rules.get(path)
        if rule is None:
            return None
        rule.remaining -= 1
        if rule.remaining <= 0:
            del self._rules[path]
        return rule

    def clear(self) -> None:
        """Drop every armed fault."""
        self._rules.clear()


def retry_after_value(seconds: float, as_date: bool, now: float) -> str:
    """Retry-After as delay-seconds or HTTP-date (RFC 9110 section 10.2.3)."""
    if as_date:
        return formatdate(now + seconds, usegmt=True)
    return str(round(seconds))


def drop_connection(request: web.Request) -> None:
    """Abort the TCP connection with a reset (SO_LINGER 0) instead of answering."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def status_response(status: int, retry_after: str | None) -> web.Response:
    """A small plain-text error (or empty 204/304) answer."""
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    text = None if status in (204, 304) else f"demo fault: status {status}\n"
    return web.Response(status=status, text=text, headers=headers)


async def apply_rule(request: web.Request, rule: FaultRule, now: float) -> web.Response | None:
    """Carry out an armed fault; None means "now answer normally" (a pure delay)."""
    if rule.delay:
        await asyncio.sleep(rule.delay)
    if rule.reset:
        drop_connection(request)
        raise web.HTTPInternalServerError()  # never sent: the connection is gone
    if rule.status is None:
        return None
    retry_after = None
    if rule.retry_after is not None:
        retry_after = retry_after_value(rule.retry_after, as_date=False, now=now)
    return status_response(rule.status, retry_after)


def _query_number(request: web.Request, key: str, default: float, high: float) -> float:
    try:
        value = float(request.query.get(key, default))
    except ValueError as error:
        raise web.HTTPBadRequest(text=f"{key} must be a number\n") from error
    if not 0 <= value <= high:
        raise web.HTTPBadRequest(text=f"{key} must be in [0, {high}]\n")
    return value


def synthetic_item(base_url: str, index: int, when: datetime) -> FeedItem:
    """A filler item for the large fault feeds."""
    return FeedItem(
        id=f"{base_url}/fault/item#{index}",
        title=f"Synthetic item {index}",
        summary=f"Filler item {index} of a deliberately large feed.",
        published=when,
        modified=when,
    )


def huge_rss_chunks(
    head: bytes, base_url: str, total_bytes: int, when: datetime
) -> Iterator[bytes]:
    """About `total_bytes` of RSS in chunks, generated lazily so nothing big is held."""
    yield head
    written, index = len(head), 0
    while written < total_bytes:
        chunk = []
        size = 0
        while size < _CHUNK_BYTES and written + size < total_bytes:
            item = rss_item(synthetic_item(base_url, index, when)).encode()
            chunk.append(item)
            size, index = size + len(item), index + 1
        written += size
        yield b"".join(chunk)
    yield RSS_TAIL


@functools.lru_cache(maxsize=4)
def gzip_bomb(mebibytes: int) -> bytes:
    """Gzip of an RSS skeleton padded with `mebibytes` MiB of spaces (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    parts = [compressor.compress(b'<?xml version="1.0"?>\n<rss version="2.0"><channel>')]
    padding = b" " * MIB
    parts.extend(compressor.compress(padding) for _ in range(mebibytes))
    parts.append(compressor.compress(b"</channel></rss>\n"))
    parts.append(compressor.flush())
    return b"".join(parts)


def entity_bomb(levels: int = 10, fan_out: int = 10) -> bytes:
    """The billion-laughs document: `fan_out ** levels` expansions of "lol"."""
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, levels):
        refs = f"&lol{level - 1};" * fan_out
        entities.append(f'<!ENTITY lol{level} "{refs}">')
    top = f"&lol{levels - 1};"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n'
        + "\n".join(entities)
        + f'\n]>\n<rss version="2.0"><channel><title>{top}</title>'
        f"<item><title>{top}</title><guid>entity-bomb</guid></item></channel></rss>\n"
    ).encode()


class FaultRoutes:
    """The /fault/* handlers; `sample` gives the current live-blog page for realistic text."""

    def __init__(self, clock: Callable[[], float], sample: Callable[[], FeedPage]) -> None:
        self._clock = clock
        self._sample = sample

    def routes(self) -> list[web.RouteDef]:
        """Route table to add to the application."""
        return [
            web.get("/fault/status/{code:\\d+}", self.status),
            web.get("/fault/drip", self.drip),
            web.get("/fault/bad-encoding", self.bad_encoding),
            web.get("/fault/huge", self.huge),
            web.get("/fault/gzip-bomb", self.gzip_bomb),
            web.get("/fault/redirect-loop", self.redirect_loop),
            web.get("/fault/redirect", self.redirect),
            web.get("/fault/junk", self.junk),
            web.get("/fault/entity-bomb", self.entity_bomb),
            web.get("/fault/many", self.many),
        ]

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def status(self, request: web.Request) -> web.Response:
        """Answer the status in the path, with Retry-After when asked."""
        code = int(request.match_info["code"])
        if not 200 <= code <= 599:
            raise web.HTTPBadRequest(text="status must be in [200, 599]\n")
        as_date = request.query.get("retry_after_date") == "1"
        retry_after = None
        if "retry_after" in request.query or as_date:
            seconds = _query_number(request, "retry_after", 1.0, 86_400)
            retry_after = retry_after_value(seconds, as_date, self._clock())
        return status_response(code, retry_after)

    async def drip(self, request: web.Request) -> web.StreamResponse:
        """Send the live-blog RSS one byte at a time."""
        limit = int(_query_number(request, "bytes", 60, 100_000))
        interval = _query_number(request, "interval", 1.0, 60)
        body = render_rss(self._sample(), str(request.url))[:limit]
        response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
        await response.prepare(request)
        for offset in range(len(body)):
            await response.write(body[offset : offset + 1])
            await asyncio.sleep(interval)
        await response.write_eof()
        return response

    async def bad_encoding(self, request: web.Request) -> web.Response:
        """French RSS encoded as windows-1252 while header and prolog say UTF-8."""
        text = render_rss(self._sample(), str(request.url)).decode()
        body = text.encode("cp1252", errors="xmlcharrefreplace")
        return web.Response(body=body, headers={"Content-Type": RSS_TYPE})

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """Stream `mb` MiB of RSS without building it in memory."""
        total = int(_query_number(request, "mb", 50, MAX_MEBIBYTES) * MIB)
        base = str(request.url.origin())
        page = FeedPage("Huge feed", "en", base, self._now(), ())
        response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
        await response.prepare(request)
        for chunk in huge_rss_chunks(rss_head(page, str(request.url)), base, total, self._now()):
            await response.write(chunk)
        await response.write_eof()
        return response

    async def gzip_bomb(self, request: web.Request) -> web.Response:
        """A gzip-encoded body that inflates to `mb` MiB."""
        mebibytes = int(_query_number(request, "mb", 50, MAX_MEBIBYTES))
        headers = {"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"}
        return web.Response(body=gzip_bomb(mebibytes), headers=headers)

    async def redirect_loop(self, request: web.Request) -> web.Response:
        """Redirect between `?hop=0` and `?hop=1` forever."""
        hop = 1 - int(request.query.get("hop") == "1")
        raise web.HTTPFound(f"/fault/redirect-loop?hop={hop}")

    async def redirect(self, request: web.Request) -> web.Response:
        """One redirect to `to` (default /liveblog.rss) with status `code` (default 301)."""
        code = int(_query_number(request, "code", 301, 599))
        if code not in REDIRECT_CODES:
            raise web.HTTPBadRequest(text=f"code must be one of {sorted(REDIRECT_CODES)}\n")
        location = request.query.get("to", "/liveblog.rss")
        return web.Response(status=code, headers={"Location": location})

    async def junk(self, request: web.Request) -> web.Response:
        """Random bytes served as RSS."""
        size = int(_query_number(request, "bytes", 4096, 10 * MIB))
        return web.Response(body=os.urandom(size), headers={"Content-Type": RSS_TYPE})

    async def entity_bomb(self, request: web.Request) -> web.Response:
        """A billion-laughs XML document."""
        return web.Response(body=entity_bomb(), headers={"Content-Type": RSS_TYPE})

    async def many(self, request: web.Request) -> web.Response:
        """A valid RSS feed with `n` items."""
        count = int(_query_number(request, "n", 10_000, MAX_MANY_ITEMS))
        base = str(request.url.origin())
        now = self._now()
        items = tuple(synthetic_item(base, index, now) for index in range(count))
        page = FeedPage(f"Feed with {count} items", "en", base, now, items)
        return web.Response(
            body=render_rss(page, str(request.url)), headers={"Content-Type": RSS_TYPE}
        )
