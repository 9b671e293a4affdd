"""Golden outputs: the feed fixtures through parse -> identity -> tag -> dedup, the offline
fixtures through `telex enrich`, and every labelled pair and item through the verdict and the
tagger, compared with JSON committed before the layout change (issue 14). A refactoring that
changes any output fails here; a deliberate change regenerates the file:

    python -m tests.unit.test_golden_pipeline --write
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from agents.dedup.config import DedupConfig
from agents.dedup.fingerprint import fingerprint
from agents.dedup.memory import MemoryStore
from agents.dedup.window import Deduplicator
from agents.enrich import dedup_stage, tag_stage
from agents.evaluate import pair_verdict, read_jsonl
from agents.offline import enrich_lines
from agents.tagging.tag import tag_item
from agents.tagging.taxonomy import load_taxonomy
from schemas.models import FeedState
from streams.poll.changes import detect_changes
from streams.poll.parse import ParseError, parse_feed
from streams.poll.publish import to_raw_item
from streams.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = FIXTURES / "golden" / "pipeline.json"
FETCHED = datetime(2024, 12, 4, 12, 0, tzinfo=UTC)
NOW = "2024-12-04T12:00:00Z"
CONTENT_TYPES = {".xml": "application/xml", ".json": "application/feed+json", ".html": "text/html"}


def _feed_outputs() -> dict[str, Any]:
    """Every feed fixture parsed, diffed against an empty state and run through both stages,
    in one dedup window (so items of one feed meet items of the others)."""
    taxonomy = load_taxonomy()
    deduplicator = Deduplicator(MemoryStore(), DedupConfig(), index=MemoryStore())
    outputs: dict[str, Any] = {}
    offset = 0
    for path in sorted((FIXTURES / "feeds").glob("*.*")):
        url = f"http://127.0.0.1:8000/{path.name}"
        try:
            parsed = parse_feed(
                path.read_bytes(), url=url, content_type=CONTENT_TYPES.get(path.suffix)
            )
        except ParseError as exc:
            outputs[path.name] = {"error": str(exc)}
            continue
        changes = detect_changes(FeedState(feed_id=path.stem, url=url), parsed.entries)
        events = []
        for change in changes.changes:
            raw = to_raw_item(
                change, feed_id=path.stem, feed_url=url, parsed=parsed, fetched=FETCHED
            )
            offset += 1
            item = tag_stage(raw, taxonomy, received_at=NOW)
            outcome = dedup_stage(item, deduplicator, enriched_at=NOW, source_offset=offset)
            events.append(outcome.event)
        outputs[path.name] = {"format": parsed.format, "events": events}
    return outputs


def _offline_outputs() -> dict[str, Any]:
    outputs = {}
    for path in sorted((FIXTURES / "offline").glob("*.jsonl")):
        lines = path.read_bytes().splitlines()
        events = [orjson.loads(line) for line in enrich_lines(lines, Settings(), keep_dropped=True)]
        for event in events:
            event.get("processing", {}).pop("raw_received_at", None)
            event.get("processing", {}).pop("enriched_at", None)
            event.get("item", {}).pop("fetched", None)
        outputs[path.name] = events
    return outputs


def _labelled_outputs() -> dict[str, Any]:
    taxonomy = load_taxonomy()
    config = DedupConfig(cross_language=True)
    verdicts: dict[str, Any] = {}
    for path in sorted((FIXTURES / "dedup").glob("*pairs*.jsonl")):
        verdicts[path.name] = [
            [pair["id"], pair_verdict(_fingerprint(pair["a"]), _fingerprint(pair["b"]), config)]
            for pair in read_jsonl(path)
        ]
    for path in sorted((FIXTURES / "tagging").glob("*.jsonl")):
        verdicts[path.name] = [
            [item["id"], sorted(tag.topic for tag in _tags(taxonomy, item))]
            for item in read_jsonl(path)
        ]
    return verdicts


def _fingerprint(side: dict[str, Any]) -> Any:
    return fingerprint(title=side["title"], summary=side["summary"], language=side["lang"])


def _tags(taxonomy: Any, item: dict[str, Any]) -> Any:
    return tag_item(taxonomy, title=item["title"], summary=item["summary"], language=item["lang"])


def pipeline_outputs() -> Any:
    """Everything the golden file holds, as plain JSON values."""
    outputs = {
        "feeds": _feed_outputs(),
        "offline": _offline_outputs(),
        "labelled": _labelled_outputs(),
    }
    return orjson.loads(orjson.dumps(outputs))


def test_outputs_match_the_golden_file() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = pipeline_outputs()
    for section in ("feeds", "offline", "labelled"):
        for name in sorted(expected[section].keys() | actual[section].keys()):
            assert actual[section].get(name) == expected[section].get(name), f"{section}/{name}"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.write_text(json.dumps(pipeline_outputs(), ensure_ascii=False, indent=1) + "\n")
