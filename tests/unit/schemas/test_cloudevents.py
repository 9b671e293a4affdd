"""CloudEvents headers (Kafka binding, binary mode): what the builder sets, read back by the
official SDK's Kafka conversion, and that it is the one place such headers are built."""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from schemas.cloudevents import (
    CONTENT_TYPE,
    DEAD_LETTER_TYPE,
    ENRICHED_ITEM_TYPE,
    RAW_ITEM_TYPE,
    TAGGED_ITEM_TYPE,
    Headers,
    dead_letter_headers,
    dead_letter_id,
    enriched_item_headers,
    feed_source,
    raw_item_headers,
    rfc3339,
)
from schemas.models import (
    DeadLetter,
    DedupInfo,
    EnrichedItem,
    MessageSource,
    Processing,
    RawItem,
    encode,
    load_schema,
)

ROOT = Path(__file__).resolve().parents[3]
RAW = RawItem(
    event_id="4d1c5a9e-0d7b-5d0c-9a54-2f0e8c3b7a11",
    item_id="lemonde-live:https://www.lemonde.fr/live/ukraine/post-7",
    revision=2,
    feed_id="lemonde-live",
    feed_url="https://www.lemonde.fr/live/ukraine/rss.xml",
    source_format="rss",
    title="L’accord de défense en vigueur",
    summary="L’accord est désormais en vigueur.",
    fetched="2024-12-04T07:05:12.345Z",
    content_hash="a" * 64,
)
ENRICHED = EnrichedItem(
    event_id=RAW.event_id,
    item=RAW,
    language="fr",
    language_source="declared",
    dedup=DedupInfo("new", RAW.item_id, None, None, None),
    tags=(),
    taxonomy_version="1",
    processing=Processing("2024-12-04T07:05:13Z", "2024-12-04T07:05:13.250Z"),
)


def letter(key: bytes | None, offset: int = 41, topic: str = "telex.items.raw") -> DeadLetter:
    return DeadLetter(
        reason="invalid_json",
        error="not JSON",
        source=MessageSource(topic, 3, offset, base64.b64encode(key).decode() if key else None),
        original_base64=base64.b64encode(b"not json").decode(),
        original_size=8,
        failed_at="2024-12-04T07:06:00.000Z",
    )


def read_back(headers: Headers, key: bytes | None, value: bytes) -> CloudEvent:
    """The record as the official SDK's Kafka binding reads it (binary content mode)."""
    event = from_binary(KafkaMessage(dict(headers), key, value), JSONFormat(), CloudEvent)
    assert isinstance(event, CloudEvent)
    return event


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (raw_item_headers(RAW), {
            "ce_id": RAW.event_id, "ce_source": "urn:telex:feed:lemonde-live",
            "ce_type": RAW_ITEM_TYPE, "ce_time": "2024-12-04T07:05:12.345000Z",
            "ce_subject": RAW.item_id,
            "ce_dataschema": "https://telex.dev/schemas/raw-item.v1.json"}),
        (enriched_item_headers(ENRICHED), {
            "ce_id": RAW.event_id, "ce_source": "urn:telex:feed:lemonde-live",
            "ce_type": ENRICHED_ITEM_TYPE, "ce_time": "2024-12-04T07:05:13.250000Z",
            "ce_subject": RAW.item_id,
            "ce_dataschema": "https://telex.dev/schemas/enriched-item.v1.json"}),
        (enriched_item_headers(ENRICHED, tagged=True), {
            "ce_id": RAW.event_id, "ce_source": "urn:telex:feed:lemonde-live",
            "ce_type": TAGGED_ITEM_TYPE, "ce_time": "2024-12-04T07:05:13.250000Z",
            "ce_subject": RAW.item_id,
            "ce_dataschema": "https://telex.dev/schemas/enriched-item.v1.json"}),
        (dead_letter_headers(letter(b"feed:item-1")), {
            "ce_id": dead_letter_id("telex.items.raw", 3, 41),
            "ce_source": "urn:telex:topic:telex.items.raw", "ce_type": DEAD_LETTER_TYPE,
            "ce_time": "2024-12-04T07:06:00Z", "ce_subject": "feed:item-1",
            "ce_dataschema": "https://telex.dev/schemas/dlq.v1.json"}),
    ],
    ids=["raw", "enriched", "tagged", "dead-letter"],
)  # fmt: skip
def test_headers_of_each_record_kind(headers: Headers, expected: dict[str, str]) -> None:
    assert all(isinstance(n, str) and isinstance(v, bytes) for n, v in headers)
    names = [name for name, _ in headers]
    assert len(names) == len(set(names)), names
    assert dict(headers) == {
        "ce_specversion": b"1.0",
        **{name: value.encode() for name, value in expected.items()},
        "content-type": CONTENT_TYPE.encode(),
    }


