"""`telex poll` on the real broker against the demo feed server: items, revisions, restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from schemas.models import decode_raw_item
from streams.demo.server import DemoServer
from streams.topics import TopicNames

from .conftest import consume
from .processes import telex_process, write_config

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("parse_processes", [0, 2], ids=["parse-thread", "parse-processes"])
async def test_poll_publishes_each_item_once_across_formats_and_restarts(
    settings_factory: Any, tmp_path: Path, parse_processes: int
) -> None:
    async with DemoServer(initial_items=4, item_interval=3600) as server:
        feeds = [
            {"id": f"demo-{fmt}", "url": f"{server.url}/liveblog.{fmt}", "interval_seconds": 1}
            for fmt in ("rss", "atom", "json", "html")
        ]
        settings = settings_factory(poller={"feeds": feeds, "allow_private_addresses": True,
                                              "parse_processes": parse_processes})  # fmt: skip
        names = TopicNames.from_settings(settings)
        config = write_config(settings, tmp_path / "telex.yaml")
        with telex_process(config, "poll", log=tmp_path / "poll-1.log"):
            records = await consume(settings.kafka.bootstrap, names.raw, count=16, timeout=60)
            await asyncio.sleep(3)  # a few more polls: 304s and unchanged bodies emit nothing
        # A restarted poller reads its state back and re-emits nothing.
        with telex_process(config, "poll", log=tmp_path / "poll-2.log"):
            await asyncio.sleep(6)
        after_restart = await consume(settings.kafka.bootstrap, names.raw, count=16, timeout=10)
        states = await consume(settings.kafka.bootstrap, names.feeds_state, count=4, timeout=10)

    items = [decode_raw_item(r.value) for r in records]
    per_feed: dict[str, set[str]] = {}
    for item in items:
        per_feed.setdefault(item.feed_id, set()).add(item.item_id)
        assert item.revision == 1 and item.title and item.summary
    assert {feed: len(ids) for feed, ids in per_feed.items()} == {
        "demo-rss": 4, "demo-atom": 4, "demo-json": 4, "demo-html": 4,
    }  # fmt: skip
    assert {i.source_format for i in items} == {"rss", "atom", "jsonfeed", "liveblog"}
    assert len(after_restart) == 16, "the restarted poller re-emitted items it had sent"
    assert {r.key for r in states} >= {f["id"].encode() for f in feeds}
