"""Every Kafka topic telex uses: names in one place, created with the right settings."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from streams.errors import BrokerError
from streams.kafka import client_options
from streams.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


@dataclass(frozen=True)
class TopicNames:
    """Fully prefixed topic names, derived from the settings once."""

    raw: str
    enriched: str
    dlq: str
    feeds_state: str
    fingerprinted: str
    tags_prefix: str
    per_tag_topics: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> TopicNames:
        topics = settings.topics

        def full(name: str) -> str:
            return f"{topics.prefix}.{name}" if topics.prefix else name

        return cls(
            raw=full(topics.raw),
            enriched=full(topics.enriched),
            dlq=full(topics.dlq),
            feeds_state=full(topics.feeds_state),
            fingerprinted=full(topics.fingerprinted),
            tags_prefix=full(topics.tags),
            per_tag_topics=topics.per_tag_topics,
        )

    def tag(self, topic_slug: str) -> str:
        """The per-tag topic, e.g. ``telex.tags.diplomacy``."""
        return f"{self.tags_prefix}.{topic_slug}"


def _new_topic(spec: TopicSpec, settings: Settings) -> NewTopic:
    return NewTopic(
        name=spec.name,
        num_partitions=spec.partitions,
        replication_factor=settings.kafka.replication_factor,
        topic_configs=spec.config,
    )


def _created_names(response: Any) -> list[str]:
    """Names the broker created; "already exists" (another process won the race) is fine."""
    created: list[str] = []
    for name, code, *message in response.topic_errors:
        if code == 0:
            created.append(name)
        elif code != TopicAlreadyExistsError.errno:
            detail = message[0] if message and message[0] else f"error code {code}"
            raise BrokerError(f"could not create topic {name}: {detail}")
    return created


def topic_specs(settings: Settings, tag_slugs: Iterable[str] = ()) -> list[TopicSpec]:
    """Every topic with its partition count and configuration."""
    names = TopicNames.from_settings(settings)
    partitions = settings.kafka.partitions
    specs = [
        TopicSpec(names.raw, partitions, {}),
        TopicSpec(names.enriched, partitions, {}),
        TopicSpec(names.dlq, 1, {}),
        # Compacted: the latest state per feed id is all a restarted poller needs.
        TopicSpec(names.feeds_state, 1, {"cleanup.policy": "compact"}),
        # One partition on purpose: every fingerprint meets every other one in a single
        # ordered log, so near-duplicates are found across all raw partitions (agents/worker.py).
        TopicSpec(names.fingerprinted, 1, {}),
    ]
    if names.per_tag_topics:
        specs += [TopicSpec(names.tag(slug), partitions, {}) for slug in tag_slugs]
    return specs


async def ensure_topics(settings: Settings, tag_slugs: Iterable[str] = ()) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    created: list[str] = []
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in topic_specs(settings, tag_slugs) if spec.name not in existing]
        if missing:
            response = await admin.create_topics([_new_topic(spec, settings) for spec in missing])
            created = _created_names(response)
    finally:
        await admin.close()
    if created:
        log.info("created topics %s", ", ".join(created))
    return created


async def align_partitions(settings: Settings, source: str, follower: str) -> int:
    """The partition count of topic `source`; topic `follower`, if it exists with fewer
    partitions, is given as many.

    A faust table written from a topic's events needs a changelog with as many partitions as
    that topic (faust raises PartitionsMismatch on every write otherwise): raw partitions an
    operator adds to scale out must be added to the table's changelog too. Existing records stay
    in their partitions, where faust put them (by the source partition, not by key).
    """
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())  # describing a missing topic may create it
        described = await admin.describe_topics([t for t in (source, follower) if t in existing])
        counts = {str(topic["topic"]): len(topic["partitions"]) for topic in described}
        if source not in counts:
            raise BrokerError(f"topic {source} does not exist; check topics.prefix and that this "
                              "client may create and describe topics")  # fmt: skip
        wanted = counts[source]
        if follower in counts and counts[follower] < wanted:
            await admin.create_partitions({follower: NewPartitions(total_count=wanted)})
            log.warning("topic %s had %d partitions, %s has %d: added the missing ones",
                        follower, counts[follower], source, wanted)  # fmt: skip
        return wanted
    finally:
        await admin.close()
