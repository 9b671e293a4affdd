"""Where the dedup state lives in the worker: str -> bytes mappings over Faust tables and RocksDB.

The Deduplicator (agents/dedup/window.py) takes any MutableMapping; these adapt the worker's
storage:
- ``TableStore``: the changelog-backed Faust table holding the item records;
- ``LocalMapping``: a local RocksDB for the derived index, rebuilt, never logged (in memory:
  agents/dedup/memory.py).
Both RocksDB users get ``ROCKSDB_OPTIONS``, which bound their memory whatever the window size.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from faust.stores.rocksdb import RocksDBOptions
from rocksdict import Rdict

_MIB = 1024 * 1024
# Faust's defaults (three 64 MiB memtables, a 2 GiB block cache) let a large window take
# gigabytes of RAM; with these each database stays within about 50 MiB.
ROCKSDB_OPTIONS: dict[str, Any] = {
    "write_buffer_size": 8 * _MIB,
    "max_write_buffer_number": 2,
    "block_cache_size": 32 * _MIB,
}


class TableStore(MutableMapping[str, bytes]):
    """A Faust table seen as str keys: stored as UTF-8 bytes, so recovery sees the same keys."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getitem__(self, key: str) -> bytes:
        value: bytes = self._table[key.encode()]
        return value

    def __setitem__(self, key: str, value: bytes) -> None:
        self._table[key.encode()] = value

    def __delitem__(self, key: str) -> None:
        del self._table[key.encode()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.encode() in self._table

    def get(self, key: str, default: Any = None) -> Any:
        return self._table.get(key.encode(), default)

    def __iter__(self) -> Iterator[str]:
        return (key.decode() for key in self._table)

    def __len__(self) -> int:
        return len(self._table)


class LocalMapping(MutableMapping[str, bytes]):
    """str -> bytes on a local RocksDB database (raw mode, ROCKSDB_OPTIONS); no changelog, so
    only for data that can be rebuilt."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: Any = self._open()

    def reset(self) -> None:
        """Drop every entry (before a rebuild)."""
        self._db.close()
        Rdict.destroy(str(self._path))
        self._db = self._open()

    def close(self) -> None:
        self._db.close()

    def _open(self) -> Any:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        options = RocksDBOptions(**ROCKSDB_OPTIONS, use_rocksdict=True).as_options()
        return Rdict(str(self._path), options)

    def __getitem__(self, key: str) -> bytes:
        value: bytes = self._db[key.encode()]
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self._db.get(key.encode(), default)

    def __setitem__(self, key: str, value: bytes) -> None:
        self._db[key.encode()] = value

    def __delitem__(self, key: str) -> None:
        if self.get(key) is None:
            raise KeyError(key)
        del self._db[key.encode()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def pop(self, key: str, default: Any = None) -> Any:
        value = self.get(key)
        if value is None:
            return default
        del self._db[key.encode()]
        return value

    def __iter__(self) -> Iterator[str]:
        return (key.decode() for key in self._db.keys())  # noqa: SIM118 (Rdict iterates items)

    def __len__(self) -> int:
        return sum(1 for _ in self)
