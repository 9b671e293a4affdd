"""`telex run`: the whole pipeline in one process tree, stopped together by Ctrl-C.

Children (demo feed server, workers, poller) write their output to one log file each under
``<data_dir>/log/``; `telex run` itself shows the pipeline: a live view on a terminal, plain
lines otherwise (``--plain``), both fed by the topics and /metrics pages (watch.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp
import click
from rich.console import Console

from streams.kafka import check_bootstrap
from streams.local.broker import BrokerConfig, LocalBroker
from streams.local.screen import LiveScreen, PlainScreen, Screen
from streams.local.view_state import Child, ViewState
from streams.local.watch import PipelineReader, scrape_metrics
from streams.settings import Settings
from streams.topics import TopicNames, ensure_topics

DEMO_PORT = 8765
LOG_TAIL_LINES = 20
_READ_SECONDS = 0.25


@dataclass
class Running:
    """A child process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    output: IO[bytes]


def run_pipeline(
    settings: Settings,
    config_path: Path | None,
    *,
    workers: int,
    demo: bool,
    local_broker: bool,
    plain: bool,
) -> None:
    """Start broker (if local), demo feed, workers, poller; show the pipeline until Ctrl-C.

    The children wait for a broker that is down; one that can never answer (unknown host, TLS
    refused) ends `telex run` before any child starts.
    """
    if not local_broker:
        asyncio.run(check_bootstrap(settings.kafka))
    broker = _start_local_broker(settings) if local_broker else None
    try:
        asyncio.run(_supervise(settings, config_path, workers=workers, demo=demo, plain=plain))
    except KeyboardInterrupt:
        pass
    finally:
        if broker is not None:
            broker.stop()
            click.echo("broker stopped")


async def _supervise(
    settings: Settings, config_path: Path | None, *, workers: int, demo: bool, plain: bool
) -> None:
    log_dir = settings.data_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)  # the view's consumer: no chatter
    if not plain:
        _log_to_file(log_dir / "run.log")  # the terminal is the view's
    await ensure_topics(settings)
    reader = PipelineReader(settings)
    children: list[Running] = []
    screen: Screen | None = None
    exited: Running | None = None
    try:
        await reader.start()  # before any child: the view misses none of this run's records
        children = _spawn_children(
            settings, config_path, workers=workers, demo=demo, log_dir=log_dir
        )
        _print_addresses(settings, workers, log_dir, children)
        pids = [Child(child.name, child.process.pid, str(child.log)) for child in children]
        state = ViewState(time.time(), settings.kafka.bootstrap, str(log_dir), children=pids)
        state.add_feeds([feed.id for feed in settings.poller.feeds])
        if plain:
            click.echo("events follow (Ctrl-C stops every process started here):")
            screen = PlainScreen()
        else:
            screen = LiveScreen(Console())
        exited = await _watch(settings, reader, state, screen, children)
    finally:
        if screen is not None:
            screen.close()
        _stop_all(children)
        await reader.stop()
        if children:
            click.echo(f"stopped {', '.join(child.name for child in children)}")
    if exited is not None:
        _report_exit(exited)


def _spawn_children(
    settings: Settings, config_path: Path | None, *, workers: int, demo: bool, log_dir: Path
) -> list[Running]:
    env = {**os.environ, "TELEX_KAFKA_BOOTSTRAP": settings.kafka.bootstrap}
    base = [sys.executable, "-m", "streams.cli"]
    if config_path:
        base += ["--config", str(config_path)]
    commands: list[tuple[str, list[str]]] = []
    if demo:
        commands.append(("demo-server", ["demo-server", "--port", str(DEMO_PORT)]))
    for index in range(1, workers + 1):
        port = settings.worker.web_port + index - 1
        worker = ["worker", "--worker-id", f"worker-{index}", "--web-port", str(port)]
        commands.append((f"worker-{index}", worker))
    commands.append(("poller", ["poll"]))
    children: list[Running] = []
    try:
        for name, args in commands:
            children.append(_spawn(name, [*base, *args], env, log_dir / f"{name}.log"))
    except BaseException:
        _stop_all(children)
        raise
    return children


