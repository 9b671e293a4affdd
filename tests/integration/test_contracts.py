"""What a real poller and worker write matches schemas/asyncapi.yaml: every public channel's
records validate against the JSON Schema the document names, keys are the documented ids, and
headers (CloudEvents, where the message documents them) match the message's headers schema."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from streams.demo.server import DemoServer
from streams.kafka import reliable_producer
from streams.settings import Settings
from streams.topics import ensure_topics

from .conftest import consume
from .processes import telex_process, write_config

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
DOC: dict[str, Any] = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
DOCUMENTED_PREFIX = "telex."
BAD_KEY, BAD_VALUE = b"contract:not-json", b"not json"
TAG_SLUGS = ["defense-treaty", "diplomacy", "german-politics"]

# Which value field each documented key equals, per message schema.
KEY_OF_VALUE: dict[str, Callable[[dict[str, Any]], str]] = {
    "telex.raw-item/1": lambda value: value["item_id"],
    "telex.enriched-item/1": lambda value: value["item"]["item_id"],
    "telex.feed-state/1": lambda value: value["feed_id"],
    "telex.dlq/1": lambda value: base64.b64decode(value["source"]["key_base64"]).decode(),
}


def schema_registry() -> Registry:
    """Every shipped schema under its $id, so relative refs like ``raw-item.v1.json`` resolve."""
    resources = [
        Resource.from_contents(json.loads(path.read_text())) for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources((r.contents["$id"], r) for r in resources)


def channel_message(channel_id: str) -> dict[str, Any]:
    """The one message a channel carries, with its ``$ref`` followed into components."""
    (ref,) = (m["$ref"] for m in DOC["channels"][channel_id]["messages"].values())
    message: dict[str, Any] = DOC["components"]["messages"][ref.rsplit("/", 1)[-1]]
    return message


def validator_for(channel_id: str, registry: Registry) -> Draft202012Validator:
    ref = channel_message(channel_id)["payload"]["schema"]["$ref"]
    schema = json.loads((SCHEMAS / ref).read_text())
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def actual_topic(channel_id: str, settings: Settings, **parameters: str) -> str:
    """The channel's address under the test's topic prefix, parameters filled in."""
    address: str = DOC["channels"][channel_id]["address"].format(**parameters)
    assert address.startswith(DOCUMENTED_PREFIX), address
    return f"{settings.topics.prefix}.{address.removeprefix(DOCUMENTED_PREFIX)}"


def headers_validator(message: dict[str, Any]) -> Draft202012Validator | None:
    """The message's ``headers`` schema, ``#/components/...`` references inlined."""
    if "headers" not in message:
        return None
    parts = message["headers"]["allOf"]
    inlined = [
        DOC["components"]["schemas"][p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
        for p in parts
    ]
    return Draft202012Validator({"allOf": inlined})


def check_records(channel_id: str, records: list[Any], registry: Registry) -> None:
    """Each value validates against the channel's schema; each key is the documented id;
    documented headers are there and valid (header values are UTF-8)."""
    message = channel_message(channel_id)
    validator = validator_for(channel_id, registry)
    headers = headers_validator(message)
    key_types = message["bindings"]["kafka"]["key"]["type"]
    for record in records:
        value = orjson.loads(record.value)
        errors = [e.message for e in validator.iter_errors(value)]
        assert errors == [], f"{channel_id} offset {record.offset}: {errors}"
        if headers is not None:
            found = {name: raw.decode() for name, raw in record.headers}
            errors = [e.message for e in headers.iter_errors(found)]
            assert errors == [], f"{channel_id} offset {record.offset} headers: {errors}"
        if record.key is None:
            assert "null" in key_types, f"{channel_id} offset {record.offset}: null key"
        else:
            assert record.key.decode() == KEY_OF_VALUE[message["name"]](value), channel_id


def poller_of_demo_feeds(base_url: str) -> dict[str, Any]:
    """Poller settings for the demo's RSS and JSON Feed views, polled every second."""
    feeds = [
        {"id": f"contract-{fmt}", "url": f"{base_url}/liveblog.{fmt}", "interval_seconds": 1}
        for fmt in ("rss", "json")
    ]
    return {"feeds": feeds, "allow_private_addresses": True}


async def produce_bad_raw_message(settings: Settings) -> None:
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(
            actual_topic("rawItems", settings), key=BAD_KEY, value=BAD_VALUE
        )
    finally:
        await producer.stop()


async def test_every_public_channel_carries_what_the_asyncapi_document_says(
    settings_factory: Any, tmp_path: Path
) -> None:
    async with DemoServer(initial_items=4, item_interval=3600) as server:
        settings = settings_factory(poller=poller_of_demo_feeds(server.url))
        await ensure_topics(settings, TAG_SLUGS)
        await produce_bad_raw_message(settings)
        config = write_config(settings, tmp_path / "telex.yaml")
        bootstrap = settings.kafka.bootstrap
        with (
            telex_process(config, "poll", log=tmp_path / "poll.log"),
            telex_process(config, "worker", log=tmp_path / "worker.log"),
        ):
            raw = await consume(bootstrap, actual_topic("rawItems", settings), count=9, timeout=30)
            enriched = await consume(
                bootstrap, actual_topic("enrichedItems", settings), count=8, timeout=40
            )
            letters = await consume(bootstrap, actual_topic("deadLetters", settings), count=1)
            states = await consume(bootstrap, actual_topic("feedStates", settings), count=2)
            tagged = await consume_tag_topics(settings, enriched)

    registry = schema_registry()
    check_records("rawItems", [r for r in raw if r.key != BAD_KEY], registry)
    check_records("enrichedItems", enriched, registry)
    check_records("deadLetters", letters, registry)
    check_records("feedStates", states, registry)
    assert tagged, "no enriched event carried a tag: the tag channel went untested"
    check_records("taggedItems", tagged, registry)
    assert [orjson.loads(r.value)["reason"] for r in letters] == ["invalid_json"]


async def consume_tag_topics(settings: Settings, enriched: list[Any]) -> list[Any]:
    """Every record on the tag topics named by the enriched events' tags."""
    counts: dict[str, int] = {}
    for record in enriched:
        for tag in orjson.loads(record.value)["tags"]:
            counts[tag["topic"]] = counts.get(tag["topic"], 0) + 1
    records: list[Any] = []
    for slug, count in sorted(counts.items()):
        topic = actual_topic("taggedItems", settings, topic=slug)
        records += await consume(settings.kafka.bootstrap, topic, count=count, timeout=10)
    return records
