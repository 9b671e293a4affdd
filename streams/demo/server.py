"""Local demo and test feed server: a growing French live blog, faults on demand, scale feeds.

Live blog (all four views show the same updates at the same moment, newest first):
  /liveblog.rss    RSS 2.0            /liveblog.atom   Atom (RFC 4287)
  /liveblog.json   JSON Feed 1.1      /liveblog.html   schema.org LiveBlogPosting JSON-LD
  /index.html      home page whose only feed hint is the RSS autodiscovery link
`initial_items` seed updates are visible at start and one more every `item_interval` seconds;
after the seed's 7 updates the replay goes on in cycles (ids `seed-00-c2`, times a day later),
and each cycle re-publishes one update with an edited summary (see `streams.demo.timeline`).
Feed answers carry ETag (weak), Last-Modified and `Cache-Control: max-age`, answer 304 to a
matching If-None-Match / If-Modified-Since, and are gzip-coded when the client accepts it.

Scale mode: `/feeds/{n}.rss` for n in [0, scale_feeds), each changing with probability
`change_probability` every `change_period` seconds (see `streams.demo.scale`).

Faults: the `/fault/*` routes of `streams.demo.faults`, and switchable per-path faults:
  POST /control/fault {"path": "/liveblog.rss", "status": 500, "count": 3}
      next `count` requests of `path` get `status` (with "retry_after": S a Retry-After
      header), or "reset": true drops the connection, "delay": S sleeps S seconds first.
      aiohttp's client retries a GET once when the connection drops, so arm a reset with
      count >= 2 for an aiohttp-based poller to see it fail.
  DELETE /control/fault   clears every armed fault
  GET /control/stats      requests per path and status; DELETE /control/stats resets them

Run standalone: python -m streams.demo.server --port 8765 --item-interval 5
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from streams.demo.faults import (
    RSS_TYPE,
    FaultRequestError,
    FaultRoutes,
    FaultSwitch,
    apply_rule,
    parse_fault_rule,
)
from streams.demo.http import Representation, polite_response
from streams.demo.render import (
    FeedPage,
    render_atom,
    render_index_html,
    render_json_feed,
    render_liveblog_html,
    render_rss,
)
from streams.demo.scale import ChangeHistory, scale_page
from streams.demo.timeline import LiveBlog, latest_updates, load_liveblog
from streams.errors import ConfigError

Clock = Callable[[], float]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Renderer = Callable[[FeedPage, str], bytes]

LIVEBLOG_VIEWS: dict[str, tuple[str, Renderer]] = {
    "/liveblog.rss": (RSS_TYPE, render_rss),
    "/liveblog.atom": ("application/atom+xml; charset=utf-8", render_atom),
    "/liveblog.json": ("application/feed+json; charset=utf-8", render_json_feed),
    "/liveblog.html": ("text/html; charset=utf-8", lambda page, _: render_liveblog_html(page)),
}
CONTROL_PREFIX = "/control/"


class LiveBlogViews:
    """The growing live blog; representations are rendered once per published count."""

    def __init__(
        self, blog: LiveBlog, clock: Clock, started_at: float, interval: float, initial: int
    ) -> None:
        self._blog, self._clock, self._started_at = blog, clock, started_at
        self._interval, self._initial = interval, initial
        self._cache: dict[tuple[int, str], Representation] = {}

    def published_count(self) -> int:
        """How many updates of the endless replay are out at the clock's current time."""
        elapsed = max(0.0, self._clock() - self._started_at)
        return self._initial + int(elapsed // self._interval)

    def page(self, base_url: str, count: int, window: int) -> FeedPage:
        """The newest `window` of the first `count` updates as a feed page."""
        home = f"{base_url}/liveblog.html"
        # A live-blog update's id is its anchor; in a feed it is the permalink.
        items = tuple(
            replace(update, id=f"{home}#{update.id}")
            for update in latest_updates(self._blog, count, window)
        )
        start = datetime.fromtimestamp(self._started_at, UTC)
        updated = max((item.modified for item in items), default=start)
        return FeedPage(self._blog.title, self._blog.language, home, updated, items)

    def representation(self, path: str, base_url: str, window: int) -> Representation:
        """The current body of one view, with validators."""
        count = self.published_count()
        key = (count, path)
        if key not in self._cache:
            self._cache = {k: v for k, v in self._cache.items() if k[0] == count}
            content_type, render = LIVEBLOG_VIEWS[path]
            body = render(self.page(base_url, count, window), base_url + path)
            changed_at = self._started_at + (count - self._initial) * self._interval
            self._cache[key] = Representation(body, content_type, changed_at)
        return self._cache[key]


class ScaleFeeds:
    """Benchmark feeds whose bodies are rendered once per change."""

    def __init__(self, probability: float, period: float, started_at: float) -> None:
        self._history = ChangeHistory(probability)
        self._period, self._started_at = period, started_at
        self._cache: dict[int, tuple[int, Representation]] = {}

    def representation(self, feed: int, base_url: str, now: float) -> Representation:
        """Feed `feed` as of time `now`."""
        step = int(max(0.0, now - self._started_at) // self._period)
        changes = self._history.recent_changes(feed, step)
        cached = self._cache.get(feed)
        if cached is None or cached[0] != changes[0]:
            epoch = datetime.fromtimestamp(self._started_at, UTC)
            page = scale_page(feed, changes, base_url, epoch, timedelta(seconds=self._period))
            body = render_rss(page, f"{base_url}/feeds/{feed}.rss")
            changed_at = self._started_at + changes[0] * self._period
            cached = (changes[0], Representation(body, RSS_TYPE, changed_at))
            self._cache[feed] = cached
        return cached[1]


class RequestStats:
    """Requests per path and answer status, for politeness checks."""

    def __init__(self) -> None:
        self._statuses: dict[str, Counter[str]] = {}

    def record(self, path: str, outcome: str) -> None:
        """Count one request of `path` that ended with `outcome` (a status or "dropped")."""
        self._statuses.setdefault(path, Counter())[outcome] += 1

    def snapshot(self) -> dict[str, Any]:
        """{"total": n, "paths": {path: {"requests": n, "statuses": {"200": n, ...}}}}."""
        paths = {
            path: {"requests": sum(counts.values()), "statuses": dict(counts)}
            for path, counts in sorted(self._statuses.items())
        }
        return {"total": sum(entry["requests"] for entry in paths.values()), "paths": paths}

    def clear(self) -> None:
        """Forget every count."""
        self._statuses.clear()


class DemoServer:
    """The demo feed server; `async with DemoServer(port=0) as server:` then use `server.url`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        initial_items: int = 2,
        item_interval: float = 5.0,
        clock: Clock = time.time,
        max_age: int = 5,
        scale_feeds: int = 10_000,
        change_probability: float = 0.02,
        change_period: float = 10.0,
        feed_window: int = 50,
        blog: LiveBlog | None = None,
    ) -> None:
        if item_interval <= 0 or change_period <= 0:
            raise ConfigError("item_interval and change_period must be positive")
        if initial_items < 0 or max_age < 0 or scale_feeds < 0 or feed_window < 1:
            raise ConfigError("initial_items, max_age, scale_feeds must be >= 0, feed_window >= 1")
        self._host, self._port, self._clock = host, port, clock
        self._initial, self._interval = initial_items, item_interval
        self._max_age, self._window, self._scale_count = max_age, feed_window, scale_feeds
        self._probability, self._period = change_probability, change_period
        self._blog = blog or load_liveblog()
        self._faults = FaultSwitch()
        self._stats = RequestStats()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._views: LiveBlogViews | None = None
        self._scale: ScaleFeeds | None = None

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. http://127.0.0.1:8765."""
        if self._url is None:
            raise RuntimeError("DemoServer is not started")
        return self._url

    async def start(self) -> None:
        """Bind and serve; the live blog's clock starts now."""
        started_at = self._clock()
        self._views = LiveBlogViews(
            self._blog, self._clock, started_at, self._interval, self._initial
        )
        self._scale = ScaleFeeds(self._probability, self._period, started_at)
        self._runner = web.AppRunner(self._application(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Close the listening socket and open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner, self._url = None, None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def _application(self) -> web.Application:
        app = web.Application(middlewares=[self._count_requests, self._inject_faults])
        app.add_routes([web.get(path, self._liveblog) for path in LIVEBLOG_VIEWS])
        app.add_routes(FaultRoutes(self._clock, self._current_page).routes())
        app.add_routes(
            [
                web.get("/", self._index),
                web.get("/index.html", self._index),
                web.get(r"/feeds/{feed:\d+}.rss", self._scale_feed),
                web.post("/control/fault", self._arm_fault),
                web.delete("/control/fault", self._clear_faults),
                web.get("/control/stats", self._get_stats),
                web.delete("/control/stats", self._clear_stats),
            ]
        )
        return app

    def _live(self) -> LiveBlogViews:
        if self._views is None:
            raise RuntimeError("DemoServer is not started")
        return self._views

    def _current_page(self) -> FeedPage:
        views = self._live()
        return views.page(self.url, views.published_count(), self._window)

    @web.middleware
    async def _count_requests(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as error:
            self._stats.record(request.path, self._outcome(request, error.status))
            raise
        self._stats.record(request.path, self._outcome(request, response.status))
        return response

    @staticmethod
    def _outcome(request: web.Request, status: int) -> str:
        transport = request.transport
        return "dropped" if transport is None or transport.is_closing() else str(status)

    @web.middleware
    async def _inject_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        rule = None if request.path.startswith(CONTROL_PREFIX) else self._faults.take(request.path)
        if rule is not None:
            response = await apply_rule(request, rule, self._clock())
            if response is not None:
                return response
        return await handler(request)

    async def _liveblog(self, request: web.Request) -> web.Response:
        representation = self._live().representation(request.path, self.url, self._window)
        return polite_response(request, representation, self._max_age)

    async def _index(self, request: web.Request) -> web.Response:
        body = render_index_html(self._blog.title, self._blog.language, "/liveblog.rss")
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def _scale_feed(self, request: web.Request) -> web.Response:
        feed = int(request.match_info["feed"])
        if self._scale is None or feed >= self._scale_count:
            raise web.HTTPNotFound(text=f"no feed {feed}\n")
        representation = self._scale.representation(feed, self.url, self._clock())
        return polite_response(request, representation, self._max_age)

    async def _arm_fault(self, request: web.Request) -> web.Response:
        try:
            raw = await request.json()
            if not isinstance(raw, dict):
                raise FaultRequestError("the body must be a JSON object")
            path, rule = parse_fault_rule(raw)
        except (ValueError, FaultRequestError) as error:
            raise web.HTTPBadRequest(text=f"{error}\n") from error
        self._faults.arm(path, rule)
        return web.json_response({"armed": path, "count": rule.remaining})

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self._faults.clear()
        return web.json_response({"cleared": True})

    async def _get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self._stats.snapshot())

    async def _clear_stats(self, request: web.Request) -> web.Response:
        self._stats.clear()
        return web.json_response({"cleared": True})


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the telex demo live blog and test feeds.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--initial-items", type=int, default=2)
    parser.add_argument("--item-interval", type=float, default=5.0, help="seconds per update")
    parser.add_argument("--max-age", type=int, default=5, help="Cache-Control max-age")
    parser.add_argument("--scale-feeds", type=int, default=10_000)
    parser.add_argument("--change-probability", type=float, default=0.02)
    parser.add_argument("--change-period", type=float, default=10.0)
    return parser.parse_args(argv)


async def serve_until_signalled(server: DemoServer) -> None:
    """Run `server` until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        print(f"telex demo server at {server.url}/index.html", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = _parse_args(argv)
    server = DemoServer(**vars(args))  # every option is named after a constructor argument
    asyncio.run(serve_until_signalled(server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
