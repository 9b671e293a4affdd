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

# A duplicate found: the earlier item's id, the similarity, the method that found it.
Found = tuple[str, float, str]
# A candidate judged: duplicate or not, similarity, method.
Verdict = tuple[bool, float, str]


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
    ) -> Found | None:
        """Best verified candidate from the MinHash buckets (method "minhash-lsh")."""

        def judge(record: dict[str, Any]) -> Verdict | None:
            if "w" not in record:
                return None  # an exact duplicate: not indexed for near-duplicates
            words = record_words(record)
            if self._below_threshold(fingerprint, words):
                return None
            if self._config.cross_language and other_language(fingerprint, record):
                return None  # decided by `by_facts` and `by_meaning` alone
            other = record_fingerprint(record, words)
            return *compare(fingerprint, other, self._config), "minhash-lsh"

        candidates = self._index.candidates(buckets)
        return self._best(item_id, candidates, event_time, judge)

    def by_facts(self, item_id: str, fingerprint: Fingerprint, event_time: float) -> Found | None:
        """Best candidate by `compare_facts` among the items that share most names with this
        one; method "facts" in the same language, "cross_language" in another (each search
        only when configured).

        Only records with a language and neutral terms take part: those written before the
        search was on, or without a known language, are skipped.
        """
        config = self._config
        events = event_concepts(fingerprint)
        if not fingerprint.language or len(events) < config.cross_language_min_events:
            return None  # compare_facts would reject every candidate
        if not config.cross_language and config.fact_method(*[fingerprint.language] * 2) is None:
            return None  # German, with only the same-language search on

        def judge(record: dict[str, Any]) -> Verdict | None:
            method = config.fact_method(fingerprint.language, record.get("l"))
            if "x" not in record or method is None or events.isdisjoint(record["x"].split()):
                return None  # no shared event concept: compare_facts would reject it
            other = record_fingerprint(record, record_words(record))
            return *compare_facts(fingerprint, other, config), method

        hits = self._index.named_with(sorted(index_keys(fingerprint)))
        ranked = sorted((-n, candidate) for candidate, n in hits.items() if candidate != item_id)
        candidates = [candidate for _, candidate in ranked[: config.max_candidates]]
        return self._best(item_id, candidates, event_time, judge)

    def by_meaning(
        self,
        item_id: str,
        fingerprint: Fingerprint,
        event_time: float,
        buckets: dict[str, list[str]],
    ) -> Found | None:
        """Best candidate by `compare_meaning` among the items sharing most SimHash bands of
        the embedding (method "meaning")."""

        def judge(record: dict[str, Any]) -> Verdict | None:
            if "v" not in record:
                return None
            other = record_fingerprint(record, record_words(record))
            return *compare_meaning(fingerprint, other, self._config), "meaning"

        candidates = self._index.meaning_candidates(buckets)
        return self._best(item_id, candidates, event_time, judge)

    def _best(
        self,
        item_id: str,
        candidates: list[str],
        event_time: float,
        judge: Callable[[dict[str, Any]], Verdict | None],
    ) -> Found | None:
        """The candidate in the window that `judge` finds a duplicate with the highest
        similarity, ties broken by earliest, then id."""
        best: tuple[float, float, str, str] | None = None
        horizon = event_time - self._config.window_seconds
        for candidate in candidates:
            record = self._read_record(candidate)
            if candidate == item_id or record is None or record["t"] < horizon:
                continue
            verdict = judge(record)
            if verdict is None or not verdict[0]:
                continue
            key = (-verdict[1], record["t"], candidate, verdict[2])
            if best is None or key < best:
                best = key
        return None if best is None else (best[2], -best[0], best[3])

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
