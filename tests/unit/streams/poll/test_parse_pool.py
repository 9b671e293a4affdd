"""ParsePool: the same results in a thread and in worker processes, and a dead process survived."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.poll.formats.model import ParsedFeed, ParseError
from streams.poll.parse import parse_feed
from streams.poll.parse_pool import ParsePool

FEED = Path(__file__).parents[3] / "fixtures" / "feeds" / "rss20_liveblog_fr.xml"
URL = "https://www.exemple-info.fr/rss/live.xml"


@pytest.fixture(params=[0, 1], ids=["thread", "process"])
def pool(request: pytest.FixtureRequest) -> Iterator[ParsePool]:
    parse_pool = ParsePool(request.param)
    yield parse_pool
    parse_pool.close()


async def parse(pool: ParsePool, body: bytes) -> ParsedFeed:
    return await pool.parse(body, url=URL, content_type="application/rss+xml", max_items=500)


async def test_same_result_as_parse_feed(pool: ParsePool) -> None:
    body = FEED.read_bytes()
    expected = parse_feed(body, url=URL, content_type="application/rss+xml")
    assert expected.entries
    assert await parse(pool, body) == expected


async def test_parse_error_crosses_the_process_boundary(pool: ParsePool) -> None:
    with pytest.raises(ParseError, match="empty body"):
        await parse(pool, b"   ")


async def test_a_killed_parse_process_fails_one_parse_then_the_pool_is_replaced() -> None:
    parse_pool = ParsePool(1)
    try:
        body = FEED.read_bytes()
        await parse(parse_pool, body)  # starts the worker process
        workers = list(parse_pool._executor._processes)  # type: ignore[attr-defined]
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)
        with pytest.raises(ParseError, match="parsing process died"):
            await parse(parse_pool, body)
        assert (await parse(parse_pool, body)).entries
        assert workers[0] not in parse_pool._executor._processes  # type: ignore[attr-defined]
    finally:
        parse_pool.close()


def test_negative_process_count_is_refused() -> None:
    with pytest.raises(ValueError, match="processes"):
        ParsePool(-1)
