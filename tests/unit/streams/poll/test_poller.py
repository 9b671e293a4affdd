"""The poller's refresh logic with its three seams (fetcher, publisher, state store) replaced."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from schemas.models import FeedState, RawItem
from streams.poll.fetch import FetchOutcome, FetchResult
from streams.poll.poller import Poller
from streams.settings import FeedSettings, PollerSettings

FEED_URL = "http://news.test/live.rss"
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Live</title><link>http://news.test/</link>
{items}
</channel></rss>"""
ITEM = "<item><guid>{guid}</guid><title>{title}</title><description>{text}</description></item>"


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "\n".join(ITEM.format(guid=g, title=t, text=x) for g, t, x in items)
    return RSS.format(items=body).encode()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScriptedFetcher:
    """Answers each fetch with the next scripted result."""

    results: list[FetchResult]
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> FetchResult:
        self.requests.append((url, etag))
        self.headers.append(dict(headers or {}))
        return self.results.pop(0)


@dataclass
class RecordingPublisher:
    published: list[RawItem] = field(default_factory=list)
    fail: bool = False

    async def publish(self, items: Any) -> None:
        if self.fail:
            raise ConnectionError("broker away")
        self.published.extend(items)


@dataclass
class RecordingStore:
    saved: list[FeedState] = field(default_factory=list)
    fail: bool = False

    async def save(self, state: FeedState) -> None:
        if self.fail:
            raise ConnectionError("broker away")
        self.saved.append(state)


def ok(body: bytes, etag: str = '"v1"') -> FetchResult:
    return FetchResult(FetchOutcome.OK, 200, FEED_URL, body=body, etag=etag,
                       content_type="application/rss+xml", bytes_read=len(body))  # fmt: skip


def make_poller(
    results: list[FetchResult], **feed_options: Any
) -> tuple[Poller, Any, RecordingPublisher, RecordingStore, Clock]:
    clock = Clock()
    fetcher = ScriptedFetcher(results)
    publisher = RecordingPublisher()
    store = RecordingStore()
    feed = FeedSettings(id="live", url=FEED_URL, interval_seconds=60, **feed_options)
    settings = PollerSettings(feeds=(feed,))
    poller = Poller(settings, fetcher=fetcher, publisher=publisher, store=store,  # type: ignore[arg-type]
                    clock=clock, rng=random.Random(1))  # fmt: skip
    poller.load({})
    return poller, fetcher, publisher, store, clock


ONE = ("a-1", "Premier", "Texte un")
TWO = ("a-2", "Second", "Texte deux")


async def test_new_items_published_once_oldest_first_then_unchanged_body_skipped() -> None:
    body = rss(TWO, ONE)  # feeds list newest first
    poller, fetcher, publisher, store, _ = make_poller([ok(body), ok(body)])
    runtime = poller.feeds["live"]
    assert (await poller.poll_feed(runtime)).outcome == "ok"
    assert [item.guid for item in publisher.published] == ["a-1", "a-2"]
    assert all(item.revision == 1 for item in publisher.published)
    assert store.saved[-1].etag == '"v1"'
    saves = len(store.saved)
    assert (await poller.poll_feed(runtime)).outcome == "unchanged"
    assert len(publisher.published) == 2 and len(store.saved) == saves
    assert fetcher.requests[1] == (FEED_URL, '"v1"')  # conditional GET with the stored ETag


async def test_edited_item_is_a_revision_with_the_previous_hash() -> None:
    edited = ("a-1", "Premier", "Texte un, corrigé")
    poller, _, publisher, _, _ = make_poller([ok(rss(ONE)), ok(rss(edited), '"v2"')])
    runtime = poller.feeds["live"]
    await poller.poll_feed(runtime)
    await poller.poll_feed(runtime)
    first, revision = publisher.published
    assert (revision.item_id, revision.revision) == (first.item_id, 2)
    assert revision.previous_content_hash == first.content_hash != revision.content_hash
    assert revision.event_id != first.event_id


