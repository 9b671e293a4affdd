"""Worker faults on the real broker: crash, restart with state, scale out/in, bad messages."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic

from agents.enrich import tag_stage, utc_now_iso
from agents.tagging.taxonomy import load_taxonomy
from schemas.models import RawItem, decode_dead_letter, encode
from streams.kafka import client_options, reliable_producer
from streams.settings import Settings
from streams.topics import TopicNames, ensure_topics

from ..conftest import consume
from ..processes import stop_process, write_config
from .conftest import FaultResult, ReliabilityReport
from .worker_support import (
    SEED,
    EnrichedCounter,
    Workers,
    dedup_outcomes,
    first_run,
    kill_hard,
    near_duplicate,
    numbered_items,
    produce,
    raw_item,
    realistic_texts,
    wait_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TAGS = ["defense-treaty", "diplomacy", "german-politics"]
GAP = 0.25
# The size; TELEX_TEST_CRASH_ITEMS makes it smaller for a quick local run.
CRASH_ITEMS = int(os.environ.get("TELEX_TEST_CRASH_ITEMS", "20000"))
# Worst throughput seen on the 2-core CI machine with the suite running beside it, for the
# deadline: 40 items/s end to end.
CRASH_DEADLINE = 120 + CRASH_ITEMS / 40
# Worker log lines that explain a loss.
SUSPECT_LINES = ("passed over offsets", "delivery failed", "Traceback", "ERROR", "CRITICAL")


async def test_sigkill_of_one_of_two_workers_loses_nothing(
    settings_factory: Any, tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    """Two workers share the raw partitions; one is SIGKILLed mid-stream.

    The survivor takes over the dead worker's partitions once the group coordinator expires its
    session and resumes from the last committed offsets, so every raw item yields its enriched
    event; items processed after the last commit are redelivered (at-least-once), and counted.
    """
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, TAGS)
    items = numbered_items("crash", CRASH_ITEMS)
    produce_seconds = await produce(settings, names.raw, items)
    config = write_config(settings, tmp_path / "telex.yaml")
    expected = {item.event_id for item in items}
    async with EnrichedCounter(settings.kafka.bootstrap, names.enriched) as out:
        with Workers(config, tmp_path) as workers:
            started = time.monotonic()
            first, second = workers.start("crash-a"), workers.start("crash-b")
            assert await out.wait_for(CRASH_ITEMS // 5, timeout=90), workers.log_text()
            killed_at, seen_at_kill = time.monotonic(), out.distinct
            kill_hard(second)
            done = await out.wait_for(CRASH_ITEMS, timeout=CRASH_DEADLINE)
            finished = time.monotonic()
            assert first.process.poll() is None, workers.log_text()
            suspects = workers.log_lines(*SUSPECT_LINES)
    missing = expected - out.counts.keys()
    print(
        f"\ncrash: produced {CRASH_ITEMS} in {produce_seconds:.1f}s; killed at {seen_at_kill} "
        f"after {killed_at - started:.1f}s; all done {finished - killed_at:.1f}s after kill; "
        f"throughput {CRASH_ITEMS / (finished - started):.0f} items/s overall; "
        f"missing {len(missing)}, redelivered {out.redelivered}",
        *suspects[:40],
        sep="\n",
    )
    reliability_report.add(
        FaultResult(
            fault="worker SIGKILL (1 of 2)",
            procedure=f"{CRASH_ITEMS} raw items over 4 partitions, 2 workers in one group, "
            f"kill -9 one after {seen_at_kill} enriched events",
            items_in=CRASH_ITEMS,
            items_out=out.distinct,
            missing=len(missing),
            duplicates=out.redelivered,
            recovery_seconds=finished - killed_at,
            notes="recovery = kill to last enriched event; includes the group session timeout "
            "(10 s, streams/app.py) before the survivor is given the dead worker's partitions; "
            f"{sum('passed over offsets' in line for line in suspects)} holes left by faust "
            "read back from the broker",
        )
    )
    assert seen_at_kill < CRASH_ITEMS // 2, "the kill must land mid-stream"
    assert done and not missing, f"{len(missing)} missing, e.g. {sorted(missing)[:5]}; {suspects}"
    assert not workers.log_lines("delivery failed"), suspects
    assert out.redelivered <= CRASH_ITEMS // 4, "redeliveries bounded by uncommitted work"


def bad_messages(valid: RawItem) -> list[tuple[str, bytes | None, bytes]]:
    """(expected DLQ reason, key, value) for each kind of bad raw message."""
    wrong_version = {**orjson.loads(encode(valid)), "schema": "telex.raw-item/2"}
    oversized = replace(valid, summary="x" * (5 * 1024 * 1024))
    return [
        ("invalid_json", b"bad:not-json", b"<rss><channel>not json</channel></rss>"),
        ("unsupported_schema_version", b"bad:version", orjson.dumps(wrong_version)),
        ("too_large", b"bad:large", encode(oversized)),
        ("missing_key", None, encode(valid)),
    ]


async def create_raw_topic(settings: Settings, topic: str, max_message_bytes: int) -> None:
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        topic_config = {"max.message.bytes": str(max_message_bytes)}
        kafka = settings.kafka
        new = NewTopic(
            topic, kafka.partitions, kafka.replication_factor, topic_configs=topic_config
        )
        await admin.create_topics([new])
    finally:
        await admin.close()


async def test_bad_raw_messages_go_to_the_dlq_and_good_ones_still_flow(
    settings_factory: Any, tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    """Not JSON, a future schema version, a 5 MB value and a missing key each land in the DLQ
    with their reason; good items sent after them are still enriched by the same worker."""
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await create_raw_topic(settings, names.raw, max_message_bytes=8 * 1024 * 1024)
    await ensure_topics(settings, TAGS)
    before, after = numbered_items("bad", 10), numbered_items("bad", 10, start=10)
    bad = bad_messages(before[0])
    await produce(settings, names.raw, before)
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        for _, key, value in bad:
            await producer.send_and_wait(names.raw, key=key, value=value)
    finally:
        await producer.stop()
    await produce(settings, names.raw, after)
    config = write_config(settings, tmp_path / "telex.yaml")
    good = {item.event_id for item in before + after}
    async with EnrichedCounter(settings.kafka.bootstrap, names.enriched) as out:
        with Workers(config, tmp_path) as workers:
            worker = workers.start("bad-a")
            done = await out.wait_for_ids(good, timeout=90)
            letters = await consume(settings.kafka.bootstrap, names.dlq, count=len(bad), timeout=30)
            alive = worker.process.poll() is None
    reasons = Counter(decode_dead_letter(r.value).reason for r in letters)
    by_reason = {decode_dead_letter(r.value).reason: decode_dead_letter(r.value) for r in letters}
    missing = good - out.counts.keys()
    print(f"\nbad messages: dlq reasons {dict(reasons)}; good enriched {len(good - missing)}")
    reliability_report.add(
        FaultResult(
            fault="bad raw messages",
            procedure="10 good, then not-JSON, schema v2, 5 MB value, no key, then 10 good",
            items_in=len(good) + len(bad),
            items_out=len(good - missing),
            missing=len(missing),
            duplicates=out.redelivered,
            recovery_seconds=None,
            notes=f"DLQ reasons: {', '.join(sorted(reasons))}",
        )
    )
    assert alive, workers.log_text()
    assert done and not missing, sorted(missing)
    assert reasons == Counter(reason for reason, _, _ in bad)
    assert by_reason["too_large"].original_size > 5 * 1024 * 1024
    assert by_reason["missing_key"].source.key_base64 is None
    assert all(letter.source.topic == names.raw for letter in by_reason.values())


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
async def test_restarted_worker_keeps_its_dedup_decisions(
    stop: str, settings_factory: Any, tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    """One worker on RocksDB processes N items and is stopped (SIGTERM or SIGKILL), then
    restarted with the same id: the same N items again are dropped as unchanged redeliveries,
    and new near-duplicates of earlier items join the stories those items had before the stop."""
    settings = settings_factory(worker={"store": "rocksdb://"})
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, TAGS)
    first = numbered_items("restart", len(realistic_texts()))
    near = [near_duplicate(item, "restart", len(first) + n) for n, item in enumerate(first[:12])]
    config = write_config(settings, tmp_path / "telex.yaml")
    async with EnrichedCounter(settings.kafka.bootstrap, names.enriched) as out:
        with Workers(config, tmp_path) as workers:
            before = await first_run(settings, workers, "restart-a", first, out)
            stories = {e: out.events[e].dedup.story_id for e in out.counts}
            if stop == "sigterm":
                stop_process(before.process)
            else:
                kill_hard(before)
            seen = out.distinct
            after = workers.start("restart-a")
            await produce(settings, names.raw, [*first, *near])
            ready = await wait_ready(after, timeout=90)
            assert await out.wait_for(seen + len(near), timeout=90), workers.log_text()
            await asyncio.sleep(3)  # any late event for a redelivery would show up by now
            dropped = await dedup_outcomes(after, "dropped_unchanged")
    first_event = min(out.arrived[item.event_id] for item in near) - after.started_at
    changed = {e: s for e, s in stories.items() if out.events[e].dedup.story_id != s}
    wrong = [
        n.item_id for n, item in zip(near, first, strict=False)
        if out.events[n.event_id].dedup.story_id != stories[item.event_id]
        or out.events[n.event_id].dedup.status != "near_duplicate"
    ]  # fmt: skip
    republished = [e for e in stories if out.counts[e] > 1]
    print(
        f"\nrestart after {stop}: ready {ready}s, first enriched {first_event:.1f}s after start; "
        f"{dropped:.0f} of {len(first)} redeliveries dropped; near-duplicates off-story {wrong}; "
        f"republished {len(republished)}"
    )
    reliability_report.add(
        FaultResult(
            fault=f"worker restart with state ({stop})",
            procedure=f"{len(first)} items, stop by {stop}, restart on RocksDB, same "
            f"{len(first)} again + {len(near)} near-duplicates of earlier items",
            items_in=len(first) * 2 + len(near),
            items_out=out.distinct,
            missing=len({i.event_id for i in [*first, *near]} - out.counts.keys()),
            duplicates=len(republished),
            recovery_seconds=first_event,
            notes=f"restart to /readyz 200: {ready:.1f} s; recovery = restart to first enriched "
            f"event; {dropped:.0f} redeliveries dropped as unchanged; "
            f"{len(near) - len(wrong)}/{len(near)} near-duplicates joined their earlier story"
            if ready is not None
            else "never ready",
        )
    )
    assert ready is not None, workers.log_text()
    assert not wrong, wrong
    assert not changed
    assert dropped >= len(first), "the repeated items are dropped as unchanged, not re-decided"
    assert not republished, republished


@pytest.mark.parametrize("passed_over", [2, 5], ids=["hole-then-message", "hole-at-log-end"])
async def test_dedup_reads_back_fingerprinted_messages_its_stream_passed_over(
    passed_over: int, settings_factory: Any, tmp_path: Path
) -> None:
    """What faust does around some rebalances, made to happen: the group's committed offset of
    the fingerprinted partition moves past messages no worker processed (2 of the 5 new ones,
    or all 5: then no next message reveals the hole). The restarted worker's dedup state knows
    the last offset it saw, finds the hole and reads it from the broker, so every item still
    gets its event, in log order."""
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, TAGS)
    first, later = numbered_items("hole", 8), numbered_items("hole", 5, start=8)
    taxonomy = load_taxonomy(None)
    fingerprinted = [tag_stage(item, taxonomy, received_at=utc_now_iso()) for item in later]
    config = write_config(settings, tmp_path / "telex.yaml")
    async with EnrichedCounter(settings.kafka.bootstrap, names.enriched) as out:
        with Workers(config, tmp_path) as workers:
            before = await first_run(settings, workers, "hole-a", first, out)
            stop_process(before.process)
            messages = [(i.item.item_id.encode(), encode(i)) for i in fingerprinted]
            end = await send_and_commit_past(
                settings, names.fingerprinted, messages, passed_over=passed_over
            )
            workers.start("hole-b")
            expected = {item.event_id for item in [*first, *later]}
            arrived = await out.wait_for_ids(expected, timeout=90)
            notes = workers.log_lines("passed over offsets")
    hole = f"offsets {end}..{end + passed_over - 1}"
    print(f"\nhole at {hole}: {notes}")
    assert arrived, (sorted(expected - out.counts.keys()), workers.log_text())
    assert any(hole in line for line in notes), notes


@pytest.mark.parametrize("passed_over", [2, 5], ids=["hole-then-message", "hole-at-log-end"])
async def test_tag_stage_reads_back_raw_messages_its_stream_passed_over(
    passed_over: int, settings_factory: Any, tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    """The same on the raw topic, where the tag stage keeps no dedup state: the group's
    committed offset of raw partition 0 moves past messages no worker tagged. The restarted
    worker recovers the last raw offset tagged (the raw-positions table) and reads the hole
    back, so every item still gets its event."""
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, TAGS)
    first, later = numbered_items("rawhole", 8), numbered_items("rawhole", 5, start=8)
    config = write_config(settings, tmp_path / "telex.yaml")
    async with EnrichedCounter(settings.kafka.bootstrap, names.enriched) as out:
        with Workers(config, tmp_path) as workers:
            before = await first_run(settings, workers, "rawhole-a", first, out)
            stop_process(before.process)
            messages = [(item.item_id.encode(), encode(item)) for item in later]
            end = await send_and_commit_past(settings, names.raw, messages, passed_over=passed_over)
            workers.start("rawhole-b")
            expected = {item.event_id for item in [*first, *later]}
            arrived = await out.wait_for_ids(expected, timeout=90)
            notes = workers.log_lines("passed over offsets")
    read_back = re.compile(rf"offsets (\d+)\.\.(\d+) of {re.escape(names.raw)}\[0\]")
    holes = [(int(a), int(b)) for line in notes for a, b in read_back.findall(line)]
    print(f"\nhole from offset {end}, {passed_over} committed past: {notes}")
    reliability_report.add(
        FaultResult(
            fault=f"raw offset committed past {passed_over} untagged messages",
            procedure=f"{len(first)} items through a worker, stopped; {len(later)} more on raw "
            f"partition 0 and the group's offset committed {passed_over} into them (what faust "
            "does around some rebalances); a worker started",
            items_in=len(expected),
            items_out=len(expected & out.counts.keys()),
            missing=len(expected - out.counts.keys()),
            duplicates=out.redelivered,
            recovery_seconds=None,
            notes="read back from the raw-positions table's last offset: "
            + ", ".join(f"{start}..{stop}" for start, stop in holes),
        )
    )
    assert arrived, (sorted(expected - out.counts.keys()), workers.log_text())
    # The read-back starts at the first message never tagged; it may reach further when faust's
    # stream also skips the first message after the committed offset (seen here).
    assert any(start == end and stop >= end + passed_over - 1 for start, stop in holes), notes


async def send_and_commit_past(
    settings: Settings, topic: str, messages: list[tuple[bytes, bytes]], *, passed_over: int
) -> int:
    """Append (key, value) `messages` to partition 0 of `topic` and commit the worker group's
    offset `passed_over` messages into them, as if faust had acked those unprocessed; returns
    the offset of the first message."""
    where = TopicPartition(topic, 0)
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        sent = [
            await producer.send_and_wait(where.topic, value, key=key, partition=0)
            for key, value in messages
        ]
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka), group_id=settings.worker.app_id,
        enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    try:
        consumer.assign([where])
        await consumer.commit({where: sent[0].offset + passed_over})
    finally:
        await consumer.stop()
    return int(sent[0].offset)


def scale_input() -> tuple[list[RawItem], list[tuple[str, str]]]:
    """Each realistic text once, and a near-duplicate of each, interleaved in two halves;
    with the pairs (event ids) that must end in one story: the seed's and each copy's.

    Titles carry no number: items whose numbers differ are never near-duplicates by design."""
    originals = [raw_item("scale", n, text) for n, text in enumerate(realistic_texts())]
    copies = [near_duplicate(item, "scale", len(originals) + n) for n, item in enumerate(originals)]
    half = len(originals) // 2
    items = [*originals[:half], *copies[:half], *originals[half:], *copies[half:]]
    pairs = [(o.event_id, c.event_id) for o, c in zip(originals, copies, strict=True)]
    seed = orjson.loads(SEED.read_bytes())["items"]
    position = {u["id"]: n for n, u in enumerate(seed)}  # seed texts come first
    pairs += [
        (originals[position[u["near_duplicate_of"]]].event_id, originals[n].event_id)
        for n, u in enumerate(seed) if u["near_duplicate_of"]
    ]  # fmt: skip
    return items, pairs


async def scaled_run(settings: Settings, items: list[RawItem], workers: Workers) -> list[str]:
    """Produce items 0.25 s apart while 1 worker runs, 2 join at 25 %, one leaves at 65 %."""
    names = TopicNames.from_settings(settings)
    steps: list[str] = []
    first = workers.start("scale-1")
    assert await wait_ready(first, timeout=90) is not None, workers.log_text()
    quarter, most = len(items) // 4, len(items) * 65 // 100
    await produce(settings, names.raw, items[:quarter], gap=GAP)
    for worker_id in ("scale-2", "scale-3"):
        workers.start(worker_id)
    steps.append(f"2 workers joined after item {quarter}")
    await produce(settings, names.raw, items[quarter:most], gap=GAP)
    stop_process(workers.started[1].process)
    steps.append(f"scale-2 stopped (SIGTERM) after item {most}")
    await produce(settings, names.raw, items[most:], gap=GAP)
    return steps


def story_of(counter: EnrichedCounter, event_id: str) -> str | None:
    event = counter.events.get(event_id)
    return None if event is None else event.dedup.story_id


async def test_scale_out_and_in_loses_nothing_and_keeps_decisions(
    settings_factory: Any, tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    """1 worker, then 3, then 2, while items flow; compared with a single-worker run.

    Dedup decisions depend only on the order of the one-partition fingerprinted log, which
    follows the interleaving of the raw partitions, and a rebalance pauses some partitions and
    lets others run, so per-item statuses may legitimately swap within a pair (which copy is
    "new"). What must not change: no item lost, every expected pair in one story, and the
    multiset of statuses equal to a single-worker run fed the same items in the same order
    (items sent 0.25 s apart, so each is tagged before the next arrives). Both runs go side by
    side on separate topic prefixes, so they see the same machine load.
    """
    items, pairs = scale_input()
    ref_settings, settings = settings_factory(), settings_factory()
    for each in (ref_settings, settings):
        await ensure_topics(each, TAGS)
    ref_dir, dir_ = tmp_path / "reference", tmp_path / "scaled"
    for folder in (ref_dir, dir_):
        folder.mkdir()
    expected = {item.event_id for item in items}
    bootstrap = settings.kafka.bootstrap
    ref_topic, topic = (TopicNames.from_settings(s).enriched for s in (ref_settings, settings))
    async with (
        EnrichedCounter(bootstrap, ref_topic) as ref,
        EnrichedCounter(bootstrap, topic) as out,
    ):
        with (
            Workers(write_config(ref_settings, ref_dir / "telex.yaml"), ref_dir) as ref_workers,
            Workers(write_config(settings, dir_ / "telex.yaml"), dir_) as workers,
        ):
            ref_worker = ref_workers.start("reference")
            assert await wait_ready(ref_worker, timeout=90) is not None, ref_workers.log_text()
            reference = asyncio.create_task(
                produce(ref_settings, TopicNames.from_settings(ref_settings).raw, items, gap=GAP)
            )
            steps = await scaled_run(settings, items, workers)
            await reference
            done = await out.wait_for(len(items), timeout=90)
            assert await ref.wait_for(len(items), timeout=60), ref_workers.log_text()
            read_back = workers.log_lines("passed over offsets")
    missing = expected - out.counts.keys()
    statuses = Counter(out.events[e].dedup.status for e in expected - missing)
    ref_statuses = Counter(ref.events[e].dedup.status for e in expected)
    same_item = sum(out.events[e].dedup.status == ref.events[e].dedup.status for e in out.events)
    split = [p for p in pairs if len({story_of(out, e) for e in p}) > 1]
    ref_split = [p for p in pairs if len({story_of(ref, e) for e in p}) > 1]
    print(
        f"\nscale: {'; '.join(steps)}; missing {len(missing)}, redelivered {out.redelivered}; "
        f"statuses {dict(statuses)} vs single worker {dict(ref_statuses)}; "
        f"{same_item}/{len(items)} per-item statuses equal; split pairs {split} "
        f"(single worker: {ref_split}); holes read back {read_back}"
    )
    reliability_report.add(
        FaultResult(
            fault="scale out 1→3, in 3→2",
            procedure=f"{len(items)} items 0.25 s apart; {'; '.join(steps)}",
            items_in=len(items),
            items_out=out.distinct,
            missing=len(missing),
            duplicates=out.redelivered,
            recovery_seconds=None,
            notes=f"status counts equal to a 1-worker run: {statuses == ref_statuses}; "
            f"{same_item}/{len(items)} per-item statuses equal; {len(pairs) - len(split)}/"
            f"{len(pairs)} expected pairs in one story; {len(read_back)} holes left by faust "
            "read back from the broker",
        )
    )
    assert done and not missing, sorted(missing)[:10]
    assert not ref_split and not split, (ref_split, split)
    assert statuses == ref_statuses


async def test_raw_partitions_added_later_still_flow(
    settings_factory: Any, tmp_path: Path, reliability_report: ReliabilityReport
) -> None:
    """An operator adds raw partitions to scale out (kafka-topics --alter): the worker, whose
    raw-positions table was created for the old count, still enriches the items of the new
    partitions after a restart."""
    settings = settings_factory()
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, TAGS)
    first, later = numbered_items("grow", 8), numbered_items("grow", 12, start=8)
    config = write_config(settings, tmp_path / "telex.yaml")
    async with EnrichedCounter(settings.kafka.bootstrap, names.enriched) as out:
        with Workers(config, tmp_path) as workers:
            before = await first_run(settings, workers, "grow-a", first, out)
            stop_process(before.process)
            await add_partitions(settings, names.raw, total=settings.kafka.partitions + 2)
            after = workers.start("grow-b")
            await send_to_partitions(
                settings, names.raw, later, range(settings.kafka.partitions + 2)
            )
            expected = {item.event_id for item in [*first, *later]}
            arrived = await out.wait_for_ids(expected, timeout=90)
            alive = after.process.poll() is None
            crashes = workers.log_lines("Crashed", "PartitionsMismatch")
            aligned = workers.log_lines("added the missing ones")
    reliability_report.add(
        FaultResult(
            fault="raw partitions added between runs",
            procedure=f"{len(first)} items over 4 raw partitions, worker stopped, 2 raw "
            f"partitions added, {len(later)} items sent round-robin over all 6, worker started",
            items_in=len(expected),
            items_out=len(expected & out.counts.keys()),
            missing=len(expected - out.counts.keys()),
            duplicates=out.redelivered,
            recovery_seconds=None,
            notes=f"raw-positions changelog aligned at start: {bool(aligned)}; agent crashes: "
            f"{len(crashes)}",
        )
    )
    assert arrived, (sorted(expected - out.counts.keys()), workers.log_text())
    assert alive and not crashes, crashes or workers.log_text()
    assert aligned, "the raw-positions changelog was not given the new partitions"


async def add_partitions(settings: Settings, topic: str, *, total: int) -> None:
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        await admin.create_partitions({topic: NewPartitions(total_count=total)})
    finally:
        await admin.close()


async def send_to_partitions(
    settings: Settings, topic: str, items: list[RawItem], partitions: range
) -> None:
    """Send items round-robin over `partitions` explicitly (the new ones included)."""
    producer = reliable_producer(settings.kafka)
    await producer.start()
    try:
        for n, item in enumerate(items):
            partition = partitions[n % len(partitions)]
            await producer.send_and_wait(topic, encode(item), key=item.item_id.encode(),
                                         partition=partition)  # fmt: skip
    finally:
        await producer.stop()
