"""The saved item record: the one store write per item, and the only dedup state with a changelog.

``i:<item id>`` holds an orjson object:

- ``h``, ``hs``  the content hash, and every hash of the item with the sequence number it was
                 first recorded at
- ``r``, ``pr``  the item's revision, and the poller's revision of the recorded content
- ``s``, ``t``, ``k``, ``q``   story id, event time, its hour, sequence number
- ``o``, ``d``   the input offset the verdict was given at, and that verdict
- indexed items only (not exact duplicates): the verification features ``w`` (words), ``e``
  (entities), ``n`` (numbers), ``tn`` (title names), ``cm`` (German common nouns), the LSH
  bands ``g``, with the fact search the language ``l`` and neutral terms ``x``, and with the
  meaning search the quantised embedding ``v`` (base64) and its SimHash bands ``vb``

One more store key, ``p``, keeps the input offset of the last message seen across expiry
(written when the window moves), so a rebuilt index still knows where in its input log the
state stands.
"""

from __future__ import annotations

from typing import Any

from agents.dedup import meaning
from agents.dedup.fingerprint import Fingerprint
from agents.dedup.names import index_keys

POSITION_KEY = "p"


def item_key(item_id: str) -> str:
    return f"i:{item_id}"


def features(fp: Fingerprint, *, with_neutral: bool) -> dict[str, Any]:
    """The verification features of an indexed item's record (without its bands)."""
    record: dict[str, Any] = {"w": " ".join(sorted(fp.words))}
    record |= {"e": " ".join(sorted(fp.entities)), "n": " ".join(sorted(fp.numbers))}
    record["tn"] = " ".join(sorted(fp.title_names))
    if fp.common:
        record["cm"] = " ".join(sorted(fp.common))
    if with_neutral and fp.language and fp.neutral:
        record |= {"l": fp.language, "x": " ".join(sorted(fp.neutral))}
    return record


def hash_entries(record: dict[str, Any]) -> list[tuple[str, int]]:
    """The record's content hashes with the sequence number each was first recorded at."""
    return [(entry[0], entry[1]) for entry in record["hs"]]


def record_fingerprint(record: dict[str, Any], words: frozenset[str]) -> Fingerprint:
    """The fingerprint an indexed record keeps; `words` is `record_words(record)`."""
    return Fingerprint(
        content_hash=record["h"],
        signature=tuple(record["g"]),
        words=words,
        entities=frozenset(record["e"].split()),
        numbers=frozenset(record["n"].split()),
        title_names=frozenset(record["tn"].split()),
        common=frozenset(record.get("cm", "").split()),
        language=record.get("l"),
        neutral=frozenset(record.get("x", "").split()),
        meaning=meaning.from_text(record.get("v", "")),
    )


def record_words(record: dict[str, Any]) -> frozenset[str]:
    return frozenset(record["w"].split())


def record_index_keys(record: dict[str, Any]) -> frozenset[str]:
    """The name-index keys of a record that has neutral terms."""
    return index_keys(
        Fingerprint(
            content_hash=record["h"],
            signature=(),
            words=frozenset(),
            entities=frozenset(record["e"].split()),
            numbers=frozenset(),
            neutral=frozenset(record["x"].split()),
        )
    )


def other_language(fingerprint: Fingerprint, record: dict[str, Any]) -> bool:
    """Whether the item and a recorded one are in two known, different languages."""
    language = record.get("l")
    return bool(fingerprint.language and language and language != fingerprint.language)
