"""What the agents send: fingerprinted items, enriched events (and per-tag copies), dead letters.

Records on public topics carry their CloudEvents headers (schemas/cloudevents.py); the
internal fingerprinted hop does not.

Outputs are handed to the producer at once and their deliveries are not awaited one by one
(``produce``): faust's ``topic.send`` would hold them back as "attachments" published inside
the next commit (seconds per commit under load). At-least-once still holds: faust flushes the
producer, waiting for every delivery, before it commits any offset
(faust/transport/consumer.py, ``_commit_offsets``). faust only logs a delivery that fails for
good (after the producer's retries); ``produce`` counts it, logs it and crashes the worker
rather than let later commits pass over it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any, cast

import faust

from agents.enrich import parse_timestamp, utc_now_iso
from agents.readback import InputMessage
from schemas.cloudevents import Headers, dead_letter_headers, enriched_item_headers
from schemas.models import DeadLetter, EnrichedItem, MessageSource, encode
from streams import metrics
from streams.topics import TopicNames

log = logging.getLogger(__name__)

# A dead letter must fit Kafka's default message limit (message.max.bytes, 1 MiB), yet it
# carries the original in base64 (4/3 of its size) besides the error, the key and the JSON.
# So the original is kept up to 256 KiB (341 KiB of base64) and the error text, which can
# quote the message (schema errors name its unknown keys), up to 4,096 characters: a record
# stays under 400 KiB besides the key. docs/events.md and schemas/dlq.v1.json say the same.
DLQ_ORIGINAL_LIMIT = 256 * 1024
DLQ_ERROR_LIMIT = 4096


class Outputs:
    """The worker's output topics and the one way messages are sent to them."""

    def __init__(
        self,
        app: faust.App,
        names: TopicNames,
        *,
        fingerprinted: faust.TopicT,
        enriched: faust.TopicT,
        dlq: faust.TopicT,
    ) -> None:
        self.app = app
        self.names = names
        self.fingerprinted = fingerprinted
        self.enriched = enriched
        self.dlq = dlq
        self._tag_topics: dict[str, faust.TopicT] = {}

    async def produce(
        self, topic: faust.TopicT, key: bytes | None, value: bytes, headers: Headers | None = None
    ) -> None:
        """Hand one message to the producer; its delivery is awaited by the next commit."""
        # A list of its own per message: faust may add headers to it in place.
        message = topic.as_future_message(
            key=key, value=value, headers=list(headers) if headers else None
        )
        delivery = await topic.publish_message(message, wait=False)
        cast("asyncio.Future[Any]", delivery).add_done_callback(self._on_delivery)

    def _on_delivery(self, delivery: asyncio.Future[Any]) -> None:
        if delivery.cancelled() or delivery.exception() is None:
            return
        error = delivery.exception()
        metrics.DELIVERY_FAILURES.inc()
        log.critical("delivery failed after the producer's retries, stopping: %r", error)
        self.app.loop.create_task(self.app.crash(error))  # type: ignore[arg-type]

    async def dead_letter(self, message: InputMessage, reason: str, error: str) -> None:
        """Send a message that cannot be processed to the DLQ, with why and where it was."""
        letter = dead_letter_record(message, reason, error, failed_at=utc_now_iso())
        await self.produce(self.dlq, message.key, encode(letter), dead_letter_headers(letter))
        metrics.DLQ_MESSAGES.labels(reason).inc()
        log.warning(
            "message sent to dlq: reason=%s topic=%s partition=%d offset=%d: %s",
            reason, message.topic, message.partition, message.offset, error,
        )  # fmt: skip

    async def publish_enriched(self, event: EnrichedItem) -> None:
        """Send an enriched event, and a copy to each of its tags' topics if configured."""
        key = event.item.item_id.encode()
        value = encode(event)
        await self.produce(self.enriched, key, value, enriched_item_headers(event))
        metrics.ENRICHED_OUT.inc()
        if self.names.per_tag_topics and event.tags:
            tagged = enriched_item_headers(event, tagged=True)
            for tag in event.tags:
                await self.produce(self._tag_topic(tag.topic), key, value, tagged)
        for tag in event.tags:
            metrics.TAGS_ASSIGNED.labels(tag.topic).inc()
        _observe_latency(event)

    def _tag_topic(self, slug: str) -> faust.TopicT:
        if slug not in self._tag_topics:
            topic = self.app.topic(self.names.tag(slug), key_type=bytes, value_type=bytes)
            self._tag_topics[slug] = topic
        return self._tag_topics[slug]


def dead_letter_record(
    message: InputMessage, reason: str, error: str, *, failed_at: str
) -> DeadLetter:
    """The DLQ record of a message: why, where it was, and its bytes, capped to fit Kafka."""
    value = message.value or b""
    return DeadLetter(
        reason=reason,
        error=error[:DLQ_ERROR_LIMIT],
        source=MessageSource(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key_base64=base64.b64encode(message.key).decode() if message.key else None,
        ),
        original_base64=base64.b64encode(value[:DLQ_ORIGINAL_LIMIT]).decode(),
        original_size=len(value),
        failed_at=failed_at,
    )


def _observe_latency(event: EnrichedItem) -> None:
    now = time.time()
    metrics.PIPELINE_LATENCY.observe(max(0.0, now - parse_timestamp(event.item.fetched)))
    if event.item.published:
        metrics.END_TO_END_LATENCY.observe(max(0.0, now - parse_timestamp(event.item.published)))
