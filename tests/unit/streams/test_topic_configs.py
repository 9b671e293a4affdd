"""The topic configs telex owns (from the settings) and the diff of wanted vs described."""

from __future__ import annotations

import os
from typing import Any

import pytest

from streams.errors import ConfigError
from streams.settings import Settings, load_settings
from streams.topic_configs import (
    DescribedTopic,
    TopicSpec,
    altered_configs,
    as_json,
    described_configs,
    diff_topic,
    summary,
    table,
    wanted_configs,
)
from streams.topics import TopicNames, topic_specs

DAY_MS = 24 * 3600 * 1000


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TELEX_"):
            monkeypatch.delenv(name)


def settings(**overrides: Any) -> Settings:
    return load_settings(None, **overrides)


def test_default_configs_per_kind_of_topic() -> None:
    defaults = settings()
    assert wanted_configs("raw", defaults) == {
        "compression.type": "zstd", "retention.ms": str(7 * DAY_MS),
    }  # fmt: skip
    for kind in ("enriched", "tag", "dlq"):
        assert wanted_configs(kind, defaults)["retention.ms"] == str(30 * DAY_MS)  # type: ignore[arg-type]
    assert wanted_configs("feeds_state", defaults) == {
        "compression.type": "zstd", "cleanup.policy": "compact",
    }  # fmt: skip
    assert wanted_configs("fingerprinted", defaults) == {"compression.type": "zstd"}


@pytest.mark.parametrize(("replication", "min_isr"), [(1, None), (2, "1"), (3, "2"), (5, "4")])
def test_min_insync_replicas_only_when_replication_allows(
    replication: int, min_isr: str | None
) -> None:
    configs = wanted_configs("raw", settings(kafka={"replication_factor": replication}))
    assert configs.get("min.insync.replicas") == min_isr


def test_settings_choose_retention_and_compression() -> None:
    chosen = settings(topics={"raw_retention_ms": 3_600_000, "compression_type": "lz4",
                              "dlq_retention_ms": -1})  # fmt: skip
    assert wanted_configs("raw", chosen) == {"compression.type": "lz4", "retention.ms": "3600000"}
    assert wanted_configs("dlq", chosen)["retention.ms"] == "-1"


@pytest.mark.parametrize(
    ("topics", "key"),
    [
        ({"raw_retention_ms": 0}, "topics.raw_retention_ms"),
        ({"tags_retention_ms": -5}, "topics.tags_retention_ms"),
        ({"compression_type": "brotli"}, "topics.compression_type"),
    ],
)
def test_invalid_topic_settings_name_the_key(topics: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=f"invalid setting '{key}'"):
        settings(topics=topics)


def test_every_topic_telex_creates_has_its_configs() -> None:
    defaults = settings(kafka={"replication_factor": 3})
    names = TopicNames.from_settings(defaults)
    specs = {spec.name: spec for spec in topic_specs(defaults, ["diplomacy"])}
    assert set(specs) == {names.raw, names.enriched, names.dlq, names.feeds_state,
                          names.fingerprinted, names.tag("diplomacy")}  # fmt: skip
    assert all(spec.config["compression.type"] == "zstd" for spec in specs.values())
    assert all(spec.config["min.insync.replicas"] == "2" for spec in specs.values())
    assert specs[names.feeds_state].config["cleanup.policy"] == "compact"
    assert specs[names.tag("diplomacy")].config["retention.ms"] == str(30 * DAY_MS)
    assert specs[names.fingerprinted].exact_partitions
    assert [name for name, spec in specs.items() if "cleanup.policy" in spec.config] == [
        names.feeds_state
    ]


SPEC = TopicSpec("t.raw", 4, {"compression.type": "zstd", "retention.ms": "604800000"})


def described(partitions: int = 4, replication: int = 1, **configs: str) -> DescribedTopic:
    values: dict[str, str | None] = {"compression.type": "zstd", "retention.ms": "604800000",
                                     "cleanup.policy": "delete"}  # fmt: skip
    values.update({key.replace("_", "."): value for key, value in configs.items()})
    return DescribedTopic("t.raw", partitions, replication, values, dict(values))


