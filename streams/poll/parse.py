"""Parse a fetched body (RSS, Atom, RDF, JSON Feed, live-blog page, plain page) into a ParsedFeed.

Pure and CPU-bound: the poller runs it in a worker. Encoding is resolved once here
(streams.poll.encoding); every format parser then works on Unicode or UTF-8.
"""

from __future__ import annotations

import re

from streams.poll.clean import strip_control_chars
from streams.poll.encoding import decode_body
from streams.poll.formats.discovery import advertised_feed_url
from streams.poll.formats.fastxml import parse_fast
from streams.poll.formats.htmlpage import scan_page
from streams.poll.formats.jsonfeed import parse_jsonfeed
from streams.poll.formats.liveblog import find_live_blog, parse_live_blog
from streams.poll.formats.model import ParsedEntry, ParsedFeed, ParseError
from streams.poll.formats.xmlfeed import parse_with_feedparser

__all__ = ["ParseError", "ParsedEntry", "ParsedFeed", "parse_feed"]

_SNIFF_CHARS = 4096
_FEED_ROOTS = {"rss", "feed", "RDF", "channel"}
_FEED_ROOT = re.compile(r"<(?:[\w-]+:)?(?:rss|feed|RDF|channel)\b")
_HTML_ROOT = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# What may stand before the root element (XML 1.0 §2.8 prolog): space, the declaration and
# other processing instructions, comments, a doctype with or without an internal subset.
_PROLOG_PART = re.compile(
    r"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE
)
_START_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def parse_feed(
    body: bytes, *, url: str, content_type: str | None = None, max_items: int = 500
) -> ParsedFeed:
    """Parse any supported document; raises ParseError when nothing usable is found."""
    if max_items < 0:
        raise ValueError("max_items must be >= 0")
    text = strip_control_chars(decode_body(body, content_type)).lstrip("\ufeff")
    head = text[:_SNIFF_CHARS].lstrip()
    if not head:
        raise ParseError("empty body")
    if head[0] in "{[":
        return parse_jsonfeed(text, url=url, max_items=max_items)
    if _looks_like_html(head):
        return _parse_html_page(text, url=url, max_items=max_items)
    if head[0] != "<":
        raise ParseError("body is neither XML, HTML nor JSON")
    fast = parse_fast(text, url=url, max_items=max_items)
    if fast is not None:
        return fast
    return parse_with_feedparser(_as_utf8_xml(text), url=url, max_items=max_items)


def _looks_like_html(head: str) -> bool:
    """An HTML page, unless the root element is a feed's: a doctype alone does not decide
    (some Atom feeds carry a stray `<!DOCTYPE html>`); without a root, the first marker does."""
    if _root_element(head) in _FEED_ROOTS:
        return False
    html_root = _HTML_ROOT.search(head)
    if html_root is None:
        return False
    feed_root = _FEED_ROOT.search(head)
    return feed_root is None or html_root.start() < feed_root.start()


def _root_element(head: str) -> str | None:
    """The local name of the first element after the prolog, if the head shows one."""
    position = 0
    while (part := _PROLOG_PART.match(head, position)) is not None:
        position = part.end()
    tag = _START_TAG.match(head, position)
    return tag.group(1).rpartition(":")[2] if tag else None


def _parse_html_page(text: str, *, url: str, max_items: int) -> ParsedFeed:
    scan = scan_page(text)
    posting = find_live_blog(scan.json_ld_blocks)
    if posting is not None:
        return parse_live_blog(posting, url=url, max_items=max_items)
    alternate = advertised_feed_url(scan, url)
    if alternate is None:
        raise ParseError("HTML page with neither LiveBlogPosting JSON-LD nor an advertised feed")
    return ParsedFeed(
        format="html",
        title="",
        link=url,
        language=None,
        ttl_seconds=None,
        entries=(),
        alternate_feed_url=alternate,
    )


def _as_utf8_xml(text: str) -> bytes:
    """UTF-8 bytes with the declaration rewritten, since the text is already decoded."""
    return _XML_DECLARATION.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1).encode(
        "utf-8", errors="replace"
    )
