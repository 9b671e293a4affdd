"""The topic configs telex owns, and how a described topic differs from them. Pure: no I/O.

Every topic telex creates gets explicit configs from the `topics` and `kafka` settings:
``retention.ms`` (raw, enriched, per-tag and DLQ topics), ``compression.type`` (all),
``cleanup.policy=compact`` where the topic is a table (the feeds state), and
``min.insync.replicas`` (replication factor - 1, at least 1) when the replication factor is 2 or
more. faust's own changelog topics are left to faust. `telex topics` compares these wanted
configs with what the broker describes (streams/topics.py does the I/O).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from streams.settings import Settings

Kind = Literal["raw", "enriched", "dlq", "feeds_state", "fingerprinted", "tag"]

# DescribeConfigs v1+ config_source of a value set on the topic itself (an override).
DYNAMIC_TOPIC_CONFIG = 1


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the settings want it. `exact_partitions`: more partitions than wanted is a
    difference too (the fingerprinted topic must stay one ordered log)."""

    name: str
    partitions: int
    config: dict[str, str]
    exact_partitions: bool = False


def wanted_configs(kind: Kind, settings: Settings) -> dict[str, str]:
    """The configs telex sets on a topic of `kind`."""
    topics = settings.topics
    configs: dict[str, str] = {"compression.type": topics.compression_type}
    retention = {
        "raw": topics.raw_retention_ms,
        "enriched": topics.enriched_retention_ms,
        "tag": topics.tags_retention_ms,
        "dlq": topics.dlq_retention_ms,
    }.get(kind)
    if retention is not None:
        configs["retention.ms"] = str(retention)
    if kind == "feeds_state":
        # A table: the latest state per feed id is all a restarted poller needs.
        configs["cleanup.policy"] = "compact"
    replication = settings.kafka.replication_factor
    if replication >= 2:
        configs["min.insync.replicas"] = str(max(1, replication - 1))
    return configs


@dataclass(frozen=True)
class DescribedTopic:
    """A topic as the broker describes it: partitions, replicas per partition, config values,
    and the values set on the topic itself (`overrides`, which an AlterConfigs must repeat)."""

    name: str
    partitions: int
    replication: int
    configs: dict[str, str | None]
    overrides: dict[str, str | None] = field(default_factory=dict)


Configs = dict[str, str | None]


def described_configs(entries: Iterable[Sequence[Any]]) -> tuple[Configs, Configs]:
    """(every value, the topic's own overrides) from DescribeConfigs config entries.

    v0 entries are (name, value, read_only, is_default, is_sensitive); v1 and later
    (name, value, read_only, config_source, is_sensitive, synonyms[, ...]).
    """
    values: dict[str, str | None] = {}
    overrides: dict[str, str | None] = {}
    for entry in entries:
        name, value, source = str(entry[0]), entry[1], entry[3]
        values[name] = value
        override = source is False if len(entry) == 5 else source == DYNAMIC_TOPIC_CONFIG
        if override:
            overrides[name] = value
    return values, overrides


@dataclass(frozen=True)
class Line:
    """One compared property of a topic: partitions, replication or a config."""

    key: str
    wanted: str
    actual: str | None
    differs: bool
    fixable: bool = False
    note: str = ""


@dataclass(frozen=True)
class TopicReport:
    name: str
    exists: bool
    lines: tuple[Line, ...]

    @property
    def differences(self) -> list[Line]:
        return [line for line in self.lines if line.differs]

    @property
    def in_line(self) -> bool:
        return self.exists and not self.differences

    @property
    def config_changes(self) -> dict[str, str]:
        """Configs `--apply` sets: the wanted ones that differ."""
        return {
            line.key: line.wanted
            for line in self.differences
            if line.key not in ("partitions", "replication")
        }


