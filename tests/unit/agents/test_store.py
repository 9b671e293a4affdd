"""LocalMapping behaves like a dict on RocksDB and in memory, and a Deduplicator over it decides
as over dicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.dedup.fingerprint import fingerprint
from agents.dedup.memory import MemoryStore
from agents.dedup.window import Deduplicator
from agents.store import LocalMapping
from benchmarks.items import raw_items


@pytest.fixture(params=["rocksdb", "memory"])
def mapping(request: pytest.FixtureRequest, tmp_path: Path) -> LocalMapping | MemoryStore:
    return LocalMapping(tmp_path / "db") if request.param == "rocksdb" else MemoryStore()


def test_mapping_protocol(mapping: LocalMapping | MemoryStore) -> None:
    mapping["a"] = b"1"
    mapping["b:é"] = b"2"
    assert mapping["a"] == b"1" and mapping.get("b:é") == b"2" and mapping.get("z") is None
    assert "a" in mapping and "z" not in mapping
    assert sorted(mapping) == ["a", "b:é"] and len(mapping) == 2
    assert mapping.pop("a") == b"1" and mapping.pop("a", None) is None
    with pytest.raises(KeyError):
        del mapping["a"]
    mapping.reset()
    assert len(mapping) == 0
    mapping.close()


def test_deduplicator_over_rocksdb_decides_as_over_dicts(tmp_path: Path) -> None:
    items = raw_items(300)
    prints = [fingerprint(title=i.title, summary=i.summary, language=i.language) for i in items]
    store, index = LocalMapping(tmp_path / "store"), LocalMapping(tmp_path / "index")
    on_disk, in_memory = Deduplicator(store, index=index), Deduplicator({}, index={})
    for n, (item, print_) in enumerate(zip(items, prints, strict=True)):
        decided = [
            dedup.decide(item_id=item.item_id, fingerprint=print_, event_time=float(n))
            for dedup in (on_disk, in_memory)
        ]
        assert decided[0] == decided[1]
    assert on_disk.window_size() == in_memory.window_size() > 0
