"""The faust floor: the worker's topology with none of its logic, for the worker benchmark.

Run: python -m benchmarks.faust_loop CONFIG SOURCE TARGET HOPS (until SIGTERM).

With HOPS=2 it has the worker's shape: one agent forwards SOURCE (N partitions) to a
one-partition middle topic, a second agent forwards that to TARGET. With HOPS=1 one agent
forwards SOURCE to TARGET. It runs on telex's app settings (streams.app.create_app), decodes
nothing, and forwards the fastest way found for faust here: events in batches
(``stream.take_events``, acked after each batch) and sends straight to the producer driver,
without faust's per-message futures (0.67 ms of CPU per item on one hop, against 1.2 ms for
per-event iteration and ``publish_message``, and 0.11 ms for the bare aiokafka loop: median of
3 runs of 4,000 items, 2026-11-28). So it is the ceiling of any faust worker of this shape on
this machine, measured in the same run as the worker and the bare loop.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import faust

from streams.app import create_app, run_worker
from streams.settings import load_settings

BATCH = 500
BATCH_WAIT_SECONDS = 0.005


def middle_topic(target: str) -> str:
    """The one-partition topic between the two agents (created beforehand, as the worker's are)."""
    return f"{target}-middle"


def build_app(config: Path, source: str, target: str, hops: int) -> faust.App:
    """The pass-through app: `hops` agents in a row from `source` to `target`."""
    app = create_app(load_settings(config), worker_id="faust-loop")
    inputs = [source, middle_topic(target)][:hops]
    outputs = [*inputs[1:], target]
    for index, (from_name, to_name) in enumerate(zip(inputs, outputs, strict=True)):
        partitions = None if index == 0 else 1
        topic = app.topic(from_name, key_type=bytes, value_type=bytes, partitions=partitions)
        app.agent(topic, name=f"forward-{index}")(_forwarder(app, to_name))
    return app


def _forwarder(app: faust.App, target: str) -> Callable[[Any], AsyncIterator[None]]:
    async def forward(stream: Any) -> AsyncIterator[None]:  # faust's StreamT lacks take_events
        async for events in stream.take_events(BATCH, within=BATCH_WAIT_SECONDS):
            for event in events:
                await app.producer.send(target, event.message.key, event.message.value,
                                        partition=None, timestamp=None, headers=None)  # fmt: skip
            yield None

    return forward


if __name__ == "__main__":
    config, source, target, hops = sys.argv[1:5]
    run_worker(build_app(Path(config), source, target, int(hops)), "warning")
