"""`telex topics` on a real broker: a config changed behind telex's back is reported (exit 1),
`--apply` restores it, and the topics telex created carry the configs the settings want."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from streams.topics import TopicNames, ensure_topics

from .processes import write_config

TAGS = ["defense-treaty", "diplomacy", "german-politics"]  # the shipped taxonomy's topics


def telex(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", "--config", str(config), "topics", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def topic_configs(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        [(_code, _message, _type, _name, entries, *_)] = response.resources
        return {str(entry[0]): entry[1] for entry in entries}
    finally:
        await admin.close()


async def alter(bootstrap: str, topic: str, configs: dict[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs)]
        )
        assert all(resource[0] == 0 for resource in response.resources), response
    finally:
        await admin.close()


def test_topics_reports_a_changed_config_and_apply_restores_it(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory()
    bootstrap = settings.kafka.bootstrap
    names = TopicNames.from_settings(settings)
    config = write_config(settings, tmp_path / "telex.yaml")
    asyncio.run(ensure_topics(settings, TAGS))

    raw = asyncio.run(topic_configs(bootstrap, names.raw))
    assert raw["compression.type"] == "zstd"
    assert raw["retention.ms"] == str(7 * 24 * 3600 * 1000)
    assert asyncio.run(topic_configs(bootstrap, names.enriched))["retention.ms"] == str(
        30 * 24 * 3600 * 1000
    )
    state = asyncio.run(topic_configs(bootstrap, names.feeds_state))
    assert state["cleanup.policy"] == "compact"
    assert state["compression.type"] == "zstd"

    first = telex(config)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "all 8 topics in line with the settings" in first.stdout

    # Behind telex's back: one day of retention (the only override AlterConfigs keeps).
    asyncio.run(alter(bootstrap, names.raw, {"retention.ms": "86400000"}))
    changed = telex(config)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    marked = [line for line in changed.stdout.splitlines() if line.startswith("!")]
    assert len(marked) == 2, changed.stdout  # retention.ms and the (reset) compression.type
    assert any("retention.ms" in line and "86400000 (1 d)" in line for line in marked)
    as_json = telex(config, "--json")
    assert as_json.returncode == 1
    reports = {entry["topic"]: entry for entry in map(orjson.loads, as_json.stdout.splitlines())}
    assert [name for name, entry in reports.items() if not entry["in_line"]] == [names.raw]
    assert reports[names.raw]["settings"]["retention.ms"] == {
        "wanted": "604800000", "actual": "86400000", "differs": True, "fixable": True,
    }  # fmt: skip

    applied = telex(config, "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"applied: {names.raw}: retention.ms = 604800000" in applied.stdout
    assert "all 8 topics in line with the settings" in applied.stdout

    again = telex(config)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not [line for line in again.stdout.splitlines() if line.startswith("!")]
    raw = asyncio.run(topic_configs(bootstrap, names.raw))
    assert (raw["retention.ms"], raw["compression.type"]) == ("604800000", "zstd")


def test_topics_apply_creates_missing_topics_and_adds_partitions(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    config = write_config(settings, tmp_path / "telex.yaml")

    missing = telex(config)
    assert missing.returncode == 1
    assert "--apply creates it" in missing.stdout

    applied = telex(config, "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"applied: created {names.raw}" in applied.stdout

    grown = settings_factory(kafka={"partitions": 6}, topics={"prefix": settings.topics.prefix})
    config = write_config(grown, tmp_path / "grown.yaml")
    fewer = telex(config)
    assert fewer.returncode == 1
    assert "partitions added" in fewer.stdout
    applied = telex(config, "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"applied: {names.raw}: partitions 4 -> 6" in applied.stdout


async def test_records_on_a_zstd_topic_read_back(settings_factory: Any, drain: Any) -> None:
    """The broker recompresses what producers send to the topic's zstd: consumers read it."""
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap)  # no compression
    await producer.start()
    try:
        await producer.send_and_wait(names.raw, b"telex " * 200, key=b"item-1")
    finally:
        await producer.stop()
    [record] = await drain(settings.kafka.bootstrap, names.raw, count=1)
    assert (record.key, record.value) == (b"item-1", b"telex " * 200)
