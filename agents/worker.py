"""The Faust agents: thin wiring of Kafka topics to the pure pipeline in agents.enrich.

What they send, and why deliveries are not awaited one by one: agents.outputs.

Two agents, because near-duplicates must meet across partitions:
- ``tag-raw-items`` (agents.tag_agent) consumes the raw topic (N partitions, shared by all
  workers): it tags and fingerprints each item and forwards it to the fingerprinted topic.
- ``dedup_items`` consumes the fingerprinted topic, which has ONE partition: every fingerprint
  lands in one ordered log, so a near-duplicate finds its candidates whichever raw partition or
  worker it came from, and the decisions are a function of that log alone: the same with 1 or
  3 workers, and the same after a restart (state is a changelog-backed table replayed on
  recovery). That partition bounds the group's throughput (~0.8 ms of logic and decoding per
  item plus faust's per-message work); tagging and fingerprinting scale with workers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
from faust.types import TP, StreamT

from agents.dedup import DedupConfig, Deduplicator
from agents.enrich import dedup_stage, event_time, utc_now_iso
from agents.health import add_health_timer, add_web_pages, worker_is_ready_now
from agents.outputs import Outputs
from agents.readback import (
    TAIL_QUIET_SECONDS,
    InputMessage,
    read_back,
)
from agents.store import ROCKSDB_OPTIONS, LocalMapping, TableStore
from agents.tag_agent import TagAgent, TaxonomyHolder
from schemas.models import (
    SchemaViolation,
    decode_fingerprinted_item,
)
from streams import metrics
from streams.app import create_app
from streams.kafka import read_range
from streams.settings import Settings
from streams.topics import TopicNames

log = logging.getLogger(__name__)

# How long after the last copy appended to reveal a passed-over dedup tail to try again
# (see TAIL_QUIET_SECONDS).
DEDUP_TAIL_RETRY_SECONDS = 60.0


def build_worker_app(
    settings: Settings, *, worker_id: str, web_port: int | None = None
) -> faust.App:
    """The worker's Faust app with its topics, dedup table, agents, web pages and timers."""
    app = create_app(settings, worker_id=worker_id, web_port=web_port)
    names = TopicNames.from_settings(settings)
    holder = TaxonomyHolder(settings.worker.taxonomy_path)
    dedup_config = DedupConfig(window_seconds=settings.worker.dedup_window_seconds)

    raw_topic = app.topic(names.raw, key_type=bytes, value_type=bytes)
    fingerprinted_topic = app.topic(
        names.fingerprinted, key_type=bytes, value_type=bytes, partitions=1
    )
    outputs = Outputs(
        app,
        names,
        fingerprinted=fingerprinted_topic,
        enriched=app.topic(names.enriched, key_type=bytes, value_type=bytes),
        dlq=app.topic(names.dlq, key_type=bytes, value_type=bytes, partitions=1),
    )
    dedup_table = app.Table(
        "dedup-state", partitions=1, key_type=bytes, value_type=bytes, options=ROCKSDB_OPTIONS
    )
    # Item records live in the changelogged table; the LSH buckets (16 writes per item) in a
    # local index rebuilt from those records whenever the partition is (re)assigned.
    index = LocalMapping(_index_path(settings, worker_id))
    dedup = DedupPartition(Deduplicator(TableStore(dedup_table), dedup_config, index=index), index)
    assignments = [0]
    for input_topic in (names.raw, names.fingerprinted):  # series at 0 before any read-back
        metrics.READ_BACK.labels(input_topic)

    TagAgent(app, settings, names, outputs, holder).register(raw_topic)

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def count_assignments(sender: Any, assigned: set[Any], **kwargs: Any) -> None:
        if any(tp.topic == names.fingerprinted for tp in assigned):
            assignments[0] += 1
            dedup.last_event_at = time.monotonic()  # quiet time counts from the assignment

    @app.agent(fingerprinted_topic, name="dedup-items")
    async def dedup_items(stream: StreamT[bytes]) -> AsyncIterator[None]:
        async for event in stream.events():
            async with dedup.lock:
                dedup.ensure_index(assignments[0])
                dedup.last_event_at = time.monotonic()
                # The state records the offset of every message it saw; a hole after it was
                # passed over by the stream (see read_back): decisions follow the log, no holes.
                await read_back_dedup(event.message.offset)
                await dedup_message(event.message)
            yield None

    async def read_back_dedup(end: int) -> None:
        last = dedup.deduplicator.last_offset()
        if last is not None and end > last + 1:
            await read_back(settings.kafka, names.fingerprinted, 0, last + 1, end, dedup_message)

    @app.timer(interval=5.0)  # type: ignore[untyped-decorator]
    async def reveal_dedup_tail() -> None:
        """A message passed over at the end of the log has no next message to reveal the hole.

        After a quiet spell with the log past the state, append a copy of the log's last
        message: its delivery reveals the hole (read back in order, see read_back_dedup), then
        the copy itself is a repeat of the same item and content, dropped. Only the agent
        decides: table writes need faust's current event.
        """
        try:
            await reveal_passed_over_tail()
        except Exception:  # an escaping exception would stop the worker; next round retries
            log.exception("dedup tail check failed")

    async def reveal_passed_over_tail() -> None:
        where = TP(names.fingerprinted, 0)
        if not (await worker_is_ready_now(app) and where in app.consumer.assignment()):
            return
        log_end = app.consumer.highwater(where)
        async with dedup.lock:
            dedup.ensure_index(assignments[0])
            last = dedup.deduplicator.last_offset()
            if log_end is None or last is None or not dedup.tail_passed_over(last, log_end):
                return
            log.warning("dedup stream quiet with offsets %d..%d unseen; appending a copy of the "
                        "last message to reveal them", last + 1, log_end - 1)  # fmt: skip
            async for record in read_range(settings.kafka, where.topic, 0, log_end - 1, log_end):
                await outputs.produce(fingerprinted_topic, record.key, record.value or b"")
            dedup.nudged_at = (log_end, time.monotonic())

    async def dedup_message(message: InputMessage) -> None:
        deduplicator = dedup.deduplicator
        try:
            item = decode_fingerprinted_item(message.value or b"")
        except SchemaViolation as exc:
            await outputs.dead_letter(message, exc.reason, str(exc))
            deduplicator.note_offset(message.offset)
            return
        started = time.perf_counter()
        try:
            outcome = dedup_stage(
                item,
                deduplicator,
                enriched_at=utc_now_iso(),
                near_duplicates=settings.worker.near_duplicates,
                worker=worker_id,
                # One partition: the offset alone places the message in the log.
                source_offset=message.offset,
            )
        except Exception as exc:  # a bug on one item must not stop the worker
            log.exception("dedup failed for item_id=%s", item.item.item_id)
            await outputs.dead_letter(message, "processing_error", repr(exc))
            deduplicator.note_offset(message.offset)
            return
        metrics.PROCESSING_TIME.labels("dedup").observe(time.perf_counter() - started)
        status = "dropped_unchanged" if outcome.decision.drop else outcome.decision.status
        metrics.DEDUP_OUTCOMES.labels(status).inc()
        if outcome.event is not None:
            await outputs.publish_enriched(outcome.event)
        dedup.advance(event_time(item.item))

    add_web_pages(app, faust_metrics=settings.worker.faust_metrics)
    _add_taxonomy_reload(app, holder)
    add_health_timer(app)
    return app


