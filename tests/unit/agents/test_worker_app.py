"""The worker app as built (no broker needed: building an app does not connect)."""

from __future__ import annotations

from pathlib import Path

import pytest
from faust.sensors.prometheus import PrometheusMonitor

from agents.worker import build_worker_app
from streams.settings import Settings


def _settings(tmp_path: Path, *, faust_metrics: bool) -> Settings:
    worker = {"store": "memory://", "data_dir": str(tmp_path), "faust_metrics": faust_metrics}
    return Settings(worker=worker)  # type: ignore[arg-type]


@pytest.mark.parametrize("faust_metrics", [False, True])
def test_metrics_page_is_served_with_or_without_faust_sensors(
    tmp_path: Path, faust_metrics: bool
) -> None:
    app = build_worker_app(_settings(tmp_path, faust_metrics=faust_metrics), worker_id="w-1")
    assert isinstance(app.monitor, PrometheusMonitor) is faust_metrics
    assert {"/metrics", "/healthz", "/readyz"} <= set(app.web.views)
