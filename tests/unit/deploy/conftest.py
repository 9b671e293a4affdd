"""Shared checks for the deploy files: promtool, metric names, CLI command lines, TELEX_* vars."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

import click
import pytest
from pydantic import BaseModel

from streams import metrics
from streams.cli import cli
from streams.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[3]
DEPLOY = REPO_ROOT / "deploy"
# Series Prometheus adds itself to every scrape.
PROMETHEUS_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
_EXPOSED_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "info": ("_info",),
}


@pytest.fixture(scope="session")
def prom_helper() -> ModuleType:
    """tests/integration/prometheus_server.py (readers of the deploy files), loaded by path."""
    path = REPO_ROOT / "tests" / "integration" / "prometheus_server.py"
    spec = importlib.util.spec_from_file_location("telex_prometheus_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def known_metrics() -> frozenset[str]:
    """Every series name streams/metrics.py exposes, plus Prometheus' own scrape series."""
    names = {
        family.name + suffix
        for family in metrics.REGISTRY.collect()
        for suffix in _EXPOSED_SUFFIXES[family.type]
    }
    return frozenset(names) | PROMETHEUS_SERIES


@pytest.fixture(scope="session")
def promtool() -> Callable[..., str]:
    """Run promtool with arguments; fail the test with its output unless it succeeds."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail(
            "promtool not found; install it: "
            "apt-get update && apt-get install -y --no-install-recommends prometheus"
        )

    def run(*args: str, cwd: Path = DEPLOY / "prometheus") -> str:
        done = subprocess.run(
            [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
        return output

    return run


def parse_command(argv: list[str]) -> click.Context:
    """Parse a ``telex ...`` command line the way the CLI would, without running it.

    Raises click.UsageError (unknown subcommand or option, bad value) like the real CLI.
    """
    assert argv[0] == "telex", f"not a telex command: {argv}"
    group_ctx = cli.make_context("telex", argv[1:])
    # The group leaves the subcommand's own arguments in args; the name comes just before.
    rest = argv[len(argv) - len(group_ctx.args) - 1 :]
    name, command, args = cli.resolve_command(group_ctx, rest)
    assert command is not None and name is not None, f"no subcommand in {argv}"
    return command.make_context(name, args, parent=group_ctx)


def _cli_envvars() -> set[str]:
    return {p.envvar for p in cli.params if isinstance(p.envvar, str)}


def settings_field(env_name: str) -> str | None:
    """The settings key (``worker.web_port``) a TELEX_* variable sets, or None if none."""
    key = env_name.removeprefix("TELEX_").lower()
    if key in Settings.model_fields:
        return key
    section, _, field = key.partition("_")
    info = Settings.model_fields.get(section)
    model = info.annotation if info else None
    if isinstance(model, type) and issubclass(model, BaseModel) and field in model.model_fields:
        return f"{section}.{field}"
    return None


def env_problems(env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Unknown TELEX_* names, or values the settings reject (loaded for real)."""
    problems = [
        f"{name} sets no setting"
        for name in env
        if name.startswith("TELEX_") and name not in _cli_envvars() and settings_field(name) is None
    ]
    with monkeypatch.context() as patch:
        for name, value in env.items():
            if name.startswith("TELEX_") and name not in _cli_envvars():
                patch.setenv(name, value)
        try:
            load_settings()
        except Exception as exc:  # the message is the test's failure report
            problems.append(f"settings reject {dict(env)}: {exc}")
    return problems


@pytest.fixture
def command_parser() -> Callable[[list[str]], click.Context]:
    """parse_command, for tests (conftest functions cannot be imported under importlib mode)."""
    return parse_command


@pytest.fixture
def env_checker(monkeypatch: pytest.MonkeyPatch) -> Callable[[Mapping[str, str]], list[str]]:
    """env_problems bound to this test's monkeypatch."""
    return lambda env: env_problems(env, monkeypatch)


@pytest.fixture
def setting_for() -> Callable[[str], str | None]:
    """settings_field, for tests."""
    return settings_field
