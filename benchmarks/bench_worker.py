"""The telex worker on a real broker against a bare consume -> produce loop: items/s at full
speed, then latency raw -> enriched at half the worker's maximum throughput."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks import faust_loop
from benchmarks.items import raw_items
from benchmarks.report import Section, percentile, verdict
from benchmarks.servers import bench_settings, stop_process
from schemas.models import encode
from streams.settings import Settings
from streams.topics import TopicNames, ensure_topics

Message = tuple[bytes, bytes]
AIM_RATIO = 0.5
AIM_P99_MS = 100.0
WARM_UP = 20
TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Measured:
    """Items/s at full speed, and latency percentiles (ms) at the given paced rate."""

    items_per_second: float
    rate: float
    p50_ms: float
    p99_ms: float


class Observer:
    """Receipt time of every key on a topic, read by a background consumer."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.seen: dict[bytes, float] = {}
        self._consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                          auto_offset_reset="earliest")  # fmt: skip

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Observer]:
        await self._consumer.start()
        task = asyncio.create_task(self._read())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._consumer.stop()

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    if record.key is not None:
                        self.seen.setdefault(record.key, now)

    async def wait_for(self, keys: list[bytes], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not all(key in self.seen for key in keys):
            if time.perf_counter() > deadline:
                missing = sum(1 for key in keys if key not in self.seen)
                raise TimeoutError(f"{missing} of {len(keys)} messages never came out")
            await asyncio.sleep(0.01)


async def _send(producer: AIOKafkaProducer, topic: str, messages: list[Message],
                rate: float | None) -> dict[bytes, float]:  # fmt: skip
    """Send every message (paced at `rate` per second when given); each key's send time."""
    sent: dict[bytes, float] = {}
    started = time.perf_counter()
    deliveries = []
    for index, (key, value) in enumerate(messages):
        if rate is not None:
            await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        sent[key] = time.perf_counter()
        deliveries.append(await producer.send(topic, key=key, value=value))
    await asyncio.gather(*deliveries)
    return sent


async def measure(bootstrap: str, topics: tuple[str, str], phases: list[list[Message]],
                  pace: Callable[[float], float]) -> Measured:  # fmt: skip
    """Warm up, run the burst for items/s, then paced sends at `pace(items/s)` for latency."""
    source, target = topics
    warm_up, burst, paced = phases
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        async with Observer(bootstrap, target).running() as observer:
            await _send(producer, source, warm_up, None)
            await observer.wait_for([key for key, _ in warm_up], TIMEOUT_S)
            sent = await _send(producer, source, burst, None)
            await observer.wait_for(list(sent), TIMEOUT_S)
            elapsed = max(observer.seen[key] for key in sent) - min(sent.values())
            throughput = len(burst) / elapsed
            rate = pace(throughput)
            sent = await _send(producer, source, paced, rate)
            await observer.wait_for(list(sent), TIMEOUT_S)
    finally:
        await producer.stop()
    latencies = [(observer.seen[key] - at) * 1000 for key, at in sent.items()]
    return Measured(throughput, rate, percentile(latencies, 0.5), percentile(latencies, 0.99))


def phases(burst: int, paced: int, offset: int) -> list[list[Message]]:
    """Distinct raw items for warm-up, burst and paced phases (ids never repeat: no drops)."""
    items = raw_items(offset + WARM_UP + burst + paced)[offset:]
    messages = [(item.item_id.encode(), encode(item)) for item in items]
    return [messages[:WARM_UP], messages[WARM_UP : WARM_UP + burst], messages[WARM_UP + burst :]]


@contextlib.contextmanager
def process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as out:
        started = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield started
    finally:
        stop_process(started)


def write_config(settings: Settings, path: Path) -> Path:
    data = settings.model_dump(mode="json")
    data["kafka"] = {k: v for k, v in data["kafka"].items() if v is not None}
    path.write_text(yaml.safe_dump(data))
    return path


async def create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1) for name in names])
    finally:
        await admin.close()


def measure_worker(settings: Settings, work_dir: Path, burst: int, paced: int) -> Measured:
    names = TopicNames.from_settings(settings)
    asyncio.run(ensure_topics(settings))
    config = write_config(settings, work_dir / f"{settings.topics.prefix}.yaml")
    command = [sys.executable, "-m", "streams.cli", "--config", str(config), "worker"]
    with process(command, work_dir / "worker.log"):
        return asyncio.run(measure(settings.kafka.bootstrap, (names.raw, names.enriched),
                                   phases(burst, paced, 0), lambda items: items / 2))  # fmt: skip


