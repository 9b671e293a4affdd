"""The Faust worker on the real broker: raw items in, enriched events and dead letters out."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents.dedup.fingerprint import Fingerprint, fingerprint
from agents.dedup.verdict import compare_cross_language
from schemas.models import RawItem, decode_dead_letter, decode_enriched_item, encode, validate
from streams.kafka import reliable_producer
from streams.topics import TopicNames, ensure_topics

from .conftest import consume
from .processes import telex_process, write_config

pytestmark = pytest.mark.integration

SEED = Path(__file__).resolve().parents[2] / "streams" / "demo" / "seed_liveblog.json"


def seed_raw_items() -> list[RawItem]:
    items = orjson.loads(SEED.read_bytes())["items"]
    return [
        RawItem(event_id=f"ev-{u['id']}", item_id=f"seed:{u['id']}", revision=1, feed_id="seed",
                feed_url="http://127.0.0.1/seed", source_format="rss", title=u["title"],
                summary=u["summary"], language="fr", published=u["published"],
                fetched="2024-12-04T09:00:00Z", content_hash=f"hash-{u['id']}")
        for u in items
    ]  # fmt: skip


async def test_worker_enriches_seed_live_blog_and_routes_bad_messages(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, ["defense-treaty", "diplomacy", "german-politics"])
    raw = seed_raw_items()
    bad = [(b"k1", b"not json"), (b"k2", b'{"schema": "telex.raw-item/9"}'), (None, encode(raw[0]))]
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        for item in raw:  # one partition key per item: items spread over the 4 partitions
            await producer.send(names.raw, key=item.item_id.encode(), value=encode(item))
        for key, value in bad:
            await producer.send(names.raw, key=key, value=value)
        await producer.flush()
    finally:
        await producer.stop()

    config = write_config(settings, tmp_path / "telex.yaml")
    with telex_process(config, "worker", log=tmp_path / "worker.log") as worker:
        enriched = await consume(
            settings.kafka.bootstrap, names.enriched, count=len(raw), timeout=120
        )
        letters = await consume(settings.kafka.bootstrap, names.dlq, count=3, timeout=60)
        tagged = await consume(settings.kafka.bootstrap, names.tag("diplomacy"), count=1)
        assert worker.poll() is None, "the worker must keep running after bad messages"

    events = {e.item.item_id: e for e in (decode_enriched_item(r.value) for r in enriched)}
    for record in enriched:
        validate(orjson.loads(record.value), "telex.enriched-item/1")
    expected = orjson.loads(SEED.read_bytes())["items"]
    for update in expected:
        event = events[f"seed:{update['id']}"]
        assert {t.topic for t in event.tags} == set(update["labels"]), update["id"]
        assert event.event_id == f"ev-{update['id']}"
        assert event.language == "fr"
    # Raw partitions reach the dedup stage in any order, so which copy comes first varies; what
    # must hold is that each expected near-duplicate lands in the same story as its original.
    for update in expected:
        if update["near_duplicate_of"]:
            event = events[f"seed:{update['id']}"]
            original = events[f"seed:{update['near_duplicate_of']}"]
            assert event.dedup.story_id == original.dedup.story_id, update["id"]
            assert "near_duplicate" in {event.dedup.status, original.dedup.status}
    reasons = sorted(decode_dead_letter(r.value).reason for r in letters)
    assert reasons == ["invalid_json", "missing_key", "unsupported_schema_version"]
    letter = decode_dead_letter(letters[0].value)
    assert base64.b64decode(letter.original_base64) in {value for _, value in bad}
    assert tagged, "per-tag topic receives tagged events"


CROSS_LANGUAGE_PAIRS = (
    Path(__file__).resolve().parents[1] / "fixtures" / "dedup" / "crosslang_pairs.jsonl"
)


def cross_language_duplicates(count: int) -> list[tuple[RawItem, RawItem]]:
    """The first `count` labelled cross-language duplicates the pure rule accepts, as raw items."""
    pairs: list[tuple[RawItem, RawItem]] = []
    for line in CROSS_LANGUAGE_PAIRS.read_text(encoding="utf-8").splitlines():
        pair = orjson.loads(line)
        a, b = (_fingerprint(pair[side]) for side in "ab")
        if pair["duplicate"] and compare_cross_language(a, b)[0]:
            pairs.append((_raw(f"{pair['id']}-a", pair["a"]), _raw(f"{pair['id']}-b", pair["b"])))
    assert len(pairs) >= count
    return pairs[:count]


def _fingerprint(side: dict[str, str]) -> Fingerprint:
    return fingerprint(title=side["title"], summary=side["summary"], language=side["lang"],
                       neutral=True)  # fmt: skip


def _raw(item_id: str, side: dict[str, str]) -> RawItem:
    return RawItem(event_id=f"ev-{item_id}", item_id=item_id, revision=1, feed_id=side["lang"],
                   feed_url="http://127.0.0.1/feed", source_format="rss", title=side["title"],
                   summary=side["summary"], language=side["lang"],
                   fetched="2024-12-04T09:00:00Z", content_hash=f"hash-{item_id}")  # fmt: skip


async def test_worker_links_the_same_story_across_languages_when_asked(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory(worker={"cross_language_duplicates": True})
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, ["defense-treaty", "diplomacy", "german-politics"])
    pairs = cross_language_duplicates(3)
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        for item in (item for pair in pairs for item in pair):
            await producer.send(names.raw, key=item.item_id.encode(), value=encode(item))
        await producer.flush()
    finally:
        await producer.stop()

    config = write_config(settings, tmp_path / "telex.yaml")
    with telex_process(config, "worker", log=tmp_path / "worker.log"):
        enriched = await consume(settings.kafka.bootstrap, names.enriched, count=6, timeout=120)

    events = {e.item.item_id: e for e in (decode_enriched_item(r.value) for r in enriched)}
    for first, second in pairs:
        a, b = events[first.item_id], events[second.item_id]
        # Raw partitions reach the dedup stage in any order: either side may come first.
        assert a.dedup.story_id == b.dedup.story_id, first.item_id
        later = a if a.dedup.status == "near_duplicate" else b
        assert (later.dedup.status, later.dedup.method) == ("near_duplicate", "cross_language")
