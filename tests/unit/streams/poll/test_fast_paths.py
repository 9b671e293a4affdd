"""Each shortcut taken for speed gives exactly what the general path gives, on fuzzed input.

safe_link (plain absolute links skip urljoin), strip_control_chars (a byte-level test first),
sanitize_html (nh3's allow-list compiled once per base URL), parse_date (plain RFC 822 dates
read without email.utils).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import nh3
import pytest
from feedparser.datetimes import _parse_date as feedparser_parse_date

from streams.poll import clean
from streams.poll.clean import has_control_chars, safe_link, sanitize_html, strip_control_chars
from streams.poll.formats import dates
from streams.poll.formats.dates import parse_date

_LINK_PIECES = [
    "http://", "https://", "HTTP://", "ftp://", "//", "/", "a", "news.example", "xn--bcher-kva",
    ":8080", ":", "@", "?", "#", ";", "=", "&", "%20", "%", "..", ".", "~", "[", "]", "[::1]",
    " ", "\t", "\n", "é", "-", "_", "!", "'", "(", ")", "*", "+", ",", "$", "\x01", "\\",
    "javascript:", "mailto:x@y", "data:",
]  # fmt: skip
_BASES = [
    "https://news.example/rss", "http://news.example:8080/a/b?c=d#e", "https://[::1]/feed",
    "https://[::1/feed", "http://bücher.example/", "not a url", "", "ftp://x.example/",
    "https://news.example/a;b", "HTTPS://NEWS.EXAMPLE/", "http://",
]  # fmt: skip


def _fuzzed(pieces: list[str], count: int, seed: int, longest: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(pieces, k=rng.randint(1, longest))) for _ in range(count)]


def _links() -> list[str]:
    """Fuzzed links, most of them starting like an absolute http(s) link."""
    tails = _fuzzed(_LINK_PIECES, 4000, seed=20241204, longest=8)
    heads = ["", "https://news.example/", "http://a.example:80", "https://", "http://x"]
    return [heads[n % len(heads)] + tail for n, tail in enumerate(tails)]


def _outcome(function: Callable[[], str | None]) -> object:
    """The result, or the type of the error raised (safe_link raises on some bracketed URLs)."""
    try:
        return function()
    except ValueError as error:
        return type(error)


@pytest.mark.parametrize("base", _BASES)
def test_safe_link_shortcut_gives_what_urljoin_gives(base: str) -> None:
    shortcuts = 0
    for link in _links():
        stripped = strip_control_chars(link).strip()
        shortcuts += bool(clean._PLAIN_ABSOLUTE.fullmatch(stripped))
        expected = _outcome(lambda: clean._joined_link(stripped, base))  # noqa: B023
        assert _outcome(lambda: safe_link(link, base)) == expected, repr(link)  # noqa: B023
    assert shortcuts > 300  # the fuzz reaches the shortcut, not only the general path


@pytest.mark.parametrize("seed", range(3))
def test_control_chars_test_agrees_with_the_regex(seed: int) -> None:
    pieces = ["a", "é", "’", "\U0001f600", "\ud800", "\x00", "\x08", "\t", "\n", "\x0b", "\x0c",
              "\r", "\x1f", "\x7f", "\x80", "\u0085", " ", "<p>"]  # fmt: skip
    for text in ["", *_fuzzed(pieces, 3000, seed=seed, longest=12)]:
        assert has_control_chars(text) == bool(clean._CONTROL_CHARS.search(text)), repr(text)
        assert strip_control_chars(text) == clean._CONTROL_CHARS.sub("", text)


def test_long_text_without_control_chars_is_returned_as_it_is() -> None:
    text = "Grüße ’ " * 2000
    assert strip_control_chars(text) is text
    assert strip_control_chars(text + "\x00") == text


@pytest.mark.parametrize("base", _BASES)
def test_compiled_sanitizer_equals_nh3_clean_with_the_same_options(base: str) -> None:
    fragment = '<p>a <a href="/x" title="t">x</a><img src="y.png" alt="y"><script>z</script></p>'
    relative: clean._RelativeUrlPolicy = "deny"
    try:
        if clean.urlsplit(base).scheme in clean._SAFE_SCHEMES:
            relative = ("rewrite_with_base", base)
    except ValueError:
        with pytest.raises(ValueError):
            sanitize_html(fragment, base)
        return
    options = {
        "tags": clean._ALLOWED_TAGS,
        "clean_content_tags": clean._DROPPED_WITH_CONTENT,
        "attributes": clean._ALLOWED_ATTRIBUTES,
        "url_schemes": clean._LINK_SCHEMES,
    }
    try:
        expected = nh3.clean(fragment, url_relative=relative, **options)  # type: ignore[arg-type]
    except ValueError:
        expected = nh3.clean(fragment, url_relative="deny", **options)  # type: ignore[arg-type]
    assert sanitize_html(fragment, base) == expected.strip()


_DATE_PIECES = [
    "Wed, ", "Xyz, ", "wed, ", "04 ", "4 ", "31 ", "00 ", "Dec ", "Feb ", "dec ", "2024 ", "0099 ",
    "99 ", "08:00:00 ", "23:59:60 ", "24:00:00 ", "8:00 ", "+0000", "-0000", "+0530", "-2359",
    "+2400", "+0099", "GMT", "UT", "EST", "Z", " ", "  ", ",", "٤",
]  # fmt: skip


def _general_parse_date(value: str) -> datetime | None:
    """parse_date as it was before the shortcut: email.utils for every RFC 822 date."""
    value = value.strip()
    parsed = dates._iso8601(value) or dates._email_date(value)
    if parsed is None:
        return dates.from_struct_time(feedparser_parse_date(value))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


_CANONICAL_DATES = [
    "Wed, 04 Dec 2024 08:00:00 +0000", "Sun, 29 Feb 2024 23:59:59 -0000",
    "Mon, 28 Feb 2023 00:00:00 +0530", "Tue, 31 Dec 9999 23:59:59 +2359",
    "Fri, 01 Jun 1000 12:30:15 -2359", "Sat, 02 Mar 2030 01:02:03 GMT",
    "Thu, 04 Apr 2024 24:00:00 +0000", "Thu, 04 Apr 2024 10:00:00 +2400",
    "29 Feb 2023 10:00:00 +0000", "31 Apr 2024 10:00:00 +0000", "1 Jan 2024 00:00:00 +0099",
    "1 Jan 0099 00:00:00 +0000", "1 Jan 0999 00:00:00 +0000", "1 Jan 99 00:00:00 +0000",
    "1 Jan 2024 00:00:00 UT", "1 Jan 2024 00:00:00 EST", "1 Jan 2024 00:00 +0000",
    "1 Jan 2024 00:00:00 +01:00", "01 jan 2024 00:00:00 +0000", "٤ Jan 2024 00:00:00 +0000",
    "Wed,04 Dec 2024 08:00:00 +0000", "Wed, 04 Dec 2024  08:00:00 +0000",
]  # fmt: skip


def test_plain_rfc822_dates_read_as_email_utils_reads_them() -> None:
    fuzzed = _fuzzed(_DATE_PIECES, 3000, seed=7, longest=7)
    for value in _CANONICAL_DATES + fuzzed:
        assert parse_date(value) == _general_parse_date(value), repr(value)


def test_compiled_text_cleaner_equals_nh3_clean() -> None:
    pieces = ["<p>", "</p>", "<script>", "</script>", "<b>", "&amp;", "&nbsp;", "<", ">", "é",
              "<!-- c -->", "<style>", "x ", "</a>", "<template>", "\n"]  # fmt: skip
    for fragment in _fuzzed(pieces, 2000, seed=3, longest=15):
        expected = nh3.clean(fragment, tags=set(), clean_content_tags=clean._DROPPED_WITH_CONTENT)
        assert clean._TEXT_ONLY.clean(fragment) == expected, repr(fragment)
