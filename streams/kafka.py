"""The Kafka seam: client options (security included) and the producer every stage uses."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import ConsumerRecord

from streams.errors import BrokerError
from streams.settings import KafkaSettings

_HINTS = {
    "PLAINTEXT": "is the broker running and is this its PLAINTEXT listener?",
    "SSL": "check kafka.ssl_cafile, and kafka.ssl_certfile/ssl_keyfile if the broker "
    "requires client certificates (mTLS)",
    "SASL_PLAINTEXT": "check kafka.sasl_username, sasl_password and sasl_mechanism",
    "SASL_SSL": "check kafka.sasl_username, sasl_password, sasl_mechanism and ssl_cafile",
}


def client_options(kafka: KafkaSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for the configured cluster and security protocol."""
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap,
        "security_protocol": kafka.security_protocol,
    }
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl_context(kafka)
    if kafka.security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = kafka.sasl_mechanism or "PLAIN"
        options["sasl_plain_username"] = kafka.sasl_username
        if kafka.sasl_password is not None:
            options["sasl_plain_password"] = kafka.sasl_password.get_secret_value()
    return options


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext:
    """TLS context from the configured CA and (for mTLS) client certificate files."""
    context = ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)
    if kafka.ssl_certfile:
        password = kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None
        context.load_cert_chain(
            str(kafka.ssl_certfile),
            str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None,
            password=password,
        )
    return context


def reliable_producer(kafka: KafkaSettings, **overrides: Any) -> AIOKafkaProducer:
    """Idempotent producer, acks=all, small linger so sends batch without awaiting each one."""
    options: dict[str, Any] = {
        **client_options(kafka),
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "compression_type": None,
        "max_request_size": 8 * 1024 * 1024,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def start_client(client: AIOKafkaProducer | AIOKafkaConsumer, kafka: KafkaSettings) -> None:
    """Start an aiokafka client; a failed bootstrap raises BrokerError with its cause and a hint.

    aiokafka only logs why a bootstrap failed (bad password, certificate refused), so one direct
    connection is made to find the cause. The message never contains the password.
    """
    try:
        await client.start()
    except KafkaConnectionError:
        await client.stop()
        cause = await connection_failure_cause(kafka)
        raise BrokerError(
            f"cannot connect to Kafka at {kafka.bootstrap} over {kafka.security_protocol}: "
            f"{cause}; {_HINTS[kafka.security_protocol]}"
        ) from None


async def connection_failure_cause(kafka: KafkaSettings, timeout: float = 10.0) -> str:
    """Why one connection to the first bootstrap server fails (empty reason if it does not)."""
    options = client_options(kafka)
    del options["bootstrap_servers"]
    host, _, port = kafka.bootstrap.split(",")[0].strip().rpartition(":")
    try:
        conn = await create_conn(host, int(port), request_timeout_ms=int(timeout * 1000), **options)
    except Exception as exc:  # the cause is whatever the connection raises: report it
        return str(exc) or type(exc).__name__
    conn.close()
    return "the bootstrap failed although a direct connection succeeded"


async def broker_reachable(client: AIOKafkaClient, timeout: float = 2.0) -> bool:
    """Whether some broker of the cluster is connected, or accepts a connection now.

    For /readyz: a started client keeps its metadata while the brokers are away, so "started"
    alone would report ready through an outage; aiokafka reconnects by itself either way.
    """
    try:
        async with asyncio.timeout(timeout):
            for broker in client.cluster.brokers():
                if await client.ready(broker.nodeId):
                    return True
    except TimeoutError:
        pass
    return False


async def read_range(
    kafka: KafkaSettings, topic: str, partition: int, start: int, end: int, *, stall: float = 30.0
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """The messages at offsets [start, end) of one partition, in order, outside any group.

    Offsets already removed by retention are passed over. Raises BrokerError when no message
    arrives for `stall` seconds before `end` is reached.
    """
    consumer = AIOKafkaConsumer(
        **client_options(kafka), group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await start_client(consumer, kafka)
    try:
        where = TopicPartition(topic, partition)
        consumer.assign([where])
        consumer.seek(where, start)
        while await consumer.position(where) < end:
            batch = await consumer.getmany(where, timeout_ms=int(stall * 1000))
            if not batch:
                raise BrokerError(
                    f"no message from {topic}[{partition}] for {stall:.0f} s while reading "
                    f"offsets {start}..{end - 1}; is the broker up?"
                )
            for record in batch[where]:
                if record.offset >= end:
                    return
                yield record
    finally:
        await consumer.stop()
