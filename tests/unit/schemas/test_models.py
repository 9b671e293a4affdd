"""Models: encode/decode round trips, MessageError reasons, agreement with the schema files."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import FrozenInstanceError, replace
from typing import Any

import jsonschema
import orjson
import pytest
from referencing import Registry, Resource

from agents.dedup.fingerprint import fingerprint, fingerprint_to_dict
from schemas.models import (
    SCHEMA_FILES,
    DeadLetter,
    DedupInfo,
    EnrichedItem,
    Evidence,
    FeedState,
    FingerprintedItem,
    MessageSource,
    Processing,
    RawItem,
    TagInfo,
    decode_dead_letter,
    decode_enriched_item,
    decode_feed_state,
    decode_fingerprinted_item,
    decode_raw_item,
    encode,
    load_schema,
    validate,
)
from streams.errors import MessageError

RAW = RawItem(
    event_id="4d1c5a9e-0d7b-5d0c-9a54-2f0e8c3b7a11",
    item_id="lemonde-live:urn:lemonde:post-7",
    revision=2,
    feed_id="lemonde-live",
    feed_url="https://www.lemonde.fr/live/ukraine/rss.xml",
    source_format="rss",
    title="L’accord de défense Corée du Nord–Russie en vigueur",
    summary="L’accord est désormais en vigueur après l’échange des instruments de ratification.",
    fetched="2024-12-04T07:05:12.345Z",
    content_hash="a" * 64,
    previous_content_hash="b" * 64,
    guid="urn:lemonde:post-7",
    url="https://www.lemonde.fr/live/ukraine/post-7",
    link="https://www.lemonde.fr/live/ukraine/post-7?utm_source=rss",
    summary_html="<p>L’accord est désormais en vigueur.</p>",
    language="fr",
    authors=("Le Monde", "AFP"),
    published="2024-12-04T08:02:00+01:00",
    updated=None,
)
TAGS = (
    TagInfo(
        topic="defense-treaty",
        score=3.5,
        evidence=(Evidence(term="accord de défense", field="title", weight=2.0),),
    ),
)
ENRICHED = EnrichedItem(
    event_id=RAW.event_id,
    item=RAW,
    language="fr",
    language_source="declared",
    dedup=DedupInfo(
        status="update",
        story_id="lemonde-live:urn:lemonde:post-7",
        duplicate_of=None,
        similarity=None,
        method=None,
        revision=2,
    ),
    tags=TAGS,
    taxonomy_version="2024-12-01",
    processing=Processing(
        raw_received_at="2024-12-04T07:05:13.001Z",
        enriched_at="2024-12-04T07:05:13.020Z",
        worker="worker-1",
    ),
)
FINGERPRINTED = FingerprintedItem(
    item=RAW,
    language="fr",
    language_source="detected",
    tags=TAGS,
    taxonomy_version="2024-12-01",
    fingerprint=fingerprint_to_dict(
        fingerprint(title=RAW.title, summary=RAW.summary, language="fr")
    ),
    raw_received_at="2024-12-04T07:05:13.001Z",
)
DEAD_LETTER = DeadLetter(
    reason="invalid_json",
    error="not JSON: unexpected character: line 1 column 1 (char 0)",
    source=MessageSource(topic="telex.items.raw", partition=3, offset=1042, key_base64="a2V5"),
    original_base64="bm90IGpzb24=",
    original_size=8,
    failed_at="2024-12-04T07:05:14.000Z",
)
FEED_STATE = FeedState(
    feed_id="lemonde-live",
    url="https://www.lemonde.fr/live/ukraine/rss.xml",
    etag='W/"5f2-18c"',
    last_modified="Wed, 04 Dec 2024 07:05:00 GMT",
    items={"lemonde-live:urn:lemonde:post-7": "a" * 64},
    revisions={"lemonde-live:urn:lemonde:post-7": 2},
    urls={"https://www.lemonde.fr/live/ukraine/post-7": "lemonde-live:urn:lemonde:post-7"},
    failures=1,
    last_success_at=1733295900.5,
    last_outcome="ok",
)

CASES: list[tuple[str, Any, Callable[[bytes], Any]]] = [
    ("telex.raw-item/1", RAW, decode_raw_item),
    ("telex.enriched-item/1", ENRICHED, decode_enriched_item),
    ("telex.fingerprinted-item/1", FINGERPRINTED, decode_fingerprinted_item),
    ("telex.dlq/1", DEAD_LETTER, decode_dead_letter),
    ("telex.feed-state/1", FEED_STATE, decode_feed_state),
]
CASE_IDS = [name for name, _, _ in CASES]
_DELETE_KEY = object()


def _schema_file_validator(schema_name: str) -> jsonschema.protocols.Validator:
    """An independent validator (jsonschema, formats checked) over the shipped schema files."""
    resources = [
        (document["$id"], Resource.from_contents(document))
        for document in (load_schema(name) for name in SCHEMA_FILES)
    ]
    schema = load_schema(schema_name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(
        schema,
        registry=Registry().with_resources(resources),
        format_checker=cls.FORMAT_CHECKER,
    )


def test_every_schema_file_has_a_case() -> None:
    assert sorted(SCHEMA_FILES) == sorted(CASE_IDS)


@pytest.mark.parametrize(("schema_name", "model", "decode"), CASES, ids=CASE_IDS)
def test_round_trip(schema_name: str, model: Any, decode: Callable[[bytes], Any]) -> None:
    assert decode(encode(model)) == model


@pytest.mark.parametrize(("schema_name", "model", "decode"), CASES, ids=CASE_IDS)
def test_a_decoded_model_encodes_to_the_same_bytes(
    schema_name: str, model: Any, decode: Callable[[bytes], Any]
) -> None:
    decoded = decode(encode(model))
    assert encode(decoded) == encode(model)
    assert repr(decoded) == repr(model)


def test_a_decoded_model_is_frozen() -> None:
    decoded = decode_enriched_item(encode(ENRICHED))
    for part in (decoded, decoded.item, decoded.dedup, decoded.tags[0].evidence[0]):
        with pytest.raises(FrozenInstanceError):
            setattr(part, "event_id", "changed")  # noqa: B010


@pytest.mark.parametrize(
    "change", [{"unknown": 1}, {"title": _DELETE_KEY}], ids=["unknown field", "missing field"]
)
def test_from_dict_refuses_what_the_constructor_refuses(change: dict[str, Any]) -> None:
    data = {**orjson.loads(encode(RAW)), **change}
    data = {key: value for key, value in data.items() if value is not _DELETE_KEY}
    with pytest.raises(TypeError):
        RawItem.from_dict(data)


@pytest.mark.parametrize(("schema_name", "model", "decode"), CASES, ids=CASE_IDS)
def test_encoded_model_matches_its_schema_file(
    schema_name: str, model: Any, decode: Callable[[bytes], Any]
) -> None:
    data = orjson.loads(encode(model))
    assert data["schema"] == schema_name
    _schema_file_validator(schema_name).validate(data)
    validate(data, schema_name)


@pytest.mark.parametrize(("schema_name", "model", "decode"), CASES, ids=CASE_IDS)
def test_schema_files_are_valid_json_schema(
    schema_name: str, model: Any, decode: Callable[[bytes], Any]
) -> None:
    schema = load_schema(schema_name)
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_optional_fields_may_be_absent() -> None:
    data = orjson.loads(encode(RAW))
    for optional in ("previous_content_hash", "guid", "url", "link", "summary_html", "authors"):
        del data[optional]
    item = decode_raw_item(orjson.dumps(data))
    assert item == replace(
        RAW,
        previous_content_hash=None,
        guid=None,
        url=None,
        link=None,
        summary_html=None,
        authors=(),
    )


def _raw_with(**changes: Any) -> bytes:
    data = orjson.loads(encode(RAW))
    for key, value in changes.items():
        if value is _DELETE:
            del data[key]
        else:
            data[key] = value
    return orjson.dumps(data)


_DELETE = object()


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"not json at all", "invalid_json"),
        (b'{"schema": "telex.raw-item/1", ', "invalid_json"),
        (b"[1, 2, 3]", "invalid_schema"),
        (b'"telex.raw-item/1"', "invalid_schema"),
        (_raw_with(schema="telex.raw-item/2"), "unsupported_schema_version"),
        (_raw_with(schema=_DELETE), "unsupported_schema_version"),
        (_raw_with(title=_DELETE), "invalid_schema"),
        (_raw_with(revision="2"), "invalid_schema"),
        (_raw_with(source_format="html"), "invalid_schema"),
        (_raw_with(authors="Le Monde"), "invalid_schema"),
    ],
    ids=[
        "garbage",
        "truncated",
        "array",
        "string",
        "future-version",
        "no-schema",
        "missing-title",
        "revision-as-string",
        "unknown-format",
        "authors-not-a-list",
    ],
)
def test_bad_messages_fail_with_their_reason(message: bytes, reason: str) -> None:
    with pytest.raises(MessageError) as caught:
        decode_raw_item(message)
    assert caught.value.reason == reason


def test_a_message_of_another_schema_is_refused() -> None:
    with pytest.raises(MessageError) as caught:
        decode_enriched_item(encode(RAW))
    assert caught.value.reason == "unsupported_schema_version"


@pytest.mark.parametrize(
    ("decode", "model", "path", "bad_value"),
    [
        (decode_enriched_item, ENRICHED, ("dedup", "status"), "maybe"),
        (decode_enriched_item, ENRICHED, ("dedup", "similarity"), 1.5),
        (decode_enriched_item, ENRICHED, ("item", "title"), None),
        (decode_fingerprinted_item, FINGERPRINTED, ("tags",), [{"topic": "x"}]),
        (decode_dead_letter, DEAD_LETTER, ("reason",), "out_of_coffee"),
        (decode_feed_state, FEED_STATE, ("failures",), "one"),
    ],
    ids=["status", "similarity", "nested-raw-item", "tags-ref", "dlq-reason", "state-failures"],
)
def test_nested_and_referenced_parts_are_validated(
    decode: Callable[[bytes], Any], model: Any, path: tuple[str, ...], bad_value: Any
) -> None:
    data = json.loads(encode(model))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad_value
    with pytest.raises(MessageError) as caught:
        decode(json.dumps(data).encode())
    assert caught.value.reason == "invalid_schema"
