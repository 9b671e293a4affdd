"""Article text: extraction from a real article page, and the fetch path against a loopback
server through the feeds' Fetcher (guard, size cap, timeout, limit per poll, failures)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from aiohttp import web

from schemas.models import RawItem
from streams import metrics
from streams.poll.articles import ArticleLimits, with_article_texts
from streams.poll.extract import article_text, is_html
from streams.poll.fetch import Fetcher, FetchSettings

ARTICLE = (Path(__file__).parents[3] / "fixtures" / "articles" / "article.html").read_bytes()
MAIN_TEXT = [
    "Ministers agree on a new mutual-defence pledge in Vilnius",
    "signed a mutual-defence pledge in Vilnius on Monday",
    "a standing joint headquarters in Kaunas",
    "the most concrete promise our countries have made to one another since independence",
    "submitted to the four national parliaments before the end of January",
    "coordinate exercises, logistics and reinforcements in peacetime",
]
BOILERPLATE = [
    "cookie",  # consent banner
    "Subscribe for one euro a week",  # navigation
    "Search the archive",
    "Share on Facebook",
    "Sign up to our morning briefing",  # inline promo
    "Flooding closes the Danube",  # related stories
    "Reader123",  # comments
    "Privacy policy",  # footer
    "All rights reserved",
    "dataLayer",  # scripts
]
CAP = 64 * 1024
SETTINGS = FetchSettings(
    user_agent="telex/0.1.0 (+https://example.org/telex)",
    connect_timeout=1,
    read_timeout=1,
    total_timeout=1.5,
    max_body_bytes=CAP,
    allow_private_addresses=True,
)
LIMITS = ArticleLimits(per_poll=10, max_chars=20_000)


def test_main_text_is_extracted_and_the_boilerplate_is_not() -> None:
    text = article_text(ARTICLE, "https://news.example/world/pledge")
    assert text is not None
    for sentence in MAIN_TEXT:
        assert sentence in text
    for noise in BOILERPLATE:
        assert noise.lower() not in text.lower(), noise


def test_a_page_without_an_article_body_has_no_text() -> None:
    page = b"<html><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></body></html>"
    assert article_text(page) is None


@pytest.mark.parametrize(
    ("content_type", "html"),
    [
        (None, True),
        ("text/html; charset=utf-8", True),
        ("application/xhtml+xml", True),
        ("TEXT/HTML", True),
        ("application/pdf", False),
        ("application/rss+xml", False),
        ("image/jpeg", False),
    ],
)
def test_only_html_is_extracted(content_type: str | None, html: bool) -> None:
    assert is_html(content_type) is html


@dataclass
class Site:
    base: str
    paths: list[str] = field(default_factory=list)
    accepts: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


def _routes(site: Site) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.get("/{name}")
    async def page(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        site.paths.append("/" + name)
        site.accepts.append(request.headers.get("Accept", ""))
        if name == "slow":
            await asyncio.sleep(3)
        if name == "big":
            return web.Response(body=ARTICLE + b" " * CAP, content_type="text/html")
        if name == "pdf":
            return web.Response(body=b"%PDF-1.7", content_type="application/pdf")
        if name == "empty":
            return web.Response(
                body=b"<html><body><p>Hi</p></body></html>", content_type="text/html"
            )
        if name == "gone":
            return web.Response(status=404)
        return web.Response(body=ARTICLE, content_type="text/html", charset="utf-8")

    return routes


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    app = web.Application()
    runner = web.AppRunner(app)
    site = Site("")
    app.add_routes(_routes(site))
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    site.base = f"http://127.0.0.1:{tcp._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        yield site
    finally:
        await runner.cleanup()


def item(guid: str, link: str | None, content: str | None = None) -> RawItem:
    return RawItem(
        event_id=f"e-{guid}", item_id=f"feed:{guid}", revision=1, previous_content_hash=None,
        feed_id="teasers", feed_url="http://news.test/rss", source_format="rss20", guid=guid,
        url=link, link=link, title=f"Title {guid}", summary="A teaser.", summary_html=None,
        language="en", authors=[], published=None, updated=None, fetched="2026-12-08T09:00:00Z",
        content_hash=f"h-{guid}", content=content,
    )  # fmt: skip


def outcomes(feed_id: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in metrics.REGISTRY.collect():
        if family.name != "telex_poller_article_fetches":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels["feed_id"] == feed_id:
                found[sample.labels["outcome"]] = sample.value
    return found


async def enrich(
    items: list[RawItem], feed_id: str, settings: FetchSettings = SETTINGS,
    limits: ArticleLimits = LIMITS,
) -> list[RawItem]:  # fmt: skip
    async with Fetcher(settings) as fetcher:
        return await with_article_texts(fetcher, items, feed_id=feed_id, limits=limits)


async def test_teasers_get_the_article_text_and_fuller_content_is_kept(site: Site) -> None:
    longer = "Feed text. " * 400
    items = [
        item("a", site.url("/a")),
        item("b", site.url("/b"), content="Short teaser."),
        item("c", site.url("/c"), content=longer),
        item("d", None),
    ]
    out = await enrich(items, "teasers")
    for enriched in out[:2]:
        assert enriched.content is not None and MAIN_TEXT[1] in enriched.content
        assert "Privacy policy" not in enriched.content
    assert out[2].content == longer  # the feed gave more than the page
    assert out[3] == items[3]  # no link, nothing fetched
    assert sorted(site.paths) == ["/a", "/b", "/c"]
    assert all(accept.startswith("text/html") for accept in site.accepts)
    assert outcomes("teasers") == {"ok": 3}


async def test_text_is_bounded_by_max_content_chars(site: Site) -> None:
    limits = replace(LIMITS, max_chars=120)
    (out,) = await enrich([item("a", site.url("/a"))], "bounded", limits=limits)
    assert out.content is not None and 100 <= len(out.content) <= 120
    assert out.content.startswith("Ministers agree")


async def test_full_content_and_content_off_fetch_nothing(site: Site) -> None:
    full = [item("a", site.url("/a"), content="x" * 120)]
    assert await enrich(full, "full", limits=replace(LIMITS, max_chars=120)) == full
    off = [item("b", site.url("/b"))]
    assert await enrich(off, "off", limits=replace(LIMITS, max_chars=0)) == off
    assert site.paths == []


async def test_at_most_the_limit_per_poll_is_fetched(site: Site) -> None:
    items = [item(str(n), site.url(f"/{n}")) for n in range(5)]
    out = await enrich(items, "limited", limits=replace(LIMITS, per_poll=2))
    assert [bool(i.content) for i in out] == [False, False, False, True, True]  # the newest
    assert sorted(site.paths) == ["/3", "/4"]
    assert outcomes("limited") == {"ok": 2, "over_limit": 3}


async def test_failures_cost_their_item_the_text_only(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    names = ["ok", "slow", "big", "pdf", "empty", "gone"]
    items = [item(name, site.url(f"/{name}"), content="Teaser.") for name in names]
    out = await enrich(items, "faults")
    assert out[0].content is not None and MAIN_TEXT[0] in out[0].content
    assert [i.content for i in out[1:]] == ["Teaser."] * 5
    assert outcomes("faults") == {
        "ok": 1, "timeout": 1, "too_large": 1, "not_html": 1, "no_text": 1, "not_found": 1,
    }  # fmt: skip
    logged = [r.getMessage() for r in caplog.records if "article text not added" in r.message]
    assert len(logged) == 5 and all("feed_id=faults" in line for line in logged)
    assert any("item_id=feed:slow outcome=timeout" in line for line in logged)


async def test_the_address_guard_applies_to_article_links(site: Site) -> None:
    guarded = replace(SETTINGS, allow_private_addresses=False)
    items = [item("a", site.url("/a")), item("m", "http://169.254.169.254/latest/meta-data/")]
    out = await enrich(items, "guarded", settings=guarded)
    assert out == items and site.paths == []
    assert outcomes("guarded") == {"refused_address": 2}
