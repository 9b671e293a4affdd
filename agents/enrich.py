"""The pure enrichment pipeline: the same two stages run in the Faust agents and `telex enrich`.

Stage 1, ``tag_stage`` (runs on any partition of the raw topic, scales with workers): language,
topic tags and the dedup fingerprint of one raw item.
Stage 2, ``dedup_stage`` (runs on the single partition of the fingerprinted topic): the dedup
decision against the window, and the enriched event. Both are deterministic functions of their
input and the dedup store, so a replay of the same log gives the same events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from agents.dedup import meaning
from agents.dedup.fingerprint import (
    base_language,
    fingerprint,
    fingerprint_from_dict,
    fingerprint_to_dict,
)
from agents.dedup.window import DedupDecision, Deduplicator
from agents.language import DEFAULT_LANGUAGES, detect_language
from agents.tagging.tag import tag_item
from agents.tagging.taxonomy import Taxonomy
from agents.text import fold_text
from schemas.models import (
    DedupInfo,
    EnrichedItem,
    FingerprintedItem,
    Processing,
    RawItem,
)

NearDuplicatePolicy = Literal["annotate", "drop"]


@dataclass(frozen=True, slots=True)
class DedupOutcome:
    """The decision for one item and the event to publish (None when the item is dropped)."""

    decision: DedupDecision
    event: EnrichedItem | None


def tag_stage(
    raw: RawItem,
    taxonomy: Taxonomy,
    *,
    received_at: str,
    languages: Iterable[str] = DEFAULT_LANGUAGES,
    neutral: bool = True,
    with_meaning: bool = True,
) -> FingerprintedItem:
    """Language (among `languages`), tags and fingerprint of one raw item; the fingerprint has
    language-neutral terms unless `neutral` is False (the dedup stage's fact search, see
    `DedupConfig.searches_facts`, needs them), and the item's sentence embedding unless
    `with_meaning` is False (`DedupConfig.embeds`)."""
    declared = base_language(raw.language)
    language = detect_language(f"{raw.title}\n{raw.summary}", declared, languages=languages)
    source: Literal["declared", "detected"] | None = None
    if language is not None:
        source = "declared" if language == declared else "detected"
    folded = fold_text(raw.title, raw.summary)  # once, for tagging and fingerprint alike
    tags = tag_item(
        taxonomy, title=raw.title, summary=raw.summary, language=language, folded=folded
    )
    # The fingerprint hashes the text alone (not the link, unlike raw.content_hash), so the
    # same text reposted by another feed is an exact duplicate.
    print_ = fingerprint(title=raw.title, summary=raw.summary, language=language, folded=folded,
                         neutral=neutral)  # fmt: skip
    if with_meaning:
        # Computed here, where the work scales with raw partitions and workers.
        # The richest text: the full content when the feed gave one longer than the summary
        # (meaning.passage bounds it). Tags and word fingerprints keep to title and summary.
        body = raw.content if raw.content and len(raw.content) > len(raw.summary) else raw.summary
        embedding = meaning.embed([meaning.passage(raw.title, body)])[0]
        print_ = replace(print_, meaning=embedding)
    return FingerprintedItem(
        item=raw,
        language=language,
        language_source=source,
        tags=tuple(tags),
        taxonomy_version=taxonomy.version,
        fingerprint=fingerprint_to_dict(print_),
        raw_received_at=received_at,
    )


def dedup_stage(
    item: FingerprintedItem,
    deduplicator: Deduplicator,
    *,
    enriched_at: str,
    near_duplicates: NearDuplicatePolicy = "annotate",
    worker: str | None = None,
    source_offset: int | None = None,
) -> DedupOutcome:
    """Decide exact/near duplicate status and build the enriched event (or drop).

    `source_offset` is the item's position in the input log (see Deduplicator.decide).
    """
    decision = deduplicator.decide(
        item_id=item.item.item_id,
        fingerprint=fingerprint_from_dict(item.fingerprint),
        event_time=event_time(item.item),
        source_offset=source_offset,
        source_revision=item.item.revision,
    )
    dropped = decision.drop or (near_duplicates == "drop" and decision.status == "near_duplicate")
    if dropped:
        return DedupOutcome(decision, None)
    event = EnrichedItem(
        event_id=item.item.event_id,
        item=item.item,
        language=item.language,
        language_source=item.language_source,
        dedup=DedupInfo(
            status=decision.status,  # type: ignore[arg-type]
            story_id=decision.story_id,
            duplicate_of=decision.duplicate_of,
            similarity=decision.similarity,
            method=decision.method,
            revision=decision.revision,
        ),
        tags=item.tags,
        taxonomy_version=item.taxonomy_version,
        processing=Processing(
            raw_received_at=item.raw_received_at, enriched_at=enriched_at, worker=worker
        ),
    )
    return DedupOutcome(decision, event)


def event_time(raw: RawItem) -> float:
    """The item's own time (published, else updated, else fetched) as a Unix timestamp.

    Using the item's time rather than the wall clock keeps decisions identical on replay.
    """
    stamp = raw.published or raw.updated or raw.fetched
    return parse_timestamp(stamp)


def parse_timestamp(stamp: str) -> float:
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
