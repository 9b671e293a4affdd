"""The poller as a service: wire fetcher, Kafka producer, state store and metrics server.

Everything here is I/O wiring; the decisions live in streams.poll.poller and the pure modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import orjson
from aiokafka import AIOKafkaProducer

from schemas.models import FeedState, encode
from streams import __version__, metrics
from streams.errors import ConfigError
from streams.health import start_health_server
from streams.kafka import broker_reachable, reliable_producer, started, with_broker
from streams.poll.changes import detect_changes
from streams.poll.feedlist import FeedFileWatcher
from streams.poll.fetch import Fetcher, FetchOutcome, FetchSettings, user_agent
from streams.poll.parse import parse_feed
from streams.poll.parse_pool import ParsePool
from streams.poll.poller import Poller
from streams.poll.publish import RawPublisher, to_raw_item
from streams.poll.state import FeedStateStore
from streams.poll.status import describe_all
from streams.settings import FeedSettings, PollerSettings, Settings
from streams.topics import TopicNames, ensure_topics

log = logging.getLogger(__name__)
T = TypeVar("T")


def fetch_settings(poller: PollerSettings, *, allow_private: bool | None = None) -> FetchSettings:
    """The fetcher's knobs from the project settings."""
    return FetchSettings(
        user_agent=user_agent(__version__, poller.contact_url),
        connect_timeout=poller.connect_timeout,
        read_timeout=poller.read_timeout,
        total_timeout=poller.total_timeout,
        max_body_bytes=poller.max_body_bytes,
        max_redirects=poller.max_redirects,
        per_host_concurrency=poller.per_host_concurrency,
        max_concurrency=poller.max_concurrency,
        allow_private_addresses=(
            poller.allow_private_addresses if allow_private is None else allow_private
        ),
        exempt_networks=poller.exempt_networks,
        proxy=poller.proxy.get_secret_value() if poller.proxy else None,
        trust_env=poller.trust_env,
    )


@dataclass
class KafkaReadiness:
    """The poller is ready while its producer is started and a broker answers."""

    producer: AIOKafkaProducer | None = None

    async def check(self) -> bool:
        return self.producer is not None and await broker_reachable(self.producer.client)


async def run_poller(settings: Settings, *, wait: float | None = None) -> None:
    """Poll until SIGINT/SIGTERM; serve /metrics, /healthz and /readyz meanwhile.

    Waits for the broker first (at most `wait` seconds if given), /readyz answering 503.
    """
    watcher = feed_list_watcher(settings)
    feeds = watcher.load() if watcher else settings.poller.feeds
    if not feeds and watcher is None:
        log.warning("no feeds configured: add some under poller.feeds or in poller.feeds_file")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    names = TopicNames.from_settings(settings)
    readiness = KafkaReadiness()
    host, port = settings.metrics.host, settings.metrics.port
    runner = await start_health_server(host, port, "poller", readiness.check)
    try:
        producer = await _unless_stopped(
            stop, with_broker(settings.kafka, lambda: _connect(settings), timeout=wait)
        )
        if producer is None:
            return
        readiness.producer = producer
        metrics.READY.labels("poller").set(1)
        try:
            store = FeedStateStore(settings.kafka, names.feeds_state, producer)
            async with Fetcher(fetch_settings(settings.poller)) as fetcher:
                parse_pool = ParsePool(settings.poller.parse_processes)
                poller = Poller(
                    settings.poller,
                    fetcher=fetcher,
                    publisher=RawPublisher(producer, names.raw),
                    store=store,
                    parse_pool=parse_pool,
                )
                try:
                    poller.load(await store.load_all(), feeds)
                    log.info("polling %d feeds into %s", len(poller.feeds), names.raw)
                    await poller.run(stop, watcher)
                finally:
                    await asyncio.to_thread(parse_pool.close)
        finally:
            readiness.producer = None
            metrics.READY.labels("poller").set(0)
            await producer.stop()
    finally:
        await runner.cleanup()


