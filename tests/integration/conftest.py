"""One real Kafka broker per test session (or TELEX_TEST_BOOTSTRAP), and factories on top.

Integration tests never skip: when no broker can be started they fail with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from streams.local.broker import describe_cluster, free_port, throwaway_broker
from streams.settings import Settings, load_settings


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A running broker's bootstrap address: TELEX_TEST_BOOTSTRAP, else a throwaway one."""
    given = os.environ.get("TELEX_TEST_BOOTSTRAP")
    if given:
        try:
            asyncio.run(describe_cluster(given, timeout=10))
        except Exception as exc:
            pytest.fail(f"TELEX_TEST_BOOTSTRAP={given} does not answer: {exc}")
        yield given
        return
    with contextlib.ExitStack() as stack:
        try:
            bootstrap = stack.enter_context(throwaway_broker(4, prefix="telex-test-kafka-"))
        except Exception as exc:
            pytest.fail(f"could not start the test Kafka broker: {exc}")
        yield bootstrap


@pytest.fixture
def settings_factory(kafka_bootstrap: str, tmp_path: Path) -> Any:
    """Settings on the test broker with a unique topic prefix, so tests never share topics."""

    def make(**overrides: Any) -> Settings:
        return make_settings(kafka_bootstrap, tmp_path, **overrides)

    return make


def make_settings(bootstrap: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings on `bootstrap` (no broker needed yet): unique topic prefix, free ports, data
    under `tmp_path`; `overrides` merge into each section."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    base: dict[str, Any] = {
        "kafka": {"bootstrap": bootstrap, "partitions": 4},
        "topics": {"prefix": prefix},
        "worker": {"app_id": f"telex-{prefix}", "store": "memory://",
                   "data_dir": str(tmp_path / "worker"), "web_port": free_port()},
        "metrics": {"port": free_port()},
        "data_dir": str(tmp_path),
    }  # fmt: skip
    for key, value in overrides.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return load_settings(None, **base)


async def consume(bootstrap: str, topic: str, *, count: int, timeout: float = 60.0) -> list[Any]:
    """Read `count` records from the start of `topic` (fails the test on timeout)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < count and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    assert len(records) >= count, f"only {len(records)} of {count} records on {topic}"
    return records


@pytest.fixture
async def drain() -> AsyncIterator[Any]:
    yield consume
