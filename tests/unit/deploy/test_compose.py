"""docker-compose stack: real CLI commands, real settings, ports that match the scrape config."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from streams.settings import load_settings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
TELEX_SERVICES = sorted(
    name for name, svc in SERVICES.items() if svc.get("image") == "telex:latest"
)
CONFIG_MOUNT = "./compose/telex.yaml:/etc/telex/telex.yaml:ro"


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def _compose_settings(service: Mapping[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The settings the service's telex process would load (config file, then its env)."""
    for name, value in _environment(service).items():
        if name.startswith("TELEX_") and name != "TELEX_CONFIG":
            monkeypatch.setenv(name, value)
    return load_settings(DEPLOY / "compose" / "telex.yaml")


def test_compose_has_the_whole_stack() -> None:
    assert SERVICES["kafka"]["image"] == "apache/kafka:4.0.0"
    assert "controller" in SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    commands = {name: SERVICES[name]["command"][1] for name in TELEX_SERVICES}
    assert sorted(commands.values()) == ["demo-server", "poll", "worker", "worker"]
    assert {"prometheus", "grafana"} <= SERVICES.keys()


@pytest.mark.parametrize("name", TELEX_SERVICES)
def test_command_parses_with_the_real_cli(
    name: str, command_parser: Callable[[list[str]], click.Context]
) -> None:
    context = command_parser(SERVICES[name]["command"])
    assert context.command.name == SERVICES[name]["command"][1]


def test_command_check_catches_unknown_option(
    command_parser: Callable[[list[str]], click.Context],
) -> None:
    with pytest.raises(click.UsageError):
        command_parser(["telex", "worker", "--replicas", "2"])
    with pytest.raises(click.UsageError):
        command_parser(["telex", "serve"])


@pytest.mark.parametrize("name", TELEX_SERVICES)
def test_environment_sets_real_settings(
    name: str, env_checker: Callable[[Mapping[str, str]], list[str]]
) -> None:
    assert env_checker(_environment(SERVICES[name])) == []


def test_env_check_catches_unknown_variable(
    env_checker: Callable[[Mapping[str, str]], list[str]],
) -> None:
    assert env_checker({"TELEX_WORKER_WEBPORT": "1"}) != []
    assert env_checker({"TELEX_METRICS_PORT": "not-a-port"}) != []


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("TELEX_KAFKA_BOOTSTRAP", "kafka.bootstrap"),
        ("TELEX_WORKER_WEB_PORT", "worker.web_port"),
        ("TELEX_DATA_DIR", "data_dir"),
        ("TELEX_POLLER_NO_SUCH", None),
        ("TELEX_NOSECTION_X", None),
    ],
)
def test_variable_maps_to_setting(
    setting_for: Callable[[str], str | None], variable: str, field: str | None
) -> None:
    assert setting_for(variable) == field


def test_compose_config_is_valid_and_polls_the_demo_service() -> None:
    settings = load_settings(DEPLOY / "compose" / "telex.yaml")
    assert settings.poller.allow_private_addresses
    demo_port = SERVICES["demo"]["command"][SERVICES["demo"]["command"].index("--port") + 1]
    assert settings.poller.feeds
    for feed in settings.poller.feeds:
        assert feed.url.startswith(f"http://demo:{demo_port}/")


@pytest.mark.parametrize("name", sorted(set(TELEX_SERVICES) - {"demo"}))
def test_service_mounts_config_and_reaches_kafka(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SERVICES[name]
    assert CONFIG_MOUNT in service["volumes"]
    assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
    settings = _compose_settings(service, monkeypatch)
    assert settings.kafka.bootstrap == "kafka:9092"


def _scrape_targets() -> dict[str, list[str]]:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    return {
        job["job_name"]: [t for static in job["static_configs"] for t in static["targets"]]
        for job in config["scrape_configs"]
    }


def _metrics_address(name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    service = SERVICES[name]
    settings = _compose_settings(service, monkeypatch)
    argv = service["command"]
    if argv[1] == "worker":
        port = int(argv[argv.index("--web-port") + 1]) if "--web-port" in argv else None
        return settings.worker.web_host, port or settings.worker.web_port
    return settings.metrics.host, settings.metrics.port


@pytest.mark.parametrize(("job", "command"), [("telex-poller", "poll"), ("telex-worker", "worker")])
def test_scrape_targets_match_service_ports(
    job: str, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = [n for n in TELEX_SERVICES if SERVICES[n]["command"][1] == command]
    expected = []
    for name in services:
        host, port = _metrics_address(name, monkeypatch)
        assert host == "0.0.0.0", f"{name} listens on {host}: Prometheus cannot reach it"
        expected.append(f"{name}:{port}")
    assert sorted(_scrape_targets()[job]) == sorted(expected)


def test_workers_have_their_own_data_volume() -> None:
    workers = [n for n in TELEX_SERVICES if SERVICES[n]["command"][1] == "worker"]
    volumes = [
        v.split(":")[0] for n in workers for v in SERVICES[n]["volumes"] if not v.startswith("./")
    ]
    assert len(volumes) == len(set(volumes)) == len(workers)
    assert set(volumes) <= set(COMPOSE["volumes"])
    ids = [SERVICES[n]["command"][SERVICES[n]["command"].index("--worker-id") + 1] for n in workers]
    assert len(set(ids)) == len(ids)


def test_grafana_anonymous_viewer_and_provisioning() -> None:
    grafana = SERVICES["grafana"]
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]


def test_prometheus_mounts_its_config_and_rules() -> None:
    prometheus = SERVICES["prometheus"]
    assert "./prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY.parent / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_image_runs_as_non_root_with_a_real_default_command(
    command_parser: Callable[[list[str]], click.Context],
    env_checker: Callable[[Mapping[str, str]], list[str]],
) -> None:
    instructions = _dockerfile_instructions()
    values = {kind: value for kind, value in instructions}  # the last one wins, as in Docker
    assert values["FROM"] == "python:3.11-slim"
    assert values["USER"].split(":")[0] not in {"root", "0"}
    assert command_parser(json.loads(values["CMD"])).command.name == "worker"
    env = dict(
        pair.split("=", 1)
        for kind, value in instructions
        if kind == "ENV"
        for pair in value.split()
    )
    assert env_checker(env) == []


def test_image_installs_pinned_dependencies_before_the_project() -> None:
    runs = [value for kind, value in _dockerfile_instructions() if kind == "RUN"]
    pinned = next(i for i, run in enumerate(runs) if "requirements.lock" in run)
    project = next(i for i, run in enumerate(runs) if "--no-deps ." in run)
    assert pinned < project


@pytest.mark.parametrize(
    "name", [n for n in TELEX_SERVICES if SERVICES[n]["command"][1] == "worker"]
)
def test_workers_tag_with_the_taxonomy_the_package_ships(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No taxonomy_path: the image's agents/tagging/taxonomy.yaml, never a copy under deploy/.
    assert _compose_settings(SERVICES[name], monkeypatch).worker.taxonomy_path is None
