"""The Prometheus test helper against a tiny exporter holding real telex metric names."""

from __future__ import annotations

import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

# A helper module next to this file, not a package: make its folder importable.
sys.path.insert(0, str(Path(__file__).parent))
import prometheus_server as helper


@pytest.fixture(scope="module")
def exporter_address() -> Iterator[str]:
    registry = CollectorRegistry()
    ready = Gauge("telex_ready", "ready", ["component"], registry=registry)
    ready.labels(component="worker").set(1)
    interval = Gauge(
        "telex_poller_feed_interval_seconds", "interval", ["feed_id"], registry=registry
    )
    interval.labels(feed_id="demo-rss").set(30)
    dlq = Counter("telex_worker_dlq_messages", "dlq", ["reason"], registry=registry)
    dlq.labels(reason="invalid_schema").inc(3)
    port = helper.free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield f"127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def prometheus(exporter_address: str) -> Iterator[helper.PrometheusServer]:
    with helper.PrometheusServer({"telex-worker": exporter_address}) as server:
        yield server


def _wait_targets_up(server: helper.PrometheusServer, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.targets_up():
            return True
        time.sleep(0.5)
    return False


def test_scrapes_the_exporter(prometheus: helper.PrometheusServer) -> None:
    assert _wait_targets_up(prometheus), prometheus.log_tail()
    series = prometheus.wait_for_series('telex_ready{component="worker"}')
    assert [float(s["value"][1]) for s in series] == [1.0]
    assert series[0]["metric"]["job"] == "telex-worker"


def test_counter_keeps_its_value_and_labels(prometheus: helper.PrometheusServer) -> None:
    series = prometheus.wait_for_series("telex_worker_dlq_messages_total")
    assert {s["metric"]["reason"]: float(s["value"][1]) for s in series} == {"invalid_schema": 3.0}


def test_loads_the_alert_rules(prometheus: helper.PrometheusServer) -> None:
    groups = prometheus.rules()["groups"]
    names = {rule["name"] for group in groups for rule in group["rules"]}
    assert {"TelexFeedStale", "TelexWorkerNotReady", "TelexNoEnrichedEvents"} <= names


def test_bad_query_raises(prometheus: helper.PrometheusServer) -> None:
    with pytest.raises(helper.PrometheusError, match="bad_data"):
        prometheus.query("sum(")


def test_every_deploy_expression_is_accepted_by_the_server(
    prometheus: helper.PrometheusServer,
) -> None:
    expressions = helper.dashboard_expressions() + helper.alert_expressions()
    assert expressions
    for expr in expressions:
        assert isinstance(prometheus.query(expr), list), expr


def test_stop_frees_the_port(exporter_address: str) -> None:
    server = helper.PrometheusServer({"telex-worker": exporter_address}).start()
    url = server.url
    server.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/-/ready", timeout=1)
