"""Kubernetes manifests: kustomize inputs exist, commands and settings are real, probes line up."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from agents.tagging.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy
from streams.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[3]
K8S = REPO_ROOT / "deploy" / "k8s"
# Data files the package loads itself; deploy/ must point at them, never hold a copy.
PACKAGE_DATA = sorted((REPO_ROOT / "agents").rglob("*.yaml")) + sorted(
    (REPO_ROOT / "schemas").glob("*.*json")
)
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
ALERT_JOBS = {"telex-poller", "telex-worker"}


def _documents() -> list[dict[str, Any]]:
    return [
        doc
        for resource in KUSTOMIZATION["resources"]
        for doc in yaml.safe_load_all((K8S / resource).read_text())
        if doc
    ]


DOCUMENTS = _documents()
WORKLOADS = {
    d["metadata"]["name"]: d for d in DOCUMENTS if d["kind"] in {"Deployment", "StatefulSet"}
}


def _container(name: str) -> dict[str, Any]:
    (container,) = WORKLOADS[name]["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = container
    return result


def _env(container: Mapping[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def _generated_file(generator: str, key: str) -> Path:
    (spec,) = [g for g in KUSTOMIZATION["configMapGenerator"] if g["name"] == generator]
    sources = dict(entry.split("=", 1) for entry in spec["files"])
    return K8S / str(sources[key])


def _mount_source(workload: str, path: str) -> tuple[str, str]:
    """(volume name, path inside the volume) of a file path a container sees."""
    spec = WORKLOADS[workload]["spec"]["template"]["spec"]
    for mount in spec["containers"][0]["volumeMounts"]:
        if path.startswith(mount["mountPath"] + "/"):
            return mount["name"], path.removeprefix(mount["mountPath"] + "/")
    raise AssertionError(f"{workload}: nothing mounted at {path}")


def _settings(workload: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the pod loads: its TELEX_CONFIG file from the ConfigMap, then its env."""
    env = _env(_container(workload))
    volume, key = _mount_source(workload, env["TELEX_CONFIG"])
    volumes = {v["name"]: v for v in WORKLOADS[workload]["spec"]["template"]["spec"]["volumes"]}
    config_map = volumes[volume]["configMap"]["name"]
    for name, value in env.items():
        if name.startswith("TELEX_") and name != "TELEX_CONFIG":
            monkeypatch.setenv(name, value)
    return load_settings(_generated_file(config_map, key))


def test_every_listed_file_exists_and_parses() -> None:
    for resource in KUSTOMIZATION["resources"]:
        assert (K8S / resource).is_file(), resource
    for generator in KUSTOMIZATION["configMapGenerator"]:
        for entry in generator["files"]:
            assert (K8S / entry.split("=", 1)[-1]).is_file(), entry
    assert {d["kind"] for d in DOCUMENTS} >= {"Deployment", "StatefulSet", "Service", "PodMonitor"}


@pytest.fixture(scope="module")
def built() -> list[dict[str, Any]]:
    """The manifests `make k8s` prints (kustomize, allowed to read the package's files)."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl not installed: `make k8s` (kubectl kustomize) not run")
    done = subprocess.run(
        ["make", "-s", "-C", str(REPO_ROOT), "k8s"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_kustomize_builds(built: list[dict[str, Any]]) -> None:
    kinds = {doc["kind"] for doc in built}
    assert {"ConfigMap", "StatefulSet", "Deployment", "PodMonitor"} <= kinds


def test_taxonomy_config_map_is_the_file_the_package_loads(built: list[dict[str, Any]]) -> None:
    (config_map,) = [
        doc for doc in built
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "telex-taxonomy"
    ]  # fmt: skip
    shipped = config_map["data"]["taxonomy.yaml"]
    assert shipped == DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")


def test_taxonomy_generator_reads_the_package_file() -> None:
    source = _generated_file("telex-taxonomy", "taxonomy.yaml")
    assert source.resolve() == DEFAULT_TAXONOMY_PATH.resolve()
    assert load_taxonomy(source).version == load_taxonomy().version


def test_no_package_data_file_is_copied_into_deploy() -> None:
    names = {path.name for path in PACKAGE_DATA}
    copies = [path for path in (REPO_ROOT / "deploy").rglob("*") if path.name in names]
    assert copies == []


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_command_parses_with_the_real_cli(
    workload: str, command_parser: Callable[[list[str]], click.Context]
) -> None:
    argv = _container(workload)["args"]
    assert command_parser(argv).command.name in {"poll", "worker"}


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_environment_sets_real_settings(
    workload: str, env_checker: Callable[[Mapping[str, str]], list[str]]
) -> None:
    assert env_checker(_env(_container(workload))) == []


def test_poller_is_a_single_replica_recreated() -> None:
    poller = WORKLOADS["telex-poller"]
    assert poller["kind"] == "Deployment"
    assert poller["spec"]["replicas"] == 1
    assert poller["spec"]["strategy"]["type"] == "Recreate"
    assert _container("telex-poller")["args"][1] == "poll"


def test_worker_statefulset_keeps_state_on_its_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = WORKLOADS["telex-worker"]
    assert worker["kind"] == "StatefulSet" and worker["spec"]["replicas"] >= 2
    claims = {t["metadata"]["name"] for t in worker["spec"]["volumeClaimTemplates"]}
    data_dir = str(_settings("telex-worker", monkeypatch).worker.data_dir)
    volume, _ = _mount_source("telex-worker", data_dir)
    assert volume in claims
    assert "$(POD_NAME)" in _container("telex-worker")["args"]


def _listening_port(workload: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    settings = _settings(workload, monkeypatch)
    argv = _container(workload)["args"]
    if argv[1] == "worker":
        flag = argv[argv.index("--web-port") + 1] if "--web-port" in argv else None
        return settings.worker.web_host, int(flag) if flag else settings.worker.web_port
    return settings.metrics.host, settings.metrics.port


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_probes_hit_health_paths_on_the_listening_port(
    workload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = _container(workload)
    host, port = _listening_port(workload, monkeypatch)
    assert host == "0.0.0.0"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    expected_paths = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in expected_paths.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert ports[get["port"]] == port, f"{workload} {probe} port"


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_resources_have_requests_and_limits(workload: str) -> None:
    resources = _container(workload)["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= resources[kind].keys()


def test_pod_monitor_scrapes_every_workload_under_alert_job_names() -> None:
    (monitor,) = [d for d in DOCUMENTS if d["kind"] == "PodMonitor"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    job_label = monitor["spec"]["jobLabel"]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    jobs = set()
    for name, workload in WORKLOADS.items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), f"{name} not selected"
        assert endpoint["port"] in {p["name"] for p in _container(name)["ports"]}
        jobs.add(labels[job_label])
    assert jobs == ALERT_JOBS


def test_services_target_named_ports() -> None:
    for service in (d for d in DOCUMENTS if d["kind"] == "Service"):
        workload = service["spec"]["selector"]["app.kubernetes.io/name"]
        names = {p["name"] for p in _container(workload)["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= names


def test_worker_reads_the_taxonomy_config_map(monkeypatch: pytest.MonkeyPatch) -> None:
    path = _settings("telex-worker", monkeypatch).worker.taxonomy_path
    assert path is not None
    volume, key = _mount_source("telex-worker", str(path))
    volumes = {
        v["name"]: v for v in WORKLOADS["telex-worker"]["spec"]["template"]["spec"]["volumes"]
    }
    taxonomy = load_taxonomy(_generated_file(volumes[volume]["configMap"]["name"], key))
    assert taxonomy.topics
