"""The pure core imports no I/O framework: parsing, identity, dedup and tagging stay testable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_MODULES = [
    "streams/parse.py",
    "streams/identity.py",
    "streams/changes.py",
    "streams/clean.py",
    "streams/encoding.py",
    "streams/schedule.py",
    "streams/http_headers.py",
    "streams/content_encoding.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "streams" / "formats").glob("*.py")),
    "agents/text.py",
    "agents/language.py",
    "agents/taxonomy.py",
    "agents/tagging.py",
    "agents/fingerprint.py",
    "agents/dedup.py",
    "agents/enrich.py",
    "agents/offline.py",
    "schemas/models.py",
]
IO_PACKAGES = {"faust", "aiohttp", "aiokafka", "prometheus_client", "mode", "socket", "urllib3"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_no_io_framework(module: str) -> None:
    assert (ROOT / module).exists(), f"{module} listed as pure but missing"
    assert not imported_packages(ROOT / module) & IO_PACKAGES


def test_only_settings_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for package in ("streams", "agents", "schemas")
        for path in (ROOT / package).rglob("*.py")
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ]
    # broker.py reads JAVA_HOME (the JVM to run), cli.py checks whether the user named a
    # cluster, supervisor.py hands the environment to its children: process-level concerns.
    assert sorted(readers) == ["streams/broker.py", "streams/cli.py", "streams/supervisor.py"]
