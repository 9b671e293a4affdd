"""Each shortcut taken for speed gives exactly what the general path gives, on fuzzed input.

safe_link (plain absolute links skip urljoin), strip_control_chars (a byte-level test first),
sanitize_html (nh3's allow-list compiled once per base URL).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import nh3
import pytest

from streams import clean
from streams.clean import has_control_chars, safe_link, sanitize_html, strip_control_chars

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


def test_compiled_text_cleaner_equals_nh3_clean() -> None:
    pieces = ["<p>", "</p>", "<script>", "</script>", "<b>", "&amp;", "&nbsp;", "<", ">", "é",
              "<!-- c -->", "<style>", "x ", "</a>", "<template>", "\n"]  # fmt: skip
    for fragment in _fuzzed(pieces, 2000, seed=3, longest=15):
        expected = nh3.clean(fragment, tags=set(), clean_content_tags=clean._DROPPED_WITH_CONTENT)
        assert clean._TEXT_ONLY.clean(fragment) == expected, repr(fragment)
