"""The status phrase of `telex poll --status` and `telex feeds list`."""

from __future__ import annotations

import pytest

from schemas.models import FeedState
from streams.poll.status import describe, describe_all, status_phrase
from streams.settings import FeedSettings

URL = "https://news.example/rss"
FEED = FeedSettings(id="news", url=URL)
POLLED = FeedState("news", URL, configured_url=URL, last_outcome="ok")


@pytest.mark.parametrize(
    ("state", "feed", "phrase"),
    [
        (POLLED, FEED, "polling"),
        (None, FEED, "not polled yet"),
        (FeedState("news", URL, configured_url="https://old.example/rss"), FEED, "not polled yet"),
        (POLLED, FEED.model_copy(update={"paused": True}), "paused"),
        (FeedState("news", URL, configured_url=URL, gone=True, failures=1), FEED,
         "stopped: 410 Gone; telex feeds reset news to resume"),
        (FeedState("news", URL, configured_url=URL, gone=True), FEED.model_copy(
            update={"reset_at": "r1"}), "reset pending: polled again at the poller's next check"),
        (FeedState("news", URL, configured_url=URL, failures=3, last_outcome="timeout"), FEED,
         "backoff: 3 failures in a row, last timeout"),
        (POLLED, None, "not in the feed list (saved state kept; telex feeds remove ID deletes it)"),
    ],
)  # fmt: skip
def test_status_phrase(state: FeedState | None, feed: FeedSettings | None, phrase: str) -> None:
    assert status_phrase(state, feed) == phrase


def test_describe_keeps_the_fields_poll_status_printed_before() -> None:
    entry = describe("news", POLLED, FEED)
    for key in (
        "feed_id",
        "url",
        "in_backoff",
        "failures",
        "backoff_since",
        "gone",
        "last_outcome",
        "last_error",
        "last_success_at",
        "next_poll_at",
        "known_items",
    ):
        assert key in entry  # fmt: skip
    assert describe_all({"news": POLLED, "gone": POLLED}, (FEED,))[1]["feed_id"] == "gone"
