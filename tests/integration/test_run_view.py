"""`telex run` as a person sees it: started in an 80x40 tmux pane on the test broker with the
real poller and worker, read with capture-pane, stopped with Ctrl-C. Every process it started
is checked gone by pid; anything left is killed by pid, tmux server included."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.demo.server import DemoServer
from streams.settings import Settings

from .processes import write_config

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 80, 40
EVENT_ROW = re.compile(r"^(new|update|duplicate|near-dup) +view-(rss|jsonfeed):…\S+ +#\d+ ", re.M)


class Pane:
    """One tmux server on a private socket, one pane running one command."""

    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"telex-test-{uuid.uuid4().hex[:8]}"
        self.conf = tmp_path / "tmux.conf"
        self.conf.write_text("set -g remain-on-exit on\nset -g history-limit 100\n")

    def tmux(self, *args: str) -> str:
        command = ["tmux", "-L", self.socket, "-f", str(self.conf), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True)
        return done.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        # tmux passes the string to a shell; `exec` makes the pane's process the command itself.
        shell = f"cd {shlex.quote(str(ROOT))} && exec {shlex.join(command)}"
        subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.conf), "new-session", "-d", "-s", "view",
             "-x", str(WIDTH), "-y", str(HEIGHT), shell],
            env=env, check=True, timeout=10,
        )  # fmt: skip

    def screen(self) -> str:
        """What the pane shows; wrapped lines joined, so a line over 80 columns shows as one."""
        text = self.tmux("capture-pane", "-p", "-J", "-t", "view")
        return "\n".join(line.rstrip() for line in text.splitlines())

    def value(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", "view", f"#{{{name}}}").strip()


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@contextlib.contextmanager
def tmux_pane(tmp_path: Path) -> Iterator[tuple[Pane, list[int]]]:
    """A pane, and a list the test fills with every pid it must see stopped."""
    assert shutil.which("tmux"), "tmux is missing: scripts/install-system-deps.sh installs it"
    pane = Pane(tmp_path)
    pids: list[int] = []
    try:
        yield pane, pids
    finally:
        server, socket_path = None, None
        with contextlib.suppress(subprocess.SubprocessError, ValueError):  # never started
            server, socket_path = int(pane.value("pid")), Path(pane.value("socket_path"))
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        subprocess.run(["tmux", "-L", pane.socket, "kill-server"], capture_output=True, timeout=10)
        if server is not None and alive(server):
            os.kill(server, signal.SIGKILL)
        if socket_path is not None:
            socket_path.unlink(missing_ok=True)


async def wait_for(pane: Pane, ready: Any, timeout: float, what: str) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    screen = pane.screen()
    while not ready(screen) and loop.time() < deadline:
        await asyncio.sleep(1.0)  # the demo server runs on this loop: yield to it
        screen = pane.screen()
    assert ready(screen), f"{what} not seen within {timeout:.0f} s; the pane shows:\n{screen}"
    return screen


async def test_telex_run_shows_feeds_counters_and_events_at_80_columns(
    settings_factory: Any, tmp_path: Path
) -> None:
    async with DemoServer(initial_items=6, item_interval=2) as server:
        feeds = [
            {"id": f"view-{name}", "url": f"{server.url}/liveblog.{ext}", "interval_seconds": 2}
            for name, ext in (("rss", "rss"), ("jsonfeed", "json"))
        ]
        settings = settings_factory(poller={"feeds": feeds, "allow_private_addresses": True})
        config = write_config(settings, tmp_path / "telex.yaml")
        command = [sys.executable, "-m", "streams.cli", "--config", str(config),
                   "--bootstrap", settings.kafka.bootstrap, "run", "--no-demo"]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEX_")}
        with tmux_pane(tmp_path) as (pane, pids):
            pane.start(command, env)
            telex = int(pane.value("pane_pid"))
            pids.append(telex)
            screen = await wait_for(pane, EVENT_ROW.search, 180, "an event row")
            pids += children_of(telex)
            await asyncio.sleep(3)  # a few more polls: feed rows leave "waiting"
            screen = await wait_for(pane, lambda s: "waiting " not in s, 30, "both feeds polled")
            (tmp_path / "view.txt").write_text(screen)

            pane.tmux("send-keys", "-t", "view", "C-c")
            await wait_for(pane, lambda _: pane.value("pane_dead") == "1", 60, "telex exiting")
            after = pane.screen()
            left = [pid for pid in pids if alive(pid)]

    view = screen[screen.rindex("telex run  broker") :]  # above it: the lines printed at start
    lines = view.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, "a line of the view wrapped"
    for heading in ("Feeds", "Counters", "Latest events"):
        assert heading in lines, heading
    assert re.search(r"^telex run  broker \S+  up \d+", screen, re.M)
    assert re.search(r"^view-rss +ok +\d+ +(in \d+s|due) +none$", screen, re.M), screen
    assert re.search(r"^view-jsonfeed +(ok|not_modified) +\d+ ", screen, re.M), screen
    assert int(re.search(r"items in (\d+)", screen).group(1)) > 0  # type: ignore[union-attr]
    assert re.search(r"^DLQ 0   consumer lag (\d+|-)$", screen, re.M)
    assert len(EVENT_ROW.findall(screen)) >= 1
    assert re.search(r"^logs: .*log/ \(one file per process\)$", screen, re.M)
    assert "Traceback" not in screen and "Traceback" not in after
    assert " INFO " not in screen, "a child's log reached the terminal"
    assert len(pids) == 3, f"telex run and its 2 children (worker, poller): {pids}"
    assert left == [], f"still running after Ctrl-C: {left}"
    assert "stopped worker-1, poller" in after and "exited" not in after
    for name in ("worker-1", "poller"):
        assert (settings.data_dir / "log" / f"{name}.log").stat().st_size > 0, name


@contextlib.asynccontextmanager
async def telex_run_piped(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`telex run --no-demo` with its output in a pipe (no terminal); killed by pid on exit,
    with every child it started."""
    config = write_config(settings, tmp_path / "telex.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEX_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "streams.cli", "--config", str(config),
        "--bootstrap", settings.kafka.bootstrap, "run", "--no-demo",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    seen: list[int] = []
    try:
        yield process
    finally:
        seen = children_of(process.pid)
        if process.returncode is None:
            process.kill()
            await process.wait()
        for pid in seen:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


async def read_until(stream: asyncio.StreamReader, pattern: re.Pattern[str], timeout: float) -> str:
    """The output up to the first line matching ``pattern``."""
    output = ""
    async with asyncio.timeout(timeout):
        while not pattern.search(output):
            line = await stream.readline()
            if not line:
                break
            output += line.decode(errors="replace")
    return output


async def test_telex_run_prints_plain_lines_when_its_output_is_no_terminal(
    settings_factory: Any, tmp_path: Path
) -> None:
    async with DemoServer(initial_items=3, item_interval=3600) as server:
        feeds = [{"id": "plain-rss", "url": f"{server.url}/liveblog.rss", "interval_seconds": 2}]
        settings = settings_factory(poller={"feeds": feeds, "allow_private_addresses": True})
        async with telex_run_piped(settings, tmp_path) as telex:
            assert telex.stdout is not None
            first = re.compile(r"^\d\d:\d\d:\d\d new +plain-rss:http://\S+#seed-0\d \[", re.M)
            output = await read_until(telex.stdout, first, 180)
            children = children_of(telex.pid)
            telex.send_signal(signal.SIGINT)
            async with asyncio.timeout(60):
                output += (await telex.stdout.read()).decode(errors="replace")
                code = await telex.wait()

    assert first.search(output), output
    assert "events follow (Ctrl-C stops every process started here):" in output
    assert "stopped worker-1, poller" in output
    assert code == 0, output
    assert len(children) == 2 and not [pid for pid in children if alive(pid)]
    assert "\x1b[" not in output, "no terminal, no escape sequences"


async def test_a_child_that_dies_stops_everything_and_its_log_tail_is_shown(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory()
    with socket.socket() as taken:  # the poller's metrics port: the poller cannot start
        taken.bind((settings.metrics.host, settings.metrics.port))
        taken.listen()
        async with telex_run_piped(settings, tmp_path) as telex:
            assert telex.stdout is not None
            output = await read_until(telex.stdout, re.compile(r"^logs: ", re.M), 60)
            children = children_of(telex.pid)  # printed once they are started
            async with asyncio.timeout(120):
                output += (await telex.stdout.read()).decode(errors="replace")
                code = await telex.wait()

    assert code == 1, output
    assert f"poller exited; the last lines of {settings.data_dir / 'log' / 'poller.log'}:" in output
    assert "address already in use" in output
    assert "Error: poller exited; stopped every process started here" in output
    assert "stopped worker-1, poller" in output
    assert len(children) == 2 and not [pid for pid in children if alive(pid)]
