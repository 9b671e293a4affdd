"""schemas/asyncapi.yaml agrees with the topics the code creates and the schema files it ships."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from agents.tagging.taxonomy import load_taxonomy
from schemas.cloudevents import (
    DEAD_LETTER_TYPE,
    ENRICHED_ITEM_TYPE,
    RAW_ITEM_TYPE,
    TAGGED_ITEM_TYPE,
    dead_letter_headers,
    enriched_item_headers,
    raw_item_headers,
)
from schemas.models import (
    SCHEMA_FILES,
    DeadLetter,
    DedupInfo,
    EnrichedItem,
    MessageSource,
    Processing,
    RawItem,
)
from streams.settings import Settings
from streams.topics import TopicSpec, topic_specs

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
DOC: dict[str, Any] = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
MESSAGES: dict[str, Any] = DOC["components"]["messages"]
TAG_SLUGS = [topic.id for topic in load_taxonomy().topics]
RAW = RawItem(event_id="e1", item_id="f:1", revision=1, feed_id="f", feed_url="http://f/",
              source_format="rss", title="t", summary="s", fetched="2024-12-04T09:00:00Z",
              content_hash="h")  # fmt: skip
ENRICHED = EnrichedItem(
    "e1", RAW, "fr", "declared", DedupInfo("new", "f:1", None, None, None), (), "1",
    Processing("2024-12-04T09:00:01Z", "2024-12-04T09:00:02Z"),
)  # fmt: skip
LETTER = DeadLetter(
    "invalid_json", "not JSON", MessageSource("telex.items.raw", 0, 7, "Zjox"), "", 0,
    "2024-12-04T09:00:03Z",
)  # fmt: skip


def resolve(ref: str) -> Any:
    """Follow a local JSON pointer such as ``#/channels/rawItems`` inside the document."""
    assert ref.startswith("#/"), ref
    node: Any = DOC
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def schema_file(message: dict[str, Any]) -> Path:
    ref: str = message["payload"]["schema"]["$ref"]
    return SCHEMAS / ref


def address_pattern(address: str) -> re.Pattern[str]:
    """A channel address as a regex: ``{param}`` matches one dot-free segment."""
    parts = re.split(r"\{[^}]+\}", address)
    return re.compile("[^.]+".join(re.escape(part) for part in parts) + r"\Z")


def default_specs() -> list[TopicSpec]:
    return topic_specs(Settings(), TAG_SLUGS)


def channels() -> dict[str, Any]:
    return dict(DOC["channels"])


def test_document_is_asyncapi_3_with_a_local_kafka_server() -> None:
    assert DOC["asyncapi"] == "3.0.0"
    assert DOC["servers"]["kafka"]["protocol"] == "kafka"
    assert DOC["servers"]["kafka"]["host"] == Settings().kafka.bootstrap


def test_fixed_channels_are_exactly_the_non_tag_topics() -> None:
    fixed = {c["address"] for c in channels().values() if "{" not in c["address"]}
    tag_pattern = address_pattern(channels()["taggedItems"]["address"])
    non_tag = {spec.name for spec in default_specs() if not tag_pattern.match(spec.name)}
    assert fixed == non_tag


def test_every_tag_topic_matches_the_parameterised_channel() -> None:
    tag_pattern = address_pattern(channels()["taggedItems"]["address"])
    tag_topics = [spec.name for spec in default_specs() if tag_pattern.match(spec.name)]
    assert sorted(tag_topics) == sorted(f"telex.tags.{slug}" for slug in TAG_SLUGS)
    assert set(channels()["taggedItems"]["parameters"]["topic"]["examples"]) <= set(TAG_SLUGS)


