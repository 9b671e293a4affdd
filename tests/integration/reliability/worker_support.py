"""Helpers for the worker fault tests: realistic raw items, fast producing, counting output."""

from __future__ import annotations

import asyncio
import hashlib
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer

from schemas.models import EnrichedItem, RawItem, decode_enriched_item, encode
from streams.kafka import reliable_producer
from streams.local.broker import free_port
from streams.settings import Settings
from streams.topics import TopicNames

from ..processes import telex_process

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "streams" / "demo" / "seed_liveblog.json"
DEV_TAGGING = ROOT / "tests" / "fixtures" / "labelled" / "dev_tagging.jsonl"
SEND_BATCH = 500


@dataclass(frozen=True)
class Text:
    title: str
    summary: str
    language: str


def realistic_texts() -> list[Text]:
    """Titles and summaries of the seed live blog and the labelled tagging dev set."""
    seed = [Text(u["title"], u["summary"], "fr") for u in orjson.loads(SEED.read_bytes())["items"]]
    lines = DEV_TAGGING.read_text(encoding="utf-8").splitlines()
    dev = [Text(d["title"], d["summary"], d["lang"]) for d in map(orjson.loads, lines) if d]
    return seed + dev


def raw_item(run: str, number: int, text: Text, *, label: str | None = None) -> RawItem:
    """One raw item with a unique item id, its title ending in `(label)` when one is given."""
    title = f"{text.title} ({label})" if label else text.title
    content_hash = hashlib.sha256(f"{title}\n{text.summary}".encode()).hexdigest()
    return RawItem(
        event_id=f"{run}-ev-{number}", item_id=f"{run}:{number}", revision=1, feed_id=run,
        feed_url=f"http://127.0.0.1/{run}", source_format="rss", title=title,
        summary=text.summary, language=text.language, published="2024-12-04T09:00:00Z",
        fetched="2024-12-04T09:00:05Z", content_hash=content_hash,
    )  # fmt: skip


def near_duplicate(item: RawItem, run: str, number: int) -> RawItem:
    """A new item (new id) whose summary is the earlier item's with a short update appended."""
    summary = f"{item.summary} Mise à jour : précisions de notre correspondant."
    content_hash = hashlib.sha256(f"{item.title}\n{summary}".encode()).hexdigest()
    return replace(
        item, event_id=f"{run}-ev-{number}", item_id=f"{run}:{number}", summary=summary,
        content_hash=content_hash,
    )  # fmt: skip


def numbered_items(run: str, count: int, *, start: int = 0) -> list[RawItem]:
    """`count` items cycling through the realistic texts, each numbered in its title."""
    texts = realistic_texts()
    return [
        raw_item(run, n, texts[n % len(texts)], label=str(n)) for n in range(start, start + count)
    ]


async def produce(
    settings: Settings, topic: str, items: Sequence[RawItem], *, gap: float = 0.0
) -> float:
    """Send items keyed by item id (spread over the partitions); return the seconds taken."""
    started = time.monotonic()
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        pending: list[asyncio.Future[Any]] = []
        for item in items:
            pending.append(
                await producer.send(topic, key=item.item_id.encode(), value=encode(item))
            )
            if gap:
                await asyncio.gather(*pending)
                pending.clear()
                await asyncio.sleep(gap)
            elif len(pending) >= SEND_BATCH:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - started


@dataclass
class EnrichedCounter:
    """Reads an enriched topic from the start in the background and counts event ids."""

    bootstrap: str
    topic: str
    counts: Counter[str] = field(default_factory=Counter)
    events: dict[str, EnrichedItem] = field(default_factory=dict)
    arrived: dict[str, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EnrichedCounter:
        consumer = AIOKafkaConsumer(
            self.topic, bootstrap_servers=self.bootstrap, group_id=None,
            auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024,
        )  # fmt: skip
        await consumer.start()
        self._task = asyncio.create_task(self._run(consumer))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while True:  # cancelled by __aexit__
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                for batch in batches.values():
                    for record in batch:
                        event = decode_enriched_item(record.value)
                        self.counts[event.event_id] += 1
                        self.events[event.event_id] = event
                        self.arrived.setdefault(event.event_id, time.monotonic())
        finally:
            await consumer.stop()

    @property
    def distinct(self) -> int:
        return len(self.counts)

    @property
    def redelivered(self) -> int:
        """Event ids that appeared more than once."""
        return sum(1 for n in self.counts.values() if n > 1)

    async def wait_for(self, distinct: int, timeout: float) -> bool:
        """True once `distinct` event ids were seen; False at the deadline."""
        deadline = time.monotonic() + timeout
        while self.distinct < distinct and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return self.distinct >= distinct

    async def wait_for_ids(self, event_ids: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not event_ids <= self.counts.keys() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return event_ids <= self.counts.keys()


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    worker_id: str
    web_port: int
    started_at: float


class Workers:
    """Worker processes of one test, each with its own id and web port; all stopped on exit."""

    def __init__(self, config: Path, log_dir: Path) -> None:
        self._config = config
        self._log_dir = log_dir
        self._stack = ExitStack()
        self.started: list[Worker] = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def start(self, worker_id: str) -> Worker:
        port = free_port()
        args = ("worker", "--worker-id", worker_id, "--web-port", str(port))
        log = self._log_dir / f"{worker_id}.log"
        process = self._stack.enter_context(telex_process(self._config, *args, log=log))
        worker = Worker(process, worker_id, port, time.monotonic())
        self.started.append(worker)
        return worker

    def log_text(self) -> str:
        return "\n".join(
            (self._log_dir / f"{w.worker_id}.log").read_text(errors="replace")[-3000:]
            for w in self.started
        )

    def log_lines(self, *needles: str) -> list[str]:
        """Lines of every worker's whole log that contain one of `needles`."""
        logs = {w.worker_id: self._log_dir / f"{w.worker_id}.log" for w in self.started}
        return [
            f"{worker_id}: {line}"
            for worker_id, log in logs.items()
            for line in log.read_text(errors="replace").splitlines()
            if any(needle in line for needle in needles)
        ]


async def first_run(
    settings: Settings,
    workers: Workers,
    worker_id: str,
    items: Sequence[RawItem],
    out: EnrichedCounter,
) -> Worker:
    """Start a worker, feed it `items`, wait for their events and past the 1 s commit interval
    (offsets and changelog written): the state a restart or a fault then starts from."""
    worker = workers.start(worker_id)
    await produce(settings, TopicNames.from_settings(settings).raw, items)
    assert await out.wait_for(len(items), timeout=90), workers.log_text()
    await asyncio.sleep(3)
    return worker


def kill_hard(worker: Worker) -> None:
    """SIGKILL: no shutdown, no offset commit, no changelog flush."""
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(timeout=10)


async def wait_ready(worker: Worker, timeout: float) -> float | None:
    """Seconds from the worker's start until /readyz answered 200, None at the deadline."""
    url = f"http://127.0.0.1:{worker.web_port}/readyz"
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline and worker.process.poll() is None:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return time.monotonic() - worker.started_at
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.25)
    return None


async def dedup_outcomes(worker: Worker, status: str) -> float:
    """The worker's ``telex_worker_dedup_total{status=...}`` counter from its /metrics page."""
    url = f"http://127.0.0.1:{worker.web_port}/metrics"
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        text = await response.text()
    prefix = f'telex_worker_dedup_total{{status="{status}"}} '
    values = [float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else 0.0
