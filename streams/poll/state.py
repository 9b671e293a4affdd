"""Poller state on a compacted Kafka topic: the latest FeedState per feed id.

A restarted (or moved) poller reads the topic to its end before polling, so it re-emits
nothing it already sent; items are published before the state that records them, so a crash in
between re-sends at most that one poll's items (same event ids: consumers can drop repeats).
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.models import FeedState, decode_feed_state, encode
from streams.errors import BrokerError, MessageError
from streams.kafka import client_options
from streams.settings import KafkaSettings

log = logging.getLogger(__name__)


class FeedStateStore:
    """Reads all feed states once, then writes each new state as it is reached."""

    def __init__(self, kafka: KafkaSettings, topic: str, producer: AIOKafkaProducer) -> None:
        self._kafka = kafka
        self._topic = topic
        self._producer = producer

    async def load_all(self, timeout: float = 60.0) -> dict[str, FeedState]:
        """Every feed's latest state, read from the beginning of the topic to its end."""
        consumer = AIOKafkaConsumer(
            **client_options(self._kafka), enable_auto_commit=False, group_id=None
        )
        await consumer.start()
        try:
            return await asyncio.wait_for(self._read_to_end(consumer), timeout)
        except TimeoutError:
            raise BrokerError(
                f"could not read poller state from {self._topic} within {timeout:.0f} s"
            ) from None
        finally:
            await consumer.stop()

    async def save(self, state: FeedState) -> None:
        """Write one feed's state and wait until the broker has it (acks=all)."""
        await self._producer.send_and_wait(
            self._topic, key=state.feed_id.encode(), value=encode(state)
        )

    async def delete(self, feed_id: str) -> None:
        """Delete a removed feed's state: a tombstone (null value) that compaction keeps last."""
        await self._producer.send_and_wait(self._topic, key=feed_id.encode(), value=None)

    async def _read_to_end(self, consumer: AIOKafkaConsumer) -> dict[str, FeedState]:
        partitions = await self._wait_for_partitions(consumer)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        states: dict[str, FeedState] = {}
        while not await _reached(consumer, end):
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for records in batches.values():
                for record in records:
                    _apply(states, record.key, record.value)
        log.info("loaded poller state of %d feeds from %s", len(states), self._topic)
        return states

    async def _wait_for_partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(self._topic)
            if partitions:
                return [TopicPartition(self._topic, p) for p in sorted(partitions)]
            await consumer._client.force_metadata_update()  # topic just created
            await asyncio.sleep(0.2)
        raise BrokerError(f"state topic {self._topic} does not exist; run ensure_topics first")


async def _reached(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for tp, offset in end.items():
        if await consumer.position(tp) < offset:
            return False
    return True


def _apply(states: dict[str, FeedState], key: bytes | None, value: bytes | None) -> None:
    if key is None:
        return
    feed_id = key.decode()
    if value is None:
        states.pop(feed_id, None)  # tombstone: the feed was removed
        return
    try:
        states[feed_id] = decode_feed_state(value)
    except MessageError as exc:
        log.warning("ignoring unreadable state of feed_id=%s: %s", feed_id, exc)
