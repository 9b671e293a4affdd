"""Processes started before their broker wait for it; a broker that can never answer is one line
(issue 18, item 1).

Real `telex` processes on loopback: a poller and a worker started while the broker (a throwaway
one on free ports, not started yet) is down must stay alive with /healthz 200 and /readyz 503,
then carry every item of the demo live blog to the enriched topic once the broker starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from schemas.models import decode_enriched_item
from streams.demo.server import DemoServer
from streams.local.broker import BrokerConfig, LocalBroker, free_port
from streams.topics import TopicNames

from ..conftest import make_settings
from ..processes import telex_process, write_config
from .conftest import FaultResult, ReliabilityReport
from .pipeline_support import (
    ManualClock,
    duplicate_count,
    everything_enriched,
    guid_of,
    http_get,
    listed_guids,
    raw_items,
    read_topic,
    stop_processes,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BLOG_STEP = 60.0  # demo seconds per live-blog update
INITIAL_ITEMS = 4
DOWN_UPDATES = 2  # live-blog updates while the broker is down
DOWN_SECONDS = 10.0  # how long both processes wait, answering pages, before the broker starts
SAMPLE_EVERY = 0.2  # seconds between two rounds of /healthz and /readyz requests


@dataclass(frozen=True)
class PageSample:
    at: float  # time.monotonic()
    process: str
    healthz: int  # HTTP status; 0 when nothing answered
    readyz: int


async def _watch_pages(
    urls: dict[str, str], samples: list[PageSample], stop: asyncio.Event
) -> None:
    """Ask every process for /healthz and /readyz every SAMPLE_EVERY s until `stop` (at most an
    hour of rounds)."""
    for _ in range(int(3600 / SAMPLE_EVERY)):
        for process, base in urls.items():
            healthz = (await http_get(f"{base}/healthz", timeout=1))[0]
            readyz = (await http_get(f"{base}/readyz", timeout=1))[0]
            samples.append(PageSample(time.monotonic(), process, healthz, readyz))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)
        if stop.is_set():
            return


def _statuses(
    samples: list[PageSample], start: float, end: float
) -> dict[str, set[tuple[int, int]]]:
    """(healthz, readyz) pairs seen per process between `start` and `end`."""
    seen: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for sample in samples:
        if start <= sample.at < end:
            seen[sample.process].add((sample.healthz, sample.readyz))
    return dict(seen)


def _longest_silence(samples: list[PageSample], process: str, after: float) -> float:
    """Longest stretch after `after` in which `process` answered no /healthz (seconds)."""
    longest, silent_since = 0.0, None
    for sample in (s for s in samples if s.process == process and s.at >= after):
        if sample.healthz == 200:
            if silent_since is not None:
                longest = max(longest, sample.at - silent_since)
            silent_since = None
        elif silent_since is None:
            silent_since = sample.at
    return longest


def _first_ready(samples: list[PageSample], process: str, after: float) -> float | None:
    ready = [s.at for s in samples if s.process == process and s.at >= after and s.readyz == 200]
    return min(ready) - after if ready else None


async def test_poller_and_worker_started_before_the_broker_wait_and_lose_nothing(
    tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    broker = LocalBroker(
        BrokerConfig(data_dir=tmp_path / "kafka", port=free_port(), controller_port=free_port(),
                     partitions=4)
    )  # fmt: skip
    try:
        await _run_broker_wait(broker, tmp_path, reliability_report)
    finally:
        await asyncio.to_thread(broker.stop)


async def _run_broker_wait(broker: LocalBroker, tmp_path: Path, report: ReliabilityReport) -> None:
    clock = ManualClock()
    server = DemoServer(
        clock=clock, max_age=0, initial_items=INITIAL_ITEMS, item_interval=BLOG_STEP
    )
    async with server:
        feed_url = f"{server.url}/liveblog.rss"
        web_port = free_port()
        settings = make_settings(
            broker.config.bootstrap, tmp_path,
            poller={"feeds": [{"id": "blog", "url": feed_url, "interval_seconds": 1}],
                    "allow_private_addresses": True},
        )  # fmt: skip
        names = TopicNames.from_settings(settings)
        bootstrap = settings.kafka.bootstrap
        urls = {
            "poller": f"http://127.0.0.1:{settings.metrics.port}",
            "worker": f"http://127.0.0.1:{web_port}",
        }
        config = write_config(settings, tmp_path / "telex.yaml")
        worker_args = ("worker", "--worker-id", "early-1", "--web-port", str(web_port))
        samples: list[PageSample] = []
        stop_watching = asyncio.Event()
        with (
            telex_process(config, "poll", log=tmp_path / "poll.log") as poller,
            telex_process(config, *worker_args, log=tmp_path / "worker.log") as worker,
        ):
            watcher = asyncio.create_task(_watch_pages(urls, samples, stop_watching))
            answering = await wait_for(lambda: _all_answer(urls), timeout=60)
            assert answering is not None, "a process never served /healthz while waiting"
            waiting_since = time.monotonic()
            for _ in range(DOWN_UPDATES):
                await asyncio.sleep(DOWN_SECONDS / DOWN_UPDATES)
                clock.advance(BLOG_STEP)
            alive_while_down = {"poller": poller.poll() is None, "worker": worker.poll() is None}
            broker_started = time.monotonic()
            await asyncio.to_thread(broker.start)
            await broker.wait_ready(timeout=120)
            up, up_wall = time.monotonic(), time.time()
            clock.advance(BLOG_STEP)  # one more once the broker is back
            listed = await listed_guids(feed_url)
            delivered = await wait_for(
                lambda: everything_enriched(bootstrap, names, listed), timeout=120
            )
            await asyncio.sleep(1.0)  # a last round of pages, ready by now
            stop_watching.set()
            await watcher
            alive = {"poller": poller.poll() is None, "worker": worker.poll() is None}
            await stop_processes(poller, worker)
        raw = await raw_items(bootstrap, names.raw)
        records = await read_topic(bootstrap, names.enriched)
        logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace")
                for name in ("poll", "worker")}  # fmt: skip

    raw_ids = {item.event_id for item in raw}
    enriched_ids = {decode_enriched_item(record.value).event_id for record in records}
    missing = len(listed - {guid_of(item) for item in raw}) + len(raw_ids - enriched_ids)
    # The worker's producer stamps each record (CreateTime) as it sends it.
    first_through = min(r.timestamp for r in records) / 1000 - up_wall if records else None
    while_down = _statuses(samples, waiting_since, broker_started)
    handover_gap = _longest_silence(samples, "worker", after=broker_started)
    ready_after = {name: _first_ready(samples, name, after=up) for name in urls}
    ready_shown = {name: None if v is None else round(v, 1) for name, v in ready_after.items()}
    all_through = "never" if delivered is None else f"{delivered:.1f} s"
    attempts = {name: text.count("not reachable yet (attempt") for name, text in logs.items()}
    print(f"broker wait: pages while down {while_down}, broker start to ready "
          f"{up - broker_started:.1f} s, first enriched event {first_through} s after, all "
          f"delivered after {delivered} s, ready after {ready_after}, worker /healthz silent "
          f"{handover_gap:.1f} s at the hand-over to faust, attempt lines {attempts}, "
          f"{len(raw_ids)} raw events, {len(enriched_ids)} enriched, alive {alive}")  # fmt: skip
    report.add(
        FaultResult(
            fault="poller and worker started while the broker is down",
            procedure=f"poller + worker started on a broker not started yet; {DOWN_SECONDS:.0f} s "
            f"of waiting while the live blog gains {DOWN_UPDATES} updates, then the broker is "
            "started; count (item_id, revision) from the feed to the enriched topic",
            items_in=len(raw_ids),
            items_out=len(enriched_ids & raw_ids),
            missing=missing,
            duplicates=duplicate_count(raw),
            recovery_seconds=first_through,
            notes=f"recovery = broker ready to first enriched event; all {len(listed)} listed "
            f"entries enriched {all_through} after the broker was ready (its start took "
            f"{up - broker_started:.1f} s); (healthz, readyz) while down: {while_down}; "
            f"/readyz 200 after broker ready (s): {ready_shown}; worker /healthz unanswered "
            f"{handover_gap:.1f} s while faust took its port over",
        )
    )
    assert alive_while_down == {"poller": True, "worker": True}, logs
    assert alive == {"poller": True, "worker": True}, logs
    assert while_down == {"poller": {(200, 503)}, "worker": {(200, 503)}}, while_down
    assert all(count >= 2 for count in attempts.values()), attempts
    for text in logs.values():
        assert "Unable to bootstrap" not in text
        assert f"broker {bootstrap} not reachable yet (attempt 1, next try in " in text
    assert delivered is not None and missing == 0, f"{missing} events lost"
    assert len(listed) == INITIAL_ITEMS + DOWN_UPDATES + 1
    assert all(ready_after.values()), f"a process never reported ready: {ready_after}"


async def _all_answer(urls: dict[str, str]) -> bool:
    return all([(await http_get(f"{base}/healthz", timeout=1))[0] == 200 for base in urls.values()])


UNKNOWN_BOOTSTRAP = "no-such-host.invalid:9092"  # RFC 6761: .invalid never resolves


@pytest.mark.parametrize(
    "command",
    [("poll",), ("poll", "--status"), ("worker", "--worker-id", "w1"), ("run", "--no-demo")],
)
def test_unknown_broker_host_ends_at_once_in_one_line(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    settings = make_settings(UNKNOWN_BOOTSTRAP, tmp_path)
    config = write_config(settings, tmp_path / "telex.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEX_")}
    argv = [sys.executable, "-m", "streams.cli", "--config", str(config),
            "--bootstrap", UNKNOWN_BOOTSTRAP, *command]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)
    elapsed = time.monotonic() - started
    stderr = result.stderr
    print(f"{' '.join(command)}: exit {result.returncode} after {elapsed:.1f} s; {stderr[-300:]}")
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert "not reachable yet" not in stderr  # not a retry loop
    errors = [line for line in stderr.splitlines() if line.startswith("telex: error: ")]
    assert errors == [stderr.splitlines()[-1]], stderr
    assert errors[0].startswith(
        f"telex: error: cannot connect to Kafka at {UNKNOWN_BOOTSTRAP} over PLAINTEXT: unknown "
        "host no-such-host.invalid ("
    )
    assert errors[0].endswith("; check kafka.bootstrap")
    assert elapsed < 30
