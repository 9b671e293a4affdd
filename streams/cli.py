"""The ``telex`` command line: run, poll, worker, broker, check, enrich, demo-server, feeds,
topics."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import orjson

from streams.errors import TelexError
from streams.feeds_cmd import feeds
from streams.settings import Settings, load_settings

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "telex.yaml"


@click.group()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="TELEX_CONFIG",
    help="YAML config file (TELEX_* environment variables win over it).",
)
@click.option(
    "--bootstrap", help="Kafka bootstrap servers host:port[,...] (TELEX_KAFKA_BOOTSTRAP)."
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, bootstrap: str | None) -> None:
    """telex: live news feeds to deduplicated, topic-tagged events on Kafka."""
    overrides: dict[str, Any] = {"kafka": {"bootstrap": bootstrap}} if bootstrap else {}
    ctx.obj = {"config_path": config_path, "overrides": overrides}


def _settings(ctx: click.Context) -> Settings:
    settings = load_settings(ctx.obj["config_path"], **ctx.obj["overrides"])
    _configure_logging(settings)
    return settings


@cli.command()
@click.option("--port", type=int, default=9092, show_default=True)
@click.option("--controller-port", type=int, default=9093, show_default=True)
@click.option("--stop", is_flag=True, help="Stop the broker started earlier for this data folder.")
@click.pass_context
def broker(ctx: click.Context, port: int, controller_port: int, stop: bool) -> None:
    """Run a local single-node Kafka broker (data kept in <data_dir>/kafka) until Ctrl-C."""
    from streams.local.broker import BrokerConfig, LocalBroker

    settings = _settings(ctx)
    config = BrokerConfig(
        data_dir=settings.data_dir.resolve() / "kafka",
        port=port,
        controller_port=controller_port,
        partitions=settings.kafka.partitions,
    )
    local = LocalBroker(config)
    if stop:
        local.stop()
        click.echo("broker stopped")
        return
    running = local.running_pid()
    if running is not None:
        click.echo(
            f"broker already running: pid {running} at {config.bootstrap} ({config.data_dir})"
        )
        return
    started = time.monotonic()
    pid = local.start()
    if local.running_pid() == pid and not local.owns_process:
        click.echo(f"broker already running: pid {pid} at {config.bootstrap} ({config.data_dir})")
        return
    try:
        waited = asyncio.run(local.wait_ready())
        click.echo(
            f"broker ready at {config.bootstrap} in {time.monotonic() - started:.1f} s "
            f"(client answered after {waited:.1f} s); data in {config.data_dir}; Ctrl-C stops it"
        )
        _wait_for_signal(until=lambda: local.running_pid() is None)
    finally:
        local.stop()
        click.echo("broker stopped")


def _wait_option(default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        metavar="SECONDS",
        help=f"How long to wait for the Kafka broker at start [default: {default}].",
    )


@cli.command()
@click.option("--worker-id", default="worker-1", show_default=True, help="Unique per process.")
@click.option("--web-port", type=int, help="Port of /metrics, /healthz, /readyz.")
@_wait_option("as long as it takes")
@click.pass_context
def worker(ctx: click.Context, worker_id: str, web_port: int | None, wait: float | None) -> None:
    """Run a Faust worker: dedup, tagging, enrichment (join more to scale out)."""
    from agents.health import once_broker_answers
    from agents.tagging.taxonomy import load_taxonomy
    from agents.worker import build_worker_app, raw_positions_changelog
    from streams.app import run_worker
    from streams.topics import TopicNames, align_partitions, ensure_topics

    settings = _settings(ctx)
    taxonomy = load_taxonomy(settings.worker.taxonomy_path)
    port = web_port if web_port is not None else settings.worker.web_port

    async def prepare_topics() -> int:
        await ensure_topics(settings, [topic.id for topic in taxonomy.topics])
        raw = TopicNames.from_settings(settings).raw
        return await align_partitions(settings, raw, raw_positions_changelog(settings))

    raw_partitions = asyncio.run(once_broker_answers(settings, port, prepare_topics, wait=wait))
    app = build_worker_app(
        settings, worker_id=worker_id, web_port=web_port, raw_partitions=raw_partitions
    )
    click.echo(f"worker {worker_id}: metrics at http://{settings.worker.web_host}:{port}/metrics")
    run_worker(app, settings.log.level)


STATUS_WAIT = 10.0  # seconds `telex poll --status` waits for the broker unless --wait says


@cli.command()
@click.option("--status", is_flag=True, help="Print each feed's saved state and exit.")
@_wait_option(f"as long as it takes; {STATUS_WAIT:g} with --status")
@click.pass_context
def poll(ctx: click.Context, status: bool, wait: float | None) -> None:
    """Run the feed poller alone (publishes raw items)."""
    from streams.poll.service import print_status, run_poller

    settings = _settings(ctx)
    if status:
        asyncio.run(print_status(settings, wait=STATUS_WAIT if wait is None else wait))
        return
    asyncio.run(run_poller(settings, wait=wait))


@cli.command()
@click.argument("url")
@click.option("--allow-private", is_flag=True, help="Allow loopback/private addresses.")
@click.pass_context
def check(ctx: click.Context, url: str, allow_private: bool) -> None:
    """Fetch and parse one feed once; print its items as JSON lines (no Kafka needed)."""
    from streams.poll.service import check_feed

    settings = _settings(ctx)
    for line in asyncio.run(check_feed(settings, url, allow_private=allow_private)):
        click.echo(line)


@cli.command()
@click.argument("source", default="-", type=click.File("rb"))
@click.option("--keep-dropped", is_flag=True, help="Also write dropped exact repeats.")
@click.pass_context
def enrich(ctx: click.Context, source: Any, keep_dropped: bool) -> None:
    """Dedup and tag raw items (JSON lines in, enriched events as JSON lines out)."""
    from agents.offline import enrich_lines

    settings = _settings(ctx)
    out = click.get_binary_stream("stdout")
    for line in enrich_lines(source, settings, keep_dropped=keep_dropped):
        out.write(line + b"\n")


@cli.command("demo-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--item-interval", type=float, default=5.0, show_default=True)
def demo_server(host: str, port: int, item_interval: float) -> None:
    """Serve the demo live blog (RSS, Atom, JSON Feed, LiveBlogPosting page) that grows."""
    from streams.demo.server import main as demo_main

    raise SystemExit(
        demo_main(["--host", host, "--port", str(port), "--item-interval", str(item_interval)])
    )


@cli.command()
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--demo/--no-demo", default=True, show_default=True, help="Serve the demo feed.")
@click.option(
    "--plain",
    is_flag=True,
    help="One line per event instead of the live view (the default when stdout is no terminal).",
)
@click.pass_context
def run(ctx: click.Context, workers: int, demo: bool, plain: bool) -> None:
    """Run everything: local broker (unless --bootstrap is given), demo feed, poller, workers.

    On a terminal it shows a live view (feeds, counters, latest events); the processes it
    starts write their logs to <data_dir>/log/.
    """
    from streams.local.supervisor import run_pipeline

    settings = _settings(ctx)
    config_path: Path | None = ctx.obj["config_path"]
    external = bool(ctx.obj["overrides"]) or "TELEX_KAFKA_BOOTSTRAP" in os.environ
    plain = plain or not sys.stdout.isatty()
    run_pipeline(
        settings, config_path, workers=workers, demo=demo, local_broker=not external, plain=plain
    )


TOPICS_WAIT = 10.0  # seconds `telex topics` waits for the broker unless --wait says


@cli.command()
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Create missing topics, add missing partitions, set differing configs.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per topic.")
@_wait_option(f"{TOPICS_WAIT:g}")
@click.pass_context
def topics(ctx: click.Context, apply_: bool, as_json: bool, wait: float | None) -> None:
    """Compare telex's topics with the settings (partitions, replication, configs).

    '!' marks a difference. Exit code 0 when all are in line (after --apply, if given), 1 when
    differences remain. Partitions are never decreased and replication is never changed.
    """
    from agents.tagging.taxonomy import load_taxonomy
    from streams.kafka import with_broker
    from streams.topic_configs import as_json as report_json
    from streams.topic_configs import summary, table
    from streams.topics import apply_topics, check_topics

    settings = _settings(ctx)
    slugs = [topic.id for topic in load_taxonomy(settings.worker.taxonomy_path).topics]
    timeout = TOPICS_WAIT if wait is None else wait

    async def compare() -> tuple[list[str], list[Any]]:
        reports = await with_broker(
            settings.kafka, lambda: check_topics(settings, slugs), timeout=timeout
        )
        if not apply_ or all(report.in_line for report in reports):
            return [], reports
        changes = await apply_topics(settings, slugs)
        return changes, await check_topics(settings, slugs)

    changes, reports = asyncio.run(compare())
    for change in changes:
        click.echo(f"applied: {change}", err=as_json)
    if as_json:
        for report in reports:
            click.echo(orjson.dumps(report_json(report)).decode())
    else:
        for line in table(reports):
            click.echo(line)
        click.echo(summary(reports))
    if not all(report.in_line for report in reports):
        raise SystemExit(1)


cli.add_command(feeds)


def main() -> None:
    """Console entry point: configuration and startup errors end in one line, no traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TelexError as exc:
        click.echo(f"telex: error: {exc}", err=True)
        sys.exit(1)


def _wait_for_signal(until: Callable[[], bool]) -> None:
    """Block until SIGINT/SIGTERM or until `until()` turns true (checked 5 times a second)."""
    received: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _frame: received.append(number))
    while not received and not until():
        time.sleep(0.2)


def _configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log.format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log.level)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


if __name__ == "__main__":
    main()
