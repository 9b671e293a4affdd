"""_worth_saving (a tuple of fields) decides as the dataclasses.replace version it replaced."""

from __future__ import annotations

import random
from dataclasses import replace

from schemas.models import FeedState
from streams.poll.feed_state import SUCCESS_OUTCOMES
from streams.poll.feed_state import worth_saving as _worth_saving

_VALUES: dict[str, list[object]] = {
    "url": ["https://a.example/rss", "https://b.example/rss"],
    "configured_url": [None, "https://a.example/rss"],
    "etag": [None, '"1"', '"2"'],
    "last_modified": [None, "Wed, 04 Dec 2024 08:00:00 GMT"],
    "body_hash": [None, "abc", "def"],
    "items": [{}, {"i1": "h1"}, {"i1": "h2"}],
    "revisions": [{}, {"i1": 1}],
    "urls": [{}, {"https://a.example/1": "i1"}],
    "failures": [0, 1, 2],
    "gone": [False, True],
    "last_success_at": [None, 1.0, 2.0],
    "last_outcome": [None, "ok", "not_modified", "unchanged", "timeout", "server_error"],
    "last_error": [None, "HTTP 500"],
    "backoff_since": [None, 1.0, float("nan")],
    "next_poll_at": [None, 10.0, 20.0],
}


def _replace_based(before: FeedState, after: FeedState) -> bool:
    """The previous implementation, kept here as the reference."""
    if before.last_outcome in SUCCESS_OUTCOMES and after.last_outcome in SUCCESS_OUTCOMES:
        after = replace(after, last_outcome=before.last_outcome)
    strip = {"last_success_at": None, "next_poll_at": None}
    return replace(before, **strip) != replace(after, **strip)  # type: ignore[arg-type]


def _random_state(rng: random.Random, base: FeedState) -> FeedState:
    changed = rng.sample(sorted(_VALUES), k=rng.randint(0, 3))
    return replace(base, **{name: rng.choice(_VALUES[name]) for name in changed})  # type: ignore[arg-type]


def test_same_decision_as_the_replace_based_comparison() -> None:
    rng = random.Random(20241204)
    for _ in range(5000):
        before = _random_state(rng, FeedState("f", "https://a.example/rss"))
        after = _random_state(rng, before) if rng.random() < 0.7 else before
        assert _worth_saving(before, after) == _replace_based(before, after), (before, after)


def test_a_304_after_a_success_writes_nothing_and_an_error_does() -> None:
    before = FeedState("f", "u", etag='"1"', last_outcome="ok", last_success_at=1.0)
    assert not _worth_saving(before, replace(before, last_outcome="not_modified",
                                             last_success_at=2.0, next_poll_at=3.0))  # fmt: skip
    assert _worth_saving(before, replace(before, last_outcome="timeout", failures=1))
