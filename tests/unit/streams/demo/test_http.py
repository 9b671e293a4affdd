"""Content-coding negotiation of the demo server."""

from __future__ import annotations

import pytest

from streams.demo.http import Representation, accepts_gzip


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("*;q=0.5, gzip;q=0", False),
        ("gzip;q=abc", False),
        ("identity", False),
        ("", False),
        ("deflate, br", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_etag_follows_the_body() -> None:
    first = Representation(b"<rss/>", "application/rss+xml", 0.0)
    same = Representation(b"<rss/>", "application/rss+xml", 5.0)
    other = Representation(b"<rss />", "application/rss+xml", 0.0)
    assert first.etag == same.etag != other.etag
    assert first.etag.startswith('W/"')
