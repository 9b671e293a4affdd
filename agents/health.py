"""The worker's health: readiness, the /metrics, /healthz and /readyz pages, lag metrics."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agents.readback import committed_offsets
from streams import metrics
from streams.health import start_health_server
from streams.kafka import broker_reachable, with_broker
from streams.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


async def once_broker_answers(
    settings: Settings, web_port: int, step: Callable[[], Awaitable[T]], *, wait: float | None
) -> T:
    """`step()`, run once a broker answers (streams.kafka.with_broker), with /healthz (200),
    /readyz (503) and /metrics served on the worker's web port meanwhile.

    faust starts its web server only after its producer has connected: without these pages a
    worker waiting for its broker would look dead to a liveness probe. They stop before faust
    binds the same port.
    """

    async def not_ready() -> bool:
        return False

    runner = await start_health_server(settings.worker.web_host, web_port, "worker", not_ready)
    try:
        return await with_broker(settings.kafka, step, timeout=wait)
    finally:
        await runner.cleanup()


def add_web_pages(app: faust.App, *, faust_metrics: bool) -> None:
    """Serve /metrics (from faust's sensors too, if asked), /healthz and /readyz."""
    if faust_metrics:  # also serves /metrics
        setup_prometheus_sensors(app, registry=metrics.REGISTRY, name_prefix="telex_faust")
    else:

        @app.page("/metrics")
        async def metrics_page(web: Any, request: Any) -> Any:
            headers = {"Content-Type": CONTENT_TYPE_LATEST}
            return web.bytes(generate_latest(metrics.REGISTRY), headers=headers)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "pid": os.getpid()})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready = await worker_is_ready_now(app)
        metrics.READY.labels("worker").set(1 if ready else 0)
        return web.json({"ready": ready}, status=200 if ready else 503)


def worker_is_ready(app: faust.App) -> bool:
    """Connected (assignment received) and not rebalancing or recovering tables."""
    try:
        recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        assigned = bool(app.consumer.assignment())
    except Exception:  # not started yet
        return False
    return bool(recovered and assigned and not app.rebalancing)


async def worker_is_ready_now(app: faust.App) -> bool:
    """Ready as `worker_is_ready` says, and a broker answers right now (not only at start)."""
    producer = getattr(app.producer, "_producer", None)  # faust's aiokafka producer, once started
    client = getattr(producer, "client", None)
    return worker_is_ready(app) and client is not None and await broker_reachable(client)


def add_health_timer(app: faust.App) -> None:
    """Report readiness and consumer lag every 5 seconds."""

    @app.timer(interval=5.0)  # type: ignore[untyped-decorator]
    async def report_lag_and_readiness() -> None:
        try:
            metrics.READY.labels("worker").set(1 if await worker_is_ready_now(app) else 0)
            _report_lag(app)
        except Exception:
            log.exception("lag report failed")


def _report_lag(app: faust.App) -> None:
    consumer = app.consumer
    committed = committed_offsets(app)
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        position = committed.get(tp)
        lag = highwater - (position + 1 if position is not None else 0)
        metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, lag))
