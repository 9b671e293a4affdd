"""A polled feed's state and the rules for it: what the settings make of a saved state (a new
URL or a reset revives a feed), when a state is worth saving, how first polls are spread.
Pure: no I/O."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace
from operator import attrgetter
from typing import Any

from schemas.models import FeedState
from streams.poll.schedule import initial_delays
from streams.settings import FeedSettings

SUCCESS_OUTCOMES = frozenset({"ok", "not_modified", "unchanged"})
# The fields _worth_saving compares as FeedState.__eq__ would (one tuple each, so the same
# identity shortcut); timestamps never count and the outcome is compared apart. Three
# dataclasses.replace calls did this before, ~10% of an unchanged poll's CPU.
_COMPARED_FIELDS = attrgetter(
    *(f.name for f in fields(FeedState)
      if f.compare and f.name not in {"last_success_at", "next_poll_at", "last_outcome"})
)  # fmt: skip


@dataclass
class FeedRuntime:
    """A feed's config, its persisted state, and what the scheduler knows of it."""

    feed: FeedSettings
    state: FeedState
    due: float
    ttl: float | None = None
    max_age: float | None = None
    last_body_size: int = 0
    in_flight: bool = False
    unsaved: bool = False
    removed: bool = False  # taken off the feed list while a poll was in flight


def configured_state(state: FeedState | None, feed: FeedSettings) -> FeedState:
    """The saved state as the feed's settings want it: a new feed starts from its URL; a URL
    changed in the feed list, or a new reset_at, starts again without backoff or 410 stop."""
    if state is None:
        state = FeedState(feed.id, feed.url)
    if state.configured_url != feed.url:
        state = replace(state, url=feed.url, configured_url=feed.url, etag=None,
                        last_modified=None, **REVIVED)  # fmt: skip
    if feed.reset_at is not None and feed.reset_at != state.reset_at:
        state = replace(state, reset_at=feed.reset_at, **REVIVED)
    return state


def needs_revival(state: FeedState, feed: FeedSettings) -> bool:
    return state.configured_url != feed.url or (
        feed.reset_at is not None and feed.reset_at != state.reset_at
    )


# What a reset clears: the run of failures, its backoff and a 410 stop.
REVIVED: dict[str, Any] = {
    "failures": 0, "backoff_since": None, "gone": False, "last_error": None, "next_poll_at": None,
}  # fmt: skip


def first_delays(
    feeds: list[FeedSettings], rng: random.Random, spread: float | None = None
) -> dict[str, float]:
    """Stagger feeds of the same interval over that interval (or `spread` seconds if shorter;
    one pass per interval)."""
    by_interval: dict[float, list[str]] = {}
    for feed in feeds:
        by_interval.setdefault(feed.interval_seconds, []).append(feed.id)
    delays: dict[str, float] = {}
    for interval, ids in by_interval.items():
        window = interval if spread is None else min(interval, spread)
        delays |= initial_delays(ids, window, rng)
    return delays


def worth_saving(before: FeedState, after: FeedState) -> bool:
    """Save when anything but timestamps (or one success kind for another) changed.

    So a 304 or an unchanged body writes nothing: 10,000 feeds polling cost no state traffic.
    """
    if _COMPARED_FIELDS(before) != _COMPARED_FIELDS(after):
        return True
    both_succeeded = (before.last_outcome in SUCCESS_OUTCOMES
                      and after.last_outcome in SUCCESS_OUTCOMES)  # fmt: skip
    return not both_succeeded and before.last_outcome != after.last_outcome