@pytest.mark.parametrize(
    ("result", "outcome", "failures", "min_delay"),
    [
        (FetchResult(FetchOutcome.NOT_MODIFIED, 304, FEED_URL), "not_modified", 0, 60),
        (FetchResult(FetchOutcome.RATE_LIMITED, 429, FEED_URL, retry_after_seconds=900),
         "rate_limited", 1, 900),
        (FetchResult(FetchOutcome.SERVER_ERROR, 503, FEED_URL, error="HTTP 503"),
         "server_error", 1, 60),
    ],
)  # fmt: skip
async def test_outcomes_set_failures_and_next_poll(
    result: FetchResult, outcome: str, failures: int, min_delay: float
) -> None:
    poller, _, _, _, clock = make_poller([result])
    runtime = poller.feeds["live"]
    assert (await poller.poll_feed(runtime)).outcome == outcome
    assert runtime.state.failures == failures
    assert runtime.due >= clock.now + min_delay
    assert runtime.state.last_outcome == outcome


async def test_gone_feed_is_not_polled_again() -> None:
    poller, _, _, _, _ = make_poller([FetchResult(FetchOutcome.GONE, 410, FEED_URL)])
    runtime = poller.feeds["live"]
    await poller.poll_feed(runtime)
    assert runtime.state.gone and runtime.due == float("inf")


async def test_permanent_redirect_updates_the_stored_url() -> None:
    moved = "http://news.test/new-live.rss"
    result = FetchResult(FetchOutcome.OK, 200, moved, body=rss(ONE), permanent_redirect_to=moved)
    poller, _, _, store, _ = make_poller([result])
    await poller.poll_feed(poller.feeds["live"])
    assert store.saved[-1].url == moved


async def test_failed_publish_keeps_the_state_so_items_are_sent_on_the_next_poll() -> None:
    body = rss(ONE)
    poller, _, publisher, _, _ = make_poller([ok(body), ok(body)])
    runtime = poller.feeds["live"]
    publisher.fail = True
    assert (await poller.poll_feed(runtime)).outcome == "internal_error"
    assert runtime.state.items == {} and runtime.state.body_hash is None
    publisher.fail = False
    assert (await poller.poll_feed(runtime)).outcome == "ok"
    assert [item.guid for item in publisher.published] == ["a-1"]


async def test_state_save_failure_is_retried_after_the_next_poll() -> None:
    body = rss(ONE)
    poller, _, _, store, _ = make_poller([ok(body), ok(body)])
    runtime = poller.feeds["live"]
    store.fail = True
    await poller.poll_feed(runtime)  # does not raise
    assert runtime.unsaved
    store.fail = False
    await poller.poll_feed(runtime)  # unchanged body: saved anyway because it is pending
    assert not runtime.unsaved and store.saved[-1].items


async def test_unparseable_body_is_a_parse_error_and_keeps_validators() -> None:
    poller, _, _, _, _ = make_poller([ok(b"\x00\x01binary junk", '"bad"')])
    runtime = poller.feeds["live"]
    result = await poller.poll_feed(runtime)
    assert result.outcome == "parse_error" and result.error
    assert runtime.state.etag is None  # validators are stored only after a successful parse


async def test_every_poll_that_publishes_saves_the_items_it_published() -> None:
    poller, _, publisher, store, _ = make_poller([ok(rss(ONE)), ok(rss(TWO, ONE), '"v2"')])
    runtime = poller.feeds["live"]
    await poller.poll_feed(runtime)
    await poller.poll_feed(runtime)
    assert [item.guid for item in publisher.published] == ["a-1", "a-2"]
    assert set(store.saved[-1].items) == {"live:a-1", "live:a-2"}
    assert store.saved[-1].etag == '"v2"'


async def test_due_feeds_come_off_the_schedule_once_and_return_after_their_poll() -> None:
    poller, _, _, _, clock = make_poller([FetchResult(FetchOutcome.NOT_MODIFIED, 304, FEED_URL)])
    runtime = poller.feeds["live"]
    assert poller._pop_due(clock.now - 1) == []  # staggered: not due before its first slot
    clock.now = runtime.due
    assert poller._pop_due(clock.now) == [runtime]
    assert poller._pop_due(clock.now) == []  # popped once
    await poller.poll_feed(runtime)
    assert runtime.due == clock.now + 60
    clock.now = runtime.due
    assert poller._pop_due(clock.now) == [runtime]


