"""Fast path for well-formed RSS 2.0 and Atom 1.0 with ElementTree (expat, C accelerated).

Returns None whenever the document needs feedparser's tolerance (DOCTYPE, parse errors,
other versions, XHTML content), so results match the feedparser path field for field.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from streams.poll.clean import clean_text, safe_link
from streams.poll.formats.dates import parse_date
from streams.poll.formats.entry import RawEntry, build_entry
from streams.poll.formats.model import ParsedFeed
from streams.poll.formats.xmlfeed import ttl_seconds

_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
# feedparser's rule for text constructs: markup or an entity means HTML.
_LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][^>]*>|&#?\w+;")


def parse_fast(xml_text: str, *, url: str, max_items: int) -> ParsedFeed | None:
    """A ParsedFeed for plain RSS 2.0 / Atom 1.0, or None to defer to feedparser."""
    if "<!DOCTYPE" in xml_text[:4096] or "<!ENTITY" in xml_text:
        return None
    if "xml:lang" in xml_text and "<rss" in xml_text[:4096]:
        return None  # feedparser tracks the xml:lang in scope of each RSS element
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return None
    if root.tag == "rss" and root.get("version") == "2.0":
        return _rss(root, url, max_items)
    if root.tag == f"{_ATOM}feed" and root.find(f".//{_ATOM}content[@type='xhtml']") is None:
        return _atom(root, url, max_items)
    return None


def _rss(root: ET.Element, url: str, max_items: int) -> ParsedFeed | None:
    channel = root.find("channel")
    if channel is None:
        return None
    language = _channel_language(channel)
    items = channel.findall("item")[:max_items]
    return ParsedFeed(
        format="rss",
        title=clean_text(_child_text(channel, "title")),
        link=safe_link(_child_text(channel, "link") or None, url),
        language=language,
        ttl_seconds=ttl_seconds(_child_text(channel, "ttl")),
        entries=tuple(build_entry(_rss_item(item, language), url) for item in items),
    )


def _rss_item(item: ET.Element, language: str | None) -> RawEntry:
    guid = item.find("guid")
    guid_text = (guid.text or "").strip() if guid is not None else ""
    link = _child_text(item, "link").strip()
    if not link and guid is not None and guid.get("isPermaLink", "true") == "true":
        link = guid_text if _ABSOLUTE.match(guid_text) else ""
    content = _child_text(item, f"{_CONTENT}encoded")
    summary = _child_text(item, "description") or content
    authors = [_child_text(item, f"{_DC}creator") or _child_text(item, "author")]
    return RawEntry(
        guid=guid_text or None,
        link=link or None,
        title=_child_text(item, "title"),
        summary=summary,
        summary_is_html=bool(_LOOKS_LIKE_HTML.search(summary)),
        content=content,
        language=_child_text(item, f"{_DC}language") or language,
        published=parse_date(_child_text(item, "pubDate") or _child_text(item, f"{_DC}date")),
        authors=authors,
    )


def _channel_language(channel: ET.Element) -> str | None:
    """<language> or <dc:language>, the later one if both (as feedparser reads them)."""
    language = None
    for child in channel:
        if child.tag in ("language", f"{_DC}language"):
            language = child.text or None
    return language


def _atom(root: ET.Element, url: str, max_items: int) -> ParsedFeed:
    language = root.get(_XML_LANG) or _child_text(root, f"{_DC}language") or None
    entries = root.findall(f"{_ATOM}entry")[:max_items]
    return ParsedFeed(
        format="atom",
        title=clean_text(_child_text(root, f"{_ATOM}title")),
        link=safe_link(_atom_link(root), url),
        language=language,
        ttl_seconds=None,
        entries=tuple(build_entry(_atom_entry(entry, language), url) for entry in entries),
    )


def _atom_entry(entry: ET.Element, language: str | None) -> RawEntry:
    content = entry.find(f"{_ATOM}content")
    summary = entry.find(f"{_ATOM}summary")
    if summary is None or not (summary.text or "").strip():
        summary = content
    summary_text = (summary.text or "") if summary is not None else ""
    summary_type = summary.get("type", "text") if summary is not None else "text"
    content_text = (content.text or "") if content is not None else ""
    content_type = content.get("type", "text") if content is not None else "text"
    return RawEntry(
        guid=_child_text(entry, f"{_ATOM}id") or None,
        link=_atom_link(entry),
        title=_child_text(entry, f"{_ATOM}title"),
        summary=summary_text,
        summary_is_html=summary_type == "html",
        content=content_text,
        content_is_html=content_type == "html",
        language=_child_text(entry, f"{_DC}language") or entry.get(_XML_LANG) or language,
        published=parse_date(_child_text(entry, f"{_ATOM}published") or None),
        updated=parse_date(_child_text(entry, f"{_ATOM}updated") or None),
        authors=[_child_text(a, f"{_ATOM}name") for a in entry.findall(f"{_ATOM}author")],
    )


def _atom_link(element: ET.Element) -> str | None:
    for link in element.findall(f"{_ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None


def _child_text(element: ET.Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "") if child is not None else ""
