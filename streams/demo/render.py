"""Render a feed page as RSS 2.0, Atom, JSON Feed 1.1 and a schema.org LiveBlogPosting page.

Pure functions from a `FeedPage` to UTF-8 bytes. Every view carries the same identifier per
item: its permalink (`<guid isPermaLink="true">`, Atom `<id>`, JSON Feed `id`, JSON-LD `@id`).
RSS is also available in parts (`rss_head`, `rss_item`, `RSS_TAIL`) so bodies can be streamed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
RSS_TAIL = b"</channel>\n</rss>\n"


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry; `id` is its permalink and the identifier every view shares."""

    id: str
    title: str
    summary: str
    published: datetime
    modified: datetime


@dataclass(frozen=True, slots=True)
class FeedPage:
    """A feed at one moment: items newest first, `home_url` is the HTML live blog."""

    title: str
    language: str
    home_url: str
    updated: datetime
    items: tuple[FeedItem, ...]


def _element(name: str, text: str, **attributes: str) -> str:
    attrs = "".join(f" {key}={quoteattr(value)}" for key, value in attributes.items())
    return f"<{name}{attrs}>{escape(text)}</{name}>"


def rss_head(page: FeedPage, self_url: str, encoding: str = "utf-8") -> bytes:
    """Everything of an RSS 2.0 document before its first `<item>`."""
    channel = [
        _element("title", page.title),
        _element("link", page.home_url),
        _element("description", page.title),
        _element("language", page.language),
        _element("lastBuildDate", format_datetime(page.updated)),
        f'<atom:link href={quoteattr(self_url)} rel="self" type="application/rss+xml"/>',
    ]
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        + "\n".join(channel)
        + "\n"
    ).encode()


def rss_item(item: FeedItem) -> str:
    """One RSS `<item>`; a revision shows in `atom:updated` (RSS 2.0 has no such field)."""
    parts = [
        _element("title", item.title),
        _element("link", item.id),
        _element("guid", item.id, isPermaLink="true"),
        # RSS 2.0 description is entity-encoded HTML: escape the plain text as HTML first.
        _element("description", html.escape(item.summary, quote=False)),
        _element("pubDate", format_datetime(item.published)),
        _element("atom:updated", item.modified.isoformat()),
    ]
    return "<item>" + "".join(parts) + "</item>\n"


def render_rss(page: FeedPage, self_url: str) -> bytes:
    """A complete RSS 2.0 document."""
    items = "".join(rss_item(item) for item in page.items).encode()
    return rss_head(page, self_url) + items + RSS_TAIL


def _atom_entry(item: FeedItem) -> str:
    parts = [
        _element("id", item.id),
        _element("title", item.title),
        f'<link rel="alternate" type="text/html" href={quoteattr(item.id)}/>',
        _element("published", item.published.isoformat()),
        _element("updated", item.modified.isoformat()),
        _element("summary", item.summary, type="text"),
    ]
    return "<entry>" + "".join(parts) + "</entry>\n"


def render_atom(page: FeedPage, self_url: str) -> bytes:
    """An Atom (RFC 4287) feed document."""
    head = [
        _element("id", self_url),
        _element("title", page.title),
        _element("updated", page.updated.isoformat()),
        f'<link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(page.home_url)}/>',
        "<author><name>telex demo</name></author>",
    ]
    entries = "".join(_atom_entry(item) for item in page.items)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(page.language)}>\n'
        + "\n".join(head)
        + "\n"
        + entries
        + "</feed>\n"
    ).encode()


def render_json_feed(page: FeedPage, self_url: str) -> bytes:
    """A JSON Feed 1.1 document."""
    items = [
        {
            "id": item.id,
            "url": item.id,
            "title": item.title,
            "content_text": item.summary,
            "date_published": item.published.isoformat(),
            "date_modified": item.modified.isoformat(),
            "language": page.language,
        }
        for item in page.items
    ]
    document = {
        "version": JSON_FEED_VERSION,
        "title": page.title,
        "home_page_url": page.home_url,
        "feed_url": self_url,
        "language": page.language,
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _blog_posting(item: FeedItem, language: str) -> dict[str, Any]:
    return {
        "@type": "BlogPosting",
        "@id": item.id,
        "url": item.id,
        "headline": item.title,
        "articleBody": item.summary,
        "datePublished": item.published.isoformat(),
        "dateModified": item.modified.isoformat(),
        "inLanguage": language,
    }


def liveblog_json_ld(page: FeedPage) -> dict[str, Any]:
    """The schema.org LiveBlogPosting object of the page."""
    oldest = page.items[-1].published if page.items else page.updated
    return {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": page.home_url,
        "url": page.home_url,
        "headline": page.title,
        "inLanguage": page.language,
        "coverageStartTime": oldest.isoformat(),
        "dateModified": page.updated.isoformat(),
        "liveBlogUpdate": [_blog_posting(item, page.language) for item in page.items],
    }


def _script_json(document: dict[str, Any]) -> str:
    # "<" escaped so no "</script>" inside the data can close the element (HTML spec 4.12.1.3).
    return json.dumps(document, ensure_ascii=False, indent=1).replace("<", "\\u003c")


def _article(item: FeedItem) -> str:
    anchor = item.id.rpartition("#")[2]
    return (
        f'<article id="{html.escape(anchor)}">'
        f"<h2>{html.escape(item.title)}</h2>"
        f'<time datetime="{item.published.isoformat()}">{item.published:%H:%M}</time>'
        f"<p>{html.escape(item.summary)}</p></article>\n"
    )


def _html_document(language: str, title: str, head: Iterable[str], body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n" + "".join(head) + f"</head>\n<body>\n{body}"
        "</body>\n</html>\n"
    ).encode()


def render_liveblog_html(page: FeedPage) -> bytes:
    """The live blog page: visible articles plus the LiveBlogPosting JSON-LD."""
    script = (
        f'<script type="application/ld+json">\n{_script_json(liveblog_json_ld(page))}\n</script>\n'
    )
    articles = "".join(_article(item) for item in page.items)
    body = f"<h1>{html.escape(page.title)}</h1>\n{articles}"
    return _html_document(page.language, page.title, [script], body)


def render_index_html(title: str, language: str, rss_href: str) -> bytes:
    """A home page whose only feed hint is the RSS autodiscovery link."""
    link = f'<link rel="alternate" type="application/rss+xml" href="{html.escape(rss_href)}">\n'
    return _html_document(language, title, [link], f"<h1>{html.escape(title)}</h1>\n")
