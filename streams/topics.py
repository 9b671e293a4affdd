"""Every Kafka topic telex uses: names in one place, created with the right settings."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from streams.errors import BrokerError
from streams.kafka import client_options
from streams.settings import Settings
from streams.topic_configs import (
    DescribedTopic,
    TopicReport,
    TopicSpec,
    altered_configs,
    described_configs,
    diff_topic,
    wanted_configs,
)

log = logging.getLogger(__name__)

__all__ = ["TopicNames", "TopicSpec", "align_partitions", "apply_topics", "check_topics",
           "ensure_topics", "topic_specs"]  # fmt: skip


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
    """Every topic with its partition count and configuration (streams/topic_configs.py)."""
    names = TopicNames.from_settings(settings)
    partitions = settings.kafka.partitions
    specs = [
        TopicSpec(names.raw, partitions, wanted_configs("raw", settings)),
        TopicSpec(names.enriched, partitions, wanted_configs("enriched", settings)),
        TopicSpec(names.dlq, 1, wanted_configs("dlq", settings)),
        # Compacted: the latest state per feed id is all a restarted poller needs.
        TopicSpec(names.feeds_state, 1, wanted_configs("feeds_state", settings)),
        # One partition on purpose: every fingerprint meets every other one in a single
        # ordered log, so near-duplicates are found across all raw partitions (agents/worker.py).
        TopicSpec(
            names.fingerprinted, 1, wanted_configs("fingerprinted", settings), exact_partitions=True
        ),
    ]
    if names.per_tag_topics:
        specs += [
            TopicSpec(names.tag(slug), partitions, wanted_configs("tag", settings))
            for slug in tag_slugs
        ]
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


async def _describe(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, DescribedTopic]:
    """The topics among `names` that exist, with their partitions, replication and configs."""
    existing = set(await admin.list_topics())  # describing a missing topic may create it
    present = [name for name in names if name in existing]
    if not present:
        return {}
    layout: dict[str, tuple[int, int]] = {}
    for topic in await admin.describe_topics(present):
        partitions = topic["partitions"]
        replicas = min((len(p["replicas"]) for p in partitions), default=0)
        layout[str(topic["topic"])] = (len(partitions), replicas)
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in present]
    described: dict[str, DescribedTopic] = {}
    for response in await admin.describe_configs(resources):
        for code, message, _type, name, entries, *_ in response.resources:
            if code != 0:
                raise BrokerError(f"cannot describe the configs of topic {name}: "
                                  f"{message or f'error code {code}'}")  # fmt: skip
            values, overrides = described_configs(entries)
            count, replication = layout.get(name, (0, 0))
            described[name] = DescribedTopic(name, count, replication, values, overrides)
    return described


async def check_topics(settings: Settings, tag_slugs: Iterable[str] = ()) -> list[TopicReport]:
    """Each topic telex uses compared with what the settings want (`telex topics`)."""
    specs = topic_specs(settings, tag_slugs)
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        described = await _describe(admin, [spec.name for spec in specs])
    finally:
        await admin.close()
    replication = settings.kafka.replication_factor
    return [diff_topic(spec, described.get(spec.name), replication) for spec in specs]


async def apply_topics(settings: Settings, tag_slugs: Iterable[str] = ()) -> list[str]:
    """Fix what `telex topics --apply` may fix: create missing topics, add missing partitions,
    set the configs that differ. Returns one line per change made (or refused)."""
    specs = {spec.name: spec for spec in topic_specs(settings, tag_slugs)}
    replication = settings.kafka.replication_factor
    done: list[str] = []
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        described = await _describe(admin, list(specs))
        missing = [spec for name, spec in specs.items() if name not in described]
        if missing:
            response = await admin.create_topics([_new_topic(spec, settings) for spec in missing])
            done += [f"created {name}" for name in _created_names(response)]
        grow = {name: NewPartitions(total_count=specs[name].partitions)
                for name, topic in described.items()
                if topic.partitions < specs[name].partitions}  # fmt: skip
        if grow:
            await admin.create_partitions(grow)
            done += [f"{name}: partitions {described[name].partitions} -> {new.total_count}"
                     for name, new in grow.items()]  # fmt: skip
        resources: list[ConfigResource] = []
        for name, topic in described.items():
            report = diff_topic(specs[name], topic, replication)
            if not report.config_changes:
                continue
            configs = altered_configs(report, topic)
            if configs is None:
                done.append(f"{name}: configs not changed: it has a sensitive config whose "
                            "value cannot be read back; set them with kafka-configs")  # fmt: skip
                continue
            resources.append(ConfigResource(ConfigResourceType.TOPIC, name, configs))
            done += [f"{name}: {key} = {value}" for key, value in report.config_changes.items()]
        if resources:
            for response in await admin.alter_configs(resources):
                for code, message, _type, name, *_ in response.resources:
                    if code != 0:
                        raise BrokerError(f"could not alter the configs of topic {name}: "
                                          f"{message or f'error code {code}'}")  # fmt: skip
    finally:
        await admin.close()
    for line in done:
        log.info("telex topics --apply: %s", line)
    return done
