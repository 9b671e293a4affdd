"""The tag stage's agent, ``tag-raw-items``: raw topic in, fingerprinted topic out.

It consumes the raw topic (N partitions, shared by all workers): it decodes, validates, tags and
fingerprints, and forwards to the fingerprinted topic. Bad messages go to the DLQ with the
reason and their source topic/partition/offset. Tagging and fingerprinting scale with workers.
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
from faust.types import StreamT

from agents.dedup.config import DedupConfig
from agents.enrich import tag_stage, utc_now_iso
from agents.health import worker_is_ready_now
from agents.outputs import Outputs
from agents.readback import (
    TAIL_QUIET_SECONDS,
    InputMessage,
    OffsetGaps,
    RawPositions,
    committed_offset,
    committed_offsets,
    read_back,
)
from agents.tagging.taxonomy import Taxonomy, load_taxonomy
from schemas.models import RawItem, decode_raw_item, encode
from streams import metrics
from streams.errors import MessageError
from streams.settings import Settings
from streams.topics import TopicNames

log = logging.getLogger(__name__)

MAX_RAW_MESSAGE_BYTES = 1024 * 1024


@dataclass
class TaxonomyHolder:
    """The taxonomy in use, reloaded when its file changes (no restart needed)."""

    path: Path | None
    taxonomy: Taxonomy = field(init=False)
    _mtime: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.taxonomy = load_taxonomy(self.path)
        self._mtime = self._current_mtime()
        metrics.TAXONOMY.info({"version": self.taxonomy.version})

    def reload_if_changed(self) -> bool:
        mtime = self._current_mtime()
        if mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            self.taxonomy = load_taxonomy(self.path)
        except Exception as exc:  # keep the last good taxonomy; the error names the key
            log.error("taxonomy reload failed, keeping version %s: %s", self.taxonomy.version, exc)
            return False
        metrics.TAXONOMY.info({"version": self.taxonomy.version})
        log.info("taxonomy reloaded: version %s", self.taxonomy.version)
        return True

    def _current_mtime(self) -> float:
        return self.path.stat().st_mtime if self.path and self.path.exists() else 0.0


class TagAgent:
    """The ``tag-raw-items`` agent, and its read-back of the raw messages faust passed over."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        names: TopicNames,
        outputs: Outputs,
        taxonomy_holder: TaxonomyHolder,
        positions: RawPositions,
    ) -> None:
        self.app = app
        self.settings = settings
        self.raw_topic_name = names.raw
        self.outputs = outputs
        self.taxonomy_holder = taxonomy_holder
        self.gaps = OffsetGaps()
        self.positions = positions
        # The fingerprints carry language-neutral terms when the dedup stage searches by facts.
        dedup_config = DedupConfig.from_settings(settings.worker)
        self.neutral_terms = dedup_config.searches_facts
        self.with_meaning = dedup_config.embeds

    def register(self, raw_topic: faust.TopicT) -> None:
        """Add the agent, its tail timer and its assignment handler to the app."""
        self.app.on_partitions_assigned.connect(self.on_partitions_assigned)  # type: ignore[arg-type]

        @self.app.agent(raw_topic, name="tag-raw-items")
        async def tag_raw_items(stream: StreamT[bytes]) -> AsyncIterator[None]:
            async for event in stream.events():
                await self.consume(event.message)
                # Nothing in tag_message has to suspend, so with a backlog this loop would hold
                # the event loop and starve the dedup agent (seconds without an enriched event).
                await asyncio.sleep(0)
                yield None

        @self.app.timer(interval=5.0)  # type: ignore[untyped-decorator]
        async def read_back_raw_tails() -> None:
            """Raw messages passed over at the end of a partition have no next message to reveal
            them: after a quiet spell, read each assigned partition up to its end. Tagging writes
            no table, so this timer tags them itself."""
            try:
                await self.read_back_tails()
            except Exception:  # an escaping exception would stop the worker; next round retries
                log.exception("raw tail check failed")

    async def on_partitions_assigned(self, sender: Any, assigned: set[Any], **kwargs: Any) -> None:
        self.gaps.reset(committed_offsets(self.app))
        self.gaps.last_event_at = time.monotonic()

    async def consume(self, message: InputMessage) -> None:
        """Tag one message of the stream, after the ones the stream passed over before it."""
        gaps = self.gaps
        async with gaps.lock:
            gaps.last_event_at = time.monotonic()
            self._resume(message.topic, message.partition)
            expected = gaps.observe(message.topic, message.partition, message.offset,
                                    committed_offset(self.app, message))  # fmt: skip
            if expected is not None:
                await read_back(self.settings.kafka, message.topic, message.partition,
                                expected, message.offset, self.tag_message)  # fmt: skip
            await self.tag_message(message)
            self.positions.note(message.partition, message.offset)

    def _resume(self, topic: str, partition: int) -> None:
        """At the first look at a partition since the assignment, expect it right after the
        last offset tagged (the table is recovered by then), not at the committed offset."""
        if self.gaps.first_look(topic, partition):
            self.gaps.resume_after(topic, partition, self.positions.last(partition))

    async def read_back_tails(self) -> None:
        """Tag the raw messages past the last one seen, once the stream has been quiet."""
        app, gaps = self.app, self.gaps
        if not await worker_is_ready_now(app):  # not while rebalancing or the broker is away
            return
        async with gaps.lock:
            if time.monotonic() - gaps.last_event_at < TAIL_QUIET_SECONDS:
                return
            for where in app.consumer.assignment():
                if where.topic != self.raw_topic_name:
                    continue
                self._resume(where.topic, where.partition)
                expected = gaps.expected(where.topic, where.partition)
                log_end = app.consumer.highwater(where) or 0
                if expected is not None and log_end > expected:
                    await read_back(self.settings.kafka, where.topic, where.partition,
                                    expected, log_end, self.tag_message)  # fmt: skip
                    gaps.observe(where.topic, where.partition, log_end - 1)

    async def tag_message(self, message: InputMessage) -> None:
        """Tag and fingerprint one raw message and forward it (bad ones go to the DLQ)."""
        raw = await self._decode(message)
        if raw is None:
            return
        metrics.ITEMS_IN.labels(raw.feed_id).inc()
        started = time.perf_counter()
        try:
            # In a thread: the stage takes a few ms (the embedding), and on the event loop it
            # would hold back the fetcher and the dedup agent for as long.
            fingerprinted = await asyncio.to_thread(
                tag_stage,
                raw,
                self.taxonomy_holder.taxonomy,
                received_at=utc_now_iso(),
                languages=self.settings.worker.languages,
                neutral=self.neutral_terms,
                with_meaning=self.with_meaning,
            )
        except Exception as exc:  # a bug on one item must not stop the worker
            log.exception("tagging failed for item_id=%s", raw.item_id)
            await self.outputs.dead_letter(message, "processing_error", repr(exc))
            return
        metrics.PROCESSING_TIME.labels("tag").observe(time.perf_counter() - started)
        await self.outputs.produce(self.outputs.fingerprinted, message.key, encode(fingerprinted))

    async def _decode(self, message: InputMessage) -> RawItem | None:
        """The raw item; None once a message without key, too large or invalid is in the DLQ."""
        value: bytes = message.value or b""
        if message.key is None:
            await self.outputs.dead_letter(
                message, "missing_key", "raw message has no key (item id)"
            )
            return None
        if len(value) > MAX_RAW_MESSAGE_BYTES:
            await self.outputs.dead_letter(
                message, "too_large", f"raw message of {len(value)} bytes"
            )
            return None
        try:
            return decode_raw_item(value)
        except MessageError as exc:
            metrics.ITEMS_IN.labels("unknown").inc()
            await self.outputs.dead_letter(message, exc.reason, str(exc))
            return None
