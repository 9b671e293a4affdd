"""parse_feed on hostile and broken bodies: never hangs, returns what it can or ParseError."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streams.poll.parse import ParseError, parse_feed

BAD = Path(__file__).parents[3] / "fixtures" / "feeds" / "bad"
URL = "https://bad.example/feed"


@pytest.mark.parametrize(
    "name", ["binary_junk.bin", "jsonld_not_json.html", "truncated.json", "truncated.xml"]
)
def test_unreadable_bodies_raise_parse_error(name: str) -> None:
    with pytest.raises(ParseError):
        parse_feed((BAD / name).read_bytes(), url=URL)


@pytest.mark.parametrize(
    ("name", "guids"),
    [
        ("malformed_unclosed.xml", ["b1", "b2"]),
        ("nul_bytes.xml", ["nul-1"]),
        ("item_without_title_link_guid.xml", [None, None]),
    ],
)
def test_broken_xml_yields_what_it_can(name: str, guids: list[str | None]) -> None:
    feed = parse_feed((BAD / name).read_bytes(), url=URL)
    assert [entry.guid for entry in feed.entries] == guids


def test_nul_bytes_are_removed_from_text() -> None:
    feed = parse_feed((BAD / "nul_bytes.xml").read_bytes(), url=URL)
    assert feed.entries[0].title == "ABC"


def test_item_without_guid_is_not_given_a_relative_link() -> None:
    feed = parse_feed((BAD / "nul_bytes.xml").read_bytes(), url=URL)
    assert feed.entries[0].link is None


def test_billion_laughs_is_not_expanded() -> None:
    started = time.perf_counter()
    feed = parse_feed((BAD / "billion_laughs.xml").read_bytes(), url=URL)
    assert time.perf_counter() - started < 2.0
    assert all(len(entry.title) < 1000 for entry in feed.entries)


def test_external_entities_are_not_fetched() -> None:
    feed = parse_feed((BAD / "external_entity.xml").read_bytes(), url=URL)
    text = " ".join(entry.title + entry.summary for entry in feed.entries)
    assert "root:" not in text


@pytest.mark.parametrize("body", [b"", b"   \n", b"\xef\xbb\xbf", b"\x00\x00\x00"])
def test_empty_bodies_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_feed(body, url=URL)


def test_invalid_utf8_never_raises_unicode_errors() -> None:
    body = b'<rss version="2.0"><channel><title>\xff\xfe\xc3</title></channel></rss>'
    assert parse_feed(body, url=URL, content_type="application/xml; charset=utf-8").title


def test_body_naming_a_local_file_is_not_opened() -> None:
    with pytest.raises(ParseError):
        parse_feed(b"/etc/hostname", url=URL)


def test_ten_thousand_items_are_capped_quickly() -> None:
    items = "".join(
        f"<item><title>Item {n}</title><guid>g{n}</guid><description>&lt;p&gt;Text {n}&lt;/p&gt;"
        "</description></item>"
        for n in range(10_000)
    )
    body = f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
    started = time.perf_counter()
    feed = parse_feed(body, url=URL, max_items=500)
    assert time.perf_counter() - started < 20.0
    assert [entry.guid for entry in feed.entries[:2]] == ["g0", "g1"]
    assert len(feed.entries) == 500


def test_negative_max_items_is_a_caller_error() -> None:
    with pytest.raises(ValueError):
        parse_feed(b"<rss/>", url=URL, max_items=-1)
