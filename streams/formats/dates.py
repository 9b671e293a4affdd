"""Feed dates (RFC 822, ISO 8601/RFC 3339 and feedparser's long tail) to aware UTC datetimes."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from feedparser.datetimes import _parse_date as feedparser_parse_date


def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime, or None for missing or unreadable dates (naive means UTC)."""
    if not value:
        return None
    value = value.strip()
    parsed = _iso8601(value) or _rfc822(value)
    if parsed is None:
        return from_struct_time(feedparser_parse_date(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _iso8601(value: str) -> datetime | None:
    if len(value) < 10 or not value[:4].isdigit() or value[4] != "-":
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _rfc822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