def measure_bare(settings: Settings, work_dir: Path, burst: int, paced: int,
                 rate: float) -> Measured:  # fmt: skip
    bootstrap = settings.kafka.bootstrap
    return measure_forwarder(settings, work_dir, burst, paced, rate, lambda source, target: [
        sys.executable, "-m", "benchmarks.bare_loop", bootstrap, source, target])  # fmt: skip


def measure_faust_floor(settings: Settings, work_dir: Path, burst: int, paced: int,
                        rate: float, hops: int) -> Measured:  # fmt: skip
    """Faust agents that only forward (benchmarks.faust_loop), on the worker's app settings."""
    config = write_config(settings, work_dir / f"{settings.topics.prefix}.yaml")
    middle = faust_loop.middle_topic(forward_topics(settings)[1])
    asyncio.run(create_topics(settings.kafka.bootstrap, [middle], 1))
    module = "benchmarks.faust_loop"
    return measure_forwarder(settings, work_dir, burst, paced, rate, lambda source, target: [
        sys.executable, "-m", module, str(config), source, target, str(hops)])  # fmt: skip


def measure_forwarder(settings: Settings, work_dir: Path, burst: int, paced: int, rate: float,
                      command: Callable[[str, str], list[str]]) -> Measured:  # fmt: skip
    """A forwarding process from a fresh input topic to a fresh output topic, paced at `rate`."""
    bootstrap, prefix = settings.kafka.bootstrap, settings.topics.prefix
    source, target = forward_topics(settings)
    asyncio.run(create_topics(bootstrap, [source, target], settings.kafka.partitions))
    with process(command(source, target), work_dir / f"{prefix}.log"):
        return asyncio.run(measure(bootstrap, (source, target), phases(burst, paced, 0),
                                   lambda _: rate))  # fmt: skip


def forward_topics(settings: Settings) -> tuple[str, str]:
    """A forwarder's input and output topics, fresh for each run (the prefix is)."""
    prefix = settings.topics.prefix
    return f"{prefix}.forward-in", f"{prefix}.forward-out"


def run(bootstrap: str, work_dir: Path, *, burst: int, paced: int) -> Section:
    """Worker, bare loop and the faust floor, each paced for latency at half the WORKER's max
    throughput."""
    work_dir.mkdir(parents=True, exist_ok=True)
    worker = measure_worker(bench_settings(bootstrap, work_dir), work_dir, burst, paced)
    # The others' latency at the same offered rate as the worker's paced phase.
    bare = measure_bare(bench_settings(bootstrap, work_dir), work_dir, burst, paced, worker.rate)
    floors = {hops: measure_faust_floor(bench_settings(bootstrap, work_dir), work_dir, burst,
                                        paced, worker.rate, hops) for hops in (1, 2)}  # fmt: skip
    columns = ("what", "items/s", "ratio to bare loop", "latency p50 / p99 ms", "at rate items/s")
    section = Section("Worker on the real broker", columns)
    for label, measured in (("bare aiokafka loop (baseline)", bare),
                            ("faust, one agent forwarding, no logic", floors[1]),
                            ("faust, the worker's two agents forwarding, no logic", floors[2]),
                            ("telex worker", worker)):  # fmt: skip
        section.rows.append((label, f"{measured.items_per_second:,.0f}",
                             f"{measured.items_per_second / bare.items_per_second:.3f}",
                             f"{measured.p50_ms:.1f} / {measured.p99_ms:.1f}",
                             f"{measured.rate:,.0f}"))  # fmt: skip
    ratio = worker.items_per_second / bare.items_per_second
    section.notes.append(f"throughput ratio worker / bare: {ratio:.3f} (aim >= {AIM_RATIO}): "
                         f"{verdict(ratio >= AIM_RATIO)}")  # fmt: skip
    section.notes.append(
        f"the faust floor: the worker's topology with no decoding and no logic reaches "
        f"{floors[2].items_per_second / bare.items_per_second:.3f} of the bare loop, the "
        "ceiling of any faust worker of this shape on this machine; the telex worker reaches "
        f"{worker.items_per_second / floors[2].items_per_second:.3f} of that floor"
    )
    section.notes.append(f"worker p99 latency {worker.p99_ms:.1f} ms (aim < {AIM_P99_MS:g} ms): "
                         f"{verdict(worker.p99_ms < AIM_P99_MS)}")  # fmt: skip
    section.notes.append(
        f"burst of {burst:,} items for items/s, then {paced:,} items paced at half the worker's "
        "maximum for latency (the others paced at that same rate); latency is send to receipt "
        "by a consumer in the benchmark process; worker store memory://, 4 raw partitions, "
        "one worker process (both stages); the faust loops (benchmarks/faust_loop.py) run on the "
        "worker's app settings, taking events in batches and sending straight to the driver"
    )
    return section
