"""A real Prometheus scrapes a real poller and worker: every dashboard query and alert runs.

Fails when any expression errors, or returns no series although the pipeline produced the
data it is about (a bad message feeds the DLQ panels, a broken feed the error panels).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from streams.demo.server import DemoServer
from streams.kafka import reliable_producer
from streams.topics import TopicNames, ensure_topics

from .conftest import consume
from .processes import telex_process, write_config
from .prometheus_server import (
    PrometheusServer,
    alert_expressions,
    dashboard_expressions,
    metric_names,
)

pytestmark = pytest.mark.integration

DATA_DEADLINE_SECONDS = 90.0


async def test_every_dashboard_query_and_alert_rule_runs_on_live_pipeline_data(
    settings_factory: Any, tmp_path: Path
) -> None:
    async with DemoServer(initial_items=3, item_interval=2.0, max_age=1) as server:
        feeds = [
            {"id": "demo-rss", "url": f"{server.url}/liveblog.rss", "interval_seconds": 1},
            {"id": "demo-json", "url": f"{server.url}/liveblog.json", "interval_seconds": 1},
            {"id": "broken", "url": f"{server.url}/fault/status/503", "interval_seconds": 1},
        ]
        settings = settings_factory(poller={"feeds": feeds, "allow_private_addresses": True})
        names = TopicNames.from_settings(settings)
        await ensure_topics(settings, ["defense-treaty", "diplomacy", "german-politics"])
        await _send_bad_message(settings, names.raw)
        config = write_config(settings, tmp_path / "telex.yaml")
        targets = {
            "telex-poller": f"127.0.0.1:{settings.metrics.port}",
            "telex-worker": f"127.0.0.1:{settings.worker.web_port}",
        }
        with (
            telex_process(config, "worker", log=tmp_path / "worker.log"),
            telex_process(config, "poll", log=tmp_path / "poll.log"),
            PrometheusServer(targets) as prometheus,
        ):
            await consume(settings.kafka.bootstrap, names.enriched, count=3, timeout=90)
            empty = _wait_until_all_have_data(prometheus, dashboard_expressions())
            assert not empty, f"dashboard queries without data: {empty}"
            for expr in alert_expressions():
                prometheus.query(expr)  # raises on any PromQL or evaluation error
                missing = [m for m in metric_names(expr) if not prometheus.query(m)]
                assert not missing, f"alert {expr!r} refers to metrics with no series: {missing}"
            rules = prometheus.rules()
            loaded = [r for g in rules["groups"] for r in g["rules"]]
            assert loaded and all(r.get("health") != "err" for r in loaded), loaded


async def _send_bad_message(settings: Any, topic: str) -> None:
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(topic, key=b"bad", value=b"{not json")
    finally:
        await producer.stop()


def _wait_until_all_have_data(prometheus: PrometheusServer, expressions: list[str]) -> list[str]:
    deadline = time.monotonic() + DATA_DEADLINE_SECONDS
    pending = list(expressions)
    while pending and time.monotonic() < deadline:
        pending = [expr for expr in pending if not prometheus.query(expr)]
        if pending:
            time.sleep(2.0)
    return pending
