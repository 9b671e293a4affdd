"""The dedup stage's agent, ``dedup-items``: fingerprinted topic in, enriched (and tag) topics out.

It consumes the fingerprinted topic, which has ONE partition: every fingerprint lands in one
ordered log, so a near-duplicate finds its candidates whichever raw partition or worker it came
from, and the decisions are a function of that log alone: the same with 1 or 3 workers, and the
same after a restart (state is a changelog-backed table replayed on recovery). That partition
bounds the group's throughput (~0.8 ms of logic and decoding per item plus faust's per-message
work).
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

from agents.dedup.config import DedupConfig
from agents.dedup.memory import MemoryStore
from agents.dedup.window import Deduplicator
from agents.enrich import DedupOutcome, dedup_stage, event_time, utc_now_iso
from agents.health import worker_is_ready_now
from agents.outputs import Outputs
from agents.readback import TAIL_QUIET_SECONDS, InputMessage, read_back
from agents.store import LocalMapping, TableStore
from schemas.models import FingerprintedItem, decode_fingerprinted_item
from streams import metrics
from streams.errors import MessageError
from streams.kafka import read_range
from streams.settings import Settings
from streams.topics import TopicNames

log = logging.getLogger(__name__)

# How long after appending a copy to reveal a passed-over tail the check may append another,
# if the log has not moved since (see TAIL_QUIET_SECONDS).
DEDUP_TAIL_RETRY_SECONDS = 60.0


@dataclass
class DedupPartition:
    """The dedup stage in this worker: its state, index and window, and one lock, as the agent
    and the tail read-back timer both decide items."""

    deduplicator: Deduplicator
    index: LocalMapping | MemoryStore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    built_for: int = -1
    last_event_at: float = field(default_factory=time.monotonic)
    watermark: float = 0.0
    expired_hour: int = -1
    # Log end and time of the last copy appended to reveal a passed-over tail.
    nudged_at: tuple[int, float] = (-1, 0.0)

    @classmethod
    def in_table(cls, table: Any, settings: Settings, *, worker_id: str) -> DedupPartition:
        """The dedup state kept in `table`, with the window and index place of the settings."""
        # Item records live in the changelogged table; the LSH buckets (16 writes per item) in
        # a local index rebuilt from those records whenever the partition is (re)assigned.
        path = _index_path(settings, worker_id)
        index = MemoryStore() if path is None else LocalMapping(path)
        config = DedupConfig.from_settings(settings.worker)
        return cls(Deduplicator(TableStore(table), config, index=index), index)

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


class DedupAgent:
    """The ``dedup-items`` agent, and its read-back of the messages faust passed over."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        names: TopicNames,
        outputs: Outputs,
        partition: DedupPartition,
        *,
        worker_id: str,
    ) -> None:
        self.app = app
        self.settings = settings
        self.input = TP(names.fingerprinted, 0)  # the topic's one partition
        self.outputs = outputs
        self.partition = partition
        self.worker_id = worker_id
        self.assignments = 0

    def register(self, fingerprinted_topic: faust.TopicT) -> None:
        """Add the agent, its tail timer and its assignment handler to the app."""
        self.app.on_partitions_assigned.connect(self.on_partitions_assigned)  # type: ignore[arg-type]

        @self.app.agent(fingerprinted_topic, name="dedup-items")
        async def dedup_items(stream: StreamT[bytes]) -> AsyncIterator[None]:
            async for event in stream.events():
                await self.consume(event.message)
                yield None

        @self.app.timer(interval=5.0)  # type: ignore[untyped-decorator]
        async def reveal_dedup_tail() -> None:
            """A message passed over at the end of the log has no next message to reveal the hole.

            After a quiet spell with the log past the state, append a copy of the log's last
            message: its delivery reveals the hole (read back in order, see read_back_before),
            then the copy itself is a repeat of the same item and content, dropped. Only the
            agent decides: table writes need faust's current event.
            """
            try:
                await self.reveal_passed_over_tail()
            except Exception:  # an escaping exception would stop the worker; next round retries
                log.exception("dedup tail check failed")

    async def on_partitions_assigned(self, sender: Any, assigned: set[Any], **kwargs: Any) -> None:
        if any(tp.topic == self.input.topic for tp in assigned):
            self.assignments += 1
            self.partition.last_event_at = time.monotonic()  # quiet time counts from now

    async def consume(self, message: InputMessage) -> None:
        """Decide one message of the stream, after the ones the stream passed over before it."""
        dedup = self.partition
        async with dedup.lock:
            dedup.ensure_index(self.assignments)
            dedup.last_event_at = time.monotonic()
            # The state records the offset of every message it saw; a hole after it was passed
            # over by the stream (see agents.readback): decisions follow the log, no holes.
            await self.read_back_before(message.offset)
            await self.dedup_message(message)

    async def read_back_before(self, end: int) -> None:
        """Decide the messages between the last one the state saw and offset `end`, if any."""
        last = self.partition.deduplicator.last_offset()
        if last is not None and end > last + 1:
            await read_back(self.settings.kafka, self.input.topic, self.input.partition,
                            last + 1, end, self.dedup_message)  # fmt: skip

    async def reveal_passed_over_tail(self) -> None:
        """Append a copy of the log's last message if the stream passed over the log's tail."""
        app, where, dedup = self.app, self.input, self.partition
        if not (await worker_is_ready_now(app) and where in app.consumer.assignment()):
            return
        log_end = app.consumer.highwater(where)
        async with dedup.lock:
            dedup.ensure_index(self.assignments)
            last = dedup.deduplicator.last_offset()
            if log_end is None or last is None or not dedup.tail_passed_over(last, log_end):
                return
            log.warning("dedup stream quiet with offsets %d..%d unseen; appending a copy of the "
                        "last message to reveal them", last + 1, log_end - 1)  # fmt: skip
            kafka = self.settings.kafka
            async for record in read_range(kafka, where.topic, 0, log_end - 1, log_end):
                await self.outputs.produce(
                    self.outputs.fingerprinted, record.key, record.value or b""
                )
            dedup.nudged_at = (log_end, time.monotonic())

    async def dedup_message(self, message: InputMessage) -> None:
        """Decide one fingerprinted message and publish its enriched event, if any."""
        try:
            item = decode_fingerprinted_item(message.value or b"")
        except MessageError as exc:
            await self._dead_letter(message, exc.reason, str(exc))
            return
        started = time.perf_counter()
        try:
            outcome = self._decide(item, message.offset)
        except Exception as exc:  # a bug on one item must not stop the worker
            log.exception("dedup failed for item_id=%s", item.item.item_id)
            await self._dead_letter(message, "processing_error", repr(exc))
            return
        metrics.PROCESSING_TIME.labels("dedup").observe(time.perf_counter() - started)
        status = "dropped_unchanged" if outcome.decision.drop else outcome.decision.status
        metrics.DEDUP_OUTCOMES.labels(status).inc()
        if outcome.event is not None:
            await self.outputs.publish_enriched(outcome.event)
        self.partition.advance(event_time(item.item))

    def _decide(self, item: FingerprintedItem, offset: int) -> DedupOutcome:
        return dedup_stage(
            item,
            self.partition.deduplicator,
            enriched_at=utc_now_iso(),
            near_duplicates=self.settings.worker.near_duplicates,
            worker=self.worker_id,
            # One partition: the offset alone places the message in the log.
            source_offset=offset,
        )

    async def _dead_letter(self, message: InputMessage, reason: str, error: str) -> None:
        """To the DLQ; the state still notes the offset, so it is not taken for a hole."""
        await self.outputs.dead_letter(message, reason, error)
        self.partition.deduplicator.note_offset(message.offset)


def _index_path(settings: Settings, worker_id: str) -> Path | None:
    if not settings.worker.store.startswith("rocksdb"):
        return None  # memory store: the index lives in memory too
    return (settings.worker.data_dir / worker_id / "dedup-index").resolve()
