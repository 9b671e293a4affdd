"""HTML to clean text, tight HTML sanitizing, and safe absolute links. Pure functions."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import Literal
from urllib.parse import urljoin, urlsplit

import nh3

_ALLOWED_TAGS = {
    "a", "p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "blockquote",
    "q", "cite", "code", "pre", "h2", "h3", "h4", "figure", "figcaption", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
_SAFE_SCHEMES = {"http", "https"}
_LINK_SCHEMES = {"http", "https", "mailto"}
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "noscript", "template", "object"}
# Tags that separate words visually; replaced by a space so "<p>a</p><p>b</p>" reads "a b".
_BLOCK_TAG = re.compile(
    r"<(?:br|/?(?:p|div|li|ul|ol|h[1-6]|tr|td|th|blockquote|figure|figcaption|section|article))\b[^>]*>",
    re.IGNORECASE,
)
# "name" or "/name" of a tag, or "!" / "?" (comment, doctype, processing instruction).
# Tag names end at HTML's own whitespace (tab, LF, FF, CR, space), not at Unicode's. The "<"
# is factored out of the alternation so re skips to it instead of trying every position.
_TAG_NAME = re.compile(r"<(/?[A-Za-z][^\t\n\f\r />]*|[!?])")
_ALLOWED_TAG_NAMES = frozenset(f"{slash}{tag}" for tag in _ALLOWED_TAGS for slash in ("", "/"))
# A tag as nh3 writes it, with no "<" or ">" in its attribute values; split() keeps the name.
_PLAIN_TAG = re.compile(r'<(/?[a-z][a-z0-9]*)(?: [a-z]+="[^"<>]*")*>')
# The names (with "/") of the tags that _BLOCK_TAG matches in such plain tags.
_BLOCK_TAG_NAMES = frozenset(
    ["br"]
    + [
        f"{slash}{name}"
        for name in ("p", "div", "li", "ul", "ol", "tr", "td", "th", "blockquote", "figure",
                     "figcaption", "section", "article", *(f"h{level}" for level in range(1, 7)))
        for slash in ("", "/")
    ]
)  # fmt: skip
# A tag as nh3 serializes it: attribute values always double-quoted, '"' inside escaped.
_SERIALIZED_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')
# XML 1.0 §2.2 forbids C0 controls except tab, LF and CR; feeds still contain them.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# UTF-8 writes exactly these code points, and no others, as bytes below 0x80 of these values.
_CONTROL_BYTES = bytes(byte for byte in range(0x80) if _CONTROL_CHARS.match(chr(byte)))
# An absolute http(s) URL of plain ASCII whose query and fragment, if any, are not empty.
# urljoin returns such a link as it is (RFC 3986 5.2.2: a reference with a scheme is its own
# target; the urlunparse round trip only drops empty "?", "#" and ";" parts, and urlsplit only
# rewrites whitespace, brackets and non-ASCII hosts, none of which match), so safe_link skips
# the two urlsplit calls. It can still fail on the base (brackets, non-ASCII host): the base
# must be free of those too.
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?"
    r"(?:/[A-Za-z0-9._~!$&'()*+,=:@%/-]*)?"
    r"(?:\?[A-Za-z0-9._~!$&'()*+,=:@%/?-]+)?"
    r"(?:#[A-Za-z0-9._~!$&'()*+,=:@%/?#-]+)?"
)
_RelativeUrlPolicy = Literal["deny"] | tuple[Literal["rewrite_with_base"], str]
# Compiled once: nh3.clean would build the same allow-list again on every call.
# ASCII whitespace other than the space: str.split() splits on these too.
_OTHER_ASCII_SPACES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags=_DROPPED_WITH_CONTENT)


def collapse_whitespace(text: str) -> str:
    """`" ".join(text.split())`, without the split when ASCII text has nothing to collapse."""
    if text.isascii() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        ascii_text = text.encode("ascii")
        if len(ascii_text.translate(None, _OTHER_ASCII_SPACES)) == len(ascii_text):
            return text
    return " ".join(text.split())


def strip_control_chars(text: str) -> str:
    """Remove control characters that XML forbids (NUL included)."""
    return _CONTROL_CHARS.sub("", text) if has_control_chars(text) else text


def has_control_chars(text: str) -> bool:
    """Whether `text` holds a character that strip_control_chars removes."""
    # Encoding and bytes.translate are C loops: ~10x faster than re's class test per
    # character on non-ASCII text, and most text has none to remove.
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded.translate(None, _CONTROL_BYTES)) != len(encoded)


def _has_markup(text: str) -> bool:
    return "<" in text or "&" in text


def clean_text(fragment: str) -> str:
    """Plain text of an HTML or text fragment: tags removed, entities decoded, NFC, one-spaced."""
    if _has_markup(fragment):
        spaced = _BLOCK_TAG.sub(" ", fragment)
        stripped = _TEXT_ONLY.clean(spaced)
        fragment = html.unescape(stripped)
    return _normalised_text(fragment)


def clean_and_sanitize(fragment: str, base_url: str) -> tuple[str, str]:
    """`clean_text(fragment)` and `sanitize_html(fragment, base_url)` with one nh3 pass when
    sanitizing kept every tag as it was: the text can then be read off the sanitized HTML
    (serialized with every "<" in text escaped and attribute values quoted).
    """
    # sanitize_html drops control characters before parsing, which could turn "<\x01p" into a
    # tag: fragments with any take the two-pass path, as do those without markup.
    if has_control_chars(fragment) or not _has_markup(fragment):
        return clean_text(fragment), sanitize_html(fragment, base_url)
    sanitized = _sanitizer(base_url).clean(fragment).strip()
    names = _allowed_tag_names(fragment)
    if names is None:
        return clean_text(fragment), sanitized
    parts = _PLAIN_TAG.split(sanitized)
    if not len(parts) // 2 == sanitized.count("<") == sanitized.count(">"):
        return _text_off_any_tags(fragment, sanitized, names), sanitized
    # Every "<" and ">" is in a plain tag: parts alternate text and tag names. Same tags in
    # the same order (nh3 writes names in lower case): the parser dropped, added and moved
    # none (stray end tags, implied </p>, adoption agency).
    if names != parts[1::2]:
        return clean_text(fragment), sanitized
    # What _BLOCK_TAG then _SERIALIZED_TAG make of plain tags: a space or nothing.
    parts[1::2] = [" " if name in _BLOCK_TAG_NAMES else "" for name in parts[1::2]]
    return _normalised_text(html.unescape("".join(parts))), sanitized


def _allowed_tag_names(fragment: str) -> list[str] | None:
    """Lower-case names of the fragment's tags, or None when one is not on the allow-list."""
    names = _TAG_NAME.findall(fragment)
    if not _ALLOWED_TAG_NAMES.issuperset(names):  # allowed names are lower case already
        names = [name.lower() for name in names]
    return names if _ALLOWED_TAG_NAMES.issuperset(names) else None


