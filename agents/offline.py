"""`telex enrich`: the worker's two stages over JSON lines, no Kafka (same results, same order)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from agents.dedup.config import DedupConfig
from agents.dedup.memory import MemoryStore
from agents.dedup.window import Deduplicator
from agents.enrich import dedup_stage, tag_stage, utc_now_iso
from agents.tagging.taxonomy import load_taxonomy
from schemas.models import RawItem, validate
from streams.errors import MessageError
from streams.poll.identity import event_id
from streams.settings import Settings


def enrich_lines(
    lines: Iterable[bytes], settings: Settings, *, keep_dropped: bool = False
) -> Iterator[bytes]:
    """Enriched events as JSON bytes, one per raw input line (blank lines skipped)."""
    taxonomy = load_taxonomy(settings.worker.taxonomy_path)
    # In memory, compacted (see MemoryStore): a plain dict would keep ~4 KB per value.
    config = DedupConfig.from_settings(settings.worker)
    deduplicator = Deduplicator(MemoryStore(), config, index=MemoryStore())
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw = raw_item_from_line(line, number)
        now = utc_now_iso()
        fingerprinted = tag_stage(
            raw,
            taxonomy,
            received_at=now,
            languages=settings.worker.languages,
            neutral=config.searches_facts,
            with_meaning=config.embeds,
        )
        outcome = dedup_stage(
            fingerprinted,
            deduplicator,
            enriched_at=now,
            near_duplicates=settings.worker.near_duplicates,
            source_offset=number,
        )
        if outcome.event is not None:
            yield orjson.dumps(outcome.event)
        elif keep_dropped:
            yield orjson.dumps({"dropped": True, "item_id": raw.item_id, "dedup": outcome.decision})


def raw_item_from_line(line: bytes, number: int) -> RawItem:
    """A RawItem from a JSON line with at least title and summary; other fields defaulted."""
    try:
        data: Any = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise MessageError(f"line {number}: not JSON ({exc})", reason="invalid_json") from None
    if not isinstance(data, dict) or "title" not in data or "summary" not in data:
        raise MessageError(
            f"line {number}: needs at least 'title' and 'summary'", reason="invalid_schema"
        )
    defaults = _defaults(data)
    merged = {**defaults, **{k: v for k, v in data.items() if k in defaults or k in _OPTIONAL}}
    try:
        validate(merged, "telex.raw-item/1")
    except MessageError as exc:
        raise MessageError(f"line {number}: {exc}", reason="invalid_schema") from None
    return RawItem.from_dict(merged)


_OPTIONAL = {"previous_content_hash", "guid", "url", "link", "summary_html", "language", "authors",
             "published", "updated"}  # fmt: skip


def _defaults(data: dict[str, Any]) -> dict[str, Any]:
    text = f"{data['title']}\x1f{data['summary']}"
    digest = hashlib.sha256(text.encode()).hexdigest()
    feed_id = str(data.get("feed_id", "offline"))
    # Without an id, the text is the identity: a repeated line is the same item, and dropped.
    item = str(data.get("item_id") or data.get("id") or f"{feed_id}:{digest[:16]}")
    revision = int(data.get("revision", 1))
    return {
        "schema": "telex.raw-item/1",
        "event_id": str(data.get("event_id") or event_id(item, revision)),
        "item_id": item,
        "revision": revision,
        "feed_id": feed_id,
        "feed_url": str(data.get("feed_url", "")),
        "source_format": str(data.get("source_format", "unknown")),
        "title": data["title"],
        "summary": data["summary"],
        "fetched": str(data.get("fetched") or data.get("published") or "1970-01-01T00:00:00Z"),
        "content_hash": str(data.get("content_hash") or digest),
    }
