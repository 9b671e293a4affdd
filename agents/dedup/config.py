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
