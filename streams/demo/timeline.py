"""The demo live blog as a pure function of how many updates have been published.

The seed (`streams/demo/seed_liveblog.json`) is replayed in endless cycles: cycle 0 keeps the
seed ids and times, cycle c >= 1 uses ids like ``seed-00-c2`` and times shifted by whole days,
so a long-running demo keeps producing. Revisions (`streams/demo/seed_revisions.json`)
re-publish an already published update under the same id with an edited summary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from streams.demo.render import FeedItem
from streams.errors import TelexError

SEED_RESOURCE = "seed_liveblog.json"
REVISIONS_RESOURCE = "seed_revisions.json"


class DemoDataError(TelexError):
    """The demo seed or revision data is malformed or inconsistent."""


@dataclass(frozen=True, slots=True)
class Revision:
    """An edit of update `id`, visible once its cycle has shown `after_updates` updates."""

    id: str
    after_updates: int
    modified: datetime
    summary: str


@dataclass(frozen=True, slots=True)
class LiveBlog:
    """The seed updates (oldest first) and the revisions replayed by the demo server."""

    title: str
    language: str
    updates: tuple[FeedItem, ...]
    revisions: tuple[Revision, ...]

    @property
    def cycle_shift(self) -> timedelta:
        """Time offset between cycles: whole days, longer than the seed's span."""
        span = self.updates[-1].published - self.updates[0].published
        return timedelta(days=span.days + 1)


def load_liveblog() -> LiveBlog:
    """Read the packaged seed and revisions (works from an installed wheel too)."""
    demo = resources.files("streams.demo")
    seed = json.loads(demo.joinpath(SEED_RESOURCE).read_text(encoding="utf-8"))
    revisions = json.loads(demo.joinpath(REVISIONS_RESOURCE).read_text(encoding="utf-8"))
    return parse_liveblog(seed, revisions)


def parse_liveblog(seed: Mapping[str, Any], revisions: Mapping[str, Any]) -> LiveBlog:
    """Build a LiveBlog from the decoded seed and revision documents."""
    try:
        updates = tuple(_parse_update(raw) for raw in seed["items"])
        edits = tuple(_parse_revision(raw) for raw in revisions["revisions"])
        blog = LiveBlog(str(seed["title"]), str(seed["language"]), updates, edits)
    except (KeyError, TypeError, ValueError) as error:
        raise DemoDataError(f"malformed demo data: {error!r}") from error
    _check_consistent(blog)
    return blog


def _parse_update(raw: Mapping[str, Any]) -> FeedItem:
    published = datetime.fromisoformat(raw["published"])
    return FeedItem(str(raw["id"]), str(raw["title"]), str(raw["summary"]), published, published)


def _parse_revision(raw: Mapping[str, Any]) -> Revision:
    modified = datetime.fromisoformat(raw["modified"])
    return Revision(str(raw["id"]), int(raw["after_updates"]), modified, str(raw["summary"]))


def _check_consistent(blog: LiveBlog) -> None:
    if not blog.updates:
        raise DemoDataError("the seed has no updates")
    positions = {update.id: index for index, update in enumerate(blog.updates)}
    for revision in blog.revisions:
        if revision.id not in positions:
            raise DemoDataError(f"revision of unknown update {revision.id!r}")
        if not positions[revision.id] < revision.after_updates <= len(blog.updates):
            raise DemoDataError(f"revision of {revision.id!r} would precede its update")


def update_at(blog: LiveBlog, position: int, published_count: int) -> FeedItem:
    """The update at `position` of the endless replay once `published_count` are out."""
    cycle, index = divmod(position, len(blog.updates))
    update = _in_cycle(blog, blog.updates[index], cycle)
    shown_in_cycle = published_count - cycle * len(blog.updates)
    for revision in blog.revisions:
        if revision.id == blog.updates[index].id and shown_in_cycle >= revision.after_updates:
            modified = revision.modified + blog.cycle_shift * cycle
            update = replace(update, summary=revision.summary, modified=modified)
    return update


def _in_cycle(blog: LiveBlog, update: FeedItem, cycle: int) -> FeedItem:
    if cycle == 0:
        return update
    shift = blog.cycle_shift * cycle
    return replace(
        update,
        id=f"{update.id}-c{cycle + 1}",
        published=update.published + shift,
        modified=update.modified + shift,
    )


def latest_updates(blog: LiveBlog, published_count: int, window: int) -> Sequence[FeedItem]:
    """The last `window` of the first `published_count` updates, newest first."""
    first = max(0, published_count - window)
    positions = range(published_count - 1, first - 1, -1)
    return [update_at(blog, position, published_count) for position in positions]
