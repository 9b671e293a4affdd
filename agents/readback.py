"""Reading back from the broker the messages faust's stream passed over.

faust's stream passes over messages around some rebalances and acks them unprocessed. Each
agent notices the hole at its next message and reads it back (``read_back``) before that
message; a hole at the end of a partition has no next message, so each agent also runs a timer
that checks its partitions' tails after a quiet spell (``TAIL_QUIET_SECONDS``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import faust
from faust.exceptions import PartitionsMismatch
from faust.types import TP

from streams import metrics
from streams.kafka import read_range
from streams.settings import KafkaSettings

log = logging.getLogger(__name__)

# A stream delivered nothing for this long (since its last event or assignment) while its
# partition has messages past the last one seen: they were passed over at its end
# (read_back_raw_tails, reveal_dedup_tail). The dedup check runs again after the retry time if
# the copy that reveals them is passed over too.
TAIL_QUIET_SECONDS = 10.0


class InputMessage(Protocol):
    """What both a faust message and an aiokafka record offer."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class OffsetGaps:
    """Forward jumps of the consumed offsets within one assignment.

    telex's topics are neither compacted nor transactional, so their offsets have no holes: an
    event whose offset is past the next expected one means messages were passed over (or come
    later, out of order), which faust does around rebalances (faust-streaming issues #216,
    #221, #606); the tag agent reads such holes back from the broker. A message that does come
    later is then tagged twice, and the dedup stage drops the repeat. Backward jumps are
    redeliveries (a seek to the committed offset) and fine.
    """

    _next: dict[tuple[str, int], int] = field(default_factory=dict)
    # Partitions looked at since the assignment (see `first_look`).
    _looked_at: set[tuple[str, int]] = field(default_factory=set)
    # The tag agent and the tail timer both tag: one at a time.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_event_at: float = field(default_factory=time.monotonic)

    def expected(self, topic: str, partition: int) -> int | None:
        """The next offset expected from the partition (None before anything is known)."""
        return self._next.get((topic, partition))

    def reset(self, committed: Mapping[Any, int | None]) -> None:
        """New assignment: each partition resumes at its committed offset (when known)."""
        self._next = {(tp.topic, tp.partition): at for tp, at in committed.items() if at}
        self._looked_at.clear()

    def first_look(self, topic: str, partition: int) -> bool:
        """True once per partition and assignment: the time to `resume_after` what was done."""
        if (topic, partition) in self._looked_at:
            return False
        self._looked_at.add((topic, partition))
        return True

    def resume_after(self, topic: str, partition: int, last_done: int | None) -> None:
        """Expect the partition right after the last offset known to be processed, when known.

        faust can commit past messages it never delivered (a new assignment's stream skipping
        its first messages after the commit): the committed offset then hides them, the last
        offset actually processed does not. If that one is behind the committed offset, the
        messages in between are read back; some may be repeats, which the dedup stage drops.
        """
        if last_done is not None:
            self._next[(topic, partition)] = last_done + 1

    def observe(
        self, topic: str, partition: int, offset: int, committed: int | None = None
    ) -> int | None:
        """Record one consumed offset; the first offset passed over before it, if any.

        `committed` is the partition's committed offset as the consumer knows it now: what the
        first event of an assignment is expected at, when the assignment did not say.
        """
        expected = self._next.get((topic, partition), committed or None)
        self._next[(topic, partition)] = offset + 1
        return expected if expected is not None and offset > expected else None


def committed_offsets(app: faust.App) -> Mapping[TP, int | None]:
    """The consumer's committed offsets by partition, as faust knows them now.

    faust's view, refreshed when it seeks the new assignment to the committed offsets.
    """
    return cast("Mapping[TP, int | None]", getattr(app.consumer, "_committed_offset", {}))


def committed_offset(app: faust.App, message: InputMessage) -> int | None:
    """The committed offset of the message's partition, as faust knows it now."""
    return committed_offsets(app).get(TP(message.topic, message.partition))


async def read_back(
    kafka: KafkaSettings,
    topic: str,
    partition: int,
    start: int,
    end: int,
    handle: Callable[[InputMessage], Awaitable[None]],
) -> None:
    """Handle the messages at [start, end) of a partition, read from the broker directly.

    faust's stream passes over messages around some rebalances (it resumes the flow before
    seeking to the committed offsets, faust-streaming #216, and after such a seek it skipped
    the next message in tests) and acks them unprocessed; each agent notices the hole at the
    next message and reads it back itself, in order, before that message.
    """
    log.warning("stream passed over offsets %d..%d of %s[%d]; reading them from the broker",
                start, end - 1, topic, partition)  # fmt: skip
    async for record in read_range(kafka, topic, partition, start, end):
        metrics.READ_BACK.labels(topic).inc()
        await handle(record)


class RawPositions:
    """The last raw offset tagged, per raw partition, in a changelogged faust table.

    Each write goes to the changelog partition of the raw message being tagged (faust writes a
    table change to its current event's partition), so the table is partitioned like the raw
    topic and moves with it: the next owner of a raw partition recovers where its previous
    owner really was, which the committed offset does not say when faust committed past
    messages its stream never delivered. One table write per raw message; written only from
    the agent's stream (a table write needs faust's current event), so a tail read back by the
    timer is noted at the partition's next event.
    """

    def __init__(self, table: Any) -> None:
        self._table = table
        self._off = False

    def last(self, partition: int) -> int | None:
        """The last offset of the raw partition tagged by any worker, if known."""
        if self._off:
            return None
        value = self._table.get(_position_key(partition))
        return None if value is None else int(value)

    def note(self, partition: int, offset: int) -> None:
        if self._off:
            return
        try:
            self._table[_position_key(partition)] = str(offset).encode()
        except PartitionsMismatch as exc:
            # Raw partitions added while this worker runs: tagging goes on, and the committed
            # offset stands in for the positions until a restart adds changelog partitions
            # (streams.topics.align_partitions).
            self._off = True
            log.warning("raw positions off until the worker restarts: %s", exc)


def _position_key(partition: int) -> bytes:
    return f"raw:{partition}".encode()
