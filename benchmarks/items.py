"""Deterministic stream of realistic raw items for the pipeline benchmarks.

Words are drawn from the French live-blog seed and the tagging texts, so the taxonomy's
terms occur at a natural rate; a share of items are exact reposts or light edits of a recent
item, so the dedup benchmark exercises every verdict, not only "new".
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from schemas.models import RawItem

_ROOT = Path(__file__).resolve().parents[1]
_SOURCES = (
    _ROOT / "streams" / "demo" / "seed_liveblog.json",
    _ROOT / "tests" / "fixtures" / "tagging" / "extra_labelled.jsonl",
    _ROOT / "tests" / "fixtures" / "labelled" / "dev_tagging.jsonl",
)
_START = datetime(2024, 12, 4, 6, 0, tzinfo=UTC)
_WORD = re.compile(r"\S+")
REPOST_SHARE = 0.05
EDIT_SHARE = 0.05


def vocabulary_by_language() -> dict[str, list[str]]:
    """Words of each language's texts in the seed and fixture files."""
    words: dict[str, list[str]] = {"fr": [], "de": [], "en": []}
    for record in _records():
        language = record.get("lang") or record.get("language") or "fr"
        if language in words:
            words[language].extend(_WORD.findall(f"{record['title']} {record['summary']}"))
    return words


def _records() -> Iterator[dict[str, str]]:
    seed = orjson.loads(_SOURCES[0].read_bytes())
    yield from seed["items"]
    for source in _SOURCES[1:]:
        for line in source.read_bytes().splitlines():
            if line.strip():
                yield orjson.loads(line)


def raw_items(count: int, seed: int = 20241204) -> list[RawItem]:
    """`count` items, one a second of event time, in a fixed order for a given seed."""
    rng = random.Random(seed)
    vocabulary = {lang: words for lang, words in vocabulary_by_language().items() if words}
    languages = sorted(vocabulary)
    items: list[RawItem] = []
    for n in range(count):
        draw = rng.random()
        if items and draw < REPOST_SHARE:
            title, summary, language = _copy_of(rng, items)
        elif items and draw < REPOST_SHARE + EDIT_SHARE:
            title, summary, language = _copy_of(rng, items)
            summary = summary + " " + rng.choice(vocabulary[language or "fr"])
        else:
            language = languages[n % len(languages)]
            title = _sentence(rng, vocabulary[language], rng.randint(6, 14))
            summary = _sentence(rng, vocabulary[language], rng.randint(25, 60))
        items.append(_item(n, title, summary, language))
    return items


def _copy_of(rng: random.Random, items: list[RawItem]) -> tuple[str, str, str | None]:
    original = items[rng.randrange(max(0, len(items) - 500), len(items))]
    return original.title, original.summary, original.language


def _sentence(rng: random.Random, words: list[str], length: int) -> str:
    return " ".join(rng.choice(words) for _ in range(length)).capitalize()


def _item(n: int, title: str, summary: str, language: str | None) -> RawItem:
    stamp = (_START + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
    return RawItem(
        event_id=f"bench-event-{n}",
        item_id=f"bench:{n}",
        revision=1,
        feed_id=f"bench-{n % 50}",
        feed_url=f"https://news{n % 50}.example/rss",
        source_format="rss",
        title=title,
        summary=summary,
        fetched=stamp,
        content_hash=f"bench-hash-{n}",
        language=language,
        published=stamp,
    )
