"""Records a real poller and worker write are CloudEvents in Kafka binary content mode: read
back from the broker and converted by the official SDK's Kafka binding (its current API and
its 1.x one), every raw, enriched, per-tag and dead-letter record has the documented
attributes, and its value is the telex JSON unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import kafka as ce_kafka_v1

from schemas.cloudevents import dead_letter_id
from streams.demo.server import DemoServer
from streams.topics import TopicNames, ensure_topics

from .conftest import consume
from .processes import telex_process, write_config
from .test_contracts import BAD_KEY, consume_tag_topics, produce_bad_raw_message

pytestmark = pytest.mark.integration

TAG_SLUGS = ["defense-treaty", "diplomacy", "german-politics"]


def as_cloudevent(record: Any) -> CloudEvent:
    """The record through the SDK's Kafka binding, binary mode (validates the attributes)."""
    message = ce_kafka.KafkaMessage(dict(record.headers), record.key, record.value)
    event = ce_kafka.from_binary(message, JSONFormat(), CloudEvent)
    assert isinstance(event, CloudEvent)
    legacy = ce_kafka_v1.from_binary(
        ce_kafka_v1.KafkaMessage(dict(record.headers), record.key, record.value)
    )
    assert legacy["id"] == event.get_id() and legacy["type"] == event.get_type()
    assert legacy.get_data() == event.get_data()
    return event


def check_item_event(record: Any, kind: str) -> None:
    """A raw, enriched or tagged record: id, source, subject from the item; value as JSON."""
    event = as_cloudevent(record)
    value = orjson.loads(record.value)
    item = value.get("item", value)
    assert event.get_specversion() == "1.0"
    assert event.get_type() == kind
    assert event.get_id() == value["event_id"]
    assert event.get_source() == f"urn:telex:feed:{item['feed_id']}"
    assert event.get_subject() == item["item_id"] == record.key.decode()
    assert event.get_datacontenttype() == "application/json"
    time = event.get_time()
    assert time is not None and time.tzinfo is not None
    assert event.get_data() == value


async def test_every_public_record_is_a_cloudevent_the_sdk_reads(
    settings_factory: Any, tmp_path: Path
) -> None:
    async with DemoServer(initial_items=4, item_interval=3600) as server:
        feeds = [{"id": "ce-rss", "url": f"{server.url}/liveblog.rss", "interval_seconds": 1}]
        settings = settings_factory(poller={"feeds": feeds, "allow_private_addresses": True})
        names = TopicNames.from_settings(settings)
        await ensure_topics(settings, TAG_SLUGS)
        await produce_bad_raw_message(settings)
        config = write_config(settings, tmp_path / "telex.yaml")
        bootstrap = settings.kafka.bootstrap
        with (
            telex_process(config, "poll", log=tmp_path / "poll.log"),
            telex_process(config, "worker", log=tmp_path / "worker.log"),
        ):
            raw = await consume(bootstrap, names.raw, count=5, timeout=30)
            enriched = await consume(bootstrap, names.enriched, count=4, timeout=60)
            letters = await consume(bootstrap, names.dlq, count=1, timeout=30)
            tagged = await consume_tag_topics(settings, enriched)

    polled = [r for r in raw if r.key != BAD_KEY]
    assert len(polled) >= 4
    for record in polled:
        check_item_event(record, "org.telex.item.raw.v1")
    for record in enriched:
        check_item_event(record, "org.telex.item.enriched.v1")
    assert tagged, "no enriched event carried a tag: the tag topics went untested"
    for record in tagged:
        check_item_event(record, "org.telex.item.tagged.v1")
    enriched_ids = {orjson.loads(r.value)["event_id"] for r in enriched}
    assert {as_cloudevent(r).get_id() for r in tagged} <= enriched_ids

    (letter,) = letters
    event = as_cloudevent(letter)
    source = orjson.loads(letter.value)["source"]
    assert event.get_type() == "org.telex.deadletter.v1"
    assert event.get_source() == f"urn:telex:topic:{names.raw}"
    assert event.get_id() == dead_letter_id(names.raw, source["partition"], source["offset"])
    assert event.get_subject() == BAD_KEY.decode()
    assert event.get_data() == orjson.loads(letter.value)
