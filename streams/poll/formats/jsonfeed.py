"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/)."""

from __future__ import annotations

from typing import Any

import orjson

from streams.poll.clean import clean_text, safe_link
from streams.poll.formats.dates import parse_date
from streams.poll.formats.entry import RawEntry, build_entry
from streams.poll.formats.model import ParsedFeed, ParseError

_VERSION_PREFIX = "https://jsonfeed.org/version/"


def parse_jsonfeed(text: str, *, url: str, max_items: int) -> ParsedFeed:
    """Parse a JSON Feed document; items without an object shape are skipped."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ParseError(f"invalid JSON: {error}") from error
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        _VERSION_PREFIX
    ):
        raise ParseError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = document.get("items")
    items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    language = _text(document.get("language"))
    return ParsedFeed(
        format="jsonfeed",
        title=clean_text(_text(document.get("title")) or ""),
        link=safe_link(_text(document.get("home_page_url")), url),
        language=language,
        ttl_seconds=None,
        entries=tuple(build_entry(_raw_item(item, language), url) for item in items[:max_items]),
    )


def _raw_item(item: dict[str, Any], feed_language: str | None) -> RawEntry:
    summary, is_html = _summary(item)
    content, content_is_html = _content(item)
    return RawEntry(
        guid=_text(item.get("id")),  # 1.0 feeds sometimes use numbers
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")) or "",
        summary=summary,
        summary_is_html=is_html,
        content=content,
        content_is_html=content_is_html,
        language=_text(item.get("language")) or feed_language,
        published=parse_date(_text(item.get("date_published"))),
        updated=parse_date(_text(item.get("date_modified"))),
        authors=_author_names(item),
    )


def _summary(item: dict[str, Any]) -> tuple[str, bool]:
    """The short summary first, as RSS description; else the content, HTML before text."""
    summary = _text(item.get("summary"))
    if summary:
        return summary, False
    return _content(item)


def _content(item: dict[str, Any]) -> tuple[str, bool]:
    """The full content, HTML before text."""
    html = _text(item.get("content_html"))
    if html:
        return html, True
    return _text(item.get("content_text")) or "", False


def _author_names(item: dict[str, Any]) -> list[str]:
    authors = item.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [item.get("author")]  # 1.0
    return [_text(a.get("name")) or "" for a in authors if isinstance(a, dict)]


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
