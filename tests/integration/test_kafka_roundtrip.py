"""The real broker: produce and consume through aiokafka, topics created as specified."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from schemas.models import RawItem, decode_raw_item, encode
from streams.kafka import reliable_producer
from streams.topics import TopicNames, ensure_topics

from .conftest import consume

pytestmark = pytest.mark.integration


async def test_produce_and_consume_raw_items(settings_factory: Any) -> None:
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings)
    items = [
        RawItem(event_id=f"e{n}", item_id=f"feed:{n}", revision=1, feed_id="feed",
                feed_url="http://127.0.0.1/feed", source_format="rss", title=f"Titre {n} é’",
                summary="Résumé", fetched="2024-12-04T08:00:00Z", content_hash=f"h{n}")
        for n in range(50)
    ]  # fmt: skip
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        for item in items:
            await producer.send(names.raw, key=item.item_id.encode(), value=encode(item))
        await producer.flush()
    finally:
        await producer.stop()
    records = await consume(settings.kafka.bootstrap, names.raw, count=50)
    assert sorted(decode_raw_item(r.value).item_id for r in records) == sorted(
        i.item_id for i in items
    )
    assert {r.key for r in records} == {i.item_id.encode() for i in items}


async def test_ensure_topics_creates_compacted_state_and_single_partition_dedup(
    settings_factory: Any,
) -> None:
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    created = await ensure_topics(settings, ["diplomacy"])
    assert set(created) >= {
        names.raw,
        names.feeds_state,
        names.fingerprinted,
        names.tag("diplomacy"),
    }
    assert await ensure_topics(settings, ["diplomacy"]) == []  # idempotent
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([names.raw, names.fingerprinted])
        partitions = {t["topic"]: len(t["partitions"]) for t in described}
        assert partitions == {names.raw: 4, names.fingerprinted: 1}
    finally:
        await admin.close()