def test_ten_thousand_feeds_are_staggered_over_their_interval() -> None:
    feeds = tuple(
        FeedSettings(id=f"feed-{n}", url=f"http://news.test/{n}.rss", interval_seconds=300)
        for n in range(10_000)
    )
    clock = Clock()
    poller = Poller(PollerSettings(feeds=feeds), fetcher=None, publisher=None, store=None,  # type: ignore[arg-type]
                    clock=clock, rng=random.Random(7))  # fmt: skip
    poller.load({})
    offsets = sorted(runtime.due - clock.now for runtime in poller.feeds.values())
    assert offsets[0] >= 0 and offsets[-1] < 300
    # Evenly spread: every 30-second slice of the interval holds about a tenth of the feeds.
    per_slice = [sum(1 for o in offsets if s * 30 <= o < (s + 1) * 30) for s in range(10)]
    assert all(900 <= count <= 1100 for count in per_slice), per_slice


ARTICLE_PAGE = (Path(__file__).parents[3] / "fixtures" / "articles" / "article.html").read_bytes()
LINKED_ITEM = "<item><guid>{0}</guid><title>{1}</title><link>http://news.test/{0}</link>" \
    "<description>{2}</description></item>"  # fmt: skip


def linked_rss(*items: tuple[str, str, str]) -> bytes:
    return RSS.format(items="\n".join(LINKED_ITEM.format(*i) for i in items)).encode()


def page(guid: str) -> FetchResult:
    return FetchResult(FetchOutcome.OK, 200, f"http://news.test/{guid}", body=ARTICLE_PAGE,
                       content_type="text/html; charset=utf-8")  # fmt: skip


async def test_fetch_article_fills_new_and_revised_items_only() -> None:
    edited = ("a-1", "Premier", "Texte un, corrigé")
    first, edit = linked_rss(TWO, ONE), linked_rss(TWO, edited)
    script = [ok(first), page("a-1"), page("a-2"), ok(first), ok(edit, '"v2"'), page("a-1")]
    poller, fetcher, publisher, _, _ = make_poller(script, fetch_article=True)
    runtime = poller.feeds["live"]
    for outcome in ("ok", "unchanged", "ok"):
        assert (await poller.poll_feed(runtime)).outcome == outcome
    urls = [url for url, _ in fetcher.requests]
    articles = ["http://news.test/a-1", "http://news.test/a-2"]
    assert urls == [FEED_URL, *articles, FEED_URL, FEED_URL, articles[0]]
    assert [(i.guid, i.revision) for i in publisher.published] == [("a-1", 1), ("a-2", 1),
                                                                   ("a-1", 2)]  # fmt: skip
    for published in publisher.published:
        assert published.content is not None and "joint headquarters in Kaunas" in published.content
    assert fetcher.results == []


async def test_article_failures_never_fail_the_poll() -> None:
    refused = FetchResult(FetchOutcome.REFUSED_ADDRESS, None, "http://news.test/a-1",
                          error="address 10.0.0.1 is not public")  # fmt: skip
    poller, _, publisher, _, _ = make_poller([ok(linked_rss(ONE)), refused], fetch_article=True)
    assert (await poller.poll_feed(poller.feeds["live"])).outcome == "ok"
    assert [(i.guid, i.summary, i.content) for i in publisher.published] == [
        ("a-1", "Texte un", None)
    ]


async def test_without_fetch_article_no_page_is_fetched() -> None:
    poller, fetcher, publisher, _, _ = make_poller([ok(linked_rss(TWO, ONE))])
    await poller.poll_feed(poller.feeds["live"])
    assert [url for url, _ in fetcher.requests] == [FEED_URL]
    assert len(publisher.published) == 2
