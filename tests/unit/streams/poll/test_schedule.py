"""Poll scheduling: backoff, server-imposed floors, Retry-After, 410 and staggering."""

from __future__ import annotations

import random

import pytest

from streams.poll.schedule import (
    PollFeedback,
    SchedulePolicy,
    backoff_delay,
    initial_delays,
    next_poll_delay,
)

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.mark.parametrize(
    ("failures", "ceiling"),
    [(0, 0.0), (1, 10.0), (2, 20.0), (3, 40.0), (6, 320.0), (7, 500.0), (10_000, 500.0)],
)
def test_backoff_stays_within_exponential_ceiling(failures: int, ceiling: float) -> None:
    rng = random.Random(7)
    draws = [backoff_delay(failures, base=10.0, cap=500.0, rng=rng) for _ in range(2000)]
    assert all(0.0 <= d <= ceiling for d in draws)
    if ceiling:  # full jitter uses the whole range, not just its top
        assert min(draws) < 0.1 * ceiling
        assert max(draws) > 0.9 * ceiling


def test_backoff_never_gives_up() -> None:
    assert backoff_delay(10**9, base=1.0, cap=60.0, rng=random.Random(1)) <= 60.0


POLICY = SchedulePolicy(max_stretch=DAY, backoff_base=30.0, backoff_cap=HOUR)


@pytest.mark.parametrize(
    ("interval", "feedback", "expected"),
    [
        (300, PollFeedback(), 300),  # healthy feed: the configured interval
        (300, PollFeedback(ttl=3600), 3600),  # <ttl> asks for less often
        (300, PollFeedback(max_age=900), 900),  # Cache-Control: max-age likewise
        (300, PollFeedback(ttl=600, max_age=1200), 1200),  # the larger floor wins
        (300, PollFeedback(max_age=60), 300),  # a short max-age never speeds us up
        (300, PollFeedback(max_age=31_536_000), DAY),  # stretch capped at a day
        (2 * DAY, PollFeedback(ttl=3 * DAY), 2 * DAY),  # a configured long interval stands
        (300, PollFeedback(retry_after=1800, consecutive_failures=4), 1800),  # wins over backoff
        (300, PollFeedback(retry_after=5, consecutive_failures=1), 300),  # not below interval
        (300, PollFeedback(retry_after=10 * DAY, consecutive_failures=1), DAY),  # capped
        (300, PollFeedback(gone=True), None),  # 410: stop polling
        (300, PollFeedback(gone=True, retry_after=60), None),
    ],
)
def test_next_poll_delay_rules(
    interval: float, feedback: PollFeedback, expected: float | None
) -> None:
    assert next_poll_delay(interval, feedback, random.Random(3), POLICY) == expected


@pytest.mark.parametrize("failures", [1, 2, 5, 50])
def test_failing_feed_waits_interval_plus_capped_backoff(failures: int) -> None:
    rng = random.Random(failures)
    ceiling = min(HOUR, 30.0 * 2 ** (failures - 1))
    for _ in range(200):
        delay = next_poll_delay(300, PollFeedback(consecutive_failures=failures), rng, POLICY)
        assert delay is not None
        assert 300 <= delay <= 300 + ceiling


def test_failures_ignore_server_floors() -> None:
    feedback = PollFeedback(consecutive_failures=1, max_age=DAY)
    delay = next_poll_delay(300, feedback, random.Random(0), POLICY)
    assert delay is not None and delay <= 330


def test_initial_delays_spread_feeds_one_per_slot() -> None:
    feed_ids = [f"feed-{n}" for n in range(100)]
    delays = initial_delays(feed_ids, 600.0, random.Random(5))
    assert set(delays) == set(feed_ids)
    slots = sorted(int(d // 6.0) for d in delays.values())
    assert slots == list(range(100))  # exactly one feed in each 6 s slot


def test_initial_delays_keep_phase_by_feed_id() -> None:
    feeds = ["lemonde-live", "tagesschau", "bbc-world", "ft-europe"]
    first = initial_delays(feeds, 400.0, random.Random(1))
    reordered = initial_delays(list(reversed(feeds)), 400.0, random.Random(2))
    assert sorted(first, key=first.__getitem__) == sorted(reordered, key=reordered.__getitem__)


def test_initial_delays_of_nothing() -> None:
    assert initial_delays([], 300.0, random.Random(0)) == {}