def _text_off_any_tags(fragment: str, sanitized: str, names: list[str]) -> str:
    """clean_and_sanitize's text when some attribute value holds "<" or ">"."""
    if names != _TAG_NAME.findall(sanitized):
        return clean_text(fragment)
    untagged = _SERIALIZED_TAG.sub("", _BLOCK_TAG.sub(" ", sanitized))
    return _normalised_text(html.unescape(untagged))


def _normalised_text(text: str) -> str:
    text = strip_control_chars(text).replace("\u00a0", " ")
    return unicodedata.normalize("NFC", collapse_whitespace(text))


def bounded_text(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at the last space if one is near the end."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space >= limit * 0.9 else cut


def sanitize_html(fragment: str, base_url: str) -> str:
    """Sanitized HTML on a tight allow-list, relative URLs resolved against base_url."""
    return _sanitizer(base_url).clean(strip_control_chars(fragment)).strip()


@lru_cache(maxsize=256)
def _sanitizer(base_url: str) -> nh3.Cleaner:
    """The allow-list compiled once per base URL: `nh3.clean` builds it again on every call
    (parsing the base URL each time), a third of the cost of sanitizing a summary."""
    relative: _RelativeUrlPolicy = "deny"
    if urlsplit(base_url).scheme in _SAFE_SCHEMES:
        relative = ("rewrite_with_base", base_url)
    try:
        return _cleaner(relative)
    except ValueError:  # nh3 rejects a base URL it cannot parse
        return _cleaner("deny")


def _cleaner(relative: _RelativeUrlPolicy) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_LINK_SCHEMES,
        url_relative=relative,
    )


def safe_link(link: str | None, base_url: str) -> str | None:
    """Absolute http(s) URL for a possibly relative link; None for javascript:, data: etc."""
    if not link:
        return None
    link = strip_control_chars(link).strip()
    if _PLAIN_ABSOLUTE.fullmatch(link) and _plain_base(base_url):
        return link  # what urljoin gives back for it: see _PLAIN_ABSOLUTE
    return _joined_link(link, base_url)


def _plain_base(base_url: str) -> bool:
    return base_url.isascii() and "[" not in base_url and "]" not in base_url


def _joined_link(link: str, base_url: str) -> str | None:
    try:
        absolute = urljoin(base_url, link) if link else ""
    except ValueError:
        return None
    if urlsplit(absolute).scheme.lower() not in _SAFE_SCHEMES:
        return None
    return absolute
