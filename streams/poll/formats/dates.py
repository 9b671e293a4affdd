"""Feed dates (RFC 822, ISO 8601/RFC 3339 and feedparser's long tail) to aware UTC datetimes."""

from __future__ import annotations

import calendar
import contextlib
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from feedparser.datetimes import _parse_date as feedparser_parse_date

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTHS, start=1)}
# The RFC 822/2822 dates feeds actually carry ("Wed, 04 Dec 2024 08:00:00 +0000"), read
# without email.utils' general tokenizer and with exactly its result: a four-digit year from
# 1000 (no two-digit year rule), "-0000" and "GMT" both meaning UTC.
_PLAIN_RFC822 = re.compile(
    r"(?:[A-Za-z]{3}, )?([0-9]{1,2}) (" + "|".join(_MONTHS) + r") ([1-9][0-9]{3}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) (?:([+-])([0-9]{2})([0-9]{2})|GMT)"
)
_DAY = timedelta(days=1)


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
    plain = _PLAIN_RFC822.fullmatch(value)
    if plain is not None:
        with contextlib.suppress(ValueError):  # day 31 of a short month, "+2400": see below
            return _plain_rfc822(plain)
    return _email_date(value)


def _plain_rfc822(plain: re.Match[str]) -> datetime:
    """The date in UTC (its offset applied, as astimezone would)."""
    day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = plain.groups()
    moment = datetime(int(year), _MONTH_NUMBERS[month], int(day), int(hour), int(minute),
                      int(second), tzinfo=UTC)  # fmt: skip
    if zone_hours is None or zone_hours == zone_minutes == "00":
        return moment
    offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    if offset >= _DAY:
        raise ValueError("UTC offset of a day or more")  # email.utils' timezone() refuses it
    return moment + offset if sign == "-" else moment - offset


def _email_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
