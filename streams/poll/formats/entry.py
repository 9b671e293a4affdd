"""Build a ParsedEntry from raw fields, cleaning only the fields telex keeps."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from streams.poll.clean import (
    clean_and_sanitize,
    clean_text,
    safe_link,
    sanitize_html,
    strip_control_chars,
)
from streams.poll.formats.model import ParsedEntry


@dataclass(slots=True)
class RawEntry:
    """Fields as found in the document; HTML flags say how to read summary and content."""

    guid: str | None = None
    link: str | None = None
    title: str = ""
    summary: str = ""
    summary_is_html: bool = True
    content: str = ""
    content_is_html: bool = True
    language: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)


def build_entry(raw: RawEntry, base_url: str) -> ParsedEntry:
    """Clean text, sanitized summary HTML, absolute safe link and trimmed identifiers."""
    summary, summary_html = _summary(raw, base_url)
    return ParsedEntry(
        guid=_trimmed(raw.guid),
        link=safe_link(raw.link, base_url),
        title=clean_text(raw.title),
        summary=summary,
        summary_html=summary_html,
        language=_trimmed(raw.language),
        published=raw.published,
        updated=raw.updated,
        authors=unique_names(raw.authors),
        content=_content(raw),
    )


def unique_names(names: Iterable[str]) -> tuple[str, ...]:
    """Clean, non-empty names without duplicates, in first-seen order."""
    cleaned = (clean_text(name) for name in names)
    return tuple(dict.fromkeys(name for name in cleaned if name))


def _summary(raw: RawEntry, base_url: str) -> tuple[str, str | None]:
    """Clean text and sanitized HTML (None when blank) of the entry's summary."""
    if not raw.summary.strip():
        return clean_text(raw.summary) if raw.summary_is_html else _plain(raw.summary), None
    if raw.summary_is_html:
        text, sanitized = clean_and_sanitize(raw.summary, base_url)
        return text, sanitized or None
    return _plain(raw.summary), sanitize_html(html.escape(raw.summary), base_url) or None


def _content(raw: RawEntry) -> str | None:
    """Plain text of the full content (nh3 strips every tag), None when blank."""
    text = clean_text(raw.content) if raw.content_is_html else _plain(raw.content)
    return text or None


def _plain(text: str) -> str:
    return clean_text(html.escape(text))


def _trimmed(value: str | None) -> str | None:
    if value is None:
        return None
    value = strip_control_chars(value).strip()
    return value or None
