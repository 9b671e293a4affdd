"""Peak RSS of the Deduplicator with a large window in a RocksDB (rocksdict) store, no Faust.

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
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import orjson
import rocksdict

from agents.dedup import DedupConfig, Deduplicator
from agents.fingerprint import SIGNATURE_SIZE, Fingerprint, fingerprint
from benchmarks.items import raw_items

POOL = 2000


class RocksStore(MutableMapping[str, bytes]):
    """str -> bytes mapping on a raw-mode rocksdict database (what Faust's rocksdb store uses)."""

    def __init__(self, path: str) -> None:
        self._db = rocksdict.Rdict(path, rocksdict.Options(raw_mode=True))

    def __getitem__(self, key: str) -> bytes:
        value = self._db.get(key.encode())
        if value is None:
            raise KeyError(key)
        return bytes(value)

    def __setitem__(self, key: str, value: bytes) -> None:
        self._db[key.encode()] = value

    def __delitem__(self, key: str) -> None:
        if key.encode() not in self._db:
            raise KeyError(key)
        del self._db[key.encode()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.encode() in self._db

    def __iter__(self) -> Iterator[str]:
        return (key.decode() for key in self._db.keys() if isinstance(key, bytes))  # noqa: SIM118

    def __len__(self) -> int:
        return sum(1 for _ in self._db.keys())  # noqa: SIM118

    def close(self) -> None:
        self._db.close()


def fingerprint_pool() -> list[Fingerprint]:
    return [
        fingerprint(title=item.title, summary=item.summary, language=item.language)
        for item in raw_items(POOL)
    ]


def fill(count: int, budget_seconds: float) -> dict[str, float]:
    """Decide `count` items (or as many as fit in the budget); peak RSS and items reached."""
    rng = random.Random(7)
    pool = fingerprint_pool()
    path = tempfile.mkdtemp(prefix="telex-bench-rocks-")
    store = RocksStore(path)
    deduplicator = Deduplicator(store, DedupConfig())
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
        shutil.rmtree(path, ignore_errors=True)
    return {"items": reached, "window": window, "rss_mb": _rss_mib("VmHWM"),
            "growth_mb_per_100k": _growth_per_100k(samples),
            "seconds": time.perf_counter() - started}  # fmt: skip


def _rss_mib(field: str) -> float:
    """VmHWM (peak) or VmRSS of this process. Not ru_maxrss: Linux carries the parent's peak
    across fork and exec into it, so a child of a large benchmark process reads the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _growth_per_100k(samples: list[tuple[int, float]]) -> float:
    """RSS growth per 100,000 items between the first and last sample (0 if too few)."""
    if len(samples) < 2:
        return 0.0
    (n0, rss0), (n1, rss1) = samples[0], samples[-1]
    return (rss1 - rss0) / (n1 - n0) * 100_000


if __name__ == "__main__":
    print(orjson.dumps(fill(int(sys.argv[1]), float(sys.argv[2]))).decode())
