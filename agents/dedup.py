"""Exact and near-duplicate detection over a sliding time window.

Pure logic: all state lives in two injected mappings (dicts in tests; in the worker a
changelog-backed Faust table and a local index), so a new `Deduplicator` over the same state
decides exactly as the old one would have. Values are orjson.

The store holds the facts, one key per item, and is the only part that needs a changelog:

- ``i:<item id>``   item record: its content hashes (each with the sequence number it was
                    recorded at), revision, the poller's revision ``pr`` of the recorded
                    content, story, time, hour, sequence number ``q``, the
                    verdict with the input offset it was given at, and the verification
                    features and LSH bands of items that are indexed

The index is derived from the records (`rebuild_index` recreates it, in recording order):

- ``h:<hash>``      ids of the items recorded with this content hash, oldest first
- ``b:<band>:<v>``  LSH bucket: ids of the latest items whose MinHash value in this band is v
- ``c:<hour>``      number of time-index entries for that hour; ``t:<hour>:<n>`` the entries
- ``x:<name>``      with the fact search (`DedupConfig.searches_facts`): ids of the latest
                    items naming it (`similarity.index_keys`), from the records that carry a
                    language and neutral terms (``l``, ``x``)
- ``m``             oldest hour with entries, number of items in the window, last sequence
                    number, and the input offset of the last message seen (``lo``)

One more store key, ``p``, keeps that last input offset across expiry (written when the window
moves), so a rebuilt index still knows where in its input log the state stands.

Without a separate index both live in the one store. In the worker, one changelog message per
item is the whole cost of recovery; the index, ~20 writes per item, stays local.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import orjson

from agents.facts import facts_differ, shared_figure
from agents.fingerprint import SIGNATURE_SIZE, Fingerprint
from agents.similarity import (
    checked_title_names,
    days,
    event_concepts,
    index_keys,
    jaccard,
    name_keys,
    neutral_numbers,
    shared_name_keys,
    shared_names,
    unmatched_title_events,
    unmentioned_across,
    unmentioned_alias_keys,
    unmentioned_entities,
    unmentioned_title_names,
)

if TYPE_CHECKING:
    from streams.settings import WorkerSettings

DedupStore = MutableMapping[str, bytes]

_HOUR = 3600.0
_POSITION_KEY = "p"


@dataclass(frozen=True)
class DedupConfig:
    """Window, LSH and verification parameters (see docs/dedup.md for how they were chosen)."""

    window_seconds: float = 172800.0
    # Word-stem Jaccard at or above which two items report the same news.
    threshold: float = 0.24
    # At or above this Jaccard the texts are the same apart from a correction: numbers may change.
    near_identical: float = 0.85
    # From this Jaccard on, entities swapped on both sides mean a reused template, not a re-summary.
    template_floor: float = 0.3
    # Below `threshold`, a paraphrase (same facts, new words) needs at least this Jaccard and the
    # name signals of `_same_facts`.
    paraphrase_floor: float = 0.12
    # Names (spelling variants included) a paraphrase must share, unless it shares a number.
    paraphrase_min_shared_names: int = 3
    # Bands used (one MinHash value each), at most fingerprint.SIGNATURE_SIZE.
    num_perm: int = 16
    # Items kept per LSH bucket (the latest), bounding both bucket size and candidates per item.
    bucket_capacity: int = 8
    # A candidate must share this many bands: one shared MinHash value is often one common word.
    min_band_hits: int = 2
    # Only the candidates sharing most bands are verified (cost bound per item).
    max_candidates: int = 8
    # When the wording differs too much for the word search, look for an item of the same
    # language that names the same people and places with the same figures and event words
    # (`compare_facts`, method "facts").
    same_language_facts: bool = True
    # Opt-in: also look for the same news in another language (`compare_cross_language`).
    cross_language: bool = False
    # Fact verdict (both searches): names and event concepts the two items must share, and
    # names, numbers, event concepts and days they must share in all.
    cross_language_min_names: int = 1
    cross_language_min_events: int = 1
    cross_language_min_evidence: int = 5
    # Items kept per name in the cross-language index (the latest).
    cross_language_capacity: int = 16

    @classmethod
    def from_settings(cls, worker: WorkerSettings) -> DedupConfig:
        """The config the worker settings ask for (the worker and `telex enrich` alike)."""
        return cls(
            window_seconds=worker.dedup_window_seconds,
            same_language_facts=worker.fact_duplicates,
            cross_language=worker.cross_language_duplicates,
        )

    @property
    def searches_facts(self) -> bool:
        """Whether items need language-neutral terms and the name index (either fact search)."""
        return self.same_language_facts or self.cross_language

    def fact_method(self, language: str | None, other: str | None) -> str | None:
        """The fact search that compares items in these two languages ("facts" for one
        language, "cross_language" for two), None when none does: a language unknown, the
        search off, or German (every noun capitalised, so capitalised words are no names)."""
        if language is None or other is None:
            return None
        if language == other:
            return "facts" if self.same_language_facts and language != "de" else None
        return "cross_language" if self.cross_language else None

    def __post_init__(self) -> None:
        if not 1 <= self.num_perm <= SIGNATURE_SIZE:
            raise ValueError(f"num_perm must be within 1..{SIGNATURE_SIZE}, got {self.num_perm}")


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


def compare(
    a: Fingerprint, b: Fingerprint, config: DedupConfig | None = None
) -> tuple[bool, float]:
    """Pairwise near-duplicate verdict and word-stem Jaccard similarity."""
    config = config or DedupConfig()
    similarity = jaccard(a.words, b.words)
    if similarity >= config.template_floor and _names_swapped(a, b):
        return False, similarity
    if similarity >= config.near_identical:
        return True, similarity
    if facts_differ(a.numbers, b.numbers):
        return False, similarity
    if similarity >= config.threshold:
        return not _title_names_swapped(a, b), similarity
    return similarity >= config.paraphrase_floor and _same_facts(a, b, config), similarity


def compare_cross_language(
    a: Fingerprint, b: Fingerprint, config: DedupConfig | None = None
) -> tuple[bool, float]:
    """`compare_facts` for two items in two known, different languages; False otherwise."""
    if not (a.language and b.language) or a.language == b.language:
        return False, compare_facts(a, b, config)[1]
    return compare_facts(a, b, config)


def compare_facts(
    a: Fingerprint, b: Fingerprint, config: DedupConfig | None = None
) -> tuple[bool, float]:
    """Verdict on what two items say, whatever their words or language, and the Jaccard of
    their neutral terms.

    Precise first: any conflict rejects (numbers or days of the week on both sides that the other
    lacks, a title name the other text never mentions), then the two must share names and enough
    evidence in all (names, numbers, event concepts such as "~sign", days).
    """
    config = config or DedupConfig()
    names_a, names_b = name_keys(a), name_keys(b)
    numbers_a, numbers_b = neutral_numbers(a), neutral_numbers(b)
    events_a, events_b = event_concepts(a), event_concepts(b)
    days_a, days_b = days(a), days(b)
    similarity = jaccard(
        names_a | numbers_a | events_a | days_a, names_b | numbers_b | events_b | days_b
    )
    if facts_differ(_facts(numbers_a), _facts(numbers_b)) or (
        days_a and days_b and not days_a & days_b
    ):
        return False, similarity
    if not (checked_title_names(a) or checked_title_names(b)):
        return False, similarity
    if unmentioned_across(a, b) or unmentioned_across(b, a):
        return False, similarity
    if unmatched_title_events(a, b) or unmatched_title_events(b, a):
        return False, similarity
    if a.language == b.language and _title_names_swapped(a, b):
        return False, similarity  # in one language every title word can be looked up
    names = shared_name_keys(names_a, names_b)
    events = len(events_a & events_b)
    evidence = names + len(numbers_a & numbers_b) + events + len(days_a & days_b)
    is_duplicate = (
        names >= config.cross_language_min_names
        and events >= config.cross_language_min_events
        and evidence >= config.cross_language_min_evidence
    )
    return is_duplicate, similarity


def _same_facts(a: Fingerprint, b: Fingerprint, config: DedupConfig) -> bool:
    """Paraphrase check for low word overlap: both titles name the same subject.

    A title names what the news is about. A re-summary mentions everything the other title names;
    a title naming a person or place the other item never mentions (Orbán in Moscow, then Orbán
    in Kyiv) announces other news. Shared names or a shared figure confirm the same facts.
    """
    if not (a.title_names or b.title_names):
        return False
    if unmentioned_title_names(a, b) or unmentioned_title_names(b, a):
        return False
    names = min(shared_names(a, b), shared_names(b, a))
    if not (a.title_names and b.title_names):
        # A title without names ("Fed cuts rates by a quarter point"): both signals.
        return shared_figure(a.numbers, b.numbers) and names >= config.paraphrase_min_shared_names
    return shared_figure(a.numbers, b.numbers) or names >= config.paraphrase_min_shared_names


def _title_names_swapped(a: Fingerprint, b: Fingerprint) -> bool:
    """Each title names someone or something the other item never mentions (a strike at the
    Hamburg airport, then at Düsseldorf's; one minister appointed, then another)."""
    return bool(unmentioned_title_names(a, b)) and bool(unmentioned_title_names(b, a))


def _names_swapped(a: Fingerprint, b: Fingerprint) -> bool:
    """Each item names someone or something the other never mentions: a reused template. A
    place named by its demonym counts ("Parlement finlandais" / "Parlement suédois")."""
    return bool(unmentioned_entities(a, b) or unmentioned_alias_keys(a, b)) and bool(
        unmentioned_entities(b, a) or unmentioned_alias_keys(b, a)
    )


def _facts(neutral_numbers: frozenset[str]) -> frozenset[str]:
    """Neutral number terms ("#3000", "#~25") as facts ("3000", "~25")."""
    return frozenset(term[1:] for term in neutral_numbers)


class Deduplicator:
    """Decides and records, one item at a time; state only in the store and the index."""

    def __init__(
        self,
        store: DedupStore,
        config: DedupConfig = DedupConfig(),
        *,
        index: DedupStore | None = None,
    ) -> None:
        self._store = store
        self._config = config
        self._index = store if index is None else index

    def rebuild_index(self) -> int:
        """Recreate the index, empty and separate, from the item records.

        Items are re-added in recording order, so buckets keep the same latest members and hash
        lists the same order; returns the number of records read (0 without a separate index).
        """
        if self._index is self._store:
            return 0
        records = [(key[2:], self._get(key)) for key in list(self._store) if key.startswith("i:")]
        meta: dict[str, Any] = {"o": None, "n": 0, "q": 0, "lo": self._get(_POSITION_KEY)}
        hashes: list[tuple[int, str, str]] = []
        for item_id, record in sorted(records, key=lambda pair: (pair[1].get("q", 0), pair[0])):
            self._add_to_time_index(item_id, record["k"], meta, new_item=True)
            meta["q"] = max(meta["q"], record.get("q", 0))
            meta["lo"] = _later(meta["lo"], record.get("o"))
            hashes += [(q, content_hash, item_id) for content_hash, q in _hash_entries(record)]
            if "g" in record:
                self._add_to_buckets(item_id, self._read_buckets_of(record["g"]))
                self._add_to_cross_index(item_id, record)
        for _, content_hash, item_id in sorted(hashes):
            self._add_to_hash_list(content_hash, item_id)
        self._put_index("m", meta)
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
        offset: int | None = self._meta().get("lo")
        return offset

    def note_offset(self, offset: int) -> None:
        """Record that the input message at `offset` was seen (decided, or rejected as bad)."""
        meta = self._meta()
        if meta.get("lo") is None or offset > meta["lo"]:
            meta["lo"] = offset
            self._put_index("m", meta)

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
        holders = self._index_get(_hash_key(fingerprint.content_hash))
        if holders:
            first_id = holders[0]
            story = self._story_of(first_id, default=first_id)
            decision = DedupDecision("duplicate", story, first_id, 1.0, "content_hash", 1)
            self._write_item(
                item_id, fingerprint, event_time, decision, source_offset, source_revision, [], None
            )
            return decision
        buckets = self._read_buckets(fingerprint)
        match = self._nearest(item_id, fingerprint, event_time, buckets)
        method = "minhash-lsh"
        if match is None and self._config.searches_facts:
            match, method = self._nearest_by_facts(item_id, fingerprint, event_time)
        if match is None:
            decision = DedupDecision("new", item_id, None, None, None, 1)
        else:
            other_id, similarity = match
            story = self._story_of(other_id, default=other_id)
            decision = DedupDecision("near_duplicate", story, other_id, similarity, method, 1)
        self._write_item(
            item_id, fingerprint, event_time, decision, source_offset, source_revision, [], buckets
        )
        return decision

    def expire(self, now: float) -> int:
        """Remove items whose last hour ended a window before `now`; return how many."""
        meta = self._meta()
        oldest = meta["o"]
        if oldest is None:
            return 0
        last_expired = int((now - self._config.window_seconds) // _HOUR) - 1
        if last_expired < oldest:
            return 0
        removed = 0
        for hour in range(oldest, last_expired + 1):
            removed += self._expire_hour(hour)
        meta = self._meta()
        meta["n"] -= removed
        meta["o"] = last_expired + 1 if meta["n"] else None
        self._put_index("m", meta)
        if meta.get("lo") is not None:  # the records that carried it may be gone
            self._store[_POSITION_KEY] = orjson.dumps(meta["lo"])
        return removed

    def window_size(self) -> int:
        """Number of items currently recorded."""
        return int(self._meta()["n"])

    # Item states ------------------------------------------------------------------------

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
        self._remove_from_buckets(item_id, record)
        self._remove_from_cross_index(item_id, record)
        buckets = self._read_buckets(fingerprint)
        decision = DedupDecision("update", story, item_id, None, "item_id", revision + 1)
        known = _hash_entries(record)
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
        meta = self._meta()
        meta["q"] = sequence = meta.get("q", 0) + 1
        meta["lo"] = _later(meta.get("lo"), source_offset)
        hour = int(event_time // _HOUR)
        hashes = list(known_hashes)
        if all(content_hash != fp.content_hash for content_hash, _ in hashes):
            hashes.append((fp.content_hash, sequence))
            self._add_to_hash_list(fp.content_hash, item_id)
        record: dict[str, Any] = {"h": fp.content_hash, "hs": hashes, "r": decision.revision}
        record |= {"s": decision.story_id, "t": event_time, "k": hour, "o": source_offset}
        record |= {"q": sequence, "pr": source_revision}
        record["d"] = (decision.status, decision.duplicate_of, decision.similarity, decision.method)
        if buckets is not None:
            record |= {"w": " ".join(sorted(fp.words)), "g": _bands(fp, self._config)}
            record |= {"e": " ".join(sorted(fp.entities)), "n": " ".join(sorted(fp.numbers))}
            record["tn"] = " ".join(sorted(fp.title_names))
            if fp.common:
                record["cm"] = " ".join(sorted(fp.common))
            if self._config.searches_facts and fp.language and fp.neutral:
                record |= {"l": fp.language, "x": " ".join(sorted(fp.neutral))}
            self._add_to_buckets(item_id, buckets)
            self._add_to_cross_index(item_id, record)
        self._store[_item_key(item_id)] = orjson.dumps(record)
        self._add_to_time_index(item_id, hour, meta, new_item=decision.revision == 1)
        self._put_index("m", meta)

    # Near-duplicate search ----------------------------------------------------------------

    def _nearest(
        self,
        item_id: str,
        fingerprint: Fingerprint,
        event_time: float,
        buckets: dict[str, list[str]],
    ) -> tuple[str, float] | None:
        """Best verified candidate from the LSH buckets, ties broken by earliest then id."""
        best: tuple[float, float, str] | None = None
        horizon = event_time - self._config.window_seconds
        for candidate in self._candidates(buckets):
            record = self._record(candidate)
            if candidate == item_id or record is None or "w" not in record:
                continue
            words = frozenset(record["w"].split())
            if record["t"] < horizon or self._below_threshold(fingerprint, words):
                continue
            if self._config.cross_language and _other_language(fingerprint, record):
                continue  # decided by `_nearest_by_facts` alone
            is_duplicate, similarity = compare(
                fingerprint, _record_fingerprint(record, words), self._config
            )
            key = (-similarity, record["t"], candidate)
            if is_duplicate and (best is None or key < best):
                best = key
        return None if best is None else (best[2], -best[0])

    def _nearest_by_facts(
        self, item_id: str, fingerprint: Fingerprint, event_time: float
    ) -> tuple[tuple[str, float] | None, str]:
        """Best candidate by `compare_facts` among the items that share most names with this
        one, ties broken by earliest then id; with its method: "facts" in the same language,
        "cross_language" in another (each search only when configured).

        Only records with a language and neutral terms take part: those written before the
        search was on, or without a known language, are skipped.
        """
        config = self._config
        events = event_concepts(fingerprint)
        if not fingerprint.language or len(events) < config.cross_language_min_events:
            return None, "facts"  # compare_facts would reject every candidate
        if not config.cross_language and config.fact_method(*[fingerprint.language] * 2) is None:
            return None, "facts"  # German, with only the same-language search on
        best: tuple[float, float, str, str] | None = None
        horizon = event_time - config.window_seconds
        keys = sorted(index_keys(fingerprint))
        hits = Counter(chain.from_iterable(self._index_get(_cross_key(k)) or () for k in keys))
        ranked = sorted((-n, candidate) for candidate, n in hits.items() if candidate != item_id)
        for _, candidate in ranked[: config.max_candidates]:
            record = self._record(candidate)
            if record is None or "x" not in record or record["t"] < horizon:
                continue
            method = config.fact_method(fingerprint.language, record.get("l"))
            if method is None or events.isdisjoint(record["x"].split()):
                continue  # no shared event concept: compare_facts would reject it
            other = _record_fingerprint(record, frozenset(record["w"].split()))
            is_duplicate, similarity = compare_facts(fingerprint, other, config)
            key = (-similarity, record["t"], candidate, method)
            if is_duplicate and (best is None or key < best):
                best = key
        if best is None:
            return None, "facts"
        return (best[2], -best[0]), best[3]

    def _below_threshold(self, fingerprint: Fingerprint, words: frozenset[str]) -> bool:
        """Cheap rejection on word overlap before the full comparison is built."""
        shared = len(fingerprint.words & words)
        union = len(fingerprint.words) + len(words) - shared
        return shared < self._config.paraphrase_floor * union

    def _read_buckets(self, fingerprint: Fingerprint) -> dict[str, list[str]]:
        """Members of the item's LSH buckets, by bucket key."""
        return self._read_buckets_of(_bands(fingerprint, self._config))

    def _read_buckets_of(self, bands: list[int]) -> dict[str, list[str]]:
        keys = (_bucket_key(band, value) for band, value in enumerate(bands))
        return {key: self._index_get(key) or [] for key in keys}

    def _candidates(self, buckets: dict[str, list[str]]) -> list[str]:
        """Ids sharing at least `min_band_hits` bands, most shared first, then by id."""
        hits = Counter(chain.from_iterable(buckets.values()))
        ranked = sorted((-n, c) for c, n in hits.items() if n >= self._config.min_band_hits)
        return [candidate for _, candidate in ranked[: self._config.max_candidates]]

    def _add_to_buckets(self, item_id: str, buckets: dict[str, list[str]]) -> None:
        for key, members in buckets.items():
            joined = [m for m in members if m != item_id] + [item_id]
            self._index[key] = orjson.dumps(joined[-self._config.bucket_capacity :])

    def _remove_from_buckets(self, item_id: str, record: dict[str, Any]) -> None:
        for band, value in enumerate(record.get("g", ())):
            self._remove_from_list(_bucket_key(band, value), item_id)

    def _add_to_cross_index(self, item_id: str, record: dict[str, Any]) -> None:
        """List a recorded item under its names for the cross-language search (latest
        `cross_language_capacity` per name); a record without neutral terms is not listed."""
        if not self._config.searches_facts or "x" not in record:
            return
        for key in sorted(_record_index_keys(record)):
            members = self._index_get(_cross_key(key)) or []
            joined = [m for m in members if m != item_id] + [item_id]
            self._put_index(_cross_key(key), joined[-self._config.cross_language_capacity :])

    def _remove_from_cross_index(self, item_id: str, record: dict[str, Any]) -> None:
        if "x" in record:
            for key in sorted(_record_index_keys(record)):
                self._remove_from_list(_cross_key(key), item_id)

    # Hash lists, time index and expiry -----------------------------------------------------

    def _add_to_hash_list(self, content_hash: str, item_id: str) -> None:
        key = _hash_key(content_hash)
        holders = self._index_get(key) or []
        if item_id not in holders:
            self._put_index(key, [*holders, item_id])

    def _remove_from_list(self, key: str, item_id: str) -> None:
        members = [m for m in self._index_get(key) or () if m != item_id]
        if members:
            self._put_index(key, members)
        else:
            self._index.pop(key, None)

    def _add_to_time_index(
        self, item_id: str, hour: int, meta: dict[str, Any], *, new_item: bool
    ) -> None:
        count = self._index_get(_count_key(hour)) or 0
        self._put_index(f"t:{hour}:{count}", item_id)
        self._put_index(_count_key(hour), count + 1)
        meta["n"] += int(new_item)
        meta["o"] = hour if meta["o"] is None else min(hour, meta["o"])

    def _expire_hour(self, hour: int) -> int:
        removed = 0
        for entry_key in _time_entries(hour, self._index_get(_count_key(hour)) or 0):
            item_id = self._index_get(entry_key)
            self._index.pop(entry_key, None)
            record = self._record(item_id)
            # A later revision moved the item to a later hour: that entry will expire it.
            if record is not None and record["k"] == hour:
                self._delete_item(item_id, record)
                removed += 1
        self._index.pop(_count_key(hour), None)
        return removed

    def _delete_item(self, item_id: str, record: dict[str, Any]) -> None:
        self._remove_from_buckets(item_id, record)
        self._remove_from_cross_index(item_id, record)
        for content_hash, _ in _hash_entries(record):
            self._remove_from_list(_hash_key(content_hash), item_id)
        del self._store[_item_key(item_id)]

    # Store and index access -----------------------------------------------------------------

    def _story_of(self, item_id: str, *, default: str) -> str:
        record = self._record(item_id)
        return str(record["s"]) if record is not None else default

    def _record(self, item_id: str) -> dict[str, Any] | None:
        # Read from the store every time: a cache of decoded records went stale across a
        # rebalance (the worker's table is revoked and recovered behind this object) and made
        # the scale-in test drop an item as a repeat. Do not add one back without that test.
        record: dict[str, Any] | None = self._get(_item_key(item_id))
        return record

    def _meta(self) -> dict[str, Any]:
        meta: dict[str, Any] | None = self._index_get("m")
        return meta if meta is not None else {"o": None, "n": 0, "q": 0, "lo": None}

    def _get(self, key: str) -> Any:
        raw = self._store.get(key)
        return None if raw is None else orjson.loads(raw)

    def _index_get(self, key: str) -> Any:
        raw = self._index.get(key)
        return None if raw is None else orjson.loads(raw)

    def _put_index(self, key: str, value: Any) -> None:
        self._index[key] = orjson.dumps(value)


def _older(revision: int | None, recorded: int | None) -> bool:
    """Whether the poller's revision of an incoming text is below the recorded one."""
    return revision is not None and recorded is not None and revision < recorded


def _later(offset: int | None, other: int | None) -> int | None:
    return other if offset is None else offset if other is None else max(offset, other)


def _bands(fingerprint: Fingerprint, config: DedupConfig) -> list[int]:
    return list(fingerprint.signature[: config.num_perm])


def _hash_entries(record: dict[str, Any]) -> list[tuple[str, int]]:
    """The record's content hashes with the sequence number each was first recorded at
    (records written before sequence numbers per hash carry plain hashes: the record's)."""
    return [
        (entry, record.get("q", 0)) if isinstance(entry, str) else (entry[0], entry[1])
        for entry in record["hs"]
    ]


def _record_fingerprint(record: dict[str, Any], words: frozenset[str]) -> Fingerprint:
    return Fingerprint(
        content_hash=record["h"],
        signature=tuple(record["g"]),
        words=words,
        entities=frozenset(record["e"].split()),
        numbers=frozenset(record["n"].split()),
        title_names=frozenset(record.get("tn", "").split()),
        common=frozenset(record.get("cm", "").split()),
        language=record.get("l"),
        neutral=frozenset(record.get("x", "").split()),
    )


def _record_index_keys(record: dict[str, Any]) -> frozenset[str]:
    """The cross-language index keys of a record that has neutral terms."""
    return index_keys(
        Fingerprint(
            content_hash=record["h"],
            signature=(),
            words=frozenset(),
            entities=frozenset(record["e"].split()),
            numbers=frozenset(),
            neutral=frozenset(record["x"].split()),
        )
    )


def _time_entries(hour: int, count: int) -> Iterator[str]:
    return (f"t:{hour}:{n}" for n in range(count))


def _item_key(item_id: str) -> str:
    return f"i:{item_id}"


def _other_language(fingerprint: Fingerprint, record: dict[str, Any]) -> bool:
    """Whether the item and a recorded one are in two known, different languages."""
    language = record.get("l")
    return bool(fingerprint.language and language and language != fingerprint.language)


def _cross_key(name: str) -> str:
    return f"x:{name}"


def _hash_key(content_hash: str) -> str:
    return f"h:{content_hash}"


def _bucket_key(band: int, value: int) -> str:
    return f"b:{band}:{value:x}"


def _count_key(hour: int) -> str:
    return f"c:{hour}"
