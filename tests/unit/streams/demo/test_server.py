"""The demo feed server over real HTTP on 127.0.0.1, with an injected clock (no waiting)."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import aiohttp
import feedparser
import pytest
import pytest_asyncio

from streams.demo.server import DemoServer
from streams.errors import ConfigError

START = 1_733_295_720.0  # 2024-12-04T07:02:00Z, the seed's first update
INTERVAL = 5.0
REPO = Path(__file__).resolve().parents[4]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture
async def server(clock: FakeClock) -> AsyncIterator[DemoServer]:
    demo = DemoServer(clock=clock, item_interval=INTERVAL, max_age=7, scale_feeds=500)
    async with demo:
        yield demo


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield session


async def fetch(
    http: aiohttp.ClientSession, url: str, **kwargs: Any
) -> tuple[int, Mapping[str, str], bytes]:
    async with http.get(url, **kwargs) as response:
        return response.status, response.headers, await response.read()


async def raw_get(base: str, path: str) -> bytes:
    """Everything one HTTP/1.1 GET receives on a plain socket (no client retries)."""
    host, _, port = base.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return await asyncio.wait_for(reader.read(), timeout=5)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


def json_ld(page: bytes) -> dict[str, Any]:
    match = re.search(rb'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match is not None
    document: dict[str, Any] = json.loads(match.group(1))
    return document


async def ids_of_every_view(http: aiohttp.ClientSession, base: str) -> dict[str, list[str]]:
    views: dict[str, list[str]] = {}
    for path in ("/liveblog.rss", "/liveblog.atom"):
        parsed = feedparser.parse((await fetch(http, base + path))[2])
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.feed.language == "fr" if path.endswith("rss") else True
        views[path] = [entry.id for entry in parsed.entries]
    feed = json.loads((await fetch(http, base + "/liveblog.json"))[2])
    views["/liveblog.json"] = [item["id"] for item in feed["items"]]
    blog = json_ld((await fetch(http, base + "/liveblog.html"))[2])
    views["/liveblog.html"] = [post["@id"] for post in blog["liveBlogUpdate"]]
    return views


async def test_four_views_carry_the_same_ids(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    views = await ids_of_every_view(http, server.url)
    expected = [f"{server.url}/liveblog.html#seed-01", f"{server.url}/liveblog.html#seed-00"]
    assert all(ids == expected for ids in views.values()), views


async def test_views_declare_french(server: DemoServer, http: aiohttp.ClientSession) -> None:
    atom = feedparser.parse((await fetch(http, server.url + "/liveblog.atom"))[2])
    feed = json.loads((await fetch(http, server.url + "/liveblog.json"))[2])
    blog = json_ld((await fetch(http, server.url + "/liveblog.html"))[2])
    assert atom.entries[0].summary_detail.language == "fr"
    assert feed["language"] == "fr"
    assert blog["inLanguage"] == "fr"
    assert {post["inLanguage"] for post in blog["liveBlogUpdate"]} == {"fr"}


@pytest.mark.parametrize(
    ("elapsed", "count", "newest"),
    [
        (0.0, 2, "seed-01"),
        (4.9, 2, "seed-01"),
        (5.0, 3, "seed-02"),
        (25.0, 7, "seed-06"),
        (30.0, 8, "seed-00-c2"),
        (100.0, 22, "seed-00-c4"),
    ],
)
async def test_live_blog_grows_with_the_clock(
    server: DemoServer,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    elapsed: float,
    count: int,
    newest: str,
) -> None:
    clock.now = START + elapsed
    views = await ids_of_every_view(http, server.url)
    assert {len(ids) for ids in views.values()} == {count}
    assert {ids[0].rpartition("#")[2] for ids in views.values()} == {newest}


async def test_later_cycles_shift_times_by_whole_days(
    server: DemoServer, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    clock.now = START + 7 * INTERVAL
    items = json.loads((await fetch(http, server.url + "/liveblog.json"))[2])["items"]
    by_id = {item["id"].rpartition("#")[2]: item["date_published"] for item in items}
    assert by_id["seed-00-c2"] == "2024-12-05T08:02:00+01:00"
    assert by_id["seed-00"] == "2024-12-04T08:02:00+01:00"


def posting(blog: dict[str, Any], update_id: str) -> dict[str, Any]:
    return next(p for p in blog["liveBlogUpdate"] if p["@id"].endswith("#" + update_id))


async def test_revision_keeps_the_id_and_changes_the_text(
    server: DemoServer, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    clock.now = START + 3 * INTERVAL  # five updates out: seed-03 as first published
    before = posting(json_ld((await fetch(http, server.url + "/liveblog.html"))[2]), "seed-03")
    clock.now = START + 4 * INTERVAL  # sixth update out: the revision is published
    after = posting(json_ld((await fetch(http, server.url + "/liveblog.html"))[2]), "seed-03")
    assert before["dateModified"] == before["datePublished"]
    assert after["@id"] == before["@id"]
    assert after["articleBody"] != before["articleBody"]
    assert after["dateModified"] > after["datePublished"]
    rss = feedparser.parse((await fetch(http, server.url + "/liveblog.rss"))[2])
    entry = next(e for e in rss.entries if e.id == after["@id"])
    assert entry.summary == after["articleBody"]


async def test_revision_recurs_in_later_cycles(
    server: DemoServer, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    clock.now = START + 11 * INTERVAL  # 13 out: cycle 2 has shown 6 updates
    blog = json_ld((await fetch(http, server.url + "/liveblog.html"))[2])
    assert posting(blog, "seed-03-c2")["articleBody"] == posting(blog, "seed-03")["articleBody"]
    assert posting(blog, "seed-03-c2")["dateModified"] > posting(blog, "seed-03")["dateModified"]


@pytest.mark.parametrize("path", ["/liveblog.rss", "/liveblog.atom", "/liveblog.json"])
async def test_etag_and_last_modified_give_304_until_the_blog_grows(
    server: DemoServer, http: aiohttp.ClientSession, clock: FakeClock, path: str
) -> None:
    url = server.url + path
    status, headers, _ = await fetch(http, url)
    assert status == 200 and headers["Cache-Control"] == "max-age=7"
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert (await fetch(http, url, headers={"If-None-Match": etag}))[0] == 304
    assert (await fetch(http, url, headers={"If-Modified-Since": last_modified}))[0] == 304
    assert (await fetch(http, url, headers={"If-None-Match": '"other"'}))[0] == 200
    clock.now += INTERVAL
    status, headers, _ = await fetch(http, url, headers={"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert parsedate_to_datetime(headers["Last-Modified"]).timestamp() == START + INTERVAL


async def test_not_modified_answer_keeps_validators(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    etag = (await fetch(http, server.url + "/liveblog.rss"))[1]["ETag"]
    status, headers, body = await fetch(
        http, server.url + "/liveblog.rss", headers={"If-None-Match": f'"x", {etag}'}
    )
    assert (status, body) == (304, b"")
    assert headers["ETag"] == etag and "Last-Modified" in headers


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [("gzip, deflate", True), ("br;q=1.0, gzip;q=0.5", True), ("gzip;q=0", False), ("", False)],
)
async def test_gzip_only_when_accepted(
    server: DemoServer, http: aiohttp.ClientSession, accept_encoding: str, gzipped: bool
) -> None:
    url = server.url + "/liveblog.atom"
    plain = (await fetch(http, url, headers={"Accept-Encoding": "identity"}))[2]
    _, headers, body = await fetch(
        http, url, headers={"Accept-Encoding": accept_encoding}, auto_decompress=False
    )
    assert (headers.get("Content-Encoding") == "gzip") is gzipped
    assert (gzip.decompress(body) if gzipped else body) == plain


async def test_index_links_only_the_rss_feed(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    page = (await fetch(http, server.url + "/index.html"))[2].decode()
    links = re.findall(r"<link [^>]*>", page)
    assert links == ['<link rel="alternate" type="application/rss+xml" href="/liveblog.rss">']


@pytest.mark.parametrize(
    ("query", "status", "retry_after"),
    [("", 503, None), ("?retry_after=7", 429, "7"), ("?retry_after=120", 503, "120")],
)
async def test_fault_status_with_retry_after_seconds(
    server: DemoServer, http: aiohttp.ClientSession, query: str, status: int, retry_after: str
) -> None:
    got, headers, _ = await fetch(http, f"{server.url}/fault/status/{status}{query}")
    assert (got, headers.get("Retry-After")) == (status, retry_after)


async def test_fault_status_with_retry_after_date(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    url = f"{server.url}/fault/status/503?retry_after=30&retry_after_date=1"
    _, headers, _ = await fetch(http, url)
    assert parsedate_to_datetime(headers["Retry-After"]).timestamp() == START + 30


async def arm(http: aiohttp.ClientSession, base: str, rule: dict[str, Any]) -> int:
    async with http.post(base + "/control/fault", json=rule) as response:
        return response.status


@pytest.mark.parametrize(
    ("rule", "statuses"),
    [
        ({"status": 500, "count": 3}, [500, 500, 500, 200]),
        ({"status": 404, "count": 2}, [404, 404, 200]),
        ({"status": 410}, [410, 200]),
        ({"status": 429, "retry_after": 2}, [429, 200]),
    ],
)
async def test_armed_fault_hits_the_next_requests_then_recovers(
    server: DemoServer, http: aiohttp.ClientSession, rule: dict[str, Any], statuses: list[int]
) -> None:
    assert await arm(http, server.url, {"path": "/liveblog.rss", **rule}) == 200
    got = [(await fetch(http, server.url + "/liveblog.rss")) for _ in statuses]
    assert [status for status, _, _ in got] == statuses
    if "retry_after" in rule:
        assert got[0][1]["Retry-After"] == "2"
    assert (await fetch(http, server.url + "/liveblog.atom"))[0] == 200


async def test_reset_fault_drops_the_connection(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    await arm(http, server.url, {"path": "/liveblog.json", "reset": True})
    assert await raw_get(server.url, "/liveblog.json") == b""
    assert (await raw_get(server.url, "/liveblog.json")).startswith(b"HTTP/1.1 200")


async def test_delay_fault_answers_late(server: DemoServer, http: aiohttp.ClientSession) -> None:
    await arm(http, server.url, {"path": "/liveblog.rss", "delay": 0.2})
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert (await fetch(http, server.url + "/liveblog.rss"))[0] == 200
    assert loop.time() - began >= 0.2


async def test_delete_clears_armed_faults(server: DemoServer, http: aiohttp.ClientSession) -> None:
    await arm(http, server.url, {"path": "/liveblog.rss", "status": 500, "count": 5})
    async with http.delete(server.url + "/control/fault") as response:
        assert response.status == 200
    assert (await fetch(http, server.url + "/liveblog.rss"))[0] == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"status": 500},
        {"path": "liveblog.rss", "status": 500},
        {"path": "/liveblog.rss"},
        {"path": "/liveblog.rss", "status": 99},
        {"path": "/liveblog.rss", "status": "500"},
        {"path": "/liveblog.rss", "delay": -1},
    ],
)
async def test_invalid_fault_requests_are_refused(
    server: DemoServer, http: aiohttp.ClientSession, rule: dict[str, Any]
) -> None:
    assert await arm(http, server.url, rule) == 400


async def test_drip_sends_the_requested_bytes(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    _, _, body = await fetch(http, server.url + "/fault/drip?bytes=5&interval=0.01")
    assert body == b"<?xml"


async def test_bad_encoding_is_windows_1252_labelled_utf8(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    _, headers, body = await fetch(http, server.url + "/fault/bad-encoding")
    assert "utf-8" in headers["Content-Type"] and b'encoding="utf-8"' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "défense" in body.decode("cp1252")


async def test_huge_streams_a_valid_feed_of_the_requested_size(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    _, headers, body = await fetch(http, server.url + "/fault/huge?mb=1")
    assert "Content-Length" not in headers
    assert 1 << 20 <= len(body) < (1 << 20) + 70_000
    channel = ElementTree.fromstring(body).find("channel")  # well-formed, unlike a cut body
    assert channel is not None and len(channel.findall("item")) > 1000


async def test_gzip_bomb_is_small_and_inflates(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    _, headers, body = await fetch(
        http, server.url + "/fault/gzip-bomb?mb=3", auto_decompress=False
    )
    assert headers["Content-Encoding"] == "gzip"
    assert len(body) < 20_000
    assert len(gzip.decompress(body)) >= 3 << 20


async def test_redirect_loop_never_ends(server: DemoServer, http: aiohttp.ClientSession) -> None:
    seen = []
    url = server.url + "/fault/redirect-loop"
    for _ in range(3):
        status, headers, _ = await fetch(http, url, allow_redirects=False)
        assert status == 302
        seen.append(headers["Location"])
        url = server.url + headers["Location"]
    assert seen[0] == seen[2] != seen[1]
    with pytest.raises(aiohttp.TooManyRedirects):
        await fetch(http, server.url + "/fault/redirect-loop", max_redirects=5)


@pytest.mark.parametrize(("code", "status"), [(301, 301), (308, 308), (302, 302), (200, 400)])
async def test_redirect_to_a_target(
    server: DemoServer, http: aiohttp.ClientSession, code: int, status: int
) -> None:
    url = f"{server.url}/fault/redirect?to=/liveblog.atom&code={code}"
    got, headers, _ = await fetch(http, url, allow_redirects=False)
    assert got == status
    assert headers.get("Location") == ("/liveblog.atom" if status < 400 else None)


async def test_junk_is_random_binary(server: DemoServer, http: aiohttp.ClientSession) -> None:
    first = (await fetch(http, server.url + "/fault/junk?bytes=256"))[2]
    second = (await fetch(http, server.url + "/fault/junk?bytes=256"))[2]
    assert len(first) == len(second) == 256 and first != second


async def test_entity_bomb_nests_entities(server: DemoServer, http: aiohttp.ClientSession) -> None:
    body = (await fetch(http, server.url + "/fault/entity-bomb"))[2].decode()
    definitions = re.findall(r'<!ENTITY (lol\d+) "([^"]*)">', body)
    assert len(definitions) == 10
    assert definitions[-1][1] == "&lol8;" * 10
    assert "&lol9;" in body.rpartition("]>")[2]


async def test_many_items_feed(server: DemoServer, http: aiohttp.ClientSession) -> None:
    parsed = feedparser.parse((await fetch(http, server.url + "/fault/many?n=300"))[2])
    assert parsed.bozo == 0
    assert len({entry.id for entry in parsed.entries}) == 300


@pytest.mark.parametrize("path", ["/fault/many?n=-1", "/fault/huge?mb=x", "/fault/status/99"])
async def test_out_of_range_fault_parameters_are_refused(
    server: DemoServer, http: aiohttp.ClientSession, path: str
) -> None:
    assert (await fetch(http, server.url + path))[0] == 400


async def stats(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(base + "/control/stats") as response:
        document: dict[str, Any] = await response.json()
        return document


async def test_stats_count_requests_per_path_and_status(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    etag = (await fetch(http, server.url + "/liveblog.rss"))[1]["ETag"]
    await fetch(http, server.url + "/liveblog.rss", headers={"If-None-Match": etag})
    await fetch(http, server.url + "/nowhere")
    await arm(http, server.url, {"path": "/liveblog.json", "reset": True})
    await raw_get(server.url, "/liveblog.json")
    counts = await stats(http, server.url)
    assert counts["paths"] == {
        "/liveblog.rss": {"requests": 2, "statuses": {"200": 1, "304": 1}},
        "/nowhere": {"requests": 1, "statuses": {"404": 1}},
        "/liveblog.json": {"requests": 1, "statuses": {"dropped": 1}},
    }
    assert counts["total"] == 4
    async with http.delete(server.url + "/control/stats"):
        pass
    assert await stats(http, server.url) == {"total": 0, "paths": {}}


async def test_scale_feeds_change_at_about_the_configured_rate(
    clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    async with DemoServer(
        clock=clock, scale_feeds=400, change_probability=0.25, change_period=10.0
    ) as server:
        urls = [f"{server.url}/feeds/{n}.rss" for n in range(400)]
        etags = [(await fetch(http, url))[1]["ETag"] for url in urls]
        assert len(set(etags)) == 400
        clock.now += 10.0
        statuses = [
            (await fetch(http, u, headers={"If-None-Match": e}))[0]
            for u, e in zip(urls, etags, strict=True)
        ]
        changed = statuses.count(200)
        assert statuses.count(304) + changed == 400
        assert 60 <= changed <= 140, changed
        assert (await fetch(http, f"{server.url}/feeds/400.rss"))[0] == 404


async def test_scale_feed_shows_its_recent_changes(
    clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    async with DemoServer(clock=clock, scale_feeds=10, change_probability=1.0) as server:
        clock.now += 50.0
        parsed = feedparser.parse((await fetch(http, f"{server.url}/feeds/3.rss"))[2])
    assert parsed.bozo == 0
    assert [entry.id.rpartition("#")[2] for entry in parsed.entries] == [
        "step-5",
        "step-4",
        "step-3",
    ]


async def test_url_needs_a_started_server() -> None:
    with pytest.raises(RuntimeError):
        _ = DemoServer().url


@pytest.mark.parametrize(
    "kwargs", [{"item_interval": 0.0}, {"change_period": -1.0}, {"initial_items": -1}]
)
def test_bad_configuration_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        DemoServer(**kwargs)


def test_command_line_serves_until_sigterm() -> None:
    command = [sys.executable, "-m", "streams.demo.server", "--port", "0"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/index.html")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
