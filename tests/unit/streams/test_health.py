"""The aiohttp health pages (streams.health): alive always, ready as the callback says."""

from __future__ import annotations

import aiohttp

from streams.health import start_health_server
from streams.local.broker import free_port


async def test_healthz_answers_readyz_follows_the_readiness_callback() -> None:
    ready = False

    async def is_ready() -> bool:
        return ready

    port = free_port()
    runner = await start_health_server("127.0.0.1", port, "poller", is_ready)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:

            async def status(path: str) -> int:
                async with session.get(base + path) as response:
                    return response.status

            assert (await status("/healthz"), await status("/readyz")) == (200, 503)
            async with session.get(base + "/metrics") as response:
                assert 'telex_ready{component="poller"} 0.0' in await response.text()
            ready = True
            assert (await status("/healthz"), await status("/readyz")) == (200, 200)
    finally:
        await runner.cleanup()
