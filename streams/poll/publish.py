"""Publishing raw items: turn a detected change into a RawItem and send a poll's batch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from aiokafka import AIOKafkaProducer

from schemas.cloudevents import raw_item_headers
from schemas.models import RawItem, encode
from streams.poll.changes import Change
from streams.poll.clean import bounded_text
from streams.poll.formats.model import ParsedFeed
from streams.poll.identity import canonical_url, event_id

DEFAULT_MAX_CONTENT_CHARS = 20_000


def to_raw_item(
    change: Change, *, feed_id: str, feed_url: str, parsed: ParsedFeed, fetched: datetime,
    feed_language: str | None = None, labels: Mapping[str, str] | None = None,
    max_content_chars: int = DEFAULT_MAX_CONTENT_CHARS,
) -> RawItem:  # fmt: skip
    """The raw-item event for one new item or revision; `feed_language` (the feed's setting)
    stands in when neither the entry nor the document declares one."""
    entry = change.entry
    content = bounded_text(entry.content, max_content_chars) if entry.content else None
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
        language=entry.language or parsed.language or feed_language,
        authors=entry.authors,
        published=_iso(entry.published),
        updated=_iso(entry.updated),
        fetched=_iso(fetched) or "",
        content_hash=change.content_hash,
        content=content or None,
        labels=dict(labels) if labels else None,
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
