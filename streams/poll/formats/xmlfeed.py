"""RSS 0.9x/1.0/2.0 and Atom through feedparser: the tolerant path for any XML feed."""

from __future__ import annotations

import io
from typing import Any

import feedparser

from streams.poll.clean import clean_text, safe_link
from streams.poll.formats.dates import from_struct_time
from streams.poll.formats.entry import RawEntry, build_entry, unique_names
from streams.poll.formats.model import ParsedFeed, ParseError

_RDF_VERSIONS = {"rss090", "rss10"}
_ABSOLUTE_SCHEMES = ("http://", "https://")
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


def parse_with_feedparser(xml_utf8: bytes, *, url: str, max_items: int) -> ParsedFeed:
    """Parse UTF-8 XML with feedparser, skipping its sanitizer and URI rewriting (done later)."""
    try:
        # A stream, never bare bytes: feedparser treats bytes naming a file as a path to open.
        result = feedparser.parse(
            io.BytesIO(xml_utf8),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as error:  # feedparser raises on some input instead of setting bozo
        raise ParseError(f"feedparser failed: {error!r}") from error
    version = str(result.get("version") or "")
    if not version and not result.entries:
        reason = result.get("bozo_exception") or "no feed elements"
        raise ParseError(f"not an RSS/Atom feed: {reason}")
    if result.get("bozo") and not result.entries:
        # A broken document that yielded nothing (truncated, say) is an error to report, not
        # an empty feed; one that yielded items is read as far as it goes.
        raise ParseError(f"malformed feed with no readable items: {result.get('bozo_exception')}")
    return _to_parsed_feed(result, version, url, max_items)


def _to_parsed_feed(result: Any, version: str, url: str, max_items: int) -> ParsedFeed:
    feed = result.feed
    language = feed.get("language") or None
    entries = tuple(
        build_entry(_raw_entry(entry, language), url) for entry in result.entries[:max_items]
    )
    return ParsedFeed(
        format=_format_name(version),
        title=clean_text(feed.get("title", "")),
        link=safe_link(feed.get("link"), url),
        language=language,
        ttl_seconds=ttl_seconds(feed.get("ttl")),
        entries=entries,
    )


def _format_name(version: str) -> str:
    if version.startswith("atom"):
        return "atom"
    return "rdf" if version in _RDF_VERSIONS else "rss"


def _raw_entry(entry: Any, feed_language: str | None) -> RawEntry:
    summary, summary_type = _summary_and_type(entry)
    content, content_type = _content_and_type(entry)
    title_detail = entry.get("title_detail") or {}
    return RawEntry(
        guid=entry.get("id") or None,
        link=_entry_link(entry),
        title=entry.get("title", ""),
        summary=summary,
        summary_is_html=summary_type in _HTML_TYPES,
        content=content,
        content_is_html=content_type in _HTML_TYPES,
        # The entry's own <dc:language>, else the xml:lang in scope, else the feed's language.
        language=dict.get(entry, "language") or title_detail.get("language") or feed_language,
        published=from_struct_time(entry.get("published_parsed")),
        # dict.get: FeedParserDict.get would silently fall back to the published date.
        updated=from_struct_time(dict.get(entry, "updated_parsed")),
        authors=list(unique_names(_author_names(entry))),
    )


def _entry_link(entry: Any) -> str | None:
    """The entry link, unless feedparser copied a non-URL permalink guid into it."""
    link = entry.get("link") or None
    if link and link == entry.get("id") and not link.lower().startswith(_ABSOLUTE_SCHEMES):
        return None
    return str(link) if link else None


def _summary_and_type(entry: Any) -> tuple[str, str]:
    detail = entry.get("summary_detail")
    if detail and detail.get("value"):
        return str(detail["value"]), str(detail.get("type", "text/html"))
    return _content_and_type(entry)


def _content_and_type(entry: Any) -> tuple[str, str]:
    """The full content (RSS content:encoded, Atom content): its first non-empty value."""
    for content in entry.get("content") or ():
        if content.get("value"):
            return str(content["value"]), str(content.get("type", "text/html"))
    return "", "text/html"


def _author_names(entry: Any) -> list[str]:
    names = [str(author.get("name", "")) for author in entry.get("authors") or ()]
    return names or [str(entry.get("author", ""))]


def ttl_seconds(ttl: object) -> int | None:
    """RSS 2.0 <ttl> is in minutes."""
    try:
        minutes = int(str(ttl).strip())
    except ValueError:
        return None
    return minutes * 60 if minutes > 0 else None
