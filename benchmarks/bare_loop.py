"""The baseline consumer: a bare aiokafka consume -> produce loop, no decoding at all.

Run: python -m benchmarks.bare_loop BOOTSTRAP IN_TOPIC OUT_TOPIC (until SIGTERM).
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def forward(bootstrap: str, source: str, target: str) -> None:
    """Copy every record of `source` to `target` with its key, until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id="bare-loop",
                                auto_offset_reset="earliest")  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await consumer.start()
    await producer.start()
    print("ready", flush=True)
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            sends = [
                await producer.send(target, key=record.key, value=record.value)
                for records in batches.values()
                for record in records
            ]
            await asyncio.gather(*sends)
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(forward(*sys.argv[1:4]))
