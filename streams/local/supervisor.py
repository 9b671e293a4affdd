"""`telex run`: the whole pipeline in one process tree, stopped together by Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import click
from aiokafka import AIOKafkaConsumer

from schemas.models import decode_enriched_item
from streams.errors import MessageError
from streams.kafka import check_bootstrap, client_options, started, with_broker
from streams.local.broker import BrokerConfig, LocalBroker
from streams.settings import Settings
from streams.topics import TopicNames

DEMO_PORT = 8765


def run_pipeline(
    settings: Settings, config_path: Path | None, *, workers: int, demo: bool, local_broker: bool
) -> None:
    """Start broker (if local), demo feed, workers, poller; print enriched events until Ctrl-C.

    The children wait for a broker that is down; one that can never answer (unknown host, TLS
    refused) ends `telex run` before any child starts.
    """
    if not local_broker:
        asyncio.run(check_bootstrap(settings.kafka))
    broker = _start_local_broker(settings) if local_broker else None
    children: list[subprocess.Popen[bytes]] = []
    try:
        env = {**os.environ, "TELEX_KAFKA_BOOTSTRAP": settings.kafka.bootstrap}
        base = [sys.executable, "-m", "streams.cli"]
        if config_path:
            base += ["--config", str(config_path)]
        if demo:
            children.append(_spawn([*base, "demo-server", "--port", str(DEMO_PORT)], env))
        for index in range(1, workers + 1):
            port = settings.worker.web_port + index - 1
            worker_args = ["worker", "--worker-id", f"worker-{index}", "--web-port", str(port)]
            children.append(_spawn([*base, *worker_args], env))
            click.echo(f"worker-{index} metrics: http://{settings.worker.web_host}:{port}/metrics")
        children.append(_spawn([*base, "poll"], env))
        click.echo(
            f"poller metrics:  http://{settings.metrics.host}:{settings.metrics.port}/metrics"
        )
        click.echo("enriched events follow (Ctrl-C stops every process started here):")
        asyncio.run(_show_enriched(settings, children))
    except KeyboardInterrupt:
        pass
    finally:
        _stop_all(children)
        if broker is not None:
            broker.stop()
            click.echo("broker stopped")


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


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env)


async def _show_enriched(settings: Settings, children: list[subprocess.Popen[bytes]]) -> None:
    names = TopicNames.from_settings(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def consumer() -> Awaitable[AIOKafkaConsumer]:
        return started(AIOKafkaConsumer(names.enriched, **client_options(settings.kafka),
                                        group_id=None, auto_offset_reset="latest"))  # fmt: skip

    connecting = asyncio.ensure_future(with_broker(settings.kafka, consumer))
    try:
        while not stop.is_set() and not connecting.done():  # as long as the children wait
            _check_children(children)
            await asyncio.wait({connecting}, timeout=0.5)
    finally:
        if not connecting.done():
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
    if connecting.cancelled():  # stopped while waiting for the broker
        return
    enriched = connecting.result()
    try:
        while not stop.is_set():
            _check_children(children)
            batches = await enriched.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    click.echo(_one_line(record.value or b""))
    finally:
        await enriched.stop()


def _check_children(children: list[subprocess.Popen[bytes]]) -> None:
    if any(child.poll() is not None for child in children):
        raise click.ClickException("a child process exited; stopping everything")


def _one_line(value: bytes) -> str:
    try:
        event = decode_enriched_item(value)
    except MessageError as exc:
        return f"(unreadable event: {exc})"
    tags = ",".join(tag.topic for tag in event.tags) or "-"
    dedup = event.dedup.status + (
        f" of {event.dedup.duplicate_of}" if event.dedup.duplicate_of else ""
    )
    return f"{event.item.feed_id:14} {dedup:40.40} [{tags}] {event.item.title[:70]}"


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in reversed(children):  # poller first, broker-facing workers after
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        stop_process(child, timeout=20.0)


def stop_process(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """SIGTERM (if still running), wait up to `timeout` s, then SIGKILL; always reaped."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
