"""The poller's CPU: per unchanged poll (304 and same body), and at scale against the demo
server's `/feeds/{n}.rss` (CPU share of one core and lateness of due polls)."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from benchmarks.report import Section, percentile, verdict
from benchmarks.servers import bench_settings, demo_server_process
from streams.fetch import Fetcher, FetchResult
from streams.kafka import reliable_producer
from streams.poller import FeedRuntime, Poller, PollResult
from streams.publish import RawPublisher
from streams.service import fetch_settings
from streams.settings import PollerSettings, Settings
from streams.state import FeedStateStore
from streams.topics import TopicNames, ensure_topics

AIM_UNCHANGED_MS = 1.0
AIM_CPU_SHARE = 0.5
AIM_LATENESS_S = 5.0
CHANGE_PROBABILITY = 0.02


class ValidatorlessFetcher(Fetcher):
    """Drops the stored validators, so the server answers 200 with the same body."""

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        return await super().fetch(url)


class LatenessPoller(Poller):
    """Records, for every poll, how long after its due time it started."""

    lateness: list[float]

    async def poll_feed(self, runtime: FeedRuntime) -> PollResult:
        self.lateness.append(time.time() - runtime.due)
        return await super().poll_feed(runtime)


@dataclass(frozen=True)
class ScaleRun:
    """What a run at scale measured."""

    polls: int
    cpu_share: float
    lateness_p50: float
    lateness_p99: float
    seconds: float


def poller_settings(base_url: str, feeds: int, interval: float) -> PollerSettings:
    listed = [
        {"id": f"bench-{n}", "url": f"{base_url}/feeds/{n}.rss", "interval_seconds": interval}
        for n in range(feeds)
    ]
    # Every feed is on one host here; a real deployment spreads them over many.
    return PollerSettings.model_validate(
        {"feeds": listed, "allow_private_addresses": True, "per_host_concurrency": 100}
    )


async def _kafka_poller(
    settings: Settings, poller_config: PollerSettings, fetcher: Fetcher, cls: type[Poller]
) -> tuple[Poller, AIOKafkaProducer]:
    names = TopicNames.from_settings(settings)
    producer = reliable_producer(settings.kafka)
    await producer.start()
    store = FeedStateStore(settings.kafka, names.feeds_state, producer)
    poller = cls(poller_config, fetcher=fetcher, publisher=RawPublisher(producer, names.raw),
                 store=store)  # fmt: skip
    poller.load({})
    return poller, producer


async def unchanged_poll_ms(settings: Settings, base_url: str, feeds: int, rounds: int) -> float:
    """CPU milliseconds per poll of an unchanged feed, after one first full poll of each."""
    config = poller_settings(base_url, feeds, 60.0)
    async with Fetcher(fetch_settings(config)) as fetcher:
        poller, producer = await _kafka_poller(settings, config, fetcher, Poller)
        try:
            return await _cpu_per_poll(poller, rounds)
        finally:
            await producer.stop()


async def same_body_poll_ms(settings: Settings, base_url: str, feeds: int, rounds: int) -> float:
    """CPU milliseconds per poll whose 200 body is byte-identical to the last one."""
    config = poller_settings(base_url, feeds, 60.0)
    async with ValidatorlessFetcher(fetch_settings(config)) as fetcher:
        poller, producer = await _kafka_poller(settings, config, fetcher, Poller)
        try:
            return await _cpu_per_poll(poller, rounds)
        finally:
            await producer.stop()


async def _cpu_per_poll(poller: Poller, rounds: int) -> float:
    runtimes = list(poller.feeds.values())
    for runtime in runtimes:
        await poller.poll_feed(runtime)
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        outcomes = [(await poller.poll_feed(runtime)).outcome for runtime in runtimes]
        samples.append((time.process_time() - started) / len(runtimes) * 1000)
        if set(outcomes) - {"not_modified", "unchanged"}:
            raise RuntimeError(f"expected unchanged polls, got {set(outcomes)}")
    return statistics.median(samples)


async def at_scale(settings: Settings, base_url: str, feeds: int, interval: float,
                   intervals: int) -> ScaleRun:  # fmt: skip
    """Run the poller for `intervals` intervals; CPU share and lateness after the first one."""
    await ensure_topics(settings)
    config = poller_settings(base_url, feeds, interval)
    async with Fetcher(fetch_settings(config)) as fetcher:
        poller, producer = await _kafka_poller(settings, config, fetcher, LatenessPoller)
        assert isinstance(poller, LatenessPoller)
        poller.lateness = []
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        try:
            await asyncio.sleep(interval)  # the first interval fetches and parses every feed
            steady_from = len(poller.lateness)
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.sleep(interval * (intervals - 1))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=60)
            await producer.stop()
    steady = poller.lateness[steady_from:]
    return ScaleRun(len(steady), cpu / wall, percentile(steady, 0.5), percentile(steady, 0.99),
                    wall)  # fmt: skip


def run(bootstrap: str, work_dir: Path, *, feeds: int, interval: float, intervals: int,
        unchanged_feeds: int, rounds: int) -> Section:  # fmt: skip
    """Both poller measurements, each against its own demo server process."""
    settings = bench_settings(bootstrap, work_dir)
    section = Section("Poller CPU", ("what", "measured", "aim", "verdict"))
    with demo_server_process(scale_feeds=unchanged_feeds, change_probability=0.0, max_age=0) as url:
        asyncio.run(ensure_topics(settings))
        not_modified = asyncio.run(unchanged_poll_ms(settings, url, unchanged_feeds, rounds))
        same_body = asyncio.run(same_body_poll_ms(settings, url, unchanged_feeds, rounds))
    for label, value in (("304 Not Modified", not_modified), ("200, same body", same_body)):
        aim = f"< {AIM_UNCHANGED_MS} ms"
        section.rows.append((f"CPU per unchanged poll, {label}", f"{value:.3f} ms", aim,
                             verdict(value < AIM_UNCHANGED_MS)))  # fmt: skip
    with demo_server_process(scale_feeds=feeds, change_probability=CHANGE_PROBABILITY,
                             change_period=interval, max_age=0) as url:  # fmt: skip
        scale = asyncio.run(at_scale(settings, url, feeds, interval, intervals))
    section.rows.append((f"CPU share of one core, {feeds:,} feeds every {interval:g} s",
                         f"{scale.cpu_share:.1%}", f"< {AIM_CPU_SHARE:.0%}",
                         verdict(scale.cpu_share < AIM_CPU_SHARE)))  # fmt: skip
    section.rows.append(("lateness of due polls p50 / p99",
                         f"{scale.lateness_p50:.3f} s / {scale.lateness_p99:.3f} s",
                         f"p99 < {AIM_LATENESS_S:g} s",
                         verdict(scale.lateness_p99 < AIM_LATENESS_S)))  # fmt: skip
    section.notes.append(
        f"unchanged polls: time.process_time around {rounds} rounds over {unchanged_feeds} "
        "feeds (median per-poll CPU of the rounds); the server runs in another process"
    )
    section.notes.append(
        f"at scale: {scale.polls:,} polls over {scale.seconds:.0f} s after a first full interval; "
        f"{CHANGE_PROBABILITY:.0%} of feeds change per interval; real Kafka producer and "
        "state store; baseline: one core (100%)"
    )
    return section
