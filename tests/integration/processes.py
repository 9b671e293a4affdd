"""Start `telex` subcommands as real processes for integration tests; always stopped by pid."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from streams.local.supervisor import stop_process
from streams.settings import Settings

__all__ = ["stop_process", "telex_process", "write_config"]


def write_config(settings: Settings, path: Path) -> Path:
    """The settings as a YAML config file a `telex` process can load."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    data["kafka"] = {k: v for k, v in data["kafka"].items() if v is not None}
    path.write_text(yaml.safe_dump(data))
    return path


@contextmanager
def telex_process(config: Path, *args: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `telex --config CONFIG ARGS...`; SIGTERM then SIGKILL on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEX_")}
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "--config", str(config), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        yield process
    finally:
        stop_process(process)
