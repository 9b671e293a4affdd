"""Peak RSS of the Deduplicator with a large window on RocksDB (the worker's options), no Faust.

Run: python -m benchmarks.dedup_memory COUNT BUDGET_SECONDS; prints one JSON line. Fingerprints
are real ones of a pool of generated items, each reused with its own content hash and a fresh
random MinHash signature, so every item is new and indexed in all LSH bands (the costliest
case for the store) without paying the text pipeline a million times.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from agents.dedup.config import DedupConfig
from agents.dedup.fingerprint import SIGNATURE_SIZE, Fingerprint, fingerprint
from agents.dedup.window import Deduplicator
from agents.store import LocalMapping
from benchmarks.items import raw_items

POOL = 2000


def fingerprint_pool() -> list[Fingerprint]:
    return [
        fingerprint(title=item.title, summary=item.summary, language=item.language)
        for item in raw_items(POOL)
    ]


def fill(count: int, budget_seconds: float) -> dict[str, Any]:
    """Decide `count` items (or as many as fit in the budget); peak RSS and items reached."""
    rng = random.Random(7)
    pool = fingerprint_pool()
    path = Path(tempfile.mkdtemp(prefix="telex-bench-rocks-"))
    # As in the worker: records in one RocksDB (there a Faust table with the same options),
    # the derived index in another.
    store, index = LocalMapping(path / "store"), LocalMapping(path / "index")
    deduplicator = Deduplicator(store, DedupConfig(), index=index)
    started = time.perf_counter()
    reached = 0
    samples: list[tuple[int, float]] = []
    try:
        for n in range(count):
            signature = tuple(rng.getrandbits(32) for _ in range(SIGNATURE_SIZE))
            print_ = dataclasses.replace(pool[n % POOL], content_hash=f"{n:032x}",
                                         signature=signature)  # fmt: skip
            # expire() is never called: every item stays in the window, however old.
            deduplicator.decide(item_id=f"bench:{n}", fingerprint=print_, event_time=float(n))
            reached = n + 1
            if reached % 10_000 == 0:
                samples.append((reached, _rss_mib("VmRSS")))
                if time.perf_counter() - started > budget_seconds:
                    break
        window = deduplicator.window_size()
    finally:
        store.close()
        index.close()
        shutil.rmtree(path, ignore_errors=True)
    return {"items": reached, "window": window, "rss_mb": _rss_mib("VmHWM"),
            "growth_mb_per_100k": _growth_per_100k(samples[len(samples) // 2 :]),
            "samples": samples, "seconds": time.perf_counter() - started}  # fmt: skip


def _rss_mib(field: str) -> float:
    """VmHWM (peak) or VmRSS of this process. Not ru_maxrss: Linux carries the parent's peak
    across fork and exec into it, so a child of a large benchmark process reads the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _growth_per_100k(samples: list[tuple[int, float]]) -> float | None:
    """RSS growth per 100,000 items between the first and last of `samples` (None if too few)."""
    if len(samples) < 2:
        return None
    (n0, rss0), (n1, rss1) = samples[0], samples[-1]
    return (rss1 - rss0) / (n1 - n0) * 100_000


if __name__ == "__main__":
    print(orjson.dumps(fill(int(sys.argv[1]), float(sys.argv[2]))).decode())
