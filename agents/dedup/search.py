"""Where a new item's near-duplicate is looked for, most precise first: items sharing MinHash
bands of its words (`by_words`), items naming the same people and places (`by_facts`), items
sharing SimHash bands of its embedding (`by_meaning`). Each verifies a bounded number of
candidates with its verdict from `agents.dedup.verdict` and returns the best (ties broken by
earliest, then id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.dedup import meaning
from agents.dedup.config import DedupConfig
from agents.dedup.fingerprint import Fingerprint
from agents.dedup.index import WindowIndex, bands
from agents.dedup.names import event_concepts, index_keys
from agents.dedup.records import other_language, record_fingerprint, record_words
from agents.dedup.verdict import compare, compare_facts, compare_meaning

Match = tuple[str, float]


class CandidateSearch:
    """The three searches over one window's index; records are read through `read_record`."""

    def __init__(
        self,
        index: WindowIndex,
        config: DedupConfig,
        read_record: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self._index = index
        self._config = config
        self._read_record = read_record

    def by_words(
        self,
        item_id: str,
        fingerprint: Fingerprint,
        event_time: float,
        buckets: dict[str, list[str]],
    ) -> Match | None:
        """Best verified candidate from the LSH buckets, ties broken by earliest then id."""
        best: tuple[float, float, str] | None = None
        horizon = event_time - self._config.window_seconds
        for candidate in self._index.candidates(buckets):
            record = self._read_record(candidate)
            if candidate == item_id or record is None or "w" not in record:
                continue
            words = record_words(record)
            if record["t"] < horizon or self._below_threshold(fingerprint, words):
                continue
            if self._config.cross_language and other_language(fingerprint, record):
                continue  # decided by `by_facts` alone
            is_duplicate, similarity = compare(
                fingerprint, record_fingerprint(record, words), self._config
            )
            key = (-similarity, record["t"], candidate)
            if is_duplicate and (best is None or key < best):
                best = key
        return None if best is None else (best[2], -best[0])

    def by_facts(
        self, item_id: str, fingerprint: Fingerprint, event_time: float
    ) -> tuple[Match | None, str]:
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
        hits = self._index.named_with(sorted(index_keys(fingerprint)))
        ranked = sorted((-n, candidate) for candidate, n in hits.items() if candidate != item_id)
        for _, candidate in ranked[: config.max_candidates]:
            record = self._read_record(candidate)
            if record is None or "x" not in record or record["t"] < horizon:
                continue
            method = config.fact_method(fingerprint.language, record.get("l"))
            if method is None or events.isdisjoint(record["x"].split()):
                continue  # no shared event concept: compare_facts would reject it
            other = record_fingerprint(record, record_words(record))
            is_duplicate, similarity = compare_facts(fingerprint, other, config)
            key = (-similarity, record["t"], candidate, method)
            if is_duplicate and (best is None or key < best):
                best = key
        if best is None:
            return None, "facts"
        return (best[2], -best[0]), best[3]

    def by_meaning(
        self,
        item_id: str,
        fingerprint: Fingerprint,
        event_time: float,
        buckets: dict[str, list[str]],
    ) -> Match | None:
        """Best candidate by `compare_meaning` among the items sharing a SimHash band of the
        embedding, ties broken by earliest then id."""
        best: tuple[float, float, str] | None = None
        horizon = event_time - self._config.window_seconds
        for candidate in self._index.meaning_candidates(buckets):
            record = self._read_record(candidate)
            if candidate == item_id or record is None or "v" not in record:
                continue
            if record["t"] < horizon:
                continue
            other = record_fingerprint(record, record_words(record))
            is_duplicate, similarity = compare_meaning(fingerprint, other, self._config)
            key = (-similarity, record["t"], candidate)
            if is_duplicate and (best is None or key < best):
                best = key
        return None if best is None else (best[2], -best[0])

    def read_buckets(self, fingerprint: Fingerprint) -> dict[str, list[str]]:
        """The item's MinHash buckets, and its SimHash buckets with the meaning search."""
        use_meaning = self._config.embeds and fingerprint.meaning
        meaning_bands = meaning.bands(fingerprint.meaning) if use_meaning else None
        return self._index.read_buckets(bands(fingerprint, self._config), meaning_bands)

    def _below_threshold(self, fingerprint: Fingerprint, words: frozenset[str]) -> bool:
        """Cheap rejection on word overlap before the full comparison is built."""
        shared = len(fingerprint.words & words)
        union = len(fingerprint.words) + len(words) - shared
        return shared < self._config.paraphrase_floor * union
