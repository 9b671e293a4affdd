"""What `telex poll --status` and `telex feeds list` say about a feed: its settings and saved
state in one JSON-ready mapping, with a one-phrase `status` that tells the truth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.models import FeedState
from streams.settings import FeedSettings


def gone_message(feed_id: str) -> str:
    """What a feed stopped by a 410 says in the log and in its status."""
    return f"stopped: 410 Gone; telex feeds reset {feed_id} to resume"


def status_phrase(state: FeedState | None, feed: FeedSettings | None) -> str:
    """One phrase: paused, stopped (410), in backoff, polling, not polled yet, not listed."""
    if feed is None:
        return "not in the feed list (saved state kept; telex feeds remove ID deletes it)"
    if feed.paused:
        return "paused"
    if state is None or state.configured_url != feed.url:
        return "not polled yet"
    if feed.reset_at is not None and feed.reset_at != state.reset_at:
        return "reset pending: polled again at the poller's next check"
    if state.gone:
        return gone_message(feed.id)
    if state.failures:
        return f"backoff: {state.failures} failures in a row, last {state.last_outcome}"
    return "polling"


def describe(feed_id: str, state: FeedState | None, feed: FeedSettings | None) -> dict[str, Any]:
    """The feed's settings (when listed) and saved state (when any) as JSON values."""
    entry: dict[str, Any] = {"feed_id": feed_id, "status": status_phrase(state, feed)}
    if feed is not None:
        entry |= {
            "url": feed.url,
            "configured_url": feed.url,
            "interval_seconds": feed.interval_seconds,
            "paused": feed.paused,
            "language": feed.language,
            "labels": feed.labels,
        }
    if state is not None:
        entry |= {
            "url": state.url,  # where it is polled: a permanent redirect may have moved it
            "in_backoff": state.failures > 0,
            "failures": state.failures,
            "backoff_since": _iso(state.backoff_since),
            "gone": state.gone,
            "last_outcome": state.last_outcome,
            "last_error": state.last_error,
            "last_success_at": _iso(state.last_success_at),
            "next_poll_at": _iso(state.next_poll_at),
            "known_items": len(state.items),
        }
    return entry


def describe_all(
    states: dict[str, FeedState], feeds: tuple[FeedSettings, ...]
) -> list[dict[str, Any]]:
    """Listed feeds in list order, then saved states of feeds no longer listed."""
    listed = {feed.id: feed for feed in feeds}
    entries = [describe(feed.id, states.get(feed.id), feed) for feed in feeds]
    entries += [describe(feed_id, states[feed_id], None)
                for feed_id in sorted(states) if feed_id not in listed]  # fmt: skip
    return entries


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
