"""Grafana dashboard and provisioning: valid, real metric names, PromQL promtool accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import yaml

GRAFANA = Path(__file__).resolve().parents[3] / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "telex.json"
# What the dashboard must show (issue): a panel title pattern and a metric it must query.
REQUIRED_VIEWS = [
    (r"throughput", "telex_worker_enriched_events_total"),
    (r"dedup outcomes", "telex_worker_dedup_total"),
    (r"tags per topic", "telex_worker_tags_total"),
    (r"per-feed health", "telex_poller_last_success_timestamp_seconds"),
    (r"latency", "telex_worker_pipeline_latency_seconds_bucket"),
    (r"consumer lag", "telex_worker_consumer_lag_messages"),
    (r"dead letters", "telex_worker_dlq_messages_total"),
]


def _dashboard() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(DASHBOARD.read_text())
    return loaded


def test_dashboard_identity() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "telex"
    assert dashboard["title"]


def test_panel_ids_unique_and_queries_present(prom_helper: ModuleType) -> None:
    panels = prom_helper.dashboard_panels(DASHBOARD)
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        if panel["type"] != "row":
            assert panel.get("targets"), f"panel {panel['title']!r} has no query"


@pytest.mark.parametrize(("title", "metric"), REQUIRED_VIEWS)
def test_required_view_present(prom_helper: ModuleType, title: str, metric: str) -> None:
    panels = prom_helper.dashboard_panels(DASHBOARD)
    matching = [p for p in panels if re.search(title, p["title"], re.IGNORECASE)]
    assert matching, f"no panel titled like {title!r}"
    exprs = " ".join(t["expr"] for p in matching for t in p.get("targets", []))
    assert metric in prom_helper.metric_names(exprs)


def test_latency_heatmaps_read_histogram_buckets(prom_helper: ModuleType) -> None:
    heatmaps = [p for p in prom_helper.dashboard_panels(DASHBOARD) if p["type"] == "heatmap"]
    assert len(heatmaps) >= 2
    for panel in heatmaps:
        for target in panel["targets"]:
            assert target["format"] == "heatmap"
            assert "by (le)" in target["expr"]
            assert all(
                name.endswith("_bucket") for name in prom_helper.metric_names(target["expr"])
            )


def test_every_query_uses_real_metrics(
    prom_helper: ModuleType, known_metrics: frozenset[str]
) -> None:
    variables = _dashboard()["templating"]["list"]  # type: ignore[index]
    # label_values(<series selector>, <label>): only the selector names metrics.
    label_queries = [
        re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", v["definition"])
        for v in variables
        if v["type"] == "query"
    ]
    for expr in prom_helper.dashboard_expressions(DASHBOARD) + label_queries:
        unknown = prom_helper.metric_names(expr) - known_metrics
        assert not unknown, f"unknown metrics {unknown} in {expr}"


def test_every_query_is_valid_promql(
    prom_helper: ModuleType, promtool: Callable[..., str], tmp_path: Path
) -> None:
    # promtool cannot check a bare expression; as recording rules, `check rules` parses each.
    expressions = prom_helper.dashboard_expressions(DASHBOARD)
    rules = [{"record": f"telex:dashboard_query:{n}", "expr": e} for n, e in enumerate(expressions)]
    wrapper = tmp_path / "dashboard_rules.yml"
    wrapper.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in promtool("check", "rules", str(wrapper))


def test_invalid_promql_is_caught(promtool: Callable[..., str], tmp_path: Path) -> None:
    wrapper = tmp_path / "bad.yml"
    rule = {"record": "telex:bad", "expr": "sum(rate(telex_worker_tags_total[5m])"}
    wrapper.write_text(yaml.safe_dump({"groups": [{"name": "bad", "rules": [rule]}]}))
    with pytest.raises(AssertionError, match="failed"):
        promtool("check", "rules", str(wrapper))


def test_datasource_uid_matches_dashboard(prom_helper: ModuleType) -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    uids = {source["uid"] for source in provisioned["datasources"]}
    used = {
        p["datasource"]["uid"] for p in prom_helper.dashboard_panels(DASHBOARD) if "datasource" in p
    }
    assert used and used <= uids


def test_dashboard_provider_points_at_mounted_folder() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/telex.yml").read_text())
    compose = yaml.safe_load((GRAFANA.parent / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    path = provider["providers"][0]["options"]["path"]
    assert any(m.startswith("./grafana/dashboards:") and m.split(":")[1] == path for m in mounts)


def test_template_variables_substituted(prom_helper: ModuleType) -> None:
    for expr in prom_helper.dashboard_expressions(DASHBOARD):
        assert "$" not in expr, expr
    assert prom_helper.substitute_variables('x{f=~"${feed}"}[$__rate_interval]') == 'x{f=~".*"}[1m]'
    with pytest.raises(KeyError, match="unknown_var"):
        prom_helper.substitute_variables("x[$unknown_var]")