@dataclass
class DedupPartition:
    """The dedup stage in this worker: its state, index and window, and one lock, as the agent
    and the tail read-back timer both decide items."""

    deduplicator: Deduplicator
    index: LocalMapping
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    built_for: int = -1
    last_event_at: float = field(default_factory=time.monotonic)
    watermark: float = 0.0
    expired_hour: int = -1
    # Log end and time of the last copy appended to reveal a passed-over tail.
    nudged_at: tuple[int, float] = (-1, 0.0)

    def tail_passed_over(self, last: int, log_end: int) -> bool:
        """The log has messages past the state, none was delivered for a while, and no copy
        was appended to reveal them in the last minute (unless the log moved since)."""
        now = time.monotonic()
        if log_end <= last + 1 or now - self.last_event_at < TAIL_QUIET_SECONDS:
            return False
        end, at = self.nudged_at
        return log_end > end + 1 or now - at > DEDUP_TAIL_RETRY_SECONDS

    def ensure_index(self, assignment: int) -> None:
        """Rebuild the index at the first event of an assignment (the table is recovered)."""
        if self.built_for == assignment:
            return
        started = time.perf_counter()
        self.index.reset()
        count = self.deduplicator.rebuild_index()
        self.built_for = assignment
        log.info("dedup index rebuilt: %d items in %.1f s, last input offset %s", count,
                 time.perf_counter() - started, self.deduplicator.last_offset())  # fmt: skip

    def advance(self, item_time: float) -> None:
        """Move the window with item times, not the wall clock: replays expire alike."""
        self.watermark = max(self.watermark, item_time)
        if int(self.watermark // 3600) != self.expired_hour:  # the window moves in whole hours
            self.expired_hour = int(self.watermark // 3600)
            self.deduplicator.expire(self.watermark)
        metrics.DEDUP_WINDOW.set(self.deduplicator.window_size())


def _index_path(settings: Settings, worker_id: str) -> Path | None:
    if not settings.worker.store.startswith("rocksdb"):
        return None  # memory store: the index lives in memory too
    return (settings.worker.data_dir / worker_id / "dedup-index").resolve()


def _add_taxonomy_reload(app: faust.App, holder: TaxonomyHolder) -> None:
    @app.timer(interval=10.0)  # type: ignore[untyped-decorator]
    async def reload_taxonomy() -> None:
        try:
            holder.reload_if_changed()
        except Exception:  # an escaping exception would stop the worker
            log.exception("taxonomy reload check failed")
