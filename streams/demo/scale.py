"""Deterministic change model of the many small feeds served for the poller benchmark.

Time is cut into steps of `change_period` seconds; feed n changes at step s when a hash of
(n, s) falls below `probability`, so any process can recompute the same history. Step 0 is
every feed's creation.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from streams.demo.render import FeedItem, FeedPage

_HASH_SPACE = 2**64


def changes_at(feed: int, step: int, probability: float) -> bool:
    """Whether `feed` gets a new item at time step `step`."""
    if step == 0:
        return True
    digest = hashlib.blake2b(f"{feed}:{step}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < probability * _HASH_SPACE


class ChangeHistory:
    """The last few change steps of each feed, scanning every (feed, step) at most once."""

    def __init__(self, probability: float, keep: int = 3) -> None:
        self._probability = probability
        self._keep = keep
        self._scanned: dict[int, tuple[int, tuple[int, ...]]] = {}

    def recent_changes(self, feed: int, step: int) -> tuple[int, ...]:
        """Steps <= `step` at which `feed` changed, newest first, at most `keep` of them."""
        scanned_to, changes = self._scanned.get(feed, (-1, ()))
        if step < scanned_to:  # the clock went back: start over rather than guess
            scanned_to, changes = -1, ()
        for candidate in range(scanned_to + 1, step + 1):
            if changes_at(feed, candidate, self._probability):
                changes = (candidate, *changes)[: self._keep]
        self._scanned[feed] = (max(step, scanned_to), changes)
        return changes


def scale_page(
    feed: int, changes: tuple[int, ...], base_url: str, epoch: datetime, period: timedelta
) -> FeedPage:
    """Feed `feed` with one item per recent change step (newest first)."""
    home = f"{base_url}/feeds/{feed}.html"
    items = tuple(
        FeedItem(
            id=f"{home}#step-{step}",
            title=f"Feed {feed}, update {step}",
            summary=f"Synthetic update {step} of benchmark feed {feed}.",
            published=epoch + period * step,
            modified=epoch + period * step,
        )
        for step in changes
    )
    return FeedPage(f"Benchmark feed {feed}", "en", home, items[0].published, items)
