"""`telex run`'s eyes on the pipeline: topics and /metrics pages read into a ViewState.

The records come from the broker (raw, enriched and DLQ topics from where they ended when
`telex run` started; the compacted feeds.state topic from its beginning). What the topics do
not say often enough comes from the processes' /metrics pages, once a second: when each feed
is polled next, whether it is in backoff, which fetch outcome came last (the poller saves a
feed's state only when it changes), and the worker's consumer lag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from schemas.models import decode_dead_letter, decode_enriched_item, decode_feed_state
from streams.errors import MessageError
from streams.kafka import client_options, start_client
from streams.local.view_state import EventRow, FeedMetrics, ViewState
from streams.settings import Settings
from streams.topics import TopicNames

_SCRAPE_TIMEOUT = aiohttp.ClientTimeout(total=0.8)


class PipelineReader:
    """One consumer outside any group, assigned every partition of the topics the view shows."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._names = TopicNames.from_settings(settings)
        self._consumer = AIOKafkaConsumer(
            **client_options(settings.kafka), group_id=None, enable_auto_commit=False,
            auto_offset_reset="earliest",
        )  # fmt: skip

    async def start(self) -> None:
        """Assign and position: the event topics at their end (this run's records only), the
        feed states at their beginning. Call it before the poller and workers start."""
        names = self._names
        counts = await self._partition_counts(
            [names.raw, names.enriched, names.dlq, names.feeds_state]
        )
        live = _partitions(counts, [names.raw, names.enriched, names.dlq])
        states = _partitions(counts, [names.feeds_state])
        await start_client(self._consumer, self._settings.kafka)
        self._consumer.assign([*live, *states])
        for partition, end in (await self._consumer.end_offsets(live)).items():
            self._consumer.seek(partition, end)
        if states:
            await self._consumer.seek_to_beginning(*states)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def read(self, state: ViewState, now: float, timeout: float) -> list[EventRow]:
        """Apply the records that arrive within ``timeout`` s; the new event rows."""
        batches = await self._consumer.getmany(timeout_ms=int(timeout * 1000))
        rows: list[EventRow] = []
        for partition, records in batches.items():
            topic = partition.topic
            if topic == self._names.raw:
                state.apply_raw(len(records))
                continue
            for record in records:
                row = self._apply(state, topic, record.key, record.value, now)
                if row is not None:
                    rows.append(row)
        return rows

    def _apply(
        self, state: ViewState, topic: str, key: bytes | None, value: bytes | None, now: float
    ) -> EventRow | None:
        if value is None:
            return None  # a tombstone
        try:
            if topic == self._names.enriched:
                return state.apply_enriched(decode_enriched_item(value), now)
            if topic == self._names.dlq:
                text_key = key.decode(errors="replace") if key else None
                return state.apply_dead_letter(decode_dead_letter(value), text_key, now)
            if topic == self._names.feeds_state:
                state.apply_feed_state(decode_feed_state(value))
        except MessageError:
            pass  # the contract tests guard these schemas; a view shows what it can read
        return None

    async def _partition_counts(self, topics: list[str]) -> dict[str, int]:
        # From the cluster itself: the consumer's metadata may not list topics created just now.
        admin = AIOKafkaAdminClient(**client_options(self._settings.kafka))
        await admin.start()
        try:
            described = await admin.describe_topics(topics)
        finally:
            await admin.close()
        return {str(topic["topic"]): len(topic["partitions"]) for topic in described}


def _partitions(counts: dict[str, int], topics: Iterable[str]) -> list[TopicPartition]:
    return [TopicPartition(t, p) for t in topics for p in range(counts.get(t, 0))]


async def scrape(session: aiohttp.ClientSession, url: str) -> str | None:
    """A /metrics page's text, or ``None`` while the process does not answer."""
    try:
        async with session.get(url, timeout=_SCRAPE_TIMEOUT) as response:
            return await response.text() if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError):
        return None


def poller_feed_metrics(page: str) -> dict[str, FeedMetrics]:
    """Per feed: next poll time, backoff start (0: none) and fetches by outcome."""
    next_poll: dict[str, float] = {}
    backoff: dict[str, float] = {}
    fetches: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            feed_id = sample.labels.get("feed_id")
            if feed_id is None:
                continue
            if sample.name == "telex_poller_next_poll_timestamp_seconds":
                next_poll[feed_id] = sample.value
            elif sample.name == "telex_poller_feed_backoff_since_timestamp_seconds":
                backoff[feed_id] = sample.value
            elif sample.name == "telex_poller_fetches_total":
                fetches.setdefault(feed_id, {})[sample.labels["outcome"]] = sample.value
    return {
        feed_id: FeedMetrics(
            next_poll_at=next_poll.get(feed_id) or None,
            backoff_since=backoff.get(feed_id) or None,
            fetches=fetches.get(feed_id, {}),
        )
        for feed_id in next_poll.keys() | fetches.keys()
    }


def worker_lag(page: str, topics: Iterable[str]) -> int:
    """The worker's consumer lag summed over the partitions it holds of ``topics``."""
    wanted = set(topics)
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(page)
            for sample in family.samples
            if sample.name == "telex_worker_consumer_lag_messages"
            and sample.labels.get("topic") in wanted
        )
    )


async def scrape_metrics(
    session: aiohttp.ClientSession, state: ViewState, poller_url: str, worker_urls: list[str],
    names: TopicNames,
) -> list[str]:  # fmt: skip
    """Read every /metrics page into ``state``; the feeds whose backoff began or ended."""
    pages = await asyncio.gather(*(scrape(session, url) for url in [poller_url, *worker_urls]))
    poller, workers = pages[0], [page for page in pages[1:] if page is not None]
    flipped = state.apply_feed_metrics(poller_feed_metrics(poller)) if poller else []
    if workers:
        state.lag = sum(worker_lag(page, [names.raw, names.fingerprinted]) for page in workers)
    return flipped
