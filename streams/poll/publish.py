"""Publishing raw items: turn a detected change into a RawItem and send a poll's batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from aiokafka import AIOKafkaProducer

from schemas.cloudevents import raw_item_headers
from schemas.models import RawItem, encode
from streams.poll.changes import Change
from streams.poll.formats.model import ParsedFeed
from streams.poll.identity import canonical_url, event_id


def to_raw_item(
    change: Change, *, feed_id: str, feed_url: str, parsed: ParsedFeed, fetched: datetime
) -> RawItem:
    """The raw-item event for one new item or revision."""
    entry = change.entry
    return RawItem(
        event_id=event_id(change.item_id, change.revision),
        item_id=change.item_id,
        revision=change.revision,
        previous_content_hash=change.previous_content_hash,
        feed_id=feed_id,
        feed_url=feed_url,
        source_format=parsed.format,
        guid=entry.guid,
        url=canonical_url(entry.link) if entry.link else None,
        link=entry.link,
        title=entry.title,
        summary=entry.summary,
        summary_html=entry.summary_html,
        language=entry.language or parsed.language,
        authors=entry.authors,
        published=_iso(entry.published),
        updated=_iso(entry.updated),
        fetched=_iso(fetched) or "",
        content_hash=change.content_hash,
    )


class RawPublisher:
    """Sends a batch of raw items, with their CloudEvents headers, and waits until the broker
    has all of them."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def publish(self, items: Sequence[RawItem]) -> None:
        # Queue every send first and await them together: one await per item is 5-20 ms each.
        deliveries = [
            await self._producer.send(
                self._topic,
                key=item.item_id.encode(),
                value=encode(item),
                headers=raw_item_headers(item),
            )
            for item in items
        ]
        await asyncio.gather(*deliveries)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")
