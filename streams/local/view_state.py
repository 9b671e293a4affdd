"""What `telex run` shows, as plain data: feeds, counters, the latest events. Pure.

The watcher (streams/local/watch.py) reads the pipeline's topics and feeds each record to one
of the ``apply_*`` methods; the renderers (streams/local/view.py) draw the state as it is.
Nothing here reads a clock, a socket or a file: times come in as arguments.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from schemas.models import DeadLetter, EnrichedItem, FeedState

EVENTS_KEPT = 200
SUCCESS_OUTCOMES = frozenset({"ok", "not_modified", "unchanged"})


@dataclass
class FeedRow:
    """One feed as the poller last saved it (its feeds.state record)."""

    feed_id: str
    last_outcome: str | None = None
    items: int = 0
    next_poll_at: float | None = None
    failures: int = 0
    backoff_since: float | None = None
    gone: bool = False


@dataclass(frozen=True)
class FeedMetrics:
    """One feed on the poller's /metrics page: live where the feeds.state topic is not."""

    next_poll_at: float | None
    backoff_since: float | None
    fetches: dict[str, float]  # fetch outcome -> count since the poller started


@dataclass(frozen=True)
class EventRow:
    """One enriched event (or a dead letter: status ``dlq``, the reason as its title)."""

    at: float
    status: str
    item_id: str
    story: int
    story_id: str
    tags: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class Child:
    """A process `telex run` started, and where its output goes."""

    name: str
    pid: int
    log: str


@dataclass
class ViewState:
    """Everything on screen. ``stories`` numbers story ids in order of first sight."""

    started_at: float
    bootstrap: str
    log_dir: str
    feeds: dict[str, FeedRow] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    items_in: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    dead_letters: int = 0
    lag: int | None = None
    events: deque[EventRow] = field(default_factory=lambda: deque(maxlen=EVENTS_KEPT))
    stories: dict[str, int] = field(default_factory=dict)
    notice: str | None = None
    fetch_counts: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    def add_feeds(self, feed_ids: list[str]) -> None:
        """Configured feeds get a row before their first poll."""
        for feed_id in feed_ids:
            self.feeds.setdefault(feed_id, FeedRow(feed_id))

    def apply_raw(self, count: int) -> None:
        self.items_in += count

    def apply_feed_state(self, state: FeedState) -> None:
        self.feeds[state.feed_id] = FeedRow(
            feed_id=state.feed_id,
            last_outcome=state.last_outcome,
            items=len(state.items),
            next_poll_at=state.next_poll_at,
            failures=state.failures,
            backoff_since=state.backoff_since,
            gone=state.gone,
        )

    def apply_feed_metrics(self, metrics: dict[str, FeedMetrics]) -> list[str]:
        """Next poll and backoff as the poller has them now; the last outcome is the one whose
        fetch count grew since the previous page (a failure first, if several did). Returns
        the feeds that entered or left backoff."""
        flipped: list[str] = []
        for feed_id, live in sorted(metrics.items()):
            row = self.feeds.setdefault(feed_id, FeedRow(feed_id))
            was_failing = row.failures > 0
            before = self.fetch_counts.get(feed_id)
            self.fetch_counts[feed_id] = dict(live.fetches)
            grown = sorted(o for o, n in live.fetches.items() if before is not None
                           and n > before.get(o, 0))  # fmt: skip
            if grown:
                failed = [outcome for outcome in grown if outcome not in SUCCESS_OUTCOMES]
                row.last_outcome = (failed or grown)[0]
            row.next_poll_at = live.next_poll_at
            row.backoff_since = live.backoff_since
            row.failures = 0 if live.backoff_since is None else max(row.failures, 1)
            if (row.failures > 0) != was_failing:
                flipped.append(feed_id)
        return flipped

    def apply_enriched(self, event: EnrichedItem, at: float) -> EventRow:
        status = event.dedup.status
        tags = tuple(tag.topic for tag in event.tags)
        self.statuses[status] += 1
        self.tags.update(tags)
        story_id = event.dedup.story_id
        story = self.stories.setdefault(story_id, len(self.stories) + 1)
        row = EventRow(at, status, event.item.item_id, story, story_id, tags, event.item.title)
        self.events.append(row)
        return row

    def apply_dead_letter(self, letter: DeadLetter, key: str | None, at: float) -> EventRow:
        self.dead_letters += 1
        where = f"{letter.source.topic}/{letter.source.partition}@{letter.source.offset}"
        row = EventRow(at, "dlq", key or where, 0, "", (), f"{letter.reason} ({where})")
        self.events.append(row)
        return row
