"""The feed poller: for each due feed, fetch, check, parse, diff, publish, save state, schedule.

One refresh reads top to bottom in ``Poller._refresh`` (miniflux's handler order). Errors of
one feed are counted and logged once with the reason; they never stop the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from schemas.models import FeedState
from streams import metrics
from streams.poll.articles import ArticleLimits, with_article_texts
from streams.poll.changes import detect_changes
from streams.poll.feed_state import (
    SUCCESS_OUTCOMES,
    FeedRuntime,
    configured_state,
    needs_revival,
    worth_saving,
)
from streams.poll.fetch import Fetcher, FetchOutcome, FetchResult
from streams.poll.formats.model import ParsedFeed, ParseError
from streams.poll.parse_pool import ParsePool
from streams.poll.publish import RawPublisher, to_raw_item
from streams.poll.roster import FeedListSource, FeedRoster
from streams.poll.schedule import PollFeedback, SchedulePolicy, next_poll_delay
from streams.poll.state import FeedStateStore
from streams.poll.status import gone_message
from streams.settings import FeedSettings, PollerSettings

log = logging.getLogger(__name__)

Clock = Callable[[], float]
_MAX_IDLE_SLEEP = 1.0


@dataclass(frozen=True, slots=True)
class PollResult:
    """How one refresh ended: the outcome label, and what the scheduler needs to know."""

    outcome: str
    error: str | None = None
    retry_after: float | None = None
    published: int = 0


class Poller(FeedRoster):
    """Polls every configured feed on its own schedule until stopped."""

    def __init__(
        self,
        settings: PollerSettings,
        *,
        fetcher: Fetcher,
        publisher: RawPublisher,
        store: FeedStateStore,
        clock: Clock = time.time,
        rng: random.Random | None = None,
        parse_pool: ParsePool | None = None,
    ) -> None:
        self._settings = settings
        self._fetcher = fetcher
        self._publisher = publisher
        self._store = store
        self._clock = clock
        self._rng = rng or random.Random()
        self._parse_pool = parse_pool or ParsePool()
        self._policy = SchedulePolicy(
            backoff_base=settings.backoff_base_seconds, backoff_cap=settings.backoff_cap_seconds
        )
        self.feeds: dict[str, FeedRuntime] = {}
        self.listed: tuple[FeedSettings, ...] = settings.feeds  # paused feeds included
        self._schedule: list[tuple[float, str]] = []  # heap of (due time, feed id)
        # Saved states of feeds not polled now (paused, or not listed): a resumed feed goes on
        # from its state. The poller is the state's only writer, so they stay current.
        self._dormant: dict[str, FeedState] = {}
        self._deletions: set[str] = set()  # removed feeds whose tombstone is not written yet

    async def run(self, stop: asyncio.Event, feed_list: FeedListSource | None = None) -> None:
        """Poll due feeds until `stop` is set, applying `feed_list`'s changes as they come;
        lets polls in flight finish (bounded)."""
        tasks: set[asyncio.Task[PollResult]] = set()
        next_check = self._clock() + self._settings.feeds_reload_seconds
        while not stop.is_set():
            if feed_list is not None and self._clock() >= next_check:
                next_check = self._clock() + self._settings.feeds_reload_seconds
                await self._check_feed_list(feed_list)
            for runtime in self._pop_due(self._clock()):
                runtime.in_flight = True
                task = asyncio.create_task(self.poll_feed(runtime))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await _sleep_until(stop, self._seconds_to_next_due(self._clock()))
        if tasks:
            await asyncio.wait(tasks, timeout=30.0)

    def _pop_due(self, now: float) -> list[FeedRuntime]:
        """Feeds due by `now`, from a heap of due times: a wake-up costs O(due * log n)."""
        due: list[FeedRuntime] = []
        while self._schedule and self._schedule[0][0] <= now:
            when, feed_id = heapq.heappop(self._schedule)
            runtime = self.feeds.get(feed_id)
            # Entries are never updated in place: one whose time is not the feed's is stale
            # (or its feed was removed). A stopped feed (410) waits for a new URL or a reset.
            if runtime is None or when != runtime.due or runtime.in_flight:
                continue
            if not runtime.state.gone or needs_revival(runtime.state, runtime.feed):
                due.append(runtime)
        return due

    async def poll_feed(self, runtime: FeedRuntime) -> PollResult:
        """One refresh of one feed, then its state saved and its next poll scheduled."""
        saved = runtime.state
        runtime.state = configured_state(runtime.state, runtime.feed)
        try:
            result = await self._refresh(runtime)
        except Exception as exc:  # a bug must cost one feed one poll, not the poller
            log.exception("poll failed: feed_id=%s", runtime.feed.id)
            result = PollResult("internal_error", error=repr(exc))
        try:
            if not runtime.removed:
                await self._conclude(runtime, result, saved)
        finally:
            runtime.in_flight = False
            if runtime.removed:
                self._deletions.add(runtime.feed.id)
                await self._write_deletions()
            elif needs_revival(runtime.state, runtime.feed):
                runtime.due = self._clock()  # reset or new URL while this poll was in flight
            if not runtime.removed and runtime.due != float("inf"):
                heapq.heappush(self._schedule, (runtime.due, runtime.feed.id))
        return result

    async def _refresh(self, runtime: FeedRuntime) -> PollResult:
        state = runtime.state
        fetched = await self._fetcher.fetch(
            state.url, etag=state.etag, last_modified=state.last_modified,
            headers=runtime.feed.request_headers(),
        )  # fmt: skip
        self._record_fetch(runtime, fetched)
        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            return PollResult("not_modified")
        if fetched.outcome is not FetchOutcome.OK:
            return PollResult(
                str(fetched.outcome), error=fetched.error, retry_after=fetched.retry_after_seconds
            )
        body_hash = hashlib.sha256(fetched.body).hexdigest()
        if body_hash == state.body_hash:
            return PollResult("unchanged")  # byte-identical body: nothing to parse
        try:
            parsed = await self._parse(fetched)
        except ParseError as exc:
            return PollResult("parse_error", error=str(exc))
        if parsed.alternate_feed_url and not parsed.entries:
            return await self._follow_advertised_feed(runtime, parsed.alternate_feed_url)
        runtime.ttl = float(parsed.ttl_seconds) if parsed.ttl_seconds else None
        published = await self._publish(runtime, parsed, fetched, body_hash)
        return PollResult("ok", published=published)

    async def _parse(self, fetched: FetchResult) -> ParsedFeed:
        # feedparser is CPU-bound: off the event loop, so other feeds keep their schedule.
        return await self._parse_pool.parse(
            fetched.body,
            url=fetched.url,
            content_type=fetched.content_type,
            max_items=self._settings.max_items_per_poll,
        )

    async def _publish(
        self, runtime: FeedRuntime, parsed: ParsedFeed, fetched: FetchResult, body_hash: str
    ) -> int:
        feed = runtime.feed
        feed_id = feed.id
        changeset = detect_changes(runtime.state, parsed.entries)
        moment = datetime.fromtimestamp(self._clock(), UTC)
        items = [
            to_raw_item(
                change,
                feed_id=feed_id,
                feed_url=fetched.url,
                parsed=parsed,
                fetched=moment,
                feed_language=feed.language,
                labels=feed.labels,
                max_content_chars=self._settings.max_content_chars,
            )
            for change in changeset.changes
        ]
        if feed.fetch_article and items:
            limits = ArticleLimits(
                self._settings.max_articles_per_poll, self._settings.max_content_chars
            )
            items = await with_article_texts(self._fetcher, items, feed_id=feed_id, limits=limits)
        # Items first, then the state that records them: a crash in between re-sends only them.
        await self._publisher.publish(items)
        new = sum(1 for item in items if item.revision == 1)
        metrics.ITEMS_EMITTED.labels(feed_id, "new").inc(new)
        metrics.ITEMS_EMITTED.labels(feed_id, "revised").inc(len(items) - new)
        metrics.ITEMS_EMITTED.labels(feed_id, "churn_suppressed").inc(changeset.churn_suppressed)
        runtime.state = replace(
            changeset.state, etag=fetched.etag, last_modified=fetched.last_modified,
            body_hash=body_hash,
        )  # fmt: skip
        if items:
            log.info("published feed_id=%s new=%d revised=%d", feed_id, new, len(items) - new)
        return len(items)

    async def _follow_advertised_feed(self, runtime: FeedRuntime, feed_url: str) -> PollResult:
        if runtime.state.url == feed_url:
            return PollResult("parse_error", error="the advertised feed is the page itself")
        log.warning(
            "feed_id=%s url=%s is a page advertising the feed %s: polling that feed from now "
            "on; put it in the config to skip this step", runtime.feed.id, runtime.state.url,
            feed_url,
        )  # fmt: skip
        runtime.state = replace(runtime.state, url=feed_url, etag=None, last_modified=None)
        result = await self._refresh(runtime)
        if result.outcome == "ok" and not runtime.state.items:
            return replace(result, outcome="parse_error", error="advertised feed has no items")
        return result

    def _record_fetch(self, runtime: FeedRuntime, fetched: FetchResult) -> None:
        feed_id = runtime.feed.id
        metrics.FETCH_DURATION.labels(feed_id).observe(fetched.elapsed_seconds)
        metrics.BYTES_DOWNLOADED.labels(feed_id).inc(fetched.bytes_read)
        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            metrics.BYTES_SAVED.labels(feed_id).inc(runtime.last_body_size)
        if fetched.outcome is FetchOutcome.OK:
            runtime.last_body_size = len(fetched.body)
        runtime.max_age = float(fetched.max_age_seconds) if fetched.max_age_seconds else None
        moved_to = fetched.permanent_redirect_to
        if moved_to and moved_to != runtime.state.url:
            log.warning(
                "feed moved permanently: feed_id=%s from %s to %s (stored URL updated)",
                feed_id, runtime.state.url, moved_to,
            )  # fmt: skip
            runtime.state = replace(runtime.state, url=moved_to)

    async def _conclude(self, runtime: FeedRuntime, result: PollResult, saved: FeedState) -> None:
        """Count the outcome, update failures and backoff, save the state, schedule.

        `saved` is the state before this refresh, which itself changed `runtime.state` (new
        items, validators, a moved URL): compared with that, those changes get saved too.
        """
        feed_id = runtime.feed.id
        now = self._clock()
        metrics.FETCHES.labels(feed_id, result.outcome).inc()
        before = runtime.state
        # The new state is built once, at the end (dataclasses.replace is costly per poll).
        backoff_since: float | None
        last_success_at: float | None
        if result.outcome in SUCCESS_OUTCOMES:
            failures, backoff_since, last_error, gone = 0, None, None, False
            last_success_at = now
            metrics.LAST_SUCCESS.labels(feed_id).set(now)
        else:
            failures, backoff_since = before.failures + 1, before.backoff_since or now
            last_error, gone = result.error, result.outcome == FetchOutcome.GONE
            last_success_at = before.last_success_at
            metrics.FEED_ERRORS.labels(feed_id, result.outcome).inc()
            if before.failures == 0 or before.last_outcome != result.outcome:
                log.warning("feed error: feed_id=%s outcome=%s reason=%s",
                            feed_id, result.outcome, result.error)  # fmt: skip
        delay = next_poll_delay(
            runtime.feed.interval_seconds,
            PollFeedback(
                consecutive_failures=failures,
                gone=gone,
                retry_after=result.retry_after,
                max_age=runtime.max_age,
                ttl=runtime.ttl,
            ),
            self._rng,
            self._policy,
        )
        if delay is None:
            last_error = gone_message(feed_id)
            log.warning("feed_id=%s %s", feed_id, last_error)
        runtime.due = now + delay if delay is not None else float("inf")
        state = replace(
            before, failures=failures, backoff_since=backoff_since, last_error=last_error,
            last_success_at=last_success_at, gone=gone, last_outcome=result.outcome,
            next_poll_at=runtime.due if delay is not None else None,
        )  # fmt: skip
        runtime.state = state
        metrics.IN_BACKOFF.labels(feed_id).set(1 if state.failures else 0)
        metrics.BACKOFF_SINCE.labels(feed_id).set(state.backoff_since or 0)
        metrics.NEXT_POLL.labels(feed_id).set(runtime.due if delay is not None else 0)
        if runtime.unsaved or worth_saving(saved, state):
            await self._save(runtime)

    async def _save(self, runtime: FeedRuntime) -> None:
        """Save the feed's state; if Kafka is away, keep it and try again after the next poll."""
        try:
            await self._store.save(runtime.state)
        except Exception as exc:  # the broker may be restarting; polling must go on
            if not runtime.unsaved:
                log.warning("state not saved: feed_id=%s (%s); retrying after the next poll",
                            runtime.feed.id, exc)  # fmt: skip
            runtime.unsaved = True
        else:
            runtime.unsaved = False

    def _seconds_to_next_due(self, now: float) -> float:
        if not self._schedule:
            return _MAX_IDLE_SLEEP
        return max(0.0, min(_MAX_IDLE_SLEEP, self._schedule[0][0] - now))

    def status(self) -> list[FeedState]:
        return [runtime.state for runtime in self.feeds.values()]


async def _sleep_until(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
