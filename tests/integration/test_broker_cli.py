"""`telex broker`: a persistent local broker; a second launch finds the first, data survives."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streams.local.broker import describe_cluster, free_port

from .processes import stop_process

pytestmark = pytest.mark.integration


def _broker_command(port: int, controller: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "streams.cli", "broker", "--port", str(port),
            "--controller-port", str(controller), *extra]  # fmt: skip


def _wait_for_line(log: Path, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text() if log.exists() else ""
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not printed within {timeout} s: {log.read_text()}")


def test_second_launch_finds_the_running_broker_and_data_survives_restart(tmp_path: Path) -> None:
    env = {**os.environ, "TELEX_DATA_DIR": str(tmp_path / "var")}
    port, controller = free_port(), free_port()
    log = tmp_path / "first.log"
    with open(log, "wb") as out:
        first = subprocess.Popen(_broker_command(port, controller), stdout=out,
                                 stderr=subprocess.STDOUT, env=env)  # fmt: skip
    try:
        printed = _wait_for_line(log, "broker ready", timeout=120)
        print(printed.strip())  # the start-to-ready time, for the README
        second = subprocess.run(_broker_command(port, controller), env=env, capture_output=True,
                                text=True, timeout=60, check=False)  # fmt: skip
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        asyncio.run(describe_cluster(f"127.0.0.1:{port}"))  # the first one is unharmed
    finally:
        stop_process(first)
    assert first.returncode == 0
    meta = tmp_path / "var" / "kafka" / "logs" / "meta.properties"
    assert meta.exists()
    # Started again on the same data: it reuses the formatted storage.
    log = tmp_path / "again.log"
    with open(log, "wb") as out:
        again = subprocess.Popen(_broker_command(port, controller), stdout=out,
                                 stderr=subprocess.STDOUT, env=env)  # fmt: skip
    try:
        _wait_for_line(log, "broker ready", timeout=120)
    finally:
        stop_process(again)
    assert again.returncode == 0
