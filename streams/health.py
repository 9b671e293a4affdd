"""/metrics, /healthz and /readyz over aiohttp: the poller's pages, and the worker's while it
waits for the broker (faust serves the worker's own pages only once its producer connected)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams import metrics

log = logging.getLogger(__name__)


async def start_health_server(
    host: str, port: int, component: str, ready: Callable[[], Awaitable[bool]]
) -> web.AppRunner:
    """Serve /metrics, /healthz (alive) and /readyz (200 when `ready()`, else 503) on host:port.

    `component` labels telex_ready ("poller", "worker"); stop the server with runner.cleanup().
    """

    async def metrics_page(request: web.Request) -> web.Response:
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        is_ready = await ready()
        metrics.READY.labels(component).set(1 if is_ready else 0)
        return web.json_response({"ready": is_ready}, status=200 if is_ready else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("%s metrics at http://%s:%d/metrics", component, host, port)
    return runner
