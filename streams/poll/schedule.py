"""When to poll a feed next: pure rules, no clock reads (randomness comes in as `rng`).

All durations are seconds.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

# Exponents beyond this already exceed any sane cap; bounding them avoids float overflow.
_MAX_EXPONENT = 60


@dataclass(frozen=True)
class SchedulePolicy:
    """How far a server may stretch the interval, and the error backoff's base and ceiling."""

    max_stretch: float = 24 * 3600
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0


DEFAULT_POLICY = SchedulePolicy()


@dataclass(frozen=True)
class PollFeedback:
    """What the last poll told us; ttl from the feed's <ttl> (converted to seconds)."""

    consecutive_failures: int = 0
    gone: bool = False
    retry_after: float | None = None
    max_age: float | None = None
    ttl: float | None = None


def backoff_delay(failures: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(failures-1))].

    Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter") spreads retries of
    feeds that failed together; it never gives up, the ceiling just stops growing at `cap`.
    """
    if failures <= 0:
        return 0.0
    exponent = min(failures - 1, _MAX_EXPONENT)
    return rng.uniform(0.0, min(cap, base * 2.0**exponent))


def next_poll_delay(
    interval: float,
    feedback: PollFeedback,
    rng: random.Random,
    policy: SchedulePolicy = DEFAULT_POLICY,
) -> float | None:
    """Seconds until the next poll of a feed polled every `interval`; None means stop polling."""
    if feedback.gone:
        return None  # 410 Gone: RFC 9110 15.5.11 says the resource is intentionally removed
    ceiling = max(interval, policy.max_stretch)
    if feedback.retry_after is not None:
        # The server said when; it wins over our own backoff, but never below our interval.
        return min(max(interval, feedback.retry_after), ceiling)
    if feedback.consecutive_failures > 0:
        # Normal interval plus a growing jittered penalty: failing feeds never poll faster.
        failures = feedback.consecutive_failures
        base, cap = policy.backoff_base, policy.backoff_cap
        return interval + backoff_delay(failures, base=base, cap=cap, rng=rng)
    # Never poll more often than the server asks (<ttl>, max-age); cap the stretch so a
    # mistaken "max-age=31536000" still leaves the feed polled daily.
    server_floor = max(feedback.ttl or 0.0, feedback.max_age or 0.0)
    return min(max(interval, server_floor), ceiling)


def initial_delays(
    feed_ids: Sequence[str], interval: float, rng: random.Random
) -> dict[str, float]:
    """First-poll delays spreading the feeds evenly over one interval.

    Feeds are ordered by a stable hash of their id, so each keeps roughly the same phase across
    restarts, and each gets its own slot of interval/n with `rng` jitter inside it.
    """
    unique = sorted(set(feed_ids), key=_stable_hash)
    if not unique:
        return {}
    slot = interval / len(unique)
    return {feed_id: (i + rng.random()) * slot for i, feed_id in enumerate(unique)}


def _stable_hash(feed_id: str) -> bytes:
    # Python's hash() is salted per process; sha256 gives the same order on every start.
    return hashlib.sha256(feed_id.encode()).digest()
