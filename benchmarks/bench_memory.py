"""Worker memory: peak RSS of the Deduplicator over a RocksDB store, in a child process."""

from __future__ import annotations

import subprocess
import sys

import orjson

from benchmarks.report import Section, verdict

AIM_RSS_MB = 300.0


def run(count: int, budget_seconds: float) -> Section:
    """Fill a dedup window of `count` items (stopping at the time budget) and read peak RSS."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.dedup_memory", str(count), str(budget_seconds)],
        capture_output=True, text=True, timeout=budget_seconds + 300, check=True,
    )  # fmt: skip
    result = orjson.loads(completed.stdout.strip().splitlines()[-1])
    section = Section("Dedup window memory (RocksDB store)", ("what", "measured", "aim", "verdict"))
    rss = float(result["rss_mb"])
    section.rows.append((f"peak RSS with {int(result['window']):,} items in the window",
                         f"{rss:.0f} MB", f"< {AIM_RSS_MB:g} MB",
                         # The aim is for the full window: a smaller one cannot meet it.
                         verdict(rss < AIM_RSS_MB and int(result["items"]) >= count)))  # fmt: skip
    section.notes.append(
        "Faust-free: the Deduplicator over a rocksdict (raw mode) MutableMapping in a child "
        f"process, the full worker being too slow to fill a large window; asked for {count:,} "
        f"items, reached {int(result['items']):,} in {float(result['seconds']):.0f} s "
        f"(time budget {budget_seconds:g} s)"
    )
    growth = float(result["growth_mb_per_100k"])
    section.notes.append(f"RSS growth while filling: {growth:.1f} MB per 100,000 items")
    if int(result["items"]) < count:
        projected = rss + growth * (count - int(result["items"])) / 100_000
        section.notes.append(
            "the window did NOT reach the requested size within the budget: the RSS above "
            f"is for the smaller window; at that growth, {count:,} items would need about "
            f"{projected:.0f} MB (a projection, not a measurement)"
        )
    return section