def diff_topic(spec: TopicSpec, described: DescribedTopic | None, replication: int) -> TopicReport:
    """How `described` (None: missing) differs from `spec` and the wanted `replication`."""
    if described is None:
        created = "missing: --apply creates it"
        lines = [Line("partitions", str(spec.partitions), None, True, True, created),
                 Line("replication", str(replication), None, True, True, created)]  # fmt: skip
        lines += [Line(key, value, None, True, True) for key, value in spec.config.items()]
        return TopicReport(spec.name, False, tuple(lines))
    lines = [_partitions_line(spec, described.partitions)]
    if described.replication != replication:
        note = "replication is not changed here (needs a partition reassignment)"
        lines.append(Line("replication", str(replication), str(described.replication), True,
                          False, note))  # fmt: skip
    else:
        lines.append(Line("replication", str(replication), str(replication), False))
    for key, value in spec.config.items():
        actual = described.configs.get(key)
        differs = actual != value
        lines.append(Line(key, value, actual, differs, differs))
    return TopicReport(spec.name, True, tuple(lines))


def _partitions_line(spec: TopicSpec, actual: int) -> Line:
    wanted = str(spec.partitions)
    if actual < spec.partitions:
        return Line("partitions", wanted, str(actual), True, True, "partitions added")
    if actual > spec.partitions:
        if spec.exact_partitions:
            note = "partitions are never decreased: recreate the topic"
            return Line("partitions", wanted, str(actual), True, False, note)
        note = "more than wanted, kept (partitions are never decreased)"
        return Line("partitions", wanted, str(actual), False, False, note)
    return Line("partitions", wanted, wanted, False)


def altered_configs(report: TopicReport, described: DescribedTopic) -> dict[str, str] | None:
    """The full config set for a (non-incremental) AlterConfigs of the topic: the topic's own
    overrides with the wanted changes on top (AlterConfigs resets whatever it is not given).
    None when an override's value is hidden (a sensitive config), which it would lose."""
    if any(value is None for value in described.overrides.values()):
        return None
    kept = {key: value for key, value in described.overrides.items() if value is not None}
    return {**kept, **report.config_changes}


def summary(reports: Sequence[TopicReport]) -> str:
    """One line: all in line, or how many differences on how many topics, and what --apply does."""
    differing = [report for report in reports if not report.in_line]
    if not differing:
        return f"all {len(reports)} topics in line with the settings"
    count = sum(len(report.differences) for report in differing)
    fixable = sum(1 for report in differing for line in report.differences if line.fixable)
    tail = f"; --apply fixes {fixable}" if fixable else ""
    if fixable < count:
        tail += f", {count - fixable} it cannot (see the notes)"
    return f"{count} differences on {len(differing)} of {len(reports)} topics{tail}"


def table(reports: Sequence[TopicReport]) -> list[str]:
    """The reports as a text table, one row per property; '!' marks a difference."""
    rows = [("", "topic", "setting", "wanted", "actual", "note")]
    for report in reports:
        for index, line in enumerate(report.lines):
            mark = "!" if line.differs else ""
            note = line.note or ("missing" if line.actual is None else "")
            if line.differs and line.fixable and not line.note:
                note = f"{note} (--apply sets it)".strip() if note else "--apply sets it"
            name = report.name if index == 0 else ""
            rows.append((mark, name, line.key, _shown(line.key, line.wanted),
                         _shown(line.key, line.actual), note))  # fmt: skip
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[5]]
        ).rstrip()
        for row in rows
    ]


def _shown(key: str, value: str | None) -> str:
    """A value for people: retention in days or hours next to the milliseconds."""
    if value is None:
        return "-"
    if key == "retention.ms" and value.lstrip("-").isdigit():
        ms = int(value)
        if ms == -1:
            return "-1 (forever)"
        hours = ms / 3_600_000
        human = f"{hours / 24:g} d" if hours >= 24 else f"{hours:g} h"
        return f"{value} ({human})"
    return value


def as_json(report: TopicReport) -> dict[str, Any]:
    """One JSON line of `telex topics --json`."""
    return {
        "topic": report.name,
        "exists": report.exists,
        "in_line": report.in_line,
        "settings": {
            line.key: {
                "wanted": line.wanted,
                "actual": line.actual,
                "differs": line.differs,
                "fixable": line.fixable,
                **({"note": line.note} if line.note else {}),
            }
            for line in report.lines
        },
    }
