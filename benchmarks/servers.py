"""Processes the benchmarks measure against: the demo feed server, a Kafka broker, settings."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streams.local.broker import free_port, throwaway_broker
from streams.local.supervisor import stop_process
from streams.settings import Settings, load_settings

__all__ = ["bench_settings", "kafka_bootstrap", "stop_process"]

_SERVER_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")
STARTUP_SECONDS = 30.0


@contextlib.contextmanager
def demo_server_process(**options: Any) -> Iterator[str]:
    """`python -m streams.demo.server` in its own process (so its CPU is not ours); its URL."""
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in options.items()]
    process = subprocess.Popen(
        [sys.executable, "-m", "streams.demo.server", "--port=0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield _announced_url(process)
    finally:
        stop_process(process)


def _announced_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()  # the server prints its URL once bound
    found = _SERVER_URL.search(line)
    if found is None:
        raise RuntimeError(f"demo server did not announce its URL: {line!r}")
    return found.group(1)


@contextlib.contextmanager
def kafka_bootstrap(given: str | None) -> Iterator[str]:
    """`given`, else a throwaway single-node broker on free ports, stopped on exit."""
    if given:
        yield given
        return
    with throwaway_broker(partitions=4, prefix="telex-bench-kafka-") as bootstrap:
        yield bootstrap


def bench_settings(bootstrap: str, work_dir: Path, **overrides: Any) -> Settings:
    """Settings on `bootstrap` with a fresh topic prefix, so runs never share topics."""
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    base: dict[str, Any] = {
        "kafka": {"bootstrap": bootstrap, "partitions": 4},
        "topics": {"prefix": prefix},
        "worker": {"app_id": f"telex-{prefix}", "store": "memory://",
                   "data_dir": str(work_dir / prefix), "web_port": free_port()},
        "metrics": {"port": free_port()},
        "data_dir": str(work_dir),
    }  # fmt: skip
    for key, value in overrides.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return load_settings(None, **base)
