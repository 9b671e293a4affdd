"""Helpers of the pipeline fault tests: a steerable clock, HTTP probes, topic and metric reads."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from schemas.models import RawItem, decode_enriched_item, decode_raw_item
from streams.poll.parse import parse_feed
from streams.topics import TopicNames

from ..processes import stop_process


class ManualClock:
    """A clock the test moves: the demo server publishes a new update only when told to."""

    def __init__(self) -> None:
        self._now = time.time()

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


async def http_get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    """Status and body of a GET; status 0 when nothing answered."""
    try:
        limits = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=limits) as session, session.get(url) as response:
            return response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError, OSError):
        return 0, b""


async def arm_fault(server_url: str, **rule: Any) -> None:
    """Arm one DemoServer fault (see its /control/fault)."""
    control = f"{server_url}/control/fault"
    async with aiohttp.ClientSession() as session, session.post(control, json=rule) as response:
        assert response.status == 200, await response.text()


async def path_statuses(server_url: str, path: str) -> Counter[str]:
    """Requests of one path so far, by answer status ("dropped" for resets)."""
    stats_url = f"{server_url}/control/stats"
    async with aiohttp.ClientSession() as session, session.get(stats_url) as response:
        stats = await response.json()
    return Counter(stats["paths"].get(path, {}).get("statuses", {}))


async def metric_samples(metrics_url: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of one metric on a /metrics page, keyed by its sorted labels."""
    status, body = await http_get(metrics_url)
    assert status == 200, f"{metrics_url} answered {status}"
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name == name
    }


def per_label(samples: dict[tuple[tuple[str, str], ...], float], label: str) -> Counter[str]:
    """Sum samples per value of one label (e.g. feed errors per feed_id), as whole counts."""
    totals: Counter[str] = Counter()
    for labels, value in samples.items():
        totals[dict(labels)[label]] += round(value)
    return totals


async def read_topic(bootstrap: str, topic: str, timeout: float = 30.0) -> list[Any]:
    """Every record of `topic` up to its end offsets at the time of the call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            partitions = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            records: list[Any] = []
            while await _behind(consumer, end):
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
            return records
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    return any([await consumer.position(tp) < offset for tp, offset in end.items()])


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    while not (partitions := consumer.partitions_for_topic(topic)):
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.2)
    return set(partitions)


async def raw_items(bootstrap: str, topic: str) -> list[RawItem]:
    return [decode_raw_item(record.value) for record in await read_topic(bootstrap, topic)]


async def listed_guids(url: str) -> set[str | None]:
    """Guids (or links) of the entries a feed lists right now."""
    status, body = await http_get(url)
    assert status == 200, f"{url} answered {status}"
    parsed = parse_feed(body, url=url, content_type=None, max_items=500)
    return {entry.guid or entry.link for entry in parsed.entries}


def guid_of(item: RawItem) -> str | None:
    return item.guid or item.link


async def everything_enriched(bootstrap: str, names: TopicNames, listed: set[str | None]) -> bool:
    """Every listed entry is on the raw topic and every raw event on the enriched topic."""
    raw = await raw_items(bootstrap, names.raw)
    if not listed <= {guid_of(item) for item in raw}:
        return False
    enriched = await read_topic(bootstrap, names.enriched)
    return {item.event_id for item in raw} <= {
        decode_enriched_item(r.value).event_id for r in enriched
    }


def duplicate_count(items: Iterable[RawItem]) -> int:
    """Events beyond the first of each (item_id, revision)."""
    counts = Counter((item.item_id, item.revision) for item in items)
    return sum(n - 1 for n in counts.values())


async def wait_for(
    condition: Callable[[], Any], *, timeout: float, interval: float = 0.25
) -> float | None:
    """Await the async `condition` until truthy; seconds waited, or None on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await condition():
            return time.monotonic() - started
        await asyncio.sleep(interval)
    return None


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for pid {pid}")


@asynccontextmanager
async def static_server(directory: Path) -> AsyncIterator[str]:
    """Serve the files of `directory` on 127.0.0.1; yields the base URL."""
    app = web.Application()
    app.router.add_static("/", directory)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def stop_processes(*processes: subprocess.Popen[bytes]) -> None:
    """SIGTERM (then SIGKILL) off the event loop, so an in-process feed server keeps answering
    the polls the processes finish while shutting down."""
    await asyncio.gather(*(asyncio.to_thread(stop_process, p) for p in processes))
