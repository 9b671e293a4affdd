"""Where the poller runs `parse_feed`: off the event loop, in one thread or in worker processes.

Parsing is CPU-bound pure Python, so one thread gives the poller one core at most, shared with
its event loop. With `poller.parse_processes: N` the parses run in N processes instead
(started by forkserver: the poller's threads are not forked). A process that dies (killed, out
of memory) breaks the whole pool: the pool is replaced, and each parse it held fails as a parse
error of its feed. Those feeds keep their old state (nothing is marked as seen), so their next
poll parses the body again: nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from streams.poll.formats.model import ParsedFeed, ParseError
from streams.poll.parse import parse_feed

log = logging.getLogger(__name__)


class ParsePool:
    """Runs `parse_feed` for the poller; `processes=0` means one thread in this process."""

    def __init__(self, processes: int = 0) -> None:
        if processes < 0:
            raise ValueError("processes must be >= 0")
        self.processes = processes
        self._executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if not self.processes:
            return ThreadPoolExecutor(1, thread_name_prefix="parse")
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(self.processes, mp_context=context)

    async def parse(
        self, body: bytes, *, url: str, content_type: str | None, max_items: int
    ) -> ParsedFeed:
        """`parse_feed` of the body; ParseError when the document or the parsing process fails."""
        parse = partial(parse_feed, body, url=url, content_type=content_type, max_items=max_items)
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, parse)
        except BrokenProcessPool as exc:
            self._replace(executor)
            raise ParseError(
                "the parsing process died (killed or out of memory); the feed is parsed again "
                "at its next poll"
            ) from exc

    def _replace(self, broken: Executor) -> None:
        """A new pool for the next parses, once per broken pool (several parses see it fail)."""
        if self._executor is broken:
            log.error("a parse process died: starting a new pool of %d", self.processes)
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()

    def close(self) -> None:
        """Stop the thread or processes; parses still queued are cancelled."""
        self._executor.shutdown(wait=True, cancel_futures=True)
