"""The worker app as built (no broker needed: building an app does not connect)."""

from __future__ import annotations

from pathlib import Path

import pytest
from faust.sensors.prometheus import PrometheusMonitor
from faust.types import TP

from agents.worker import OffsetGaps, build_worker_app
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


def test_offset_gaps_are_forward_jumps_within_an_assignment() -> None:
    gaps = OffsetGaps()
    gaps.reset({TP("raw", 0): 10, TP("raw", 1): None})
    assert gaps.observe("raw", 0, 10) is None
    assert gaps.observe("raw", 0, 11) is None
    assert gaps.observe("raw", 0, 15) == 12
    assert gaps.observe("raw", 0, 3) is None  # redelivery after a seek back
    assert gaps.observe("raw", 1, 40) is None  # nothing committed yet: no expectation
    gaps.reset({TP("raw", 0): 100})  # another worker committed up to 100 meanwhile
    assert gaps.observe("raw", 0, 100) is None
    assert gaps.observe("raw", 0, 102) == 101


def test_a_first_event_is_expected_at_the_committed_offset_if_the_assignment_had_none() -> None:
    gaps = OffsetGaps()
    gaps.reset({})
    assert gaps.observe("raw", 2, 57, committed=55) == 55  # 55 and 56 passed over
    assert gaps.observe("raw", 2, 58, committed=55) is None  # the expectation is its own now
    assert gaps.observe("raw", 3, 9, committed=None) is None
