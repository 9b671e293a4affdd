"""A real Prometheus for tests: scrapes given targets every second with telex's alert rules.

Also reads the PromQL out of the deploy files (alert rules, Grafana dashboard) so tests can run
every expression against live data. Needs the ``prometheus`` binary (Debian package
``prometheus``). Not a pytest module: load it by path (see test_prometheus_server.py).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ALERTS_PATH = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD_PATH = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "telex.json"

# Concrete values for Grafana's template variables, so dashboard queries run as plain PromQL.
# `$feed` is a multi-value variable whose "All" value is the regex `.*`.
GRAFANA_VARIABLES = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "feed": ".*",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
_PROMQL_WORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
    | {"and", "or", "unless", "offset", "inf", "nan"}
)
_NOT_METRIC_NAMES = (
    re.compile(r'"(?:[^"\\]|\\.)*"'),  # strings: label values, regexes
    re.compile(r"\{[^}]*\}"),  # label matchers
    re.compile(r"\[[^\]]*\]"),  # range and subquery durations
    re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"),
)
_IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


class PrometheusError(Exception):
    """Prometheus did not start in time, or its HTTP API answered with an error."""


def substitute_variables(expr: str) -> str:
    """Replace Grafana template variables (``$feed``, ``${feed}``, ``$__rate_interval``)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in GRAFANA_VARIABLES:
            raise KeyError(f"no test value for Grafana variable ${name} in {expr!r}")
        return GRAFANA_VARIABLES[name]

    return _VARIABLE.sub(value, expr)


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (not functions, keywords, labels or durations)."""
    for pattern in _NOT_METRIC_NAMES:
        expr = pattern.sub(" ", expr)
    return {
        name
        for name, call in _IDENTIFIER.findall(expr)
        if not call and name.lower() not in _PROMQL_WORDS
    }


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Collapsed rows keep their panels nested.
    found: list[dict[str, Any]] = []
    for panel in panels:
        found.append(panel)
        found.extend(_panels(panel.get("panels", [])))
    return found


def dashboard_panels(path: Path = DASHBOARD_PATH) -> list[dict[str, Any]]:
    """Every panel of the Grafana dashboard, rows' nested panels included."""
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    return _panels(dashboard["panels"])


def dashboard_expressions(path: Path = DASHBOARD_PATH) -> list[str]:
    """The PromQL of every dashboard query, template variables substituted."""
    return [
        substitute_variables(target["expr"])
        for panel in dashboard_panels(path)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def alert_expressions(path: Path = ALERTS_PATH) -> list[str]:
    """The PromQL of every alerting and recording rule."""
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _scrape_config(targets: dict[str, str], rules: Path) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [address]}]}
            for job, address in targets.items()
        ],
    }


class PrometheusServer:
    """Prometheus on a free 127.0.0.1 port with a throwaway TSDB; use as a context manager."""

    def __init__(
        self,
        targets: dict[str, str],
        *,
        rules: Path = ALERTS_PATH,
        binary: str = "prometheus",
        startup_timeout: float = 30.0,
    ) -> None:
        self.targets = targets
        self.rules_path = rules
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.port = 0
        self._workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Write the config, start Prometheus and wait until /-/ready answers."""
        executable = shutil.which(self.binary)
        if executable is None:
            raise PrometheusError(
                f"{self.binary!r} not found: apt-get install -y --no-install-recommends prometheus"
            )
        self._workdir = Path(tempfile.mkdtemp(prefix="telex-prometheus-"))
        config = self._workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(_scrape_config(self.targets, self.rules_path)))
        self.port = free_port()
        log = (self._workdir / "prometheus.log").open("wb")
        self._process = subprocess.Popen(
            [
                executable,
                f"--config.file={config}",
                f"--storage.tsdb.path={self._workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise PrometheusError(f"prometheus exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise PrometheusError(f"prometheus not ready after {self.startup_timeout} s")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines Prometheus logged (for failure messages)."""
        if self._workdir is None:
            return ""
        log = self._workdir / "prometheus.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _api(self, path: str, params: dict[str, str] | None = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as answer:
                body = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; the result list (``metric`` and ``value`` per series)."""
        data = self._api("/api/v1/query", {"query": expr})
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait_for_series(self, expr: str, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Query until the result is not empty; raise PrometheusError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                return result
            time.sleep(0.5)
        raise PrometheusError(f"no series for {expr!r} after {timeout} s")

    def rules(self) -> dict[str, Any]:
        """The loaded rule groups with their state (``/api/v1/rules``)."""
        data: dict[str, Any] = self._api("/api/v1/rules")
        return data

    def targets_up(self) -> bool:
        """True when every configured target has been scraped successfully."""
        active = self._api("/api/v1/targets")["activeTargets"]
        return len(active) == len(self.targets) and all(t["health"] == "up" for t in active)

    def stop(self) -> None:
        """SIGTERM, wait up to 10 s, then kill; remove the temporary TSDB."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
