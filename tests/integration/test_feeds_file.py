"""Issue 17 on the real broker: the watched feeds file applied by a running poller (a feed
added is polled, a feed removed loses its saved state), `telex feeds` on a real state topic,
and a feed's full content, language and labels reaching the raw and enriched events."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.models import decode_enriched_item, decode_raw_item
from streams.demo.server import DemoServer
from streams.poll.feedlist import write_feed_file
from streams.settings import FeedSettings, Settings
from streams.topics import TopicNames

from .conftest import consume
from .processes import telex_process, write_config
from .reliability.pipeline_support import static_server

pytestmark = pytest.mark.integration

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def telex(config: Path, *args: str, timeout: float = 90) -> str:
    """`telex --config CONFIG ARGS` to its end; its stdout (the test fails on an error)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEX_")}
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "--config", str(config), *args],
        capture_output=True, env=env, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


async def statuses(config: Path) -> dict[str, dict[str, Any]]:
    out = await asyncio.to_thread(telex, config, "poll", "--status")
    return {entry["feed_id"]: entry for entry in map(orjson.loads, out.splitlines())}


async def wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    """Call the coroutine function `check` until it returns something true (bounded)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(1.0)


async def read_to_end(bootstrap: str, topic: str) -> list[Any]:
    """Every record of `topic` up to its end offsets now (bounded by 30 s)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    records: list[Any] = []
    try:
        await consumer._client.force_metadata_update()  # what partitions_for_topic reads
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"{topic} has no partitions"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = asyncio.get_running_loop().time() + 30
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            assert asyncio.get_running_loop().time() < deadline, f"{topic} not read to its end"
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_feeds_file_edits_apply_to_a_running_poller(
    settings_factory: Any, tmp_path: Path
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    async with DemoServer(initial_items=3, item_interval=3600) as server:
        rss = FeedSettings(id="demo-rss", url=f"{server.url}/liveblog.rss", interval_seconds=1)
        write_feed_file(feeds_file, (rss,))
        settings: Settings = settings_factory(poller={
            "feeds_file": str(feeds_file), "feeds_reload_seconds": 1,
            "allow_private_addresses": True,
        })  # fmt: skip
        names = TopicNames.from_settings(settings)
        bootstrap = settings.kafka.bootstrap
        config = write_config(settings, tmp_path / "telex.yaml")
        with telex_process(config, "poll", log=tmp_path / "poll.log"):
            first = await consume(bootstrap, names.raw, count=3, timeout=60)
            assert {decode_raw_item(r.value).feed_id for r in first} == {"demo-rss"}

            # Added with the CLI while the poller runs: polled without a restart.
            added = await asyncio.to_thread(
                telex, config, "feeds", "add", f"{server.url}/liveblog.atom", "--id",
                "demo-atom", "--interval", "1", "--label", "outlet=demo",
            )  # fmt: skip
            assert added.startswith("added demo-atom")
            both = [decode_raw_item(r.value) for r in await consume(bootstrap, names.raw, count=6)]
            atom = [item for item in both if item.feed_id == "demo-atom"]
            assert len(atom) == 3 and {item.source_format for item in atom} == {"atom"}
            assert all(item.labels == {"outlet": "demo"} for item in atom)

            async def rss_state_saved() -> bool:
                return "known_items" in (await statuses(config)).get("demo-rss", {})

            await wait_for(rss_state_saved, "demo-rss's saved state")
            # Removed from the file (by hand, not by `telex feeds remove`, which would delete
            # the state itself): the poller stops it and deletes its state.
            atom_feed = FeedSettings(id="demo-atom", url=f"{server.url}/liveblog.atom",
                                     interval_seconds=1, labels={"outlet": "demo"})  # fmt: skip
            write_feed_file(feeds_file, (atom_feed,))

            async def rss_forgotten() -> dict[str, dict[str, Any]] | None:
                found = await statuses(config)
                return found if "demo-rss" not in found else None

            remaining = await wait_for(rss_forgotten, "demo-rss to leave telex poll --status")
            assert remaining["demo-atom"]["status"] == "polling"
            listed = await asyncio.to_thread(telex, config, "feeds", "list")
            assert [orjson.loads(line)["feed_id"] for line in listed.splitlines()] == ["demo-atom"]
        states = await read_to_end(bootstrap, names.feeds_state)
    last = {record.key: record.value for record in states}
    assert last[b"demo-rss"] is None, "no tombstone for the removed feed"
    assert (tmp_path / "poll.log").read_text().count("feed removed: feed_id=demo-rss") == 1


async def test_content_language_and_labels_reach_raw_and_enriched_events(
    settings_factory: Any, tmp_path: Path
) -> None:
    async with static_server(FEEDS) as base:
        feeds = [
            {"id": "wb", "url": f"{base}/rss20_content_encoded.xml", "interval_seconds": 2,
             "labels": {"outlet": "Wiener Beispiel", "country": "at"}},
            {"id": "diplo", "url": f"{base}/jsonfeed_10.json", "interval_seconds": 2,
             "language": "fr", "labels": {"outlet": "Diplo"}},
        ]  # fmt: skip
        settings = settings_factory(poller={"feeds": feeds, "allow_private_addresses": True})
        names = TopicNames.from_settings(settings)
        config = write_config(settings, tmp_path / "telex.yaml")
        bootstrap = settings.kafka.bootstrap
        with (
            telex_process(config, "poll", log=tmp_path / "poll.log"),
            telex_process(config, "worker", log=tmp_path / "worker.log"),
        ):
            raw = [decode_raw_item(r.value) for r in await consume(bootstrap, names.raw, count=5)]
            enriched = [
                decode_enriched_item(r.value)
                for r in await consume(bootstrap, names.enriched, count=5, timeout=90)
            ]

    both = next(item for item in raw if item.guid == "wb-aussen-2001")
    assert both.summary == "Die Außenminister der OSZE-Staaten treffen sich in Wien."
    assert both.content is not None and "Sergej Lawrow" in both.content
    assert "<" not in both.content and "track(" not in both.content
    events = {event.item.item_id: event for event in enriched}
    assert {event.item.feed_id for event in events.values()} == {"wb", "diplo"}
    for event in events.values():
        if event.item.feed_id == "wb":
            assert event.item.labels == {"outlet": "Wiener Beispiel", "country": "at"}
            assert event.item.language in ("de-AT", "de")  # declared by the feed: kept
        else:
            assert event.item.labels == {"outlet": "Diplo"}
            assert event.item.language == "fr"  # the feed declares none: the setting
            assert (event.language, event.language_source) == ("fr", "declared")
    assert events["wb:wb-aussen-2001"].item.content == both.content
