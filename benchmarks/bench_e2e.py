"""End to end on the real broker: an update appears in a local live blog -> its enriched event is
consumed, against the poll interval (an update waits up to one interval for the next poll)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from benchmarks.bench_worker import process, write_config
from benchmarks.report import Section, percentile, verdict
from benchmarks.servers import bench_settings
from schemas.models import decode_enriched_item
from streams.demo.server import DemoServer
from streams.demo.timeline import load_liveblog, update_at
from streams.topics import TopicNames, ensure_topics

AIM_SLACK_S = 1.0
STARTUP_S = 60.0


def appearance_times(started_at: float, interval: float, count: int) -> dict[str, float]:
    """Wall-clock time each of the first `count` replayed updates becomes visible, by id
    (DemoServer with no initial item: update k is out once (k + 1) intervals have passed)."""
    blog = load_liveblog()
    return {update_at(blog, k, k + 1).id: started_at + (k + 1) * interval for k in range(count)}


async def collect(bootstrap: str, topic: str, wanted: int, deadline: float) -> dict[str, float]:
    """Receipt time of each first revision, by update id, until `wanted` or the deadline."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    received: dict[str, float] = {}
    try:
        while len(received) < wanted and time.time() < deadline:
            batches = await consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batches.values():
                for record in records:
                    event = decode_enriched_item(record.value or b"")
                    if event.item.revision == 1 and event.item.guid:
                        received.setdefault(event.item.guid.rpartition("#")[2], now)
    finally:
        await consumer.stop()
    return received


async def measure(bootstrap: str, work_dir: Path, updates: int, item_interval: float,
                  poll_interval: float) -> list[float]:  # fmt: skip
    """Latencies (s) from each update's appearance to its enriched event, poller and worker
    running as processes, the live blog served from this process."""
    async with DemoServer(port=0, initial_items=0, item_interval=item_interval,
                          max_age=0) as server:  # fmt: skip
        started_at = time.time()
        feed = {"id": "e2e", "url": f"{server.url}/liveblog.rss",
                "interval_seconds": poll_interval}  # fmt: skip
        settings = bench_settings(
            bootstrap, work_dir, poller={"feeds": [feed], "allow_private_addresses": True}
        )
        names = TopicNames.from_settings(settings)
        await ensure_topics(settings, ["defense-treaty", "diplomacy", "german-politics"])
        config = write_config(settings, work_dir / "e2e.yaml")
        telex = [sys.executable, "-m", "streams.cli", "--config", str(config)]
        with process([*telex, "worker"], work_dir / "e2e-worker.log"), \
                process([*telex, "poll"], work_dir / "e2e-poller.log"):  # fmt: skip
            appeared = appearance_times(started_at, item_interval, updates)
            deadline = started_at + updates * item_interval + STARTUP_S
            received = await collect(settings.kafka.bootstrap, names.enriched, updates, deadline)
    # Updates that appeared before the first event came out waited for start-up, not a poll.
    running_from = min(received.values(), default=float("inf"))
    return [
        received[update] - at
        for update, at in appeared.items()
        if update in received and at >= running_from
    ]


def run(bootstrap: str, work_dir: Path, *, updates: int, item_interval: float,
        poll_interval: float) -> Section:  # fmt: skip
    """Updates published every `item_interval` s, polled every `poll_interval` s."""
    work_dir.mkdir(parents=True, exist_ok=True)
    latencies = asyncio.run(measure(bootstrap, work_dir, updates, item_interval, poll_interval))
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    aim = poll_interval + AIM_SLACK_S
    section = Section("End to end: live-blog update -> enriched event",
                      ("what", "measured", "aim", "verdict"))  # fmt: skip
    section.rows.append(("poll interval (baseline)", f"{poll_interval:g} s", "—", "—"))
    section.rows.append(("latency p50", f"{p50:.2f} s", "—", "—"))
    section.rows.append(("latency p99", f"{p99:.2f} s", f"< {aim:g} s", verdict(p99 < aim)))
    section.notes.append(
        f"{updates} updates, one every {item_interval:g} s, from the demo live blog (RSS view, "
        "served in the benchmark process); `telex poll` and `telex worker` as processes on the "
        "real broker; latency = update visible in the feed to its enriched event consumed by "
        f"the benchmark; percentiles over the {len(latencies)} updates that appeared once the "
        "pipeline was running (after the first enriched event: earlier ones waited for start-up)"
    )
    return section
