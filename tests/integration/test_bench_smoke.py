"""`python -m benchmarks.run_all --smoke` on the session broker: it completes and reports every
section (figures are not checked: no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = (
    "machine: ",
    "## Feed parsing (RSS/Atom)",
    "## Tagging + dedup logic, one core",
    "## Poller CPU",
    "## Worker on the real broker",
    "## End to end: live-blog update -> enriched event",
    "## Dedup window memory (RocksDB store)",
)


def test_run_all_smoke_prints_and_writes_every_section(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    out = tmp_path / "performance.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.run_all", "--smoke", "--bootstrap", kafka_bootstrap,
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = out.read_text()
    for heading in SECTIONS:
        assert heading in completed.stdout, f"{heading!r} not printed"
        assert heading in report, f"{heading!r} not in the written report"
    assert "smoke run" in report and report.count("baseline") >= 3