def _spawn(name: str, command: list[str], env: dict[str, str], log: Path) -> Running:
    output = open(log, "wb")  # noqa: SIM115 - closed by _stop_all, after the process ends
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
    )
    return Running(name, process, log, output)


def _print_addresses(
    settings: Settings, workers: int, log_dir: Path, children: list[Running]
) -> None:
    for index in range(1, workers + 1):
        port = settings.worker.web_port + index - 1
        click.echo(f"worker-{index} metrics: http://{settings.worker.web_host}:{port}/metrics")
    click.echo(f"poller metrics:  http://{settings.metrics.host}:{settings.metrics.port}/metrics")
    click.echo(f"logs: {log_dir}/ ({', '.join(c.log.name for c in children)})")


async def _watch(
    settings: Settings,
    reader: PipelineReader,
    state: ViewState,
    screen: Screen,
    children: list[Running],
) -> Running | None:
    """Read and show until SIGINT/SIGTERM (None) or until a child exits (that child)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    names = TopicNames.from_settings(settings)
    poller_url = f"http://{settings.metrics.host}:{settings.metrics.port}/metrics"
    worker_urls = [
        f"http://{settings.worker.web_host}:{settings.worker.web_port + index}/metrics"
        for index in range(sum(c.name.startswith("worker-") for c in children))
    ]
    scraped_at = 0.0
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            for child in children:
                code = child.process.poll()
                if code is not None and not stop.is_set():  # Ctrl-C reaches children too
                    state.notice = f"{child.name} exited with code {code}; see {child.log}"
                    screen.show(state, [], [])
                    return child
            rows = await reader.read(state, time.time(), _READ_SECONDS)
            flipped: list[str] = []
            if time.monotonic() - scraped_at >= 1.0:
                flipped = await scrape_metrics(session, state, poller_url, worker_urls, names)
                scraped_at = time.monotonic()
            screen.show(state, rows, flipped)
    return None


def _log_to_file(path: Path) -> None:
    """This process's own log records go to ``path`` while the live view owns the terminal."""
    root = logging.getLogger()
    handler = logging.FileHandler(path)
    if root.handlers:
        handler.setFormatter(root.handlers[0].formatter)
    root.handlers[:] = [handler]


def _report_exit(child: Running) -> None:
    with open(child.log, "rb") as log:
        tail = deque(log, maxlen=LOG_TAIL_LINES)
    click.echo(f"{child.name} exited; the last lines of {child.log}:", err=True)
    for line in tail:
        click.echo("  " + line.decode(errors="replace").rstrip(), err=True)
    raise click.ClickException(f"{child.name} exited; stopped every process started here")


def _start_local_broker(settings: Settings) -> LocalBroker | None:
    port = int(settings.kafka.bootstrap.split(",")[0].rpartition(":")[2])
    config = BrokerConfig(
        data_dir=settings.data_dir.resolve() / "kafka",
        port=port,
        controller_port=port + 1,
        partitions=settings.kafka.partitions,
    )
    broker = LocalBroker(config)
    if broker.running_pid() is not None:
        click.echo(f"using the broker already running at {config.bootstrap}")
        return None  # not ours to stop
    started = time.monotonic()
    broker.start()
    try:
        asyncio.run(broker.wait_ready())
    except BaseException:
        broker.stop()
        raise
    click.echo(
        f"local Kafka broker ready at {config.bootstrap} in {time.monotonic() - started:.1f} s"
    )
    return broker


def _stop_all(children: list[Running]) -> None:
    for child in reversed(children):  # poller first, broker-facing workers after
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    for child in children:
        stop_process(child.process, timeout=20.0)
        child.output.close()


def stop_process(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """SIGTERM (if still running), wait up to `timeout` s, then SIGKILL; always reaped."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