async def _connect(settings: Settings) -> AIOKafkaProducer:
    """Create the missing topics and start the producer (a step of streams.kafka.with_broker)."""
    await ensure_topics(settings)
    return await started(reliable_producer(settings.kafka))


async def _unless_stopped(stop: asyncio.Event, work: Awaitable[T]) -> T | None:
    """`work`'s result, or None (`work` cancelled) if `stop` is set first."""
    working = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not working.done():
            working.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await working
    return None if working.cancelled() else working.result()


def feed_list_watcher(settings: Settings) -> FeedFileWatcher | None:
    """The watcher of `poller.feeds_file` (None without one); it lists inline feeds too."""
    path = settings.poller.feeds_file
    return FeedFileWatcher(path, settings.poller.feeds) if path is not None else None


def listed_feeds(settings: Settings) -> tuple[FeedSettings, ...]:
    """`poller.feeds` and the feeds file's feeds; ConfigError if the file is invalid."""
    watcher = feed_list_watcher(settings)
    return watcher.load() if watcher else settings.poller.feeds


async def load_states(
    settings: Settings, timeout: float = 60.0, *, wait: float | None = None
) -> dict[str, FeedState]:
    """Every feed's saved state, read from the state topic (the broker awaited at most `wait`
    seconds, if given)."""
    names = TopicNames.from_settings(settings)
    producer = await with_broker(settings.kafka, lambda: _connect(settings), timeout=wait)
    try:
        store = FeedStateStore(settings.kafka, names.feeds_state, producer)
        return await store.load_all(timeout)
    finally:
        await producer.stop()


async def delete_states(settings: Settings, feed_ids: list[str]) -> None:
    """Tombstone the saved state of feeds taken off the list (`telex feeds remove`)."""
    names = TopicNames.from_settings(settings)
    producer = await started(reliable_producer(settings.kafka))
    try:
        store = FeedStateStore(settings.kafka, names.feeds_state, producer)
        for feed_id in feed_ids:
            await store.delete(feed_id)
    finally:
        await producer.stop()


async def print_status(settings: Settings, *, wait: float) -> None:
    """Print every feed's status and saved state (backoff, failures, last outcome) as JSON
    lines: listed feeds first, then saved states of feeds no longer listed. Waits at most
    `wait` seconds for the broker."""
    try:
        feeds = listed_feeds(settings)
    except ConfigError as exc:
        log.warning("feed list unreadable, printing saved states only: %s", exc)
        feeds = ()
    states = await load_states(settings, wait=wait)
    for entry in describe_all(states, feeds):
        print(orjson.dumps(entry).decode())


async def check_feed(settings: Settings, url: str, *, allow_private: bool) -> list[str]:
    """Fetch and parse one URL once; the items it would publish, as JSON lines."""
    async with Fetcher(fetch_settings(settings.poller, allow_private=allow_private)) as fetcher:
        fetched = await fetcher.fetch(url)
    if fetched.outcome is not FetchOutcome.OK:
        from streams.errors import FeedError

        raise FeedError(f"fetching {url} failed: {fetched.outcome} ({fetched.error})", url=url)
    parsed = await asyncio.to_thread(
        parse_feed,
        fetched.body,
        url=fetched.url,
        content_type=fetched.content_type,
        max_items=settings.poller.max_items_per_poll,
    )
    if parsed.alternate_feed_url and not parsed.entries:
        log.warning(
            "%s is a page advertising the feed %s: following it", url, parsed.alternate_feed_url
        )
        return await check_feed(settings, parsed.alternate_feed_url, allow_private=allow_private)
    changes = detect_changes(FeedState(feed_id="check", url=url), parsed.entries).changes
    now = datetime.now(UTC)
    return [
        encode(
            to_raw_item(
                c,
                feed_id="check",
                feed_url=fetched.url,
                parsed=parsed,
                fetched=now,
                max_content_chars=settings.poller.max_content_chars,
            )
        ).decode()
        for c in changes
    ]
