"""CloudEvents 1.0 attributes of every public record, as Kafka headers (binary content mode).

The Kafka protocol binding (CloudEvents spec, kafka-protocol-binding.md 3.2) puts each
attribute in a header ``ce_<name>`` holding its UTF-8 string, the data's media type in
``content-type``, and leaves the record value as the data itself: telex's JSON, unchanged.
Consumers that know nothing of CloudEvents read the records exactly as before.

One type per record kind, reverse-DNS and versioned with the value's schema. ``ce_id`` is the
deterministic event id, so ``ce_source`` + ``ce_id`` is unique per event and a redelivery
repeats it (spec: consumers may treat equal source and id as the same event). The per-tag copy
of an enriched event is the same event: same id, its own type. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from schemas.models import (
    DLQ_SCHEMA,
    ENRICHED_ITEM_SCHEMA,
    RAW_ITEM_SCHEMA,
    DeadLetter,
    EnrichedItem,
    RawItem,
    load_schema,
)

Headers = list[tuple[str, bytes]]

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
RAW_ITEM_TYPE = "org.telex.item.raw.v1"
ENRICHED_ITEM_TYPE = "org.telex.item.enriched.v1"
TAGGED_ITEM_TYPE = "org.telex.item.tagged.v1"
DEAD_LETTER_TYPE = "org.telex.deadletter.v1"

_DEAD_LETTER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://telex.invalid/dead-letters")
# RFC 8141 NSS characters kept as they are; anything else is percent-encoded.
_URN_SAFE = "-._~!$&'()*+,;=:@/"


@dataclass(frozen=True)
class CloudEventAttributes:
    """The context attributes telex sets; ``None`` ones are left out of the headers."""

    id: str
    source: str
    type: str
    time: str | None = None
    subject: str | None = None
    dataschema: str | None = None

    def headers(self) -> Headers:
        """The record's headers in binary content mode: ``ce_*`` plus ``content-type``."""
        pairs = [
            ("ce_specversion", SPECVERSION),
            ("ce_id", self.id),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", self.time),
            ("ce_subject", self.subject),
            ("ce_dataschema", self.dataschema),
            ("content-type", CONTENT_TYPE),
        ]
        return [(name, value.encode()) for name, value in pairs if value]


def raw_item_headers(item: RawItem) -> Headers:
    """Headers of a raw item: the poller saw a new item or revision at ``fetched``."""
    return CloudEventAttributes(
        id=item.event_id,
        source=feed_source(item.feed_id),
        type=RAW_ITEM_TYPE,
        time=rfc3339(item.fetched),
        subject=item.item_id,
        dataschema=_schema_uri(RAW_ITEM_SCHEMA),
    ).headers()


def enriched_item_headers(event: EnrichedItem, *, tagged: bool = False) -> Headers:
    """Headers of an enriched event (``tagged``: its copy on a per-tag topic)."""
    return CloudEventAttributes(
        id=event.event_id,
        source=feed_source(event.item.feed_id),
        type=TAGGED_ITEM_TYPE if tagged else ENRICHED_ITEM_TYPE,
        time=rfc3339(event.processing.enriched_at),
        subject=event.item.item_id,
        dataschema=_schema_uri(ENRICHED_ITEM_SCHEMA),
    ).headers()


def dead_letter_headers(letter: DeadLetter) -> Headers:
    """Headers of a dead letter: source is the topic it was read from, subject its key."""
    where = letter.source
    return CloudEventAttributes(
        id=dead_letter_id(where.topic, where.partition, where.offset),
        source=topic_source(where.topic),
        type=DEAD_LETTER_TYPE,
        time=rfc3339(letter.failed_at),
        subject=_utf8_key(where.key_base64),
        dataschema=_schema_uri(DLQ_SCHEMA),
    ).headers()


def feed_source(feed_id: str) -> str:
    """``urn:telex:feed:<feed id>``: the feed an item came from."""
    return f"urn:telex:feed:{quote(feed_id, safe=_URN_SAFE)}"


def topic_source(topic: str) -> str:
    """``urn:telex:topic:<topic>``: the topic a dead letter was read from."""
    return f"urn:telex:topic:{quote(topic, safe=_URN_SAFE)}"


def dead_letter_id(topic: str, partition: int, offset: int) -> str:
    """A UUID5 of where the message was: the same message dead-lettered again keeps its id."""
    return str(uuid.uuid5(_DEAD_LETTER_NAMESPACE, f"{topic}/{partition}/{offset}"))


def rfc3339(stamp: str) -> str | None:
    """An ISO 8601 timestamp as RFC 3339 (UTC as ``Z``; a naive one is taken as UTC);
    ``None`` when it is not a timestamp (the attribute is optional, the record still goes)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _schema_uri(schema_name: str) -> str:
    uri: str = load_schema(schema_name)["$id"]
    return uri


def _utf8_key(key_base64: str | None) -> str | None:
    """The original key as text (an item id), or ``None`` if absent or not UTF-8."""
    if not key_base64:
        return None
    try:
        return base64.b64decode(key_base64, validate=True).decode("utf-8") or None
    except (binascii.Error, UnicodeDecodeError):
        return None
