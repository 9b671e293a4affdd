"""The poller applying a new feed list without a restart: added, removed, paused, resumed and
changed feeds; a 410 stop and what revives it (reset_at, a new URL)."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from schemas.models import FeedState
from streams.poll.fetch import FetchOutcome, FetchResult
from streams.poll.poller import Poller
from streams.settings import FeedSettings, PollerSettings
from tests.unit.streams.poll.test_poller import (
    FEED_URL,
    ONE,
    TWO,
    Clock,
    RecordingPublisher,
    RecordingStore,
    ScriptedFetcher,
    ok,
    rss,
)

LIVE = FeedSettings(id="live", url=FEED_URL, interval_seconds=60)
OTHER = FeedSettings(id="other", url="http://news.test/other.rss", interval_seconds=600)
GONE = FetchResult(FetchOutcome.GONE, 410, FEED_URL, error="HTTP 410")
NOT_MODIFIED = FetchResult(FetchOutcome.NOT_MODIFIED, 304, FEED_URL)


def edit(feed: FeedSettings, **changes: Any) -> FeedSettings:
    return FeedSettings.model_validate({**feed.model_dump(), **changes})


@dataclass
class DeletingStore(RecordingStore):
    deleted: list[str] = field(default_factory=list)
    fail_deletes: bool = False

    async def delete(self, feed_id: str) -> None:
        if self.fail_deletes:
            raise ConnectionError("broker away")
        self.deleted.append(feed_id)


@dataclass
class Setup:
    poller: Poller
    fetcher: ScriptedFetcher
    publisher: RecordingPublisher
    store: DeletingStore
    clock: Clock


def make(
    results: list[FetchResult],
    feeds: tuple[FeedSettings, ...] = (LIVE,),
    states: dict[str, FeedState] | None = None,
) -> Setup:
    setup = Setup(None, ScriptedFetcher(results), RecordingPublisher(), DeletingStore(), Clock())  # type: ignore[arg-type]
    setup.poller = Poller(
        PollerSettings(feeds=feeds), fetcher=setup.fetcher, publisher=setup.publisher,  # type: ignore[arg-type]
        store=setup.store, clock=setup.clock, rng=random.Random(3),  # type: ignore[arg-type]
    )  # fmt: skip
    setup.poller.load(states or {})
    return setup


async def test_a_feed_added_to_the_list_is_polled_within_seconds() -> None:
    setup = make([ok(rss(ONE))])
    await setup.poller.apply_feeds((LIVE, OTHER))
    runtime = setup.poller.feeds["other"]
    assert setup.clock.now <= runtime.due <= setup.clock.now + 5  # not a whole 600 s interval
    due = {r.feed.id for r in setup.poller._pop_due(setup.clock.now + 5)}
    assert "other" in due


async def test_a_removed_feed_stops_and_its_state_is_deleted() -> None:
    setup = make([ok(rss(ONE))])
    runtime = setup.poller.feeds["live"]
    await setup.poller.poll_feed(runtime)
    await setup.poller.apply_feeds(())
    assert setup.poller.feeds == {} and setup.store.deleted == ["live"]
    setup.clock.now = runtime.due + 1
    assert setup.poller._pop_due(setup.clock.now) == []  # its schedule entry is ignored


async def test_a_feed_removed_during_its_poll_is_deleted_after_it_and_not_saved_again() -> None:
    setup = make([ok(rss(ONE))])
    release = asyncio.Event()
    scripted = setup.fetcher.fetch

    async def slow_fetch(url: str, **kwargs: Any) -> FetchResult:
        await release.wait()
        return await scripted(url, **kwargs)

    setup.fetcher.fetch = slow_fetch  # type: ignore[method-assign]
    runtime = setup.poller.feeds["live"]
    runtime.in_flight = True
    poll = asyncio.create_task(setup.poller.poll_feed(runtime))
    await asyncio.sleep(0)
    await setup.poller.apply_feeds(())
    assert setup.store.deleted == []  # not while the poll may still save
    release.set()
    await asyncio.wait_for(poll, 5)
    assert setup.store.saved == [] and setup.store.deleted == ["live"]


async def test_paused_feed_keeps_its_state_and_resumes_from_it() -> None:
    setup = make([ok(rss(ONE)), ok(rss(TWO, ONE), '"v2"')])
    await setup.poller.poll_feed(setup.poller.feeds["live"])
    paused = edit(LIVE, paused=True)
    await setup.poller.apply_feeds((paused,))
    assert "live" not in setup.poller.feeds and setup.store.deleted == []
    await setup.poller.apply_feeds((LIVE,))  # resumed: goes on from the state it had
    await setup.poller.poll_feed(setup.poller.feeds["live"])
    assert [item.guid for item in setup.publisher.published] == ["a-1", "a-2"]
    await setup.poller.apply_feeds((paused,))
    await setup.poller.apply_feeds(())  # paused, then removed: its state goes too
    assert setup.store.deleted == ["live"]


async def test_paused_feeds_are_not_polled_and_unlisted_states_are_kept_at_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    states = {"old": FeedState("old", "http://news.test/old.rss")}
    with caplog.at_level(logging.WARNING):
        setup = make([], feeds=(edit(LIVE, paused=True),), states=states)
    assert setup.poller.feeds == {} and setup.store.deleted == []
    assert "saved state of 1 feeds not in the feed list kept (old)" in caplog.text


async def test_a_shorter_interval_pulls_the_next_poll_in_a_longer_one_applies_after_it() -> None:
    setup = make([NOT_MODIFIED, NOT_MODIFIED], feeds=(OTHER,))
    runtime = setup.poller.feeds["other"]
    await setup.poller.poll_feed(runtime)
    assert runtime.due == setup.clock.now + 600
    await setup.poller.apply_feeds((edit(OTHER, interval_seconds=30),))
    assert runtime.due == setup.clock.now + 30
    await setup.poller.apply_feeds((edit(OTHER, interval_seconds=900),))
    assert runtime.due == setup.clock.now + 30  # already scheduled; the next delay is 900
    setup.clock.now = runtime.due
    await setup.poller.poll_feed(runtime)
    assert runtime.due == setup.clock.now + 900


async def test_labels_language_and_headers_apply_at_the_next_poll(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIVE_TOKEN", "t0k3n")
    setup = make([ok(rss(ONE)), ok(rss(TWO, ONE), '"v2"')])
    runtime = setup.poller.feeds["live"]
    await setup.poller.poll_feed(runtime)
    changed = FeedSettings.model_validate(
        {**LIVE.model_dump(), "labels": {"outlet": "News Test"}, "language": "fr",
         "headers": {"Authorization": {"env": "LIVE_TOKEN", "prefix": "Bearer "}}}
    )  # fmt: skip
    await setup.poller.apply_feeds((changed,))
    await setup.poller.poll_feed(runtime)
    first, second = setup.publisher.published
    assert (first.labels, first.language) == (None, None)
    assert (second.labels, second.language) == ({"outlet": "News Test"}, "fr")
    assert setup.fetcher.headers == [{}, {"Authorization": "Bearer t0k3n"}]


async def test_410_stops_the_feed_and_says_how_to_resume(caplog: pytest.LogCaptureFixture) -> None:
    setup = make([GONE])
    runtime = setup.poller.feeds["live"]
    with caplog.at_level(logging.WARNING):
        await setup.poller.poll_feed(runtime)
    message = "stopped: 410 Gone; telex feeds reset live to resume"
    assert runtime.state.gone and runtime.due == float("inf")
    assert runtime.state.last_error == message and setup.store.saved[-1].last_error == message
    assert message in caplog.text and "until restart" not in caplog.text
    # A restart does not revive it: the saved state says it is stopped.
    again = make([], states={"live": setup.store.saved[-1]})
    again.clock.now += 10_000
    assert again.poller._pop_due(again.clock.now) == []


@pytest.mark.parametrize(
    "revived",
    [edit(LIVE, reset_at="2026-01-02T03:04:05Z"), edit(LIVE, url="http://news.test/v2.rss")],
    ids=["reset", "new-url"],
)
async def test_reset_or_a_new_url_revives_a_stopped_feed(revived: FeedSettings) -> None:
    setup = make([GONE, FetchResult(FetchOutcome.SERVER_ERROR, 500, FEED_URL), ok(rss(ONE))])
    runtime = setup.poller.feeds["live"]
    await setup.poller.poll_feed(runtime)
    await setup.poller.apply_feeds((revived,))
    assert setup.poller._pop_due(setup.clock.now) == [runtime]  # at once
    await setup.poller.poll_feed(runtime)
    assert (runtime.state.gone, runtime.state.failures) == (False, 1)  # polled again
    assert runtime.state.reset_at == revived.reset_at
    assert setup.fetcher.requests[-1][0] == revived.url
    setup.clock.now = runtime.due
    await setup.poller.poll_feed(runtime)
    assert runtime.state.failures == 0 and setup.publisher.published
    # The same reset_at after a restart is not applied twice.
    stopped_again = replace(setup.store.saved[-1], gone=True, failures=3)
    restarted = make([], feeds=(revived,), states={"live": stopped_again})
    assert restarted.poller.feeds["live"].state.gone


async def test_reset_of_a_stopped_feed_applies_at_start_too() -> None:
    stopped = FeedState("live", FEED_URL, configured_url=FEED_URL, gone=True, failures=4,
                        backoff_since=1.0, last_error="stopped: 410 Gone")  # fmt: skip
    setup = make([ok(rss(ONE))], feeds=(edit(LIVE, reset_at="r1"),), states={"live": stopped})
    runtime = setup.poller.feeds["live"]
    assert (runtime.state.gone, runtime.state.failures, runtime.state.reset_at) == (False, 0, "r1")
    setup.clock.now = runtime.due
    assert setup.poller._pop_due(setup.clock.now) == [runtime]


async def test_deletions_the_broker_refused_are_written_later() -> None:
    setup = make([])
    setup.store.fail_deletes = True
    await setup.poller.apply_feeds(())
    assert setup.store.deleted == []
    setup.store.fail_deletes = False

    class Unchanged:
        def check(self) -> None:
            return None

    await setup.poller._check_feed_list(Unchanged())  # type: ignore[arg-type]
    assert setup.store.deleted == ["live"]


async def test_run_applies_the_feed_list_and_survives_a_broken_source(
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup = make([])
    calls: list[int] = []

    class Source:
        def check(self) -> tuple[FeedSettings, ...] | None:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("bug")
            return (LIVE, OTHER)

    settings = PollerSettings(feeds=(LIVE,), feeds_reload_seconds=0.05)
    poller = Poller(settings, fetcher=setup.fetcher, publisher=setup.publisher,  # type: ignore[arg-type]
                    store=setup.store, rng=random.Random(1))  # type: ignore[arg-type]  # fmt: skip
    poller.load({})
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop, Source()))
    for _ in range(100):
        if "other" in poller.feeds:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert "other" in poller.feeds and len(calls) >= 2
    assert "feed list reload failed" in caplog.text
