"""The poller's roster of feeds and how it changes while it polls: feeds loaded from their
saved states at start, then new feed lists (streams.poll.feedlist) applied without a restart:
added, removed, paused, reconfigured."""

from __future__ import annotations

import heapq
import logging
import random
from collections.abc import Callable
from typing import Protocol

from schemas.models import FeedState
from streams import metrics
from streams.poll.feed_state import FeedRuntime, configured_state, first_delays, needs_revival
from streams.poll.state import FeedStateStore
from streams.settings import FeedSettings, PollerSettings

log = logging.getLogger(__name__)

# Feeds added while polling start within this many seconds (spread, so an imported list of
# hundreds of feeds does not fetch all at once).
_NEW_FEED_SPREAD = 5.0


class FeedListSource(Protocol):
    """Where a new feed list comes from while polling (streams.poll.feedlist.FeedFileWatcher)."""

    def check(self) -> tuple[FeedSettings, ...] | None: ...


class FeedRoster:
    """The listed feeds of a `Poller` (its base class): the ones polled (`feeds`), the saved
    states of those not polled, and the tombstones still to write."""

    _settings: PollerSettings
    _store: FeedStateStore
    _rng: random.Random
    _schedule: list[tuple[float, str]]
    feeds: dict[str, FeedRuntime]
    listed: tuple[FeedSettings, ...]
    _dormant: dict[str, FeedState]
    _deletions: set[str]
    _clock: Callable[[], float]

    def load(
        self, states: dict[str, FeedState], feeds: tuple[FeedSettings, ...] | None = None
    ) -> None:
        """Set up each listed feed from its saved state; first polls are staggered over each
        feed's interval. `feeds` defaults to `poller.feeds`."""
        self.listed = self._settings.feeds if feeds is None else feeds
        self._dormant = dict(states)
        active = [feed for feed in self.listed if not feed.paused]
        delays = first_delays(active, self._rng)
        for feed in active:
            self._start(feed, delays[feed.id])
        unlisted = sorted(set(self._dormant) - {feed.id for feed in self.listed})
        if unlisted:
            log.warning(
                "saved state of %d feeds not in the feed list kept (%s); `telex feeds remove ID` "
                "deletes it", len(unlisted), ", ".join(unlisted[:10]),
            )  # fmt: skip

    def _start(self, feed: FeedSettings, first_delay: float) -> FeedRuntime:
        now = self._clock()
        state = configured_state(self._dormant.pop(feed.id, None), feed)
        due = now + first_delay
        if state.next_poll_at is not None:
            due = min(due, max(now, state.next_poll_at))
        runtime = FeedRuntime(feed, state, due)
        self.feeds[feed.id] = runtime
        heapq.heappush(self._schedule, (due, feed.id))
        metrics.initialise_feed_counters(feed.id)
        metrics.FEED_INTERVAL.labels(feed.id).set(feed.interval_seconds)
        metrics.NEXT_POLL.labels(feed.id).set(due if not state.gone else 0)
        metrics.IN_BACKOFF.labels(feed.id).set(1 if state.failures else 0)
        return runtime

    async def apply_feeds(self, feeds: tuple[FeedSettings, ...]) -> None:
        """Apply a new feed list without a restart: new feeds start polling within a few
        seconds, removed feeds stop and their state is deleted, paused feeds stop and keep it,
        changed settings apply from the next poll (a new URL or reset_at at once)."""
        listed_ids = {feed.id for feed in feeds}
        removed = {feed.id for feed in self.listed} - listed_ids
        self.listed = feeds
        wanted = {feed.id: feed for feed in feeds if not feed.paused}
        for feed_id in [feed_id for feed_id in self.feeds if feed_id not in wanted]:
            await self._stop(feed_id, delete=feed_id in removed)
        for feed_id in removed & set(self._dormant):  # paused, then removed
            del self._dormant[feed_id]
            self._deletions.add(feed_id)
            log.info("feed removed: feed_id=%s", feed_id)
        added = [feed for feed in wanted.values() if feed.id not in self.feeds]
        delays = first_delays(added, self._rng, spread=_NEW_FEED_SPREAD)
        for feed in added:
            how = "resumed" if feed.id in self._dormant else "added"
            log.info("feed %s: feed_id=%s url=%s", how, feed.id, feed.url)
            self._deletions.discard(feed.id)
            self._start(feed, delays[feed.id])
        for feed in wanted.values():
            runtime = self.feeds[feed.id]
            if feed != runtime.feed:
                self._reconfigure(runtime, feed)
        await self._write_deletions()

    def _reconfigure(self, runtime: FeedRuntime, feed: FeedSettings) -> None:
        """New settings for a polled feed: a new URL or reset_at revives it now; a shorter
        interval pulls its next poll in; anything else applies at its next poll."""
        old, runtime.feed = runtime.feed, feed
        log.info("feed settings changed: feed_id=%s", feed.id)
        metrics.FEED_INTERVAL.labels(feed.id).set(feed.interval_seconds)
        now = self._clock()
        due = runtime.due
        if needs_revival(runtime.state, feed):
            due = now
        elif feed.interval_seconds < old.interval_seconds:
            due = min(due, now + feed.interval_seconds)
        if due < runtime.due and not runtime.in_flight:
            runtime.due = due
            heapq.heappush(self._schedule, (due, feed.id))
            metrics.NEXT_POLL.labels(feed.id).set(due)

    async def _stop(self, feed_id: str, *, delete: bool) -> None:
        runtime = self.feeds.pop(feed_id)
        log.info("feed %s: feed_id=%s", "removed" if delete else "paused", feed_id)
        metrics.forget_feed(feed_id)
        if not delete:
            self._dormant[feed_id] = runtime.state
        elif runtime.in_flight:
            runtime.removed = True  # poll_feed deletes the state once the poll has ended
        else:
            self._deletions.add(feed_id)

    async def _write_deletions(self) -> None:
        """Tombstone removed feeds' states; those the broker refuses are tried again later."""
        for feed_id in sorted(self._deletions):
            try:
                await self._store.delete(feed_id)
            except Exception as exc:  # the broker may be restarting; polling must go on
                log.warning("state of removed feed not deleted yet: feed_id=%s (%s)", feed_id, exc)
                return
            self._deletions.discard(feed_id)

    async def _check_feed_list(self, feed_list: FeedListSource) -> None:
        try:
            feeds = feed_list.check()
            if feeds is not None:
                await self.apply_feeds(feeds)
                log.info("feed list reloaded: %d feeds, %d polled", len(feeds), len(self.feeds))
            elif self._deletions:
                await self._write_deletions()
        except Exception:  # a bug here must not stop the polling of the feeds already listed
            log.exception("feed list reload failed; keeping the current list")
