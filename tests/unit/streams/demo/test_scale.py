"""The deterministic change model of the benchmark feeds."""

from __future__ import annotations

import pytest

from streams.demo.scale import ChangeHistory, changes_at


@pytest.mark.parametrize("probability", [0.02, 0.1, 0.5])
def test_feeds_change_at_about_the_configured_rate(probability: float) -> None:
    draws = [changes_at(feed, step, probability) for feed in range(1000) for step in range(1, 41)]
    rate = sum(draws) / len(draws)
    assert abs(rate - probability) < 0.1 * probability + 0.002


@pytest.mark.parametrize(("probability", "expected"), [(0.0, False), (1.0, True)])
def test_extreme_probabilities(probability: float, expected: bool) -> None:
    assert {changes_at(feed, 5, probability) for feed in range(200)} == {expected}


def test_every_feed_exists_from_step_zero() -> None:
    assert all(changes_at(feed, 0, 0.0) for feed in range(100))


def brute_force(feed: int, step: int, probability: float, keep: int) -> tuple[int, ...]:
    found = [s for s in range(step, -1, -1) if changes_at(feed, s, probability)]
    return tuple(found[:keep])


@pytest.mark.parametrize("steps", [[0, 10, 10, 57], [30, 5, 80], [200]])
def test_history_matches_a_full_scan(steps: list[int]) -> None:
    history = ChangeHistory(probability=0.1, keep=3)
    for step in steps:
        for feed in (0, 7, 1234):
            assert history.recent_changes(feed, step) == brute_force(feed, step, 0.1, 3)
