"""Which parsed entries are new, which are revisions, which were already sent: pure logic.

The poller keeps, per feed, the content hash and revision of every item it published
(``FeedState.items``/``revisions``) and the item id behind each canonical URL (``urls``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TypeVar

from schemas.models import FeedState
from streams.poll.formats.model import ParsedEntry
from streams.poll.identity import canonical_url, content_hash, item_id

log = logging.getLogger(__name__)
V = TypeVar("V")

# Remember this many items per feed (most recent first kept): a multiple of a poll's cap so an
# item that scrolls out of the feed and back is still recognised, yet memory stays bounded.
KNOWN_ITEMS_PER_FEED = 2000


@dataclass(frozen=True, slots=True)
class Change:
    """One entry to publish: a new item (revision 1) or a revision of a known one."""

    entry: ParsedEntry
    item_id: str
    revision: int
    content_hash: str
    previous_content_hash: str | None


@dataclass(frozen=True, slots=True)
class ChangeSet:
    changes: tuple[Change, ...]
    churn_suppressed: int
    state: FeedState  # the feed state once these changes are published


def detect_changes(state: FeedState, entries: tuple[ParsedEntry, ...]) -> ChangeSet:
    """Diff a poll's entries against the feed state (oldest entry first in the result)."""
    ids = [item_id(state.feed_id, entry) for entry in entries]
    ids, churned = _guard_against_guid_churn(state, entries, ids)
    items, revisions, urls = dict(state.items), dict(state.revisions), dict(state.urls)
    changes: list[Change] = []
    seen: set[str] = set()
    # Feeds list newest first; publish oldest first so consumers see the feed's own order.
    for entry, entry_id in reversed(list(zip(entries, ids, strict=True))):
        if entry_id in seen:
            continue  # the same item twice in one document
        seen.add(entry_id)
        digest = content_hash(entry)
        previous = items.pop(entry_id, None)  # re-inserted below: the dict stays recency-ordered
        revision = revisions.pop(entry_id, 0)
        if previous != digest:
            revision += 1
            changes.append(Change(entry, entry_id, revision, digest, previous))
        items[entry_id], revisions[entry_id] = digest, revision
        if entry.link:
            urls.pop(canonical_url(entry.link), None)
            urls[canonical_url(entry.link)] = entry_id
    new_state = replace(
        state,
        items=_most_recent(items),
        revisions=_most_recent(revisions),
        urls=_most_recent(urls),
    )
    return ChangeSet(tuple(changes), churned, new_state)


def _guard_against_guid_churn(
    state: FeedState, entries: tuple[ParsedEntry, ...], ids: list[str]
) -> tuple[list[str], int]:
    """When most GUIDs are new but their URLs are known, keep the known item ids.

    Some CMSs regenerate GUIDs on every rebuild; without this guard the whole feed would be
    re-published as new items.
    """
    new_with_known_url = [
        index
        for index, (entry, entry_id) in enumerate(zip(entries, ids, strict=True))
        if entry_id not in state.items
        and entry.link
        and canonical_url(entry.link) in state.urls
        and state.urls[canonical_url(entry.link)] != entry_id
    ]
    if not entries or len(new_with_known_url) * 2 <= len(entries):
        return ids, 0
    log.warning(
        "guid churn: feed_id=%s has %d of %d entries with new GUIDs but known URLs; "
        "keeping their known item ids",
        state.feed_id, len(new_with_known_url), len(entries),
    )  # fmt: skip
    guarded = list(ids)
    for index in new_with_known_url:
        link = entries[index].link
        assert link is not None
        guarded[index] = state.urls[canonical_url(link)]
    return guarded, len(new_with_known_url)


def _most_recent(mapping: dict[str, V]) -> dict[str, V]:
    if len(mapping) <= KNOWN_ITEMS_PER_FEED:
        return mapping
    keys = list(mapping)[-KNOWN_ITEMS_PER_FEED:]
    return {key: mapping[key] for key in keys}
