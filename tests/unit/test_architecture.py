"""The module map holds: the pure core reaches no I/O framework, not even through another module,
and each folder imports only the folders the README's module map allows."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("streams", "agents", "schemas")
# The faust agents, the worker's wiring and the stores are the I/O edge of agents/; the poller
# loop, fetching, publishing and state are the edge of streams/poll/.
EDGE = {
    "agents/tagging/agent.py",
    "agents/dedup/agent.py",
    "agents/worker.py",
    "agents/outputs.py",
    "agents/readback.py",
    "agents/health.py",
    "agents/store.py",
}
PURE_MODULES = sorted(
    [
        "streams/errors.py",
        "streams/topic_configs.py",
        "streams/poll/parse.py",
        "streams/poll/identity.py",
        "streams/poll/changes.py",
        "streams/poll/clean.py",
        "streams/poll/encoding.py",
        "streams/poll/schedule.py",
        "streams/poll/http_headers.py",
        "streams/poll/content_encoding.py",
        "streams/poll/extract.py",
        "streams/local/view.py",
        "streams/local/view_state.py",
        *(str(p.relative_to(ROOT)) for p in (ROOT / "streams/poll/formats").glob("*.py")),
        *(
            str(p.relative_to(ROOT))
            for p in (ROOT / "agents").rglob("*.py")
            if str(p.relative_to(ROOT)) not in EDGE
        ),
        "schemas/models.py",
        "schemas/cloudevents.py",
    ]
)
IO_PACKAGES = {
    "faust",
    "mode",
    "aiohttp",
    "aiokafka",
    "prometheus_client",
    "rocksdict",
    "socket",
    "urllib3",
}
# Folder -> the project folders its modules may import (the README's module map). The CLI is
# the one place that wires every part together, lazily, per command.
MAY_IMPORT = {
    "schemas": ("schemas", "streams/errors.py"),
    "streams/poll": (
        "streams/poll",
        "streams/errors.py",
        "streams/settings.py",
        "streams/metrics.py",
        "streams/kafka.py",
        "streams/topics.py",
        "streams/health.py",
        "streams/__init__.py",
        "schemas",
    ),
    "streams/demo": ("streams/demo", "streams/poll", "streams/errors.py", "schemas"),
    "streams/local": ("streams", "schemas"),
    "agents/tagging": ("agents", "streams", "schemas"),
    "agents/dedup": ("agents", "streams", "schemas"),
}


def _module_file(name: str) -> Path | None:
    base = ROOT / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@cache
def _imports(path: Path) -> tuple[frozenset[str], frozenset[Path]]:
    """Third-party top-level packages and project module files `path` imports at run time
    (imports under `if TYPE_CHECKING:` are for the type checker only)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    external: set[str] = set()
    internal: set[Path] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            return
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] in PACKAGES:
                found = _module_file(name)
                if found is not None:
                    internal.add(found)
            else:
                external.add(name.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return frozenset(external), frozenset(internal)


def _reachable(path: Path) -> set[Path]:
    seen: set[Path] = set()
    todo = [path]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(_imports(current)[1])
    return seen


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_reaches_no_io_framework(module: str) -> None:
    assert (ROOT / module).exists(), f"{module} listed as pure but missing"
    for reached in _reachable(ROOT / module):
        io = _imports(reached)[0] & IO_PACKAGES
        assert not io, f"{module} reaches {sorted(io)} through {reached.relative_to(ROOT)}"


@pytest.mark.parametrize("folder", sorted(MAY_IMPORT))
def test_folder_imports_only_what_the_module_map_allows(folder: str) -> None:
    allowed = MAY_IMPORT[folder]
    for path in sorted((ROOT / folder).rglob("*.py")):
        for imported in _imports(path)[1]:
            target = str(imported.relative_to(ROOT))
            assert target.startswith(allowed), f"{path.relative_to(ROOT)} imports {target}"


def test_only_settings_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ]
    # broker.py reads JAVA_HOME (the JVM to run), cli.py checks whether the user named a
    # cluster, supervisor.py hands the environment to its children: process-level concerns.
    # settings.py reads the variables a feed's request headers name (their secret values).
    assert sorted(readers) == [
        "streams/cli.py",
        "streams/local/broker.py",
        "streams/local/supervisor.py",
        "streams/settings.py",
    ]
