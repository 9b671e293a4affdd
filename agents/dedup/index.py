"""The window's derived index: where to look for an item's possible duplicates.

Derived from the item records (`Deduplicator.rebuild_index` recreates it), never logged. Keys:

- ``h:<hash>``      ids of the items recorded with this content hash, oldest first
- ``b:<band>:<v>``  LSH bucket: ids of the latest items whose MinHash value in this band is v
- ``v:<band>:<v>``  with the meaning search: ids of the latest items whose embedding's SimHash
                    value in this band is v (`meaning.bands`)
- ``c:<hour>``      number of time-index entries for that hour; ``t:<hour>:<n>`` the entries
- ``x:<name>``      with the fact search (`DedupConfig.searches_facts`): ids of the latest
                    items naming it (`names.index_keys`), from the records that carry a
                    language and neutral terms (``l``, ``x``)
- ``m``             oldest hour with entries, number of items in the window, last sequence
                    number, and the input offset of the last message seen (``lo``)

Values are orjson.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping
from itertools import chain
from typing import Any

import orjson

from agents.dedup.config import DedupConfig
from agents.dedup.fingerprint import Fingerprint
from agents.dedup.records import record_index_keys

DedupStore = MutableMapping[str, bytes]
# Bucket kinds: MinHash bands of the words, SimHash bands of the embedding.
_WORDS, _MEANING = "b", "v"


class WindowIndex:
    """Typed access to the index mapping: buckets, hash lists, name lists, time entries, meta."""

    def __init__(self, mapping: DedupStore, config: DedupConfig) -> None:
        self.mapping = mapping
        self._config = config
        self._capacity = {_WORDS: config.bucket_capacity, _MEANING: config.meaning_bucket_capacity}

    def get(self, key: str) -> Any:
        raw = self.mapping.get(key)
        return None if raw is None else orjson.loads(raw)

    def put(self, key: str, value: Any) -> None:
        self.mapping[key] = orjson.dumps(value)

    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] | None = self.get("m")
        return meta if meta is not None else empty_meta(None)

    # LSH buckets ----------------------------------------------------------------------------

    def read_buckets(
        self, lsh_bands: list[int], meaning_bands: list[int] | None = None
    ) -> dict[str, list[str]]:
        """Members of the buckets of these MinHash and SimHash band values, by bucket key."""
        keys = [_bucket_key(_WORDS, band, value) for band, value in enumerate(lsh_bands)]
        keys += [_bucket_key(_MEANING, b, value) for b, value in enumerate(meaning_bands or ())]
        return {key: self.get(key) or [] for key in keys}

    def candidates(self, buckets: dict[str, list[str]]) -> list[str]:
        """Ids sharing at least `min_band_hits` MinHash bands, most shared first, then by id."""
        config = self._config
        return _ranked(buckets, _WORDS, config.min_band_hits, config.max_candidates)

    def meaning_candidates(self, buckets: dict[str, list[str]]) -> list[str]:
        """Ids sharing a SimHash band of the embedding, most shared first, then by id."""
        return _ranked(buckets, _MEANING, 1, self._config.meaning_candidates)

    def add_to_buckets(self, item_id: str, buckets: dict[str, list[str]]) -> None:
        for key, members in buckets.items():
            capacity = self._capacity[key[0]]
            joined = [m for m in members if m != item_id] + [item_id]
            self.mapping[key] = orjson.dumps(joined[-capacity:])

    def remove_from_buckets(self, item_id: str, record: dict[str, Any]) -> None:
        for kind, field in ((_WORDS, "g"), (_MEANING, "vb")):
            for band, value in enumerate(record.get(field, ())):
                self._remove_from_list(_bucket_key(kind, band, value), item_id)

    # Name lists of the fact search -------------------------------------------------------------

    def named_with(self, keys: Iterable[str]) -> Counter[str]:
        """How many of these names each listed item is listed under."""
        return Counter(chain.from_iterable(self.get(_cross_key(k)) or () for k in keys))

    def add_to_cross_index(self, item_id: str, record: dict[str, Any]) -> None:
        """List a recorded item under its names for the fact search (latest
        `cross_language_capacity` per name); a record without neutral terms is not listed."""
        if not self._config.searches_facts or "x" not in record:
            return
        for key in sorted(record_index_keys(record)):
            members = self.get(_cross_key(key)) or []
            joined = [m for m in members if m != item_id] + [item_id]
            self.put(_cross_key(key), joined[-self._config.cross_language_capacity :])

    def remove_from_cross_index(self, item_id: str, record: dict[str, Any]) -> None:
        if "x" in record:
            for key in sorted(record_index_keys(record)):
                self._remove_from_list(_cross_key(key), item_id)

    # Hash lists -------------------------------------------------------------------------------

    def holders(self, content_hash: str) -> list[str]:
        """Ids of the items recorded with this content hash, oldest first."""
        holders: list[str] = self.get(_hash_key(content_hash)) or []
        return holders

    def add_to_hash_list(self, content_hash: str, item_id: str) -> None:
        holders = self.holders(content_hash)
        if item_id not in holders:
            self.put(_hash_key(content_hash), [*holders, item_id])

    def remove_from_hash_list(self, content_hash: str, item_id: str) -> None:
        self._remove_from_list(_hash_key(content_hash), item_id)

    # Time index -------------------------------------------------------------------------------

    def add_to_time_index(
        self, item_id: str, hour: int, meta: dict[str, Any], *, new_item: bool
    ) -> None:
        count = self.get(_count_key(hour)) or 0
        self.put(f"t:{hour}:{count}", item_id)
        self.put(_count_key(hour), count + 1)
        meta["n"] += int(new_item)
        meta["o"] = hour if meta["o"] is None else min(hour, meta["o"])

    def pop_hour(self, hour: int) -> Iterator[str]:
        """The ids entered under this hour, each entry removed as it is read."""
        for entry_key in (f"t:{hour}:{n}" for n in range(self.get(_count_key(hour)) or 0)):
            item_id: str = self.get(entry_key)
            self.mapping.pop(entry_key, None)
            yield item_id
        self.mapping.pop(_count_key(hour), None)

    def _remove_from_list(self, key: str, item_id: str) -> None:
        members = [m for m in self.get(key) or () if m != item_id]
        if members:
            self.put(key, members)
        else:
            self.mapping.pop(key, None)


def bands(fingerprint: Fingerprint, config: DedupConfig) -> list[int]:
    """The item's LSH band values: the first `num_perm` MinHash values."""
    return list(fingerprint.signature[: config.num_perm])


def empty_meta(last_offset: int | None) -> dict[str, Any]:
    return {"o": None, "n": 0, "q": 0, "lo": last_offset}


def _cross_key(name: str) -> str:
    return f"x:{name}"


def _hash_key(content_hash: str) -> str:
    return f"h:{content_hash}"


def _bucket_key(kind: str, band: int, value: int) -> str:
    return f"{kind}:{band}:{value:x}"


def _ranked(buckets: dict[str, list[str]], kind: str, min_hits: int, most: int) -> list[str]:
    hits = Counter(chain.from_iterable(v for k, v in buckets.items() if k[0] == kind))
    ranked = sorted((-n, c) for c, n in hits.items() if n >= min_hits)
    return [candidate for _, candidate in ranked[:most]]


def _count_key(hour: int) -> str:
    return f"c:{hour}"