@pytest.mark.parametrize(
    ("headers", "key", "value", "kind"),
    [
        (raw_item_headers(RAW), RAW.item_id.encode(), encode(RAW), RAW_ITEM_TYPE),
        (enriched_item_headers(ENRICHED), RAW.item_id.encode(), encode(ENRICHED),
         ENRICHED_ITEM_TYPE),
        (dead_letter_headers(letter(None)), None, encode(letter(None)), DEAD_LETTER_TYPE),
    ],
    ids=["raw", "enriched", "dead-letter-without-key"],
)  # fmt: skip
def test_the_official_sdk_reads_each_record_as_a_cloudevent(
    headers: Headers, key: bytes | None, value: bytes, kind: str
) -> None:
    event = read_back(headers, key, value)
    assert event.get_specversion() == "1.0"
    assert event.get_type() == kind
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == orjson.loads(value), "the value is the telex JSON, unchanged"
    assert event.get_time() is not None and event.get_time().tzinfo is not None
    assert event.get_subject() == (key.decode() if key else None)


def test_the_per_tag_copy_is_the_same_event_under_its_own_type() -> None:
    enriched = dict(enriched_item_headers(ENRICHED))
    tagged = dict(enriched_item_headers(ENRICHED, tagged=True))
    assert {k for k in enriched if enriched[k] != tagged[k]} == {"ce_type"}


def test_dead_letter_id_is_deterministic_per_source_position() -> None:
    first = dict(dead_letter_headers(letter(b"k")))["ce_id"]
    assert dict(dead_letter_headers(letter(b"k")))["ce_id"] == first
    assert dict(dead_letter_headers(letter(b"other-key")))["ce_id"] == first
    others = {
        dict(dead_letter_headers(letter(b"k", offset=42)))["ce_id"],
        dict(dead_letter_headers(letter(b"k", topic="telex.items.fingerprinted")))["ce_id"],
    }
    assert first not in others and len(others) == 2


@pytest.mark.parametrize(
    ("key", "subject"),
    [(b"feed:1", b"feed:1"), (None, None), (b"\xff\xfe", None), (b"", None)],
    ids=["utf8-key", "no-key", "binary-key", "empty-key"],
)
def test_dead_letter_subject_is_the_key_when_it_is_text(
    key: bytes | None, subject: bytes | None
) -> None:
    assert dict(dead_letter_headers(letter(key))).get("ce_subject") == subject


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-12-04T09:00:00Z", "2024-12-04T09:00:00Z"),
        ("2024-12-04T09:00:00.123+00:00", "2024-12-04T09:00:00.123000Z"),
        ("2024-12-04T09:00:00", "2024-12-04T09:00:00Z"),  # naive: telex writes UTC
        ("2024-12-04T10:00:00+01:00", "2024-12-04T10:00:00+01:00"),
        ("yesterday", None),
        ("", None),
    ],
)
def test_rfc3339(stamp: str, expected: str | None) -> None:
    assert rfc3339(stamp) == expected
    if expected is not None:
        assert datetime.fromisoformat(expected).tzinfo is not None


def test_a_bad_timestamp_leaves_ce_time_out_but_the_event_stays_valid() -> None:
    item = RawItem(**{**RAW.__dict__, "fetched": "not a time"})
    headers = raw_item_headers(item)
    assert "ce_time" not in dict(headers)
    assert read_back(headers, None, encode(item)).get_id() == RAW.event_id


@pytest.mark.parametrize(
    ("feed_id", "source"),
    [("lemonde-live", "urn:telex:feed:lemonde-live"), ("a b/ü", "urn:telex:feed:a%20b/%C3%BC")],
)
def test_feed_source_is_a_urn(feed_id: str, source: str) -> None:
    assert feed_source(feed_id) == source


@pytest.mark.parametrize(
    ("headers", "schema"),
    [
        (raw_item_headers(RAW), "telex.raw-item/1"),
        (enriched_item_headers(ENRICHED), "telex.enriched-item/1"),
        (dead_letter_headers(letter(None)), "telex.dlq/1"),
    ],
)
def test_dataschema_is_the_shipped_schemas_id(headers: Headers, schema: str) -> None:
    assert dict(headers)["ce_dataschema"].decode() == load_schema(schema)["$id"]


def test_one_module_builds_cloudevents_headers() -> None:
    builders = [
        str(path.relative_to(ROOT))
        for package in ("streams", "agents", "schemas")
        for path in (ROOT / package).rglob("*.py")
        if '"ce_' in path.read_text()
    ]
    assert builders == ["schemas/cloudevents.py"]
