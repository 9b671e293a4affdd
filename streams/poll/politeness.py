"""Politeness towards the hosts polled: at most a few requests in flight per host."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostSlots:
    """Per-host concurrency cap; a host's semaphore is dropped once nobody uses it."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._users: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Hold one of `host`'s slots for the duration of the block."""
        semaphore = self._semaphores.setdefault(host, asyncio.Semaphore(self._per_host))
        self._users[host] += 1
        try:
            async with semaphore:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host], self._semaphores[host]
