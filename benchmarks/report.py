"""Benchmark results as printable sections, the machine they ran on, and median timing."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

_LIBRARIES = ("faust-streaming", "aiokafka", "aiohttp", "feedparser", "orjson", "nh3",
              "pyahocorasick", "numpy", "py3langid", "rocksdict")  # fmt: skip


@dataclass
class Section:
    """One benchmark's outcome: a table of rows plus free-text notes."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", _row(self.header), _row(("---",) * len(self.header))]
        lines.extend(_row(row) for row in self.rows)
        lines.extend(["", *(f"- {note}" for note in self.notes)] if self.notes else [])
        return "\n".join(lines) + "\n"


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def machine_description() -> list[str]:
    """Cores, CPU model, Python and library versions, as markdown bullet lines."""
    versions = ", ".join(f"{name} {_version(name)}" for name in _LIBRARIES)
    return [
        f"- machine: {os.cpu_count()} cores, {cpu_model()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}) "
        f"on {platform.system()} {platform.release()}",
        f"- libraries: {versions}",
    ]


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what platform reports."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _version(name: str) -> str:
    try:
        return version(name)
    except Exception:  # not installed: say so rather than fail the report
        return "absent"


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of `repeats` calls of `run`."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (0 < fraction <= 1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"
