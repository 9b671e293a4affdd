"""Alert rules: promtool unit tests pass, files check, every rule is documented and tested."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
REQUIRED_ANNOTATIONS = ("summary", "description", "runbook")


def _alert_rules() -> list[dict[str, object]]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _tested_cases() -> dict[str, set[bool]]:
    """Per alert name: True if some case expects it firing, False if some expects silence."""
    tests = yaml.safe_load((PROMETHEUS_DIR / "alerts.test.yml").read_text())["tests"]
    cases: dict[str, set[bool]] = {}
    for test in tests:
        for case in test.get("alert_rule_test", []):
            cases.setdefault(case["alertname"], set()).add(bool(case.get("exp_alerts")))
    return cases


def test_promtool_unit_tests_pass(promtool: Callable[..., str]) -> None:
    assert "SUCCESS" in promtool("test", "rules", "alerts.test.yml")


def test_promtool_checks_rules_and_config(promtool: Callable[..., str]) -> None:
    assert "SUCCESS" in promtool("check", "rules", "alerts.yml")
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")


@pytest.mark.parametrize("rule", _alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_rule_has_annotations_and_severity(rule: dict[str, object]) -> None:
    annotations = rule.get("annotations")
    assert isinstance(annotations, dict)
    missing = [key for key in REQUIRED_ANNOTATIONS if not annotations.get(key)]
    assert not missing, f"{rule['alert']} lacks {missing}"
    assert "docs/operating.md#" in annotations["runbook"]
    labels = rule.get("labels")
    assert isinstance(labels, dict) and labels.get("severity") in {"warning", "critical"}


@pytest.mark.parametrize("rule", _alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_rule_is_tested_firing_and_silent(rule: dict[str, object]) -> None:
    assert _tested_cases().get(str(rule["alert"])) == {True, False}


def test_runbook_anchors_exist_in_operating_doc() -> None:
    doc = (PROMETHEUS_DIR.parents[1] / "docs" / "operating.md").read_text().lower()
    for rule in _alert_rules():
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        anchor = annotations["runbook"].rsplit("#", 1)[1]
        assert f"### {anchor}" in doc, f"docs/operating.md has no heading for #{anchor}"


def test_alert_expressions_use_only_real_metrics(
    prom_helper: ModuleType, known_metrics: frozenset[str]
) -> None:
    for expr in prom_helper.alert_expressions():
        unknown = prom_helper.metric_names(expr) - known_metrics
        assert not unknown, f"unknown metrics {unknown} in {expr}"


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum by (reason) (rate(telex_worker_dlq_messages_total{reason=~"a|b"}[5m]))',
            {"telex_worker_dlq_messages_total"},
        ),
        (
            "time() - x_seconds > on (job, feed_id) 3 * y_seconds offset 5m",
            {"x_seconds", "y_seconds"},
        ),
        ("histogram_quantile(0.95, sum by (le) (rate(h_bucket[1m])))", {"h_bucket"}),
        ("a unless on () b and bool c", {"a", "b", "c"}),
        ('up{job="telex-worker"} == 0', {"up"}),
    ],
)
def test_metric_names_are_read_from_promql(
    prom_helper: ModuleType, expr: str, names: set[str]
) -> None:
    assert prom_helper.metric_names(expr) == names


def test_known_metrics_hold_exposed_names(known_metrics: frozenset[str]) -> None:
    # Counters are exposed with _total, histograms with _bucket: the family name alone is not.
    assert "telex_worker_dlq_messages_total" in known_metrics
    assert "telex_poller_fetch_duration_seconds_bucket" in known_metrics
    assert "telex_worker_dlq_messages" not in known_metrics
