"""Value types produced by every feed format parser, and the single parse error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streams.errors import FeedError


class ParseError(FeedError):
    """The body is not a feed or page telex can read; the message says why."""


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed item or live-blog update, with clean text and sanitized HTML."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    summary_html: str | None
    language: str | None
    published: datetime | None
    updated: datetime | None
    authors: tuple[str, ...]
    # The full text as plain text (RSS content:encoded, Atom content, JSON Feed content_html or
    # content_text, LiveBlogPosting articleBody), None when the entry carries none.
    content: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed document: feed metadata, its entries, or the feed a plain page advertises."""

    format: str
    title: str
    link: str | None
    language: str | None
    ttl_seconds: int | None
    entries: tuple[ParsedEntry, ...]
    alternate_feed_url: str | None = None
