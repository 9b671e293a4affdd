"""The poller's CPU: per unchanged poll (304 and same body), and at scale against the demo
server's `/feeds/{n}.rss` (CPU share of one core and lateness of due polls)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from aiokafka import AIOKafkaProducer

from benchmarks.report import Section, percentile, verdict
from benchmarks.servers import bench_settings, demo_server_process
from streams.kafka import reliable_producer
from streams.poll.fetch import Fetcher, FetchResult
from streams.poll.parse_pool import ParsePool
from streams.poll.poller import FeedRuntime, Poller, PollResult
from streams.poll.publish import RawPublisher
from streams.poll.service import fetch_settings
from streams.poll.state import FeedStateStore
from streams.settings import PollerSettings, Settings
from streams.topics import TopicNames, ensure_topics

AIM_UNCHANGED_MS = 1.0
AIM_CPU_SHARE = 0.5
AIM_LATENESS_S = 5.0
CHANGE_PROBABILITY = 0.02  # per feed and poll interval (the load)
CHANGE_STEP_S = 10.0  # the server draws changes this often, so they spread over the interval
MAX_WINDOW_S = 90.0  # the measured window at most; a 300 s interval is sampled, not waited out
WARM_UP_S = 5.0
FIRST_POLL_WALL_S = 0.0035  # measured: 10,000 first polls take about 35 s on 2 cores
PRIMING_CONCURRENCY = 200


class ValidatorlessFetcher(Fetcher):
    """Drops the stored validators, so the server answers 200 with the same body."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        return await super().fetch(url, headers=headers)


class LatenessPoller(Poller):
    """Records, for every poll, how long after its due time it started, and its outcome."""

    lateness: list[float]
    outcomes: list[str]

    async def poll_feed(self, runtime: FeedRuntime) -> PollResult:
        self.lateness.append(time.time() - runtime.due)
        result = await super().poll_feed(runtime)
        self.outcomes.append(result.outcome)
        return result


@dataclass(frozen=True)
class ScaleRun:
    """What a run at scale measured."""

    polls: int
    cpu_share: float
    lateness_p50: float
    lateness_p99: float
    seconds: float
    first_poll_ms: float
    outcomes: dict[str, int]


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
                   window: float) -> ScaleRun:  # fmt: skip
    """Steady state: every feed polled once beforehand (not measured), then a poller restarted
    from those states polls them on their staggered schedule; CPU share and lateness are taken
    over `window` seconds after a short warm-up."""
    await ensure_topics(settings)
    config = poller_settings(base_url, feeds, interval)
    names = TopicNames.from_settings(settings)
    parse_pool = ParsePool()
    async with Fetcher(fetch_settings(config)) as fetcher:
        producer = reliable_producer(settings.kafka)
        await producer.start()
        store = FeedStateStore(settings.kafka, names.feeds_state, producer)
        publisher = RawPublisher(producer, names.raw)
        try:
            primer = Poller(config, fetcher=fetcher, publisher=publisher, store=store,
                            parse_pool=parse_pool)  # fmt: skip
            primer.load({})
            first_poll_ms = await _first_polls(primer)
            # What a restarted poller reads back from the state topic; its first polls are
            # staggered over the interval like any start's (next_poll_at forgotten).
            states = {feed_id: replace(runtime.state, next_poll_at=None)
                      for feed_id, runtime in primer.feeds.items()}  # fmt: skip
            poller = LatenessPoller(config, fetcher=fetcher, publisher=publisher, store=store,
                                    parse_pool=parse_pool)  # fmt: skip
            poller.lateness, poller.outcomes = [], []
            poller.load(states)
            return await _measure(poller, min(WARM_UP_S, interval), window, first_poll_ms)
        finally:
            await producer.stop()
            parse_pool.close()


async def _first_polls(poller: Poller) -> float:
    """Poll every feed once, `PRIMING_CONCURRENCY` at a time; CPU milliseconds per poll."""
    runtimes = list(poller.feeds.values())
    started = time.process_time()
    for first in range(0, len(runtimes), PRIMING_CONCURRENCY):
        batch = runtimes[first : first + PRIMING_CONCURRENCY]
        results = await asyncio.gather(*(poller.poll_feed(runtime) for runtime in batch))
        failed = {result.outcome for result in results} - {"ok"}
        if failed:
            raise RuntimeError(f"first polls failed: {failed}")
    return (time.process_time() - started) / len(runtimes) * 1000


async def _measure(poller: LatenessPoller, warm_up: float, window: float,
                   first_poll_ms: float) -> ScaleRun:  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        await asyncio.sleep(warm_up)
        steady_from = len(poller.lateness)
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(window)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        steady_to = len(poller.lateness)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)
    steady = poller.lateness[steady_from:steady_to]
    # Outcomes are recorded when a poll ends: those of the polls started in the window, nearly.
    outcomes = Counter(poller.outcomes[steady_from:steady_to])
    return ScaleRun(len(steady), cpu / wall, percentile(steady, 0.5), percentile(steady, 0.99),
                    wall, first_poll_ms, dict(outcomes))  # fmt: skip


def _change_per_step(feeds: int, interval: float, window: float, step: float) -> float:
    """The server's chance that a feed changes per `step`, such that about CHANGE_PROBABILITY
    of the measured polls find a change, as in a steady state where polls are one interval
    apart. Here a measured poll comes sooner after the feed's first poll (the window samples
    the interval): on average after half the first polls, the warm-up and half the window."""
    gap = feeds * FIRST_POLL_WALL_S / 2 + min(WARM_UP_S, interval) + window / 2
    return min(1.0, CHANGE_PROBABILITY * step / min(interval, gap))


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
    # Windows beyond the first interval as before; a long interval is sampled for MAX_WINDOW_S.
    window = min(interval * (intervals - 1), MAX_WINDOW_S)
    step = min(CHANGE_STEP_S, interval)
    with demo_server_process(scale_feeds=feeds, change_probability=_change_per_step(
            feeds, interval, window, step), change_period=step, max_age=0) as url:  # fmt: skip
        scale = asyncio.run(at_scale(settings, url, feeds, interval, window))
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
        f"at scale: every feed first polled once, unmeasured ({scale.first_poll_ms:.2f} ms CPU "
        "per first poll: fetch, parse, publish, save state), then a poller restarted from those "
        f"states: its polls are staggered over the interval; {scale.polls:,} polls measured over "
        f"{scale.seconds:.0f} s after {min(WARM_UP_S, interval):g} s of warm-up; outcomes "
        f"{scale.outcomes}"
    )
    changed = scale.outcomes.get("ok", 0) / max(1, sum(scale.outcomes.values()))
    section.notes.append(
        f"{changed:.1%} of the measured polls found a changed feed (aim of the load: "
        f"{CHANGE_PROBABILITY:.0%}; the server draws changes every {step:g} s, at a rate set "
        "for it); real Kafka producer and state store; baseline: one core (100%)"
    )
    return section
