"""Fetcher against a real aiohttp server on 127.0.0.1: outcomes, redirects, caps, timeouts."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from streams.poll.fetch import Fetcher, FetchOutcome, FetchResult, FetchSettings, classify_status

FEED = (Path(__file__).parents[3] / "fixtures" / "fetch" / "feed.xml").read_bytes()
ETAG = '"feed-v1"'
LAST_MODIFIED = "Sun, 01 Mar 2026 10:00:00 GMT"
CAP = 256 * 1024
SETTINGS = FetchSettings(
    user_agent="telex/0.1.0 (+https://example.org/telex)",
    connect_timeout=2,
    read_timeout=2,
    total_timeout=5,
    max_body_bytes=CAP,
    allow_private_addresses=True,
)
# A gzip bomb: 50 MB of zeros, about 50 kB on the wire.
BOMB = gzip.compress(bytes(50 * 1024 * 1024), compresslevel=9)


@dataclass
class ServerLog:
    """What the test server saw."""

    requests: list[web.Request] = field(default_factory=list)
    active: int = 0
    max_active: int = 0


def _routes(log: ServerLog) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.get("/feed")
    async def feed(request: web.Request) -> web.StreamResponse:
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers=validators)
        headers = {**validators, "Cache-Control": "public, max-age=600"}
        return web.Response(body=FEED, content_type="application/rss+xml", headers=headers)

    @routes.get("/gzip-feed")
    async def gzip_feed(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        return web.Response(body=gzip.compress(FEED), headers=headers)

    @routes.get("/redirect")
    async def redirect(request: web.Request) -> web.StreamResponse:
        location = request.query["to"]
        return web.Response(status=int(request.query["status"]), headers={"Location": location})

    @routes.get("/hop/{left}")
    async def hop(request: web.Request) -> web.StreamResponse:
        left = int(request.match_info["left"])
        raise web.HTTPFound(f"/hop/{left - 1}" if left > 1 else "/feed")

    @routes.get("/loop/{name}")
    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/loop/b" if request.match_info["name"] == "a" else "/loop/a")

    @routes.get("/status/{status}")
    async def status(request: web.Request) -> web.StreamResponse:
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        return web.Response(status=int(request.match_info["status"]), headers=headers)

    @routes.get("/stall")
    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"<rss>")
        await asyncio.sleep(2.0)
        return response

    @routes.get("/drip")
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(60):  # one byte every 50 ms: each read is quick, the whole is slow
            await response.write(b"x")
            await asyncio.sleep(0.05)
        return response

    @routes.get("/big")
    async def big(request: web.Request) -> web.StreamResponse:
        return web.Response(body=bytes(CAP + 1))

    @routes.get("/big-chunked")
    async def big_chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(8):
            await response.write(bytes(CAP // 4))
        return response

    @routes.get("/bomb")
    async def bomb(request: web.Request) -> web.StreamResponse:
        return web.Response(body=BOMB, headers={"Content-Encoding": "gzip"})

    @routes.get("/slow")
    async def slow(request: web.Request) -> web.StreamResponse:
        log.active += 1
        log.max_active = max(log.max_active, log.active)
        await asyncio.sleep(0.05)
        log.active -= 1
        return web.Response(body=FEED)

    return routes


@dataclass
class Server:
    base: str
    log: ServerLog

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    log = ServerLog()

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        log.requests.append(request)
        response: web.StreamResponse = await handler(request)
        return response

    app = web.Application(middlewares=[record])
    app.add_routes(_routes(log))
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Server(f"http://{host}:{port}", log)
    finally:
        await runner.cleanup()


async def _fetch(url: str, settings: FetchSettings = SETTINGS, **validators: str) -> FetchResult:
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url, **validators)


async def test_ok_returns_body_validators_and_max_age(server: Server) -> None:
    result = await _fetch(server.url("/feed"))
    assert (result.outcome, result.status, result.body) == (FetchOutcome.OK, 200, FEED)
    assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)
    assert result.content_type == "application/rss+xml"
    assert result.max_age_seconds == 600
    assert result.permanent_redirect_to is None
    assert result.bytes_read == len(FEED)
    assert result.elapsed_seconds > 0


async def test_request_identifies_itself_and_sends_validators(server: Server) -> None:
    result = await _fetch(server.url("/feed"), etag=ETAG, last_modified=LAST_MODIFIED)
    assert (result.outcome, result.status, result.body) == (FetchOutcome.NOT_MODIFIED, 304, b"")
    assert (result.etag, result.error) == (ETAG, None)
    headers = server.log.requests[-1].headers
    assert headers["User-Agent"] == "telex/0.1.0 (+https://example.org/telex)"
    assert headers["If-None-Match"] == ETAG
    assert headers["If-Modified-Since"] == LAST_MODIFIED
    assert "gzip" in headers["Accept-Encoding"]


async def test_gzip_body_is_decoded(server: Server) -> None:
    result = await _fetch(server.url("/gzip-feed"))
    assert (result.outcome, result.body) == (FetchOutcome.OK, FEED)
    assert result.bytes_read < len(FEED)  # counted on the wire


def _redirect(status: int, to: str) -> str:
    return "/redirect?" + urlencode({"status": status, "to": to})


@pytest.mark.parametrize(
    ("path", "permanent"),
    [
        (_redirect(301, "/feed"), True),
        (_redirect(308, "/feed"), True),
        (_redirect(301, _redirect(308, "/feed")), True),  # every hop permanent
        (_redirect(302, "/feed"), False),
        (_redirect(307, "/feed"), False),
        (_redirect(301, _redirect(302, "/feed")), False),  # one temporary hop spoils it
        (_redirect(303, "feed"), False),  # relative Location
        (_redirect(301, "/feed#latest"), True),  # fragment dropped
    ],
)
async def test_redirects_are_followed_and_permanence_reported(
    server: Server, path: str, permanent: bool
) -> None:
    result = await _fetch(server.url(path))
    assert (result.outcome, result.body, result.url) == (FetchOutcome.OK, FEED, server.url("/feed"))
    assert result.permanent_redirect_to == (server.url("/feed") if permanent else None)


async def test_redirect_loop_is_detected(server: Server) -> None:
    result = await _fetch(server.url(_redirect(301, "/loop/a")))
    assert result.outcome is FetchOutcome.REDIRECT_LOOP, result.error
    assert [r.path for r in server.log.requests] == ["/redirect", "/loop/a", "/loop/b"]


@pytest.mark.parametrize(
    ("hops", "outcome"), [(5, FetchOutcome.OK), (6, FetchOutcome.REFUSED_REDIRECT)]
)
async def test_redirect_chain_is_limited(server: Server, hops: int, outcome: FetchOutcome) -> None:
    result = await _fetch(server.url(f"/hop/{hops}"))
    assert result.outcome is outcome
    assert len(server.log.requests) == min(hops + 1, 6)


GUARDED = replace(SETTINGS, allow_private_addresses=False, exempt_networks=("127.0.0.1/32",))


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/feed",
        "http://[::ffff:192.168.0.1]/feed",
        "http://167772161/feed",  # 10.0.0.1 in decimal
        "http://metadata.google.internal/",
        "http://localhost/feed",
        "file:///etc/passwd",
    ],
)
async def test_redirect_to_forbidden_address_is_refused(server: Server, target: str) -> None:
    result = await _fetch(server.url(_redirect(302, target)), GUARDED)
    assert result.outcome is FetchOutcome.REFUSED_REDIRECT, result.error
    assert len(server.log.requests) == 1


async def test_guard_refuses_loopback_before_any_request(server: Server) -> None:
    result = await _fetch(server.url("/feed"), replace(GUARDED, exempt_networks=()))
    assert result.outcome is FetchOutcome.REFUSED_ADDRESS
    assert server.log.requests == []


async def test_guard_refuses_names_resolving_to_loopback(server: Server) -> None:
    port = server.base.rsplit(":", 1)[1]
    # Host names often map to 127.0.0.1 in /etc/hosts; the resolver must refuse them.
    name = socket.gethostname()
    if socket.gethostbyname(name) != "127.0.0.1":
        pytest.skip("this machine's host name does not resolve to loopback")
    guarded = replace(GUARDED, exempt_networks=())
    result = await _fetch(f"http://{name}:{port}/feed", guarded)
    assert result.outcome is FetchOutcome.REFUSED_ADDRESS, result.error
    assert server.log.requests == []


@pytest.mark.parametrize(
    ("status", "retry_after", "outcome"),
    [
        (404, None, FetchOutcome.NOT_FOUND),
        (410, None, FetchOutcome.GONE),
        (403, None, FetchOutcome.CLIENT_ERROR),
        (500, None, FetchOutcome.SERVER_ERROR),
        (503, None, FetchOutcome.SERVER_ERROR),
        (503, "30", FetchOutcome.RATE_LIMITED),
        (429, None, FetchOutcome.RATE_LIMITED),
        (429, "120", FetchOutcome.RATE_LIMITED),
    ],
)
async def test_http_errors_map_to_outcomes(
    server: Server, status: int, retry_after: str | None, outcome: FetchOutcome
) -> None:
    query = f"?retry_after={retry_after}" if retry_after else ""
    result = await _fetch(server.url(f"/status/{status}{query}"))
    assert (result.outcome, result.status, result.body) == (outcome, status, b"")
    assert result.retry_after_seconds == (float(retry_after) if retry_after else None)
    assert result.error == f"HTTP {status}"


async def test_retry_after_http_date_becomes_seconds(server: Server) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    result = await _fetch(server.url(f"/status/429?retry_after={when}"))
    assert result.retry_after_seconds is not None
    assert 85 <= result.retry_after_seconds <= 90


async def test_stalled_read_is_cut_by_read_timeout(server: Server) -> None:
    result = await _fetch(server.url("/stall"), replace(SETTINGS, read_timeout=0.2))
    assert result.outcome is FetchOutcome.TIMEOUT
    assert result.elapsed_seconds < 1.5  # the server stalls for 2 s


async def test_slow_drip_is_cut_by_total_timeout(server: Server) -> None:
    result = await _fetch(server.url("/drip"), replace(SETTINGS, read_timeout=1, total_timeout=0.4))
    assert result.outcome is FetchOutcome.TIMEOUT
    assert 0 < result.bytes_read < 60
    assert result.elapsed_seconds < 1.5  # the drip lasts 3 s


@pytest.mark.parametrize(
    ("path", "max_bytes_read"),
    [
        ("/big", 0),  # refused from Content-Length, body never read
        ("/big-chunked", CAP + 64 * 1024),  # stopped while streaming
        ("/bomb", len(BOMB)),  # small on the wire, stopped while decompressing
    ],
)
async def test_oversized_bodies_are_stopped_at_the_cap(
    server: Server, path: str, max_bytes_read: int
) -> None:
    result = await _fetch(server.url(path))
    assert result.outcome is FetchOutcome.TOO_LARGE, result.error
    assert result.body == b""
    assert result.bytes_read <= max_bytes_read


@pytest.mark.parametrize(
    ("settings", "expected_max"),
    [
        (replace(SETTINGS, per_host_concurrency=2), 2),
        (replace(SETTINGS, per_host_concurrency=10, max_concurrency=3), 3),
    ],
)
async def test_concurrency_caps_are_observed_by_the_server(
    server: Server, settings: FetchSettings, expected_max: int
) -> None:
    async with Fetcher(settings) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(server.url("/slow")) for _ in range(8)))
    assert {r.outcome for r in results} == {FetchOutcome.OK}
    assert server.log.max_active == expected_max


@pytest.mark.parametrize(
    ("url", "outcome"),
    [
        ("http://[::1", FetchOutcome.REFUSED_ADDRESS),  # unparseable
        ("ftp://127.0.0.1/feed", FetchOutcome.REFUSED_ADDRESS),  # scheme, even unguarded
        ("http://127.0.0.1:1/feed", FetchOutcome.NETWORK_ERROR),  # connection refused
    ],
)
async def test_bad_urls_and_dead_servers_do_not_raise(url: str, outcome: FetchOutcome) -> None:
    result = await _fetch(url)
    assert result.outcome is outcome
    assert result.error


@pytest.mark.parametrize(
    ("status", "has_retry_after", "outcome"),
    [
        (200, False, FetchOutcome.OK),
        (203, False, FetchOutcome.OK),
        (304, False, FetchOutcome.NOT_MODIFIED),
        (300, False, FetchOutcome.CLIENT_ERROR),  # redirect without Location
        (400, False, FetchOutcome.CLIENT_ERROR),
        (429, True, FetchOutcome.RATE_LIMITED),
        (502, True, FetchOutcome.SERVER_ERROR),
        (503, True, FetchOutcome.RATE_LIMITED),
    ],
)
def test_classify_status(status: int, has_retry_after: bool, outcome: FetchOutcome) -> None:
    assert classify_status(status, has_retry_after) is outcome


async def test_feed_headers_go_to_the_feed_origin_only(server: Server) -> None:
    token = {"Authorization": "Bearer s3cret", "X-Client": "telex"}
    same_origin = server.url(_redirect(302, "/feed"))
    other_origin = server.url(_redirect(302, server.url("/feed").replace("127.0.0.1", "localhost")))
    async with Fetcher(SETTINGS) as fetcher:
        assert (await fetcher.fetch(same_origin, headers=token)).outcome is FetchOutcome.OK
        assert (await fetcher.fetch(other_origin, headers=token)).outcome is FetchOutcome.OK
    seen = [(r.host.split(":")[0], r.headers.get("Authorization")) for r in server.log.requests]
    assert seen == [
        ("127.0.0.1", "Bearer s3cret"),  # the feed, and its redirect on the same origin
        ("127.0.0.1", "Bearer s3cret"),
        ("127.0.0.1", "Bearer s3cret"),
        ("localhost", None),  # another origin: the token stays home
    ]
    assert server.log.requests[1].headers["X-Client"] == "telex"
