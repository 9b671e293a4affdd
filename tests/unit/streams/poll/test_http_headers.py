"""Retry-After and Cache-Control parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.poll.http_headers import parse_max_age, parse_retry_after

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Sun, 01 Mar 2026 12:01:30 GMT", 90.0),  # IMF-fixdate
        ("Sunday, 01-Mar-26 12:10:00 GMT", 600.0),  # obsolete RFC 850 form
        ("Sun Mar  1 12:00:45 2026", 45.0),  # asctime, implicitly GMT
        ("Sat, 28 Feb 2026 12:00:00 GMT", 0.0),  # in the past: retry now
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("٣", None),  # non-ASCII digit
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=900", 900),
        ("public, max-age=300, must-revalidate", 300),
        ("Max-Age = 60", 60),
        ('max-age="120"', 120),
        ("s-maxage=600", None),  # for shared caches, not for us
        ("no-cache", None),
        ("max-age=abc", None),
        ("max-age=-1", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_max_age(value: str | None, expected: int | None) -> None:
    assert parse_max_age(value) == expected
