"""clean_text, sanitize_html and safe_link."""

from __future__ import annotations

import pytest

from streams.poll.clean import bounded_text, clean_text, safe_link, sanitize_html

BASE = "https://www.exemple-info.fr/live/ukraine"


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<p>L&rsquo;accord</p><p>de&nbsp;défense</p>", "L’accord de défense"),
        ("  Merz   critique\n\tBaerbock ", "Merz critique Baerbock"),
        ("&#171;&#160;irresponsables&#160;&#187;", "« irresponsables »"),
        ("Texte<script>alert('x')</script> sûr<style>p{}</style>", "Texte sûr"),
        ("a<br>b<br/>c", "a b c"),
        ("<b>Gr</b>üße", "Grüße"),
        ("5 < 6 &amp; 7 > 3", "5 < 6 & 7 > 3"),
        ("Cafe\u0301 NFC", "Café NFC"),
        ("Nul\x00 and \x07bell", "Nul and bell"),
    ],
)
def test_clean_text(fragment: str, text: str) -> None:
    assert clean_text(fragment) == text


@pytest.mark.parametrize(
    "hostile",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<p onclick="steal()" onmouseover="x()">x</p>',
        "<iframe src='https://ads.example'></iframe>",
        "<script>document.cookie</script>",
        "<style>body{display:none}</style>",
        '<svg onload="x()"><use href="data:x"/></svg>',
    ],
)
def test_sanitize_html_removes_active_content(hostile: str) -> None:
    cleaned = sanitize_html(hostile, BASE).lower()
    for forbidden in ("javascript:", "data:", "onclick", "onload", "onmouseover", "<iframe",
                      "<script", "<style", "<svg", "document.cookie"):  # fmt: skip
        assert forbidden not in cleaned


def test_sanitize_html_keeps_structure_and_resolves_links() -> None:
    cleaned = sanitize_html('<p>Voir <a href="../tag/malte" title="Malte">Malte</a></p>', BASE)
    assert cleaned == (
        '<p>Voir <a href="https://www.exemple-info.fr/tag/malte" title="Malte" '
        'rel="noopener noreferrer">Malte</a></p>'
    )


def test_sanitize_html_with_unusable_base_drops_relative_links() -> None:
    assert sanitize_html('<a href="/x">x</a>', "not a url") == '<a rel="noopener noreferrer">x</a>'


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/live/ukraine#update-2", "https://www.exemple-info.fr/live/ukraine#update-2"),
        ("https://other.example/a", "https://other.example/a"),
        ("  //cdn.example/x ", "https://cdn.example/x"),
        ("javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("mailto:redaction@example.fr", None),
        ("", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_safe_link(link: str | None, expected: str | None) -> None:
    assert safe_link(link, BASE) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 18, "one two three four"),
        ("one two three four", 16, "one two three fo"),  # no space near the end: a hard cut
        ("aaaaaaaaaa bbbbbbbbbb cc", 23, "aaaaaaaaaa bbbbbbbbbb"),  # the last word is dropped
        ("", 0, ""),
        ("abc", 0, ""),
    ],
)
def test_bounded_text(text: str, limit: int, expected: str) -> None:
    assert bounded_text(text, limit) == expected
    assert len(bounded_text(text, limit)) <= limit
