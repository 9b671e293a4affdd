"""The telex CLI: help of every subcommand, one-line errors from main(), `telex enrich`."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from schemas.models import validate
from streams.cli import cli, main
from streams.local.broker import free_port

FIXTURES = Path(__file__).parents[2] / "fixtures" / "offline"
FULL = FIXTURES / "full_items.jsonl"  # the seed live blog with ids, dates and links
TWO_SEED_ITEMS = b"".join(FULL.read_bytes().splitlines(keepends=True)[2:4])


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No TELEX_* variables from outside; the root logger the CLI reconfigures is restored."""
    for name in list(os.environ):
        if name.startswith("TELEX_"):
            monkeypatch.delenv(name)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _main(args: list[str], stdin: bytes = b"") -> Outcome:
    """Run the console entry point as `telex ARGS` with stdin, capturing both streams."""
    runner = CliRunner()
    saved_argv = sys.argv
    with runner.isolation(input=stdin) as (stdout, stderr, _):
        sys.argv = ["telex", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = saved_argv
        return Outcome(code, stdout.getvalue().decode(), stderr.getvalue().decode())


@pytest.mark.parametrize("command", [[], *([name] for name in sorted(cli.commands))])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert "Show this message and exit." in result.output


def test_group_help_lists_every_subcommand() -> None:
    output = CliRunner().invoke(cli, ["--help"]).output
    for name in ("run", "poll", "worker", "broker", "check", "enrich", "demo-server", "topics"):
        assert name in output


@pytest.mark.parametrize(
    "args",
    [["enrich", "--no-such-option"], ["--no-such-option", "enrich"], ["no-such-command"]],
)
def test_usage_errors_exit_non_zero(args: list[str]) -> None:
    outcome = _main(args)
    assert outcome.code == 2
    assert "Error:" in outcome.stderr and "Traceback" not in outcome.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--config", "/nonexistent.yaml", "enrich", "-"], {}, "/nonexistent.yaml"),
        (["enrich", "-"], {"TELEX_CONFIG": "/etc/telex/absent.yaml"}, "/etc/telex/absent.yaml"),
        (["enrich", "-"], {"TELEX_KAFKA_PARTITIONS": "abc"}, "invalid setting 'kafka.partitions'"),
        (["--bootstrap", "nohost", "enrich", "-"], {}, "invalid setting 'kafka.bootstrap'"),
        (["enrich", "-"], {"TELEX_LOG_FORMAT": "xml"}, "invalid setting 'log.format'"),
    ],
)
def test_configuration_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    outcome = _main(args, TWO_SEED_ITEMS)
    assert outcome.code == 1
    assert outcome.stderr.startswith("telex: error: ")
    assert outcome.stderr.count("\n") == 1
    assert expected in outcome.stderr
    assert outcome.stdout == ""


def test_enrich_prints_one_valid_event_per_item() -> None:
    outcome = _main(["enrich"], TWO_SEED_ITEMS)
    assert outcome.code == 0, outcome.stderr
    events = [orjson.loads(line) for line in outcome.stdout.splitlines()]
    assert [e["item"]["item_id"] for e in events] == [
        "lemonde-live:seed-02",
        "lemonde-live:seed-03",
    ]
    for event in events:
        validate(event, "telex.enriched-item/1")


def test_enrich_reads_a_file_argument() -> None:
    outcome = _main(["enrich", str(FULL)])
    assert outcome.code == 0, outcome.stderr
    assert len(outcome.stdout.splitlines()) == len(FULL.read_bytes().splitlines())


@pytest.mark.parametrize(("flag", "lines"), [([], 2), (["--keep-dropped"], 3)])
def test_enrich_drops_a_redelivered_item(flag: list[str], lines: int) -> None:
    repeated = TWO_SEED_ITEMS + TWO_SEED_ITEMS.splitlines(keepends=True)[0]
    outcome = _main(["enrich", *flag], repeated)
    assert outcome.code == 0, outcome.stderr
    printed = [orjson.loads(line) for line in outcome.stdout.splitlines()]
    assert len(printed) == lines
    assert all("dropped" not in event for event in printed[:2])


def test_enrich_bad_line_is_a_one_line_error() -> None:
    outcome = _main(["enrich"], TWO_SEED_ITEMS + b"{oops\n")
    assert outcome.code == 1
    assert outcome.stderr.startswith("telex: error: line 3: not JSON")
    assert outcome.stderr.count("\n") == 1


def test_environment_config_file_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "telex.yaml"
    config.write_text("worker:\n  near_duplicates: drop\n", encoding="utf-8")
    monkeypatch.setenv("TELEX_CONFIG", str(config))
    outcome = _main(["enrich", str(FULL)])
    assert outcome.code == 0, outcome.stderr
    statuses = [orjson.loads(line)["dedup"]["status"] for line in outcome.stdout.splitlines()]
    assert len(statuses) == len(FULL.read_bytes().splitlines()) - 1
    assert "near_duplicate" not in statuses


@pytest.mark.parametrize(
    "args",
    [
        ["poll", "--status", "--wait", "0.5"],
        ["worker", "--wait", "0.5"],
        ["poll", "--wait", "0.5"],
        ["topics", "--wait", "0.5"],
        ["topics", "--apply", "--wait", "0.5"],
    ],
)
def test_no_broker_within_wait_is_one_line(monkeypatch: pytest.MonkeyPatch, args: list[str],
                                           tmp_path: Path) -> None:  # fmt: skip
    closed = f"127.0.0.1:{free_port()}"
    for name, value in {"TELEX_DATA_DIR": str(tmp_path), "TELEX_METRICS_PORT": str(free_port()),
                        "TELEX_WORKER_WEB_PORT": str(free_port())}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    outcome = _main(["--bootstrap", closed, *args])
    assert time.monotonic() - started < 10
    assert outcome.code == 1
    assert "Traceback" not in outcome.stderr
    last = outcome.stderr.splitlines()[-1]
    assert last.startswith(f"telex: error: no Kafka broker answered at {closed} within 0.5 s")
    assert f"broker {closed} not reachable yet (attempt 1, next try in" in outcome.stderr
