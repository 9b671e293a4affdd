"""What the two faust agents' unit tests share: a recording stand-in for the producer and a
stand-in for the broker reads of the read-back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from faust.topics import Topic

from agents.readback import InputMessage
from streams.settings import KafkaSettings


@dataclass(frozen=True)
class Sent:
    """One message handed to the producer."""

    topic: str
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Record:
    """A message as read back from the broker (agents.readback.InputMessage)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class BrokerLog:
    """Stands in for the broker reads of agents.readback.read_back: the ranges asked for, and
    the records handed out (a range with no record fails the test, it never waits)."""

    records: dict[int, Record] = field(default_factory=dict)
    asked: list[tuple[str, int, int, int]] = field(default_factory=list)

    async def read_back(
        self,
        kafka: KafkaSettings,
        topic: str,
        partition: int,
        start: int,
        end: int,
        handle: Callable[[InputMessage], Awaitable[None]],
    ) -> None:
        self.asked.append((topic, partition, start, end))
        for offset in range(start, end):
            await handle(self.records[offset])


def record_sends(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """Every message the agents hand to the producer (agents.outputs.Outputs.produce), in order,
    instead of sending it."""
    messages: list[Sent] = []

    async def publish_message(self: Topic, fut: Any, wait: bool = False) -> asyncio.Future[None]:
        messages.append(Sent(self.get_topic_name(), fut.message.key, fut.message.value))
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivery.set_result(None)
        return delivery

    monkeypatch.setattr(Topic, "publish_message", publish_message)
    return messages
