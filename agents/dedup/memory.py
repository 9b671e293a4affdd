"""The dedup state in one process's memory: `telex enrich`, tests and the worker's index when
its tables are in memory (`worker.store: memory://`)."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping


class MemoryStore(MutableMapping[str, bytes]):
    """A dict of str -> bytes that keeps each value compact."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def __getitem__(self, key: str) -> bytes:
        return self._data[key]

    def __setitem__(self, key: str, value: bytes) -> None:
        # orjson.dumps returns bytes holding a ~4 KB buffer however short the JSON: kept as
        # they are, a million small values would take gigabytes. A copy is exactly as long.
        self._data[key] = bytes(memoryview(value))

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def reset(self) -> None:
        """Drop every entry (before a rebuild)."""
        self._data.clear()

    def close(self) -> None:
        """Nothing to release; there for the worker's index, which may be a database."""
