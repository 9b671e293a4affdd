"""Reliability of the poller against feed-server faults and bad input, and of the pipeline
against poller crashes and a broker restart (issue 6, items 4 to 7).

Each test runs real `telex` processes on loopback against the DemoServer, counts event ids on
the output topics and reports the figures to docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from streams.demo_server import DemoServer
from streams.topics import TopicNames

from ..conftest import consume
from ..processes import telex_process, write_config
from .conftest import FaultResult, ReliabilityReport
from .pipeline_support import (
    ManualClock,
    arm_fault,
    duplicate_count,
    metric_samples,
    path_statuses,
    per_label,
    raw_items,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCALE_STEP = 10.0  # seconds of demo time per scale-feed update
# feed id -> (scale feed number, fault armed on it once the poller runs; None = healthy)
FAULTY_FEEDS: dict[str, tuple[int, dict[str, Any] | None]] = {
    "healthy": (0, None),
    "http-500": (1, {"status": 500, "count": 3}),
    "timeout": (2, {"delay": 3, "count": 2}),
    "rate-limited": (3, {"status": 429, "retry_after": 6, "count": 1}),
    "reset": (4, {"reset": True, "count": 2}),
    "missing": (5, {"status": 404, "count": 3}),
    "gone": (6, {"status": 410, "count": 1}),
}


def scale_path(number: int) -> str:
    return f"/feeds/{number}.rss"


async def test_feed_server_faults_cost_only_the_faulty_feed(
    settings_factory: Any, tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    clock = ManualClock()
    server = DemoServer(
        clock=clock, max_age=0, scale_feeds=len(FAULTY_FEEDS), change_probability=1.0,
        change_period=SCALE_STEP,
    )  # fmt: skip
    async with server:
        feeds = [
            {"id": feed_id, "url": server.url + scale_path(number), "interval_seconds": 1}
            for feed_id, (number, _) in FAULTY_FEEDS.items()
        ]
        settings = settings_factory(
            poller={"feeds": feeds, "allow_private_addresses": True, "connect_timeout": 1,
                    "read_timeout": 1, "total_timeout": 2, "backoff_base_seconds": 1,
                    "backoff_cap_seconds": 4},
        )  # fmt: skip
        names = TopicNames.from_settings(settings)
        bootstrap = settings.kafka.bootstrap
        metrics_url = f"http://127.0.0.1:{settings.metrics.port}/metrics"
        config = write_config(settings, tmp_path / "telex.yaml")
        with telex_process(config, "poll", log=tmp_path / "poll.log") as poller:
            await consume(bootstrap, names.raw, count=len(FAULTY_FEEDS), timeout=60)
            healthy_before = sum((await path_statuses(server.url, scale_path(0))).values())
            fault_started = time.monotonic()
            for number, rule in FAULTY_FEEDS.values():
                if rule is not None:
                    await arm_fault(server.url, path=scale_path(number), **rule)
            clock.advance(SCALE_STEP)  # every feed lists a new update while failing
            retry_after_quiet = await _check_retry_after(server.url, scale_path(3))
            gone_after = await path_statuses(server.url, scale_path(6))
            await asyncio.sleep(4)
            clock.advance(SCALE_STEP)  # and one more during recovery
            expected = _expected_titles(steps=3, gone_steps=1)
            recovery = await wait_for(
                lambda: _all_listed(bootstrap, names.raw, expected), timeout=40
            )
            window = time.monotonic() - fault_started
            healthy_polls = sum((await path_statuses(server.url, scale_path(0))).values())
            gone_final = await path_statuses(server.url, scale_path(6))
            errors = per_label(
                await metric_samples(metrics_url, "telex_poller_feed_errors_total"), "feed_id"
            )
            assert poller.poll() is None, "the poller died"
        items = await raw_items(bootstrap, names.raw)

    titles: dict[str, set[str | None]] = defaultdict(set)
    for item in items:
        titles[item.feed_id].add(item.title)
    missing = sum(len(expected[f] - titles[f]) for f in expected)
    duplicates = duplicate_count(items)
    healthy_rate = (healthy_polls - healthy_before) / window
    print(f"faults: window {window:.1f} s, healthy feed {healthy_rate:.2f} polls/s, "
          f"errors {dict(errors)}, 410 feed {dict(gone_final)}, missing {missing}, "
          f"duplicates {duplicates}")  # fmt: skip
    reliability_report.add(
        FaultResult(
            fault="feed server faults (500, timeout, 429, reset, 404, 410)",
            procedure="7 feeds polled every 1 s, 6 get one fault each via /control/fault while "
            "every feed publishes 2 updates; count titles per feed on the raw topic",
            items_in=sum(len(t) for t in expected.values()),
            items_out=len(items),
            missing=missing,
            duplicates=duplicates,
            recovery_seconds=recovery,
            notes=f"healthy feed kept {healthy_rate:.2f} polls/s; Retry-After honoured; "
            "410 feed never polled again",
        )
    )
    assert recovery is not None, f"feeds did not recover: {dict(titles)}"
    assert missing == 0 and duplicates == 0
    assert healthy_rate >= 0.6, "the healthy feed fell behind its 1 s interval"
    assert retry_after_quiet, "the 429 feed was polled before its Retry-After elapsed"
    assert gone_after["410"] == 1 and gone_final == gone_after, "the 410 feed was polled again"
    for feed_id, reason_seen in {"http-500": 3, "timeout": 1, "rate-limited": 1, "reset": 1,
                                 "missing": 3, "gone": 1}.items():  # fmt: skip
        assert errors[feed_id] >= reason_seen, f"{feed_id}: {errors[feed_id]} errors counted"
    assert errors["healthy"] == 0


async def _check_retry_after(server_url: str, path: str) -> bool:
    """After the 429 (Retry-After 6 s), the feed stays unpolled for 5 s, then resumes."""

    async def answered_429() -> bool:
        statuses = await path_statuses(server_url, path)
        return statuses["429"] >= 1

    assert await wait_for(answered_429, timeout=10) is not None, "no 429 was served"
    seen = sum((await path_statuses(server_url, path)).values())
    await asyncio.sleep(5)
    quiet = sum((await path_statuses(server_url, path)).values()) == seen
    await asyncio.sleep(3)
    resumed = sum((await path_statuses(server_url, path)).values()) > seen
    return quiet and resumed


def _expected_titles(*, steps: int, gone_steps: int) -> dict[str, set[str]]:
    """Titles each feed listed (scale feed n, update s); the 410 feed only before it went."""
    return {
        feed_id: {
            f"Feed {number}, update {step}"
            for step in range(gone_steps if feed_id == "gone" else steps)
        }
        for feed_id, (number, _) in FAULTY_FEEDS.items()
    }


async def _all_listed(bootstrap: str, topic: str, expected: dict[str, set[str]]) -> bool:
    seen: dict[str, set[str | None]] = defaultdict(set)
    for item in await raw_items(bootstrap, topic):
        seen[item.feed_id].add(item.title)
    return all(titles <= seen[feed_id] for feed_id, titles in expected.items())
