"""Dedup parameters: the window, LSH and the thresholds of the verdict (docs/dedup.md says how
each was chosen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.dedup.fingerprint import SIGNATURE_SIZE

if TYPE_CHECKING:
    from streams.settings import WorkerSettings


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
    # Also look for the same news in another language (`compare_cross_language`, and the
    # meaning search across languages).
    cross_language: bool = True
    # When neither the word nor the fact search finds one, look for an item that means the
    # same (`compare_meaning`, method "meaning"): the cosine of the items' sentence embeddings
    # (`agents.dedup.meaning`) at or above these thresholds, with the guards of the verdict.
    # Across languages whenever `cross_language` is on; within one language only on request,
    # as the embedding puts a live blog's own updates as close as its re-summaries
    # (docs/dedup.md).
    same_language_meaning: bool = False
    meaning_threshold: float = 0.6
    cross_meaning_threshold: float = 0.65
    # Items kept per SimHash bucket of the embeddings (the latest), and verified per item.
    meaning_bucket_capacity: int = 32
    meaning_candidates: int = 16
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
            same_language_meaning=worker.meaning_duplicates,
        )

    @property
    def embeds(self) -> bool:
        """Whether items need a sentence embedding (either meaning search)."""
        return self.same_language_meaning or self.cross_language

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
