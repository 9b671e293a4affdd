"""Pure parsers for the HTTP response headers that drive polling politeness."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value, delay-seconds or HTTP-date (RFC 9110 10.2.3).

    `now` must be timezone-aware; a date in the past means "retry now" (0). None if invalid.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are always UTC; asctime carries no zone
    return max(0.0, (when - now).total_seconds())


def parse_max_age(cache_control: str | None) -> int | None:
    """The max-age directive of a Cache-Control header in seconds (RFC 9111 5.2.2.1), or None."""
    if cache_control is None:
        return None
    for directive in cache_control.split(","):
        name, _, argument = directive.strip().partition("=")
        if name.strip().lower() == "max-age":
            seconds = argument.strip().strip('"')
            return int(seconds) if seconds.isascii() and seconds.isdigit() else None
    return None


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """RFC 9110 13.1: send the stored validators so an unchanged feed costs a 304."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers
