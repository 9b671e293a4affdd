"""Fault tests report their own figures; docs/reliability.md is rewritten from them.

Each test calls ``reliability_report.add(...)`` with what it measured; at the end of the
session the rows of this run replace the matching rows of the table (rows of tests that did not
run this time are kept), so the document always shows the latest measured figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[3] / "docs" / "reliability.md"
ROWS = REPORT.with_suffix(".json")


@dataclass(frozen=True)
class FaultResult:
    fault: str
    procedure: str
    items_in: int
    items_out: int
    missing: int
    duplicates: int
    recovery_seconds: float | None
    notes: str = ""


class ReliabilityReport:
    def __init__(self) -> None:
        self.results: list[FaultResult] = []

    def add(self, result: FaultResult) -> None:
        print(f"\nreliability: {result}")
        self.results.append(result)


@pytest.fixture(scope="session")
def reliability_report() -> Iterator[ReliabilityReport]:
    report = ReliabilityReport()
    yield report
    if report.results:
        write_report(report.results)


def write_report(results: list[FaultResult]) -> None:
    rows = json.loads(ROWS.read_text()) if ROWS.exists() else {}
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for result in results:
        rows[result.fault] = {**asdict(result), "measured": stamp}
    ROWS.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    lines = [
        "# Reliability: faults telex survives, as measured by its tests",
        "",
        "Written by `tests/integration/reliability/` at the end of each run (`make test`);",
        "every figure below was counted by the test itself on the real local Kafka broker.",
        "",
        "| fault | what the test does | items in | items out | missing | duplicates "
        "| recovery (s) | measured | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows.values():
        recovery = "—" if row["recovery_seconds"] is None else f"{row['recovery_seconds']:.1f}"
        lines.append(
            f"| {row['fault']} | {row['procedure']} | {row['items_in']} | {row['items_out']} "
            f"| {row['missing']} | {row['duplicates']} | {recovery} | {row['measured']} "
            f"| {row['notes']} |"
        )
    REPORT.write_text("\n".join(lines) + "\n")
