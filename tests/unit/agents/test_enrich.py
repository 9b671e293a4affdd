"""The two pure pipeline stages on the seed live blog: language, tags, dedup verdicts, drops."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents.dedup import meaning
from agents.dedup.window import Deduplicator
from agents.enrich import (
    DedupOutcome,
    NearDuplicatePolicy,
    dedup_stage,
    event_time,
    parse_timestamp,
    tag_stage,
)
from agents.tagging.taxonomy import Taxonomy, load_taxonomy
from schemas.models import EnrichedItem, RawItem, encode, validate

SEED = Path(__file__).parents[3] / "streams" / "demo" / "seed_liveblog.json"
SEED_ITEMS: list[dict[str, Any]] = json.loads(SEED.read_text(encoding="utf-8"))["items"]
RECEIVED = "2024-12-04T09:00:00.000Z"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def _raw(seed: dict[str, Any], **changes: Any) -> RawItem:
    item = RawItem(
        event_id=f"event-{seed['id']}",
        item_id=f"lemonde-live:{seed['id']}",
        revision=1,
        feed_id="lemonde-live",
        feed_url="https://www.lemonde.fr/live/ukraine/rss.xml",
        source_format="rss",
        title=seed["title"],
        summary=seed["summary"],
        fetched="2024-12-04T11:00:00Z",
        content_hash=f"hash-{seed['id']}",
        link=f"https://www.lemonde.fr/live/ukraine/{seed['id']}",
        language="fr",
        published=seed["published"],
    )
    return replace(item, **changes)


def _run(
    items: list[RawItem], taxonomy: Taxonomy, policy: NearDuplicatePolicy = "annotate"
) -> list[DedupOutcome]:
    dedup = Deduplicator({})
    return [
        dedup_stage(
            tag_stage(raw, taxonomy, received_at=RECEIVED),
            dedup,
            enriched_at=RECEIVED,
            near_duplicates=policy,
        )
        for raw in items
    ]


@pytest.mark.parametrize("seed", SEED_ITEMS, ids=[s["id"] for s in SEED_ITEMS])
def test_tag_stage_finds_the_labelled_topics(seed: dict[str, Any], taxonomy: Taxonomy) -> None:
    stage = tag_stage(_raw(seed), taxonomy, received_at=RECEIVED)
    assert {tag.topic for tag in stage.tags} == set(seed["labels"])
    assert stage.taxonomy_version == taxonomy.version
    assert stage.raw_received_at == RECEIVED


@pytest.mark.parametrize(
    ("declared", "language", "source"),
    [
        ("fr", "fr", "declared"),
        ("fr-FR", "fr", "declared"),
        ("FR_ca", "fr", "declared"),
        (None, "fr", "detected"),
        ("", "fr", "detected"),
        ("pt-BR", "fr", "detected"),  # a language telex does not tag: detect instead
    ],
)
def test_language_and_its_source(
    declared: str | None, language: str, source: str, taxonomy: Taxonomy
) -> None:
    stage = tag_stage(_raw(SEED_ITEMS[2], language=declared), taxonomy, received_at=RECEIVED)
    assert (stage.language, stage.language_source) == (language, source)


def test_no_language_when_text_is_too_short(taxonomy: Taxonomy) -> None:
    short = _raw(SEED_ITEMS[0], title="OK", summary="", language=None)
    stage = tag_stage(short, taxonomy, received_at=RECEIVED)
    assert (stage.language, stage.language_source) == (None, None)


def test_fingerprint_ignores_feed_and_link(taxonomy: Taxonomy) -> None:
    first = tag_stage(_raw(SEED_ITEMS[3]), taxonomy, received_at=RECEIVED)
    repost = _raw(SEED_ITEMS[3], feed_id="other", link="https://example.org/x", content_hash="z")
    second = tag_stage(repost, taxonomy, received_at=RECEIVED)
    assert first.fingerprint == second.fingerprint


def test_seed_blog_verdicts_follow_the_labels(taxonomy: Taxonomy) -> None:
    outcomes = _run([_raw(seed) for seed in SEED_ITEMS], taxonomy)
    for seed, outcome in zip(SEED_ITEMS, outcomes, strict=True):
        assert outcome.event is not None
        expected_of = (
            f"lemonde-live:{seed['near_duplicate_of']}" if seed["near_duplicate_of"] else None
        )
        assert outcome.event.dedup.duplicate_of == expected_of, seed["id"]
        assert outcome.event.dedup.status == ("near_duplicate" if expected_of else "new")


def test_near_duplicates_are_dropped_on_request(taxonomy: Taxonomy) -> None:
    outcomes = _run([_raw(seed) for seed in SEED_ITEMS], taxonomy, policy="drop")
    dropped = [seed["id"] for seed, o in zip(SEED_ITEMS, outcomes, strict=True) if o.event is None]
    assert dropped == [seed["id"] for seed in SEED_ITEMS if seed["near_duplicate_of"]]


def test_redelivery_is_dropped_and_revision_is_an_update(taxonomy: Taxonomy) -> None:
    first = _raw(SEED_ITEMS[4])
    revised = replace(
        first, revision=2, event_id="event-rev2", summary=first.summary + " Mise à jour.",
        content_hash="hash-rev2", previous_content_hash=first.content_hash,
    )  # fmt: skip
    new, again, update = _run([first, first, revised], taxonomy)
    assert new.event is not None and new.event.dedup.status == "new"
    assert again.event is None and again.decision.drop
    assert update.event is not None
    assert (update.event.dedup.status, update.event.dedup.revision) == ("update", 2)
    assert update.event.dedup.story_id == first.item_id


def test_enriched_event_is_valid_and_carries_the_raw_item(taxonomy: Taxonomy) -> None:
    raw = _raw(SEED_ITEMS[0])
    [outcome] = _run([raw], taxonomy)
    event = outcome.event
    assert isinstance(event, EnrichedItem)
    assert (event.event_id, event.item) == (raw.event_id, raw)
    assert event.processing.enriched_at == RECEIVED
    validate(orjson.loads(encode(event)), "telex.enriched-item/1")


@pytest.mark.parametrize(
    ("published", "updated", "expected"),
    [
        ("2024-12-04T08:02:00+01:00", "2024-12-04T09:00:00Z", "2024-12-04T07:02:00+00:00"),
        (None, "2024-12-04T09:00:00Z", "2024-12-04T09:00:00+00:00"),
        (None, None, "2024-12-04T11:00:00+00:00"),  # fetched
    ],
)
def test_event_time_prefers_published_then_updated_then_fetched(
    published: str | None, updated: str | None, expected: str
) -> None:
    raw = _raw(SEED_ITEMS[0], published=published, updated=updated)
    assert event_time(raw) == parse_timestamp(expected)


@pytest.mark.parametrize(
    ("stamp", "seconds"),
    [
        ("1970-01-01T00:00:00Z", 0.0),
        ("1970-01-01T01:00:00+01:00", 0.0),
        ("1970-01-01T00:01:00", 60.0),  # no zone: UTC, not the machine's local time
        ("2024-12-04T07:02:00.500Z", 1733295720.5),
    ],
)
def test_parse_timestamp(stamp: str, seconds: float) -> None:
    assert parse_timestamp(stamp) == seconds


@pytest.mark.parametrize(
    ("content", "embedded_body"),
    [
        (None, "summary"),  # no content: exactly as before
        ("Court.", "summary"),  # shorter than the summary: the summary is the richer text
        ("long", "content"),
    ],
)
def test_embedding_reads_the_content_when_it_is_longer(
    content: str | None, embedded_body: str, taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = SEED_ITEMS[1]
    if content == "long":
        content = seed["summary"] + " " + "La suite du texte intégral de l’article. " * 60
    passages: list[str] = []
    real_embed = meaning.embed

    def recording_embed(texts: list[str]) -> list[bytes]:
        passages.extend(texts)
        return real_embed(texts)

    monkeypatch.setattr(meaning, "embed", recording_embed)
    plain = tag_stage(_raw(seed), taxonomy, received_at=RECEIVED)
    rich = tag_stage(_raw(seed, content=content), taxonomy, received_at=RECEIVED)
    body = content if embedded_body == "content" else seed["summary"]
    assert passages[1] == meaning.passage(seed["title"], body)
    assert len(passages[1]) <= meaning.MAX_CHARS
    # Tags and the word fingerprint keep to title and summary.
    assert rich.tags == plain.tags
    words = {key: value for key, value in rich.fingerprint.items() if key != "meaning"}
    assert words == {key: value for key, value in plain.fingerprint.items() if key != "meaning"}
    assert (rich.fingerprint == plain.fingerprint) == (embedded_body == "summary")