def test_a_topic_as_wanted_is_in_line() -> None:
    report = diff_topic(SPEC, described(), 1)
    assert report.in_line and report.differences == [] and report.config_changes == {}
    assert summary([report]) == "all 1 topics in line with the settings"
    assert not [line for line in table([report]) if line.startswith("!")]


def test_a_changed_config_is_a_fixable_difference() -> None:
    report = diff_topic(SPEC, described(retention_ms="86400000"), 1)
    assert not report.in_line
    assert [(line.key, line.wanted, line.actual) for line in report.differences] == [
        ("retention.ms", "604800000", "86400000")
    ]
    assert report.config_changes == {"retention.ms": "604800000"}
    [marked] = [line for line in table([report]) if line.startswith("!")]
    assert "604800000 (7 d)" in marked and "86400000 (1 d)" in marked
    assert "--apply sets it" in marked
    assert summary([report]) == "1 differences on 1 of 1 topics; --apply fixes 1"
    assert as_json(report)["settings"]["retention.ms"] == {
        "wanted": "604800000", "actual": "86400000", "differs": True, "fixable": True,
    }  # fmt: skip


def test_a_missing_topic_is_created_by_apply() -> None:
    report = diff_topic(SPEC, None, 1)
    assert not report.exists and not report.in_line
    assert all(line.fixable for line in report.differences)
    assert as_json(report)["exists"] is False


def test_fewer_partitions_are_added_more_are_never_removed() -> None:
    fewer = diff_topic(SPEC, described(partitions=2), 1)
    assert [(line.key, line.fixable) for line in fewer.differences] == [("partitions", True)]
    more = diff_topic(SPEC, described(partitions=12), 1)
    assert more.in_line  # scaled out on purpose: kept, and said
    assert "never decreased" in more.lines[0].note
    single = TopicSpec("t.fingerprinted", 1, SPEC.config, exact_partitions=True)
    split = diff_topic(single, described(partitions=3), 1)
    [line] = split.differences
    assert (line.key, line.fixable) == ("partitions", False)
    assert "never decreased" in line.note
    assert summary([split]) == "1 differences on 1 of 1 topics, 1 it cannot (see the notes)"


def test_replication_is_reported_not_changed() -> None:
    report = diff_topic(SPEC, described(replication=1), 3)
    [line] = report.differences
    assert (line.key, line.wanted, line.actual, line.fixable) == ("replication", "3", "1", False)
    assert report.config_changes == {}


def test_alter_repeats_the_topics_own_overrides() -> None:
    topic = DescribedTopic("t.raw", 4, 1, {"retention.ms": "1", "segment.ms": "600000"},
                           {"retention.ms": "1", "segment.ms": "600000"})  # fmt: skip
    report = diff_topic(SPEC, topic, 1)
    assert altered_configs(report, topic) == {
        "segment.ms": "600000", "retention.ms": "604800000", "compression.type": "zstd",
    }  # fmt: skip
    hidden = DescribedTopic("t.raw", 4, 1, topic.configs, {"sasl.secret": None})
    assert altered_configs(report, hidden) is None


def test_described_configs_reads_v0_and_v1_entries() -> None:
    v0 = [("retention.ms", "1", False, False, False), ("cleanup.policy", "delete", False, True,
                                                        False)]  # fmt: skip
    assert described_configs(v0) == (
        {"retention.ms": "1", "cleanup.policy": "delete"}, {"retention.ms": "1"},
    )  # fmt: skip
    v1 = [("retention.ms", "1", False, 1, False, []), ("cleanup.policy", "delete", False, 5,
                                                       False, [])]  # fmt: skip
    assert described_configs(v1) == (
        {"retention.ms": "1", "cleanup.policy": "delete"}, {"retention.ms": "1"},
    )  # fmt: skip


def test_consumers_can_read_zstd_batches() -> None:
    """Topics are zstd by default: the broker recompresses every batch, so aiokafka (and faust
    on it) must decompress zstd, which needs cramjam (aiokafka[zstd], in requirements.lock)."""
    from aiokafka.codec import has_zstd, zstd_decode, zstd_encode

    assert has_zstd(), "cramjam is missing: install requirements.lock (make does)"
    assert zstd_decode(zstd_encode(b"telex" * 100)) == b"telex" * 100