def test_channel_partitions_and_cleanup_policy_match_the_topic_specs() -> None:
    documented = {
        c["address"]: c["bindings"]["kafka"] for c in channels().values() if "{" not in c["address"]
    }
    for spec in default_specs():
        if spec.name not in documented:
            continue  # a tag topic, checked below
        kafka = documented[spec.name]
        assert kafka["partitions"] == spec.partitions, spec.name
        policy = kafka.get("topicConfiguration", {}).get("cleanup.policy", [])
        assert policy == [p for p in [spec.config.get("cleanup.policy")] if p], spec.name
    tagged = channels()["taggedItems"]["bindings"]["kafka"]
    assert tagged["partitions"] == Settings().kafka.partitions


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_message_payload_is_a_valid_schema_file_named_like_the_message(message_id: str) -> None:
    message = MESSAGES[message_id]
    assert message["payload"]["schemaFormat"] == "application/schema+json;version=draft-2020-12"
    schema = json.loads(schema_file(message).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["const"] == message["name"]
    assert SCHEMA_FILES[message["name"]] == schema_file(message).name


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_message_key_is_a_documented_string(message_id: str) -> None:
    key = MESSAGES[message_id]["bindings"]["kafka"]["key"]
    assert "string" in ([key["type"]] if isinstance(key["type"], str) else key["type"])
    assert key["description"]


def test_every_shipped_schema_file_has_a_message() -> None:
    assert {schema_file(m).name for m in MESSAGES.values()} == set(SCHEMA_FILES.values())


def test_operations_point_at_channels_and_at_messages_of_that_channel() -> None:
    for name, operation in DOC["operations"].items():
        assert operation["action"] in {"send", "receive"}, name
        channel_ref = operation["channel"]["$ref"]
        channel = resolve(channel_ref)
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), name
            assert resolve(message["$ref"]) in channel["messages"].values(), name


def test_every_channel_is_written_by_some_operation() -> None:
    sent = {op["channel"]["$ref"] for op in DOC["operations"].values() if op["action"] == "send"}
    assert sent == {f"#/channels/{name}" for name in channels()}


def test_every_dead_letter_reason_is_documented() -> None:
    reasons = json.loads((SCHEMAS / "dlq.v1.json").read_text())["properties"]["reason"]["enum"]
    description = channels()["deadLetters"]["description"]
    assert [r for r in reasons if f"`{r}`" not in description] == []


def test_contract_names_event_id_as_the_deduplication_key() -> None:
    description = DOC["info"]["description"]
    assert "at-least-once" in description and "`event_id`" in description


# The CloudEvents headers each public message documents, and a record of that kind's headers.
CLOUDEVENT_MESSAGES = {
    "rawItem": (RAW_ITEM_TYPE, lambda: raw_item_headers(RAW)),
    "enrichedItem": (ENRICHED_ITEM_TYPE, lambda: enriched_item_headers(ENRICHED)),
    "taggedItem": (TAGGED_ITEM_TYPE, lambda: enriched_item_headers(ENRICHED, tagged=True)),
    "deadLetter": (DEAD_LETTER_TYPE, lambda: dead_letter_headers(LETTER)),
}


def headers_schema(message_id: str) -> dict[str, Any]:
    """The message's ``headers`` schema with its ``#/components/...`` references inlined."""
    schema: dict[str, Any] = MESSAGES[message_id]["headers"]
    return {"allOf": [resolve(s["$ref"]) if "$ref" in s else s for s in schema["allOf"]]}


def test_exactly_the_public_messages_document_cloudevents_headers() -> None:
    assert {m for m in MESSAGES if "headers" in MESSAGES[m]} == set(CLOUDEVENT_MESSAGES)
    public = {"rawItems", "enrichedItems", "taggedItems", "deadLetters"}
    for name in public:
        (ref,) = (m["$ref"] for m in channels()[name]["messages"].values())
        assert ref.rsplit("/", 1)[-1] in CLOUDEVENT_MESSAGES, name


@pytest.mark.parametrize("message_id", sorted(CLOUDEVENT_MESSAGES))
def test_documented_headers_are_what_the_builder_writes(message_id: str) -> None:
    kind, build = CLOUDEVENT_MESSAGES[message_id]
    schema = headers_schema(message_id)
    Draft202012Validator.check_schema(schema)
    assert schema["allOf"][1]["properties"]["ce_type"]["const"] == kind
    headers = {name: value.decode() for name, value in build()}
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(headers)]
    assert errors == []
    documented = set(schema["allOf"][0]["properties"])
    assert set(headers) <= documented, set(headers) - documented
