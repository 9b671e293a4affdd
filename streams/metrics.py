"""Every Prometheus metric telex exports, defined once.

Names follow Prometheus conventions (``telex_`` prefix, base units, ``_total`` counters,
``_seconds`` histograms). Label values are bounded: feed ids come from the config, outcomes,
statuses and reasons from fixed enums, topics from the taxonomy.
"""

from __future__ import annotations

import contextlib

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
# process_cpu_seconds_total, process_resident_memory_bytes...: how close the process is to a core.
ProcessCollector(registry=REGISTRY)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
_END_TO_END_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)

# --- poller -------------------------------------------------------------------------------
FETCHES = Counter(
    "telex_poller_fetches",
    "Feed fetches by outcome (ok, not_modified, unchanged, client_error, server_error, "
    "rate_limited, gone, not_found, timeout, too_large, refused_redirect, redirect_loop, "
    "network_error, parse_error)",
    ["feed_id", "outcome"],
    registry=REGISTRY,
)
FETCH_DURATION = Histogram(
    "telex_poller_fetch_duration_seconds",
    "Time to fetch one feed, request to last byte",
    ["feed_id"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
BYTES_DOWNLOADED = Counter(
    "telex_poller_downloaded_bytes", "Body bytes downloaded", ["feed_id"], registry=REGISTRY
)
BYTES_SAVED = Counter(
    "telex_poller_saved_bytes",
    "Body bytes not downloaded thanks to 304 Not Modified (size of the last full body)",
    ["feed_id"],
    registry=REGISTRY,
)
ITEMS_EMITTED = Counter(
    "telex_poller_items",
    "Items published to the raw topic, by kind (new, revised) and suppressed by the "
    "GUID-churn guard (churn_suppressed)",
    ["feed_id", "kind"],
    registry=REGISTRY,
)
LAST_SUCCESS = Gauge(
    "telex_poller_last_success_timestamp_seconds",
    "Unix time of the last successful poll (200 parsed, 304, or unchanged body)",
    ["feed_id"],
    registry=REGISTRY,
)
FEED_INTERVAL = Gauge(
    "telex_poller_feed_interval_seconds",
    "Configured poll interval of the feed",
    ["feed_id"],
    registry=REGISTRY,
)
IN_BACKOFF = Gauge(
    "telex_poller_feed_in_backoff",
    "1 while the feed is backing off after errors, else 0",
    ["feed_id"],
    registry=REGISTRY,
)
BACKOFF_SINCE = Gauge(
    "telex_poller_feed_backoff_since_timestamp_seconds",
    "Unix time the current backoff began (0 when not in backoff)",
    ["feed_id"],
    registry=REGISTRY,
)
NEXT_POLL = Gauge(
    "telex_poller_next_poll_timestamp_seconds",
    "Unix time of the next scheduled poll",
    ["feed_id"],
    registry=REGISTRY,
)
FEED_ERRORS = Counter(
    "telex_poller_feed_errors",
    "Per-feed errors by reason (fetch outcome or parse_error)",
    ["feed_id", "reason"],
    registry=REGISTRY,
)

ARTICLE_FETCHES = Counter(
    "telex_poller_article_fetches",
    "Article pages fetched for fetch_article feeds, by outcome: ok, a fetch outcome (timeout, "
    "too_large, refused_address...), not_html, no_text, extract_error, over_limit (not "
    "fetched: over poller.max_articles_per_poll)",
    ["feed_id", "outcome"],
    registry=REGISTRY,
)

# --- worker -------------------------------------------------------------------------------
ITEMS_IN = Counter(
    "telex_worker_items_in",
    "Raw messages consumed, by source feed id (unknown when unreadable)",
    ["feed_id"],
    registry=REGISTRY,
)
DEDUP_OUTCOMES = Counter(
    "telex_worker_dedup",
    "Dedup decisions by status (new, update, duplicate, near_duplicate, dropped_unchanged)",
    ["status"],
    registry=REGISTRY,
)
TAGS_ASSIGNED = Counter("telex_worker_tags", "Tags assigned by topic", ["topic"], registry=REGISTRY)
ENRICHED_OUT = Counter(
    "telex_worker_enriched_events",
    "Enriched events produced to the enriched topic",
    registry=REGISTRY,
)
DELIVERY_FAILURES = Counter(
    "telex_worker_delivery_failures",
    "Outputs the producer failed to deliver after its retries (the worker stops on the first)",
    registry=REGISTRY,
)
READ_BACK = Counter(
    "telex_worker_read_back",
    "Input messages the worker read from the broker itself because its stream passed over "
    "them (faust around rebalances)",
    ["topic"],
    registry=REGISTRY,
)
DLQ_MESSAGES = Counter(
    "telex_worker_dlq_messages", "Messages sent to the DLQ by reason", ["reason"], registry=REGISTRY
)
END_TO_END_LATENCY = Histogram(
    "telex_worker_end_to_end_latency_seconds",
    "Item published in the feed to enriched event produced (when the feed gives a time)",
    buckets=_END_TO_END_BUCKETS,
    registry=REGISTRY,
)
PIPELINE_LATENCY = Histogram(
    "telex_worker_pipeline_latency_seconds",
    "Raw item fetched by the poller to enriched event produced",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
PROCESSING_TIME = Histogram(
    "telex_worker_processing_seconds",
    "CPU-side processing time per item, by stage (tag, dedup)",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1),
    registry=REGISTRY,
)
DEDUP_WINDOW = Gauge(
    "telex_worker_dedup_window_items", "Items currently in the dedup window", registry=REGISTRY
)
TAXONOMY = Info("telex_worker_taxonomy", "Taxonomy in use", registry=REGISTRY)
CONSUMER_LAG = Gauge(
    "telex_worker_consumer_lag_messages",
    "Messages between the high watermark and the committed offset, per assigned partition",
    ["topic", "partition"],
    registry=REGISTRY,
)

# --- both ---------------------------------------------------------------------------------
READY = Gauge(
    "telex_ready",
    "1 when the process is ready (connected to Kafka; worker: table recovery done)",
    ["component"],
    registry=REGISTRY,
)
BUILD = Info("telex_build", "telex version", registry=REGISTRY)


def forget_feed(feed_id: str) -> None:
    """Drop a feed's gauges, so a feed no longer polled raises no stale or backoff alert."""
    for gauge in (LAST_SUCCESS, FEED_INTERVAL, IN_BACKOFF,
                  BACKOFF_SINCE, NEXT_POLL):  # fmt: skip
        with contextlib.suppress(KeyError):
            gauge.remove(feed_id)


def initialise_feed_counters(feed_id: str) -> None:
    """Export the feed's counters at 0 from the start, so rate() has a series before the first
    304 or new item (Prometheus' advice for labelled counters of known label values)."""
    BYTES_DOWNLOADED.labels(feed_id)
    BYTES_SAVED.labels(feed_id)
    for kind in ("new", "revised", "churn_suppressed"):
        ITEMS_EMITTED.labels(feed_id, kind)
