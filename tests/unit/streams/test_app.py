"""The faust worker keeps the log level it is given (no DEBUG root for faust's spinner)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from streams.app import create_app, make_worker
from streams.settings import load_settings


@pytest.mark.parametrize("level", ["WARNING", "ERROR", "INFO"])
def test_worker_root_logger_stays_at_the_configured_level(tmp_path: Path, level: str) -> None:
    app = create_app(load_settings(None, worker={"data_dir": str(tmp_path)}))
    worker = make_worker(app, level)
    root = logging.Logger("stand-in-root")  # what faust does to the root, done to a stand-in
    root.addHandler(logging.NullHandler())
    root.setLevel(logging.getLevelName(level))
    worker.on_setup_root_logger(root, logging.getLevelName(level))
    assert root.level == logging.getLevelName(level)
    assert not root.isEnabledFor(logging.DEBUG)
