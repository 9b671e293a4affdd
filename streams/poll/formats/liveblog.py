"""schema.org LiveBlogPosting JSON-LD: each liveBlogUpdate becomes its own entry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson

from streams.poll.clean import clean_text, safe_link
from streams.poll.formats.dates import parse_date
from streams.poll.formats.entry import RawEntry, build_entry
from streams.poll.formats.model import ParsedFeed

_MAX_DEPTH = 20  # JSON-LD nesting telex follows; deeper structures are not live blogs


def find_live_blog(json_ld_blocks: list[str]) -> dict[str, Any] | None:
    """The first LiveBlogPosting in any block; blocks that are not JSON are skipped."""
    for block in json_ld_blocks:
        try:
            document = orjson.loads(block)
        except orjson.JSONDecodeError:
            continue
        for node in _nodes(document, 0):
            if "LiveBlogPosting" in _types(node):
                return node
    return None


def parse_live_blog(posting: dict[str, Any], *, url: str, max_items: int) -> ParsedFeed:
    """A ParsedFeed whose entries are the posting's updates, in document order."""
    page_url = safe_link(_text(posting.get("url")), url) or url
    language = _language(posting)
    updates = [u for u in _as_list(posting.get("liveBlogUpdate")) if isinstance(u, dict)]
    return ParsedFeed(
        format="liveblog",
        title=clean_text(_text(posting.get("headline")) or _text(posting.get("name")) or ""),
        link=page_url,
        language=language,
        ttl_seconds=None,
        entries=tuple(
            build_entry(_raw_update(update, page_url, language), page_url)
            for update in updates[:max_items]
        ),
    )


def update_guid(update: dict[str, Any], page_url: str) -> str:
    """@id, else url (anchors kept, made absolute), else a hash of headline + datePublished."""
    for key in ("@id", "url"):
        value = _text(update.get(key))
        if value and value.strip():
            return safe_link(value.strip(), page_url) or value.strip()
    seed = f"{_text(update.get('headline')) or ''}\n{_text(update.get('datePublished')) or ''}"
    return "urn:telex:liveblog:" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def _raw_update(update: dict[str, Any], page_url: str, language: str | None) -> RawEntry:
    article_body = _text(update.get("articleBody")) or ""
    body = article_body or _text(update.get("description")) or ""
    return RawEntry(
        guid=update_guid(update, page_url),
        link=_text(update.get("url")) or _text(update.get("@id")),
        title=_text(update.get("headline")) or _text(update.get("name")) or "",
        summary=body,
        content=article_body,
        language=_language(update) or language,
        published=parse_date(_text(update.get("datePublished"))),
        updated=parse_date(_text(update.get("dateModified"))),
        authors=_author_names(update.get("author")),
    )


def _nodes(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    """Every JSON object reachable through lists and @graph, bounded in depth."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        yield from _nodes(value.get("@graph"), depth + 1)
        yield from _nodes(value.get("mainEntity"), depth + 1)


def _types(node: dict[str, Any]) -> list[str]:
    return [t for t in _as_list(node.get("@type")) if isinstance(t, str)]


def _language(node: dict[str, Any]) -> str | None:
    language = node.get("inLanguage")
    if isinstance(language, dict):
        language = language.get("alternateName") or language.get("name")
    return _text(language)


def _author_names(author: Any) -> list[str]:
    names = []
    for item in _as_list(author):
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            names.append(name)
    return names


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
