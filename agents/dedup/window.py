"""Exact and near-duplicate detection over a sliding time window.

Pure logic: all state lives in two injected mappings (dicts in tests; in the worker a
changelog-backed Faust table and a local index), so a new `Deduplicator` over the same state
decides exactly as the old one would have. The store holds one record per item
(`agents.dedup.records`), the only part that needs a changelog; the index
(`agents.dedup.index`), ~20 writes per item, is derived from the records and stays local.
Without a separate index both live in the one store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from agents.dedup import meaning
from agents.dedup.config import DedupConfig
from agents.dedup.fingerprint import Fingerprint
from agents.dedup.index import DedupStore, WindowIndex, bands, empty_meta
from agents.dedup.records import (
    POSITION_KEY,
    features,
    hash_entries,
    item_key,
)
from agents.dedup.search import CandidateSearch

_HOUR = 3600.0


@dataclass(frozen=True)
class DedupDecision:
    """Verdict for one item.

    status: "new" | "update" | "duplicate" | "near_duplicate". `drop` is True only for a
    redelivery (same item id, same content hash): the caller counts and drops it.
    """

    status: str
    story_id: str
    duplicate_of: str | None
    similarity: float | None
    method: str | None
    revision: int
    drop: bool = False


class Deduplicator:
    """Decides and records, one item at a time; state only in the store and the index."""

    def __init__(
        self,
        store: DedupStore,
        config: DedupConfig | None = None,
        *,
        index: DedupStore | None = None,
    ) -> None:
        self._store = store
        self._config = config = config or DedupConfig()
        self._index = WindowIndex(store if index is None else index, config)
        self._search = CandidateSearch(self._index, config, self._record)

    def rebuild_index(self) -> int:
        """Recreate the index, empty and separate, from the item records.

        Items are re-added in recording order, so buckets keep the same latest members and hash
        lists the same order; returns the number of records read (0 without a separate index).
        """
        if self._index.mapping is self._store:
            return 0
        records = [(key[2:], self._get(key)) for key in list(self._store) if key.startswith("i:")]
        meta = empty_meta(self._get(POSITION_KEY))
        hashes: list[tuple[int, str, str]] = []
        for item_id, record in sorted(records, key=lambda pair: (pair[1]["q"], pair[0])):
            self._index.add_to_time_index(item_id, record["k"], meta, new_item=True)
            meta["q"] = max(meta["q"], record["q"])
            meta["lo"] = _later(meta["lo"], record.get("o"))
            hashes += [(q, content_hash, item_id) for content_hash, q in hash_entries(record)]
            if "g" in record:
                buckets = self._index.read_buckets(record["g"], record.get("vb"))
                self._index.add_to_buckets(item_id, buckets)
                self._index.add_to_cross_index(item_id, record)
        for _, content_hash, item_id in sorted(hashes):
            self._index.add_to_hash_list(content_hash, item_id)
        self._index.put("m", meta)
        return len(records)

    def decide(
        self,
        *,
        item_id: str,
        fingerprint: Fingerprint,
        event_time: float,
        source_offset: int | None = None,
        source_revision: int | None = None,
    ) -> DedupDecision:
        """Classify the item against the window and record it; `event_time` is in epoch seconds.

        `source_offset` says where the item sits in the input log. The same item with the same
        content from another offset is a repeat (dropped); from the SAME offset it is that
        message delivered again after a restart, and gets the verdict it got the first time,
        so its event is published again rather than lost (at-least-once).

        `source_revision` is the revision the poller gave this content: an OLDER revision of an
        item than the one recorded is stale (redelivered or read again after the newer one) and
        dropped, not taken for an update that would bring the old text back.
        """
        decision = self._decide(item_id, fingerprint, event_time, source_offset, source_revision)
        if source_offset is not None:
            self.note_offset(source_offset)
        return decision

    def last_offset(self) -> int | None:
        """Input offset of the last message this state has seen (None before any)."""
        offset: int | None = self._index.meta().get("lo")
        return offset

    def note_offset(self, offset: int) -> None:
        """Record that the input message at `offset` was seen (decided, or rejected as bad)."""
        meta = self._index.meta()
        if meta.get("lo") is None or offset > meta["lo"]:
            meta["lo"] = offset
            self._index.put("m", meta)

    def expire(self, now: float) -> int:
        """Remove items whose last hour ended a window before `now`; return how many."""
        meta = self._index.meta()
        oldest = meta["o"]
        if oldest is None:
            return 0
        last_expired = int((now - self._config.window_seconds) // _HOUR) - 1
        if last_expired < oldest:
            return 0
        removed = 0
        for hour in range(oldest, last_expired + 1):
            removed += self._expire_hour(hour)
        meta = self._index.meta()
        meta["n"] -= removed
        meta["o"] = last_expired + 1 if meta["n"] else None
        self._index.put("m", meta)
        if meta.get("lo") is not None:  # the records that carried it may be gone
            self._store[POSITION_KEY] = orjson.dumps(meta["lo"])
        return removed

    def window_size(self) -> int:
        """Number of items currently recorded."""
        return int(self._index.meta()["n"])

    # Item states ------------------------------------------------------------------------

    def _decide(
        self,
        item_id: str,
        fingerprint: Fingerprint,
        event_time: float,
        source_offset: int | None,
        source_revision: int | None,
    ) -> DedupDecision:
        record = self._record(item_id)
        if record is not None:
            return self._seen_item(
                item_id, record, fingerprint, event_time, source_offset, source_revision
            )
        holders = self._index.holders(fingerprint.content_hash)
        if holders:
            first_id = holders[0]
            story = self._story_of(first_id, default=first_id)
            decision = DedupDecision("duplicate", story, first_id, 1.0, "content_hash", 1)
            self._write_item(
                item_id, fingerprint, event_time, decision, source_offset, source_revision, [], None
            )
            return decision
        buckets = self._search.read_buckets(fingerprint)
        found = self._search.by_words(item_id, fingerprint, event_time, buckets)
        if found is None and self._config.searches_facts:
            found = self._search.by_facts(item_id, fingerprint, event_time)
        if found is None and self._config.embeds and fingerprint.meaning:
            found = self._search.by_meaning(item_id, fingerprint, event_time, buckets)
        if found is None:
            decision = DedupDecision("new", item_id, None, None, None, 1)
        else:
            other_id, similarity, method = found
            story = self._story_of(other_id, default=other_id)
            decision = DedupDecision("near_duplicate", story, other_id, similarity, method, 1)
        self._write_item(
            item_id, fingerprint, event_time, decision, source_offset, source_revision, [], buckets
        )
        return decision

    def _seen_item(
        self,
        item_id: str,
        record: dict[str, Any],
        fingerprint: Fingerprint,
        event_time: float,
        source_offset: int | None,
        source_revision: int | None,
    ) -> DedupDecision:
        story, revision = record["s"], record["r"]
        if record["h"] == fingerprint.content_hash:
            if source_offset is not None and record.get("o") == source_offset:
                status, duplicate_of, similarity, method = record["d"]
                return DedupDecision(status, story, duplicate_of, similarity, method, revision)
            return DedupDecision("duplicate", story, item_id, 1.0, "item_id", revision, drop=True)
        if _older(source_revision, record.get("pr")):
            return DedupDecision("duplicate", story, item_id, 1.0, "revision", revision, drop=True)
        self._index.remove_from_buckets(item_id, record)
        self._index.remove_from_cross_index(item_id, record)
        buckets = self._search.read_buckets(fingerprint)
        decision = DedupDecision("update", story, item_id, None, "item_id", revision + 1)
        known = hash_entries(record)
        self._write_item(
            item_id, fingerprint, event_time, decision, source_offset, source_revision, known,
            buckets,
        )  # fmt: skip
        return decision

    def _write_item(
        self,
        item_id: str,
        fp: Fingerprint,
        event_time: float,
        decision: DedupDecision,
        source_offset: int | None,
        source_revision: int | None,
        known_hashes: list[tuple[str, int]],
        buckets: dict[str, list[str]] | None,
    ) -> None:
        """Write the record (the one store write per item) and index it.

        `known_hashes` are the item's earlier hashes; `buckets` (the item's LSH buckets as
        read) is None for an exact duplicate, which is not indexed for near-duplicate search.
        """
        meta = self._index.meta()
        meta["q"] = sequence = meta.get("q", 0) + 1
        meta["lo"] = _later(meta.get("lo"), source_offset)
        hour = int(event_time // _HOUR)
        hashes = list(known_hashes)
        if all(content_hash != fp.content_hash for content_hash, _ in hashes):
            hashes.append((fp.content_hash, sequence))
            self._index.add_to_hash_list(fp.content_hash, item_id)
        record: dict[str, Any] = {"h": fp.content_hash, "hs": hashes, "r": decision.revision}
        record |= {"s": decision.story_id, "t": event_time, "k": hour, "o": source_offset}
        record |= {"q": sequence, "pr": source_revision}
        record["d"] = (decision.status, decision.duplicate_of, decision.similarity, decision.method)
        if buckets is not None:
            record |= features(fp, with_neutral=self._config.searches_facts)
            record["g"] = bands(fp, self._config)
            if self._config.embeds and fp.meaning:
                record |= {"v": meaning.to_text(fp.meaning), "vb": meaning.bands(fp.meaning)}
            self._index.add_to_buckets(item_id, buckets)
            self._index.add_to_cross_index(item_id, record)
        self._store[item_key(item_id)] = orjson.dumps(record)
        self._index.add_to_time_index(item_id, hour, meta, new_item=decision.revision == 1)
        self._index.put("m", meta)

    # Expiry -----------------------------------------------------------------------------------

    def _expire_hour(self, hour: int) -> int:
        removed = 0
        for item_id in self._index.pop_hour(hour):
            record = self._record(item_id)
            # A later revision moved the item to a later hour: that entry will expire it.
            if record is not None and record["k"] == hour:
                self._delete_item(item_id, record)
                removed += 1
        return removed

    def _delete_item(self, item_id: str, record: dict[str, Any]) -> None:
        self._index.remove_from_buckets(item_id, record)
        self._index.remove_from_cross_index(item_id, record)
        for content_hash, _ in hash_entries(record):
            self._index.remove_from_hash_list(content_hash, item_id)
        del self._store[item_key(item_id)]

    # Store access -----------------------------------------------------------------------------

    def _story_of(self, item_id: str, *, default: str) -> str:
        record = self._record(item_id)
        return str(record["s"]) if record is not None else default

    def _record(self, item_id: str) -> dict[str, Any] | None:
        # Read from the store every time: a cache of decoded records went stale across a
        # rebalance (the worker's table is revoked and recovered behind this object) and made
        # the scale-in test drop an item as a repeat. Do not add one back without that test.
        record: dict[str, Any] | None = self._get(item_key(item_id))
        return record

    def _get(self, key: str) -> Any:
        raw = self._store.get(key)
        return None if raw is None else orjson.loads(raw)


def _older(revision: int | None, recorded: int | None) -> bool:
    """Whether the poller's revision of an incoming text is below the recorded one."""
    return revision is not None and recorded is not None and revision < recorded


def _later(offset: int | None, other: int | None) -> int | None:
    return other if offset is None else offset if other is None else max(offset, other)
