"""The view reads the poller's and worker's /metrics pages as streams/metrics.py writes them."""

from __future__ import annotations

from prometheus_client import generate_latest

from streams import metrics
from streams.local.view_state import FeedMetrics
from streams.local.watch import poller_feed_metrics, worker_lag

FEED = "view-test-feed"
IDLE_FEED = "view-test-idle"


def test_poller_page_gives_next_poll_backoff_and_fetches_per_feed() -> None:
    metrics.NEXT_POLL.labels(FEED).set(1_765_000_060.0)
    metrics.BACKOFF_SINCE.labels(FEED).set(1_765_000_000.0)
    metrics.FETCHES.labels(FEED, "ok").inc(3)
    metrics.FETCHES.labels(FEED, "server_error").inc()
    metrics.NEXT_POLL.labels(IDLE_FEED).set(0)  # gone: no next poll
    metrics.BACKOFF_SINCE.labels(IDLE_FEED).set(0)  # not in backoff
    page = generate_latest(metrics.REGISTRY).decode()

    found = poller_feed_metrics(page)

    assert found[FEED] == FeedMetrics(1_765_000_060.0, 1_765_000_000.0,
                                      {"ok": 3.0, "server_error": 1.0})  # fmt: skip
    assert found[IDLE_FEED] == FeedMetrics(None, None, {})


def test_worker_page_gives_the_lag_of_the_named_topics() -> None:
    metrics.CONSUMER_LAG.labels("view-test.items.raw", "0").set(4)
    metrics.CONSUMER_LAG.labels("view-test.items.raw", "1").set(3)
    metrics.CONSUMER_LAG.labels("view-test.items.fingerprinted", "0").set(2)
    metrics.CONSUMER_LAG.labels("view-test.other", "0").set(100)
    page = generate_latest(metrics.REGISTRY).decode()

    assert worker_lag(page, ["view-test.items.raw", "view-test.items.fingerprinted"]) == 9
    assert worker_lag(page, ["view-test.absent"]) == 0
