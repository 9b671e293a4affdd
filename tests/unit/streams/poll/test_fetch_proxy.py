"""The fetcher through an egress proxy: a loopback proxy records the absolute-form request
lines it gets (RFC 9112 3.2.2) and answers with a feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import RawTestServer

from streams.poll.fetch import Fetcher, FetchOutcome, FetchResult, FetchSettings

FEED = (Path(__file__).parents[3] / "fixtures" / "fetch" / "feed.xml").read_bytes()
SETTINGS = FetchSettings(
    user_agent="telex/0.1.0 (+https://example.org/telex)",
    connect_timeout=2,
    read_timeout=2,
    total_timeout=5,
    allow_private_addresses=True,
)
# The guard on, nothing exempt: only the operator's proxy may be private.
GUARDED = replace(SETTINGS, allow_private_addresses=False)
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY",
                   "no_proxy", "ALL_PROXY", "all_proxy")  # fmt: skip


@dataclass
class Recorder:
    """A loopback server that records each request line; as a proxy or as the origin."""

    base: str = ""
    lines: list[str] = field(default_factory=list)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.lines.append(f"{request.method} {request.raw_path}")
        return web.Response(body=FEED, content_type="application/rss+xml")


async def _recorder() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    server = RawTestServer(recorder.handle, host="127.0.0.1")
    await server.start_server()
    recorder.base = f"http://127.0.0.1:{server.port}"
    try:
        yield recorder
    finally:
        await server.close()


@pytest.fixture
async def proxy() -> AsyncIterator[Recorder]:
    async for recorder in _recorder():
        yield recorder


@pytest.fixture
async def origin() -> AsyncIterator[Recorder]:
    async for recorder in _recorder():
        yield recorder


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def _fetch(url: str, settings: FetchSettings) -> FetchResult:
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url)


@pytest.mark.usefixtures("no_proxy_environment")
@pytest.mark.parametrize("proxy_host", ["127.0.0.1", "localhost"])
async def test_configured_proxy_carries_every_request(
    proxy: Recorder, origin: Recorder, proxy_host: str
) -> None:
    # The guard stays on: feed.example is a name (the proxy resolves it), and the proxy, on
    # loopback, is reachable because the operator configured it, by address or by name.
    proxy_url = proxy.base.replace("127.0.0.1", proxy_host)
    result = await _fetch("http://feed.example/live.rss?x=1", replace(GUARDED, proxy=proxy_url))
    assert result.outcome is FetchOutcome.OK, result.error
    assert result.body == FEED
    assert proxy.lines == ["GET http://feed.example/live.rss?x=1"]
    assert origin.lines == []


@pytest.mark.usefixtures("no_proxy_environment")
async def test_guard_still_refuses_private_literals_through_the_proxy(proxy: Recorder) -> None:
    result = await _fetch("http://10.0.0.1/feed", replace(GUARDED, proxy=proxy.base))
    assert result.outcome is FetchOutcome.REFUSED_ADDRESS
    assert proxy.lines == []


@pytest.mark.usefixtures("no_proxy_environment")
async def test_without_a_proxy_requests_go_direct(proxy: Recorder, origin: Recorder) -> None:
    result = await _fetch(origin.base + "/feed", SETTINGS)
    assert result.outcome is FetchOutcome.OK, result.error
    assert (origin.lines, proxy.lines) == (["GET /feed"], [])


@pytest.mark.parametrize(("trust_env", "through_proxy"), [(False, False), (True, True)])
async def test_proxy_variables_count_only_when_trusted(
    proxy: Recorder,
    origin: Recorder,
    no_proxy_environment: pytest.MonkeyPatch,
    trust_env: bool,
    through_proxy: bool,
) -> None:
    no_proxy_environment.setenv("HTTP_PROXY", proxy.base)
    result = await _fetch(origin.base + "/feed", replace(SETTINGS, trust_env=trust_env))
    assert result.outcome is FetchOutcome.OK, result.error
    if through_proxy:
        assert (proxy.lines, origin.lines) == ([f"GET {origin.base}/feed"], [])
    else:
        assert (proxy.lines, origin.lines) == ([], ["GET /feed"])


@pytest.mark.usefixtures("no_proxy_environment")
async def test_an_unreachable_proxy_is_a_network_error(origin: Recorder) -> None:
    async for closed in _recorder():
        dead = closed.base
    result = await _fetch(origin.base + "/feed", replace(SETTINGS, proxy=dead))
    assert result.outcome is FetchOutcome.NETWORK_ERROR
    assert origin.lines == []
