"""The Kafka seam: client options (security included), the producer every stage uses, and
waiting for a broker to answer."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.structs import ConsumerRecord

from streams.errors import BrokerError
from streams.settings import KafkaSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
Client = TypeVar("Client", AIOKafkaProducer, AIOKafkaConsumer)

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


async def started(client: Client) -> Client:
    """`client`, started; stopped again (no task left behind) when starting fails."""
    try:
        await client.start()
    except BaseException:
        await client.stop()
        raise
    return client


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


# Waiting for a broker: a process started before its broker (or during an outage) waits for it
# instead of dying on aiokafka's "Unable to bootstrap"; what no wait can fix ends it at once.

PROBE_TIMEOUT = 5.0  # seconds one bootstrap server has to answer a probe
MAX_STEP_FAILURES = 10  # the broker answered, then the step lost it this many times in a row
_UNKNOWN_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
_REFUSED_CREDENTIALS = (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    IllegalSaslStateError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)


@dataclass(frozen=True)
class Backoff:
    """Capped exponential delays with jitter, in seconds.

    Attempt n waits min(cap, base * 2**(n-1)) times a random factor in [1 - jitter, 1]: processes
    restarted together do not retry in step, and (unlike the feeds' full jitter in
    streams.poll.schedule) a delay never shrinks to nothing, so "next try in" means something.
    """

    base: float = 1.0
    cap: float = 10.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> float:
        exponent = min(max(attempt, 1) - 1, 60)  # 2**60 s is past any cap: no float overflow
        return min(self.cap, self.base * 2.0**exponent) * rng.uniform(1.0 - self.jitter, 1.0)


BROKER_BACKOFF = Backoff()


@dataclass(frozen=True)
class Unreachable:
    """Why one bootstrap server did not answer; `final` when waiting cannot change it."""

    server: str
    reason: str
    final: bool = False
    hint: str = ""


def unreachable(server: str, exc: BaseException, protocol: str = "PLAINTEXT") -> Unreachable:
    """What a failed connection to `server` means: try again later, or give up (final)."""
    host = server.rpartition(":")[0]
    cause = exc.__cause__
    if isinstance(exc, socket.gaierror) and exc.errno in _UNKNOWN_HOST:
        reason = f"unknown host {host} ({exc.strerror})"
        return Unreachable(server, reason, final=True, hint="check kafka.bootstrap")
    if isinstance(exc, _REFUSED_CREDENTIALS):
        reason = f"credentials refused: {exc}"
        return Unreachable(server, reason, final=True, hint=_HINTS[protocol])
    for error in (exc, cause):
        if isinstance(error, ssl.SSLError):
            reason = f"TLS handshake failed: {error}"
            return Unreachable(server, reason, final=True, hint=_HINTS[protocol])
    if isinstance(cause, asyncio.IncompleteReadError) and _tls_record_header(cause.expected):
        reason = "it answered with TLS, not plain Kafka"
        hint = "set kafka.security_protocol to SSL or SASL_SSL"
        return Unreachable(server, reason, final=True, hint=hint)
    if isinstance(exc, ConnectionRefusedError):
        return Unreachable(server, "connection refused")
    if isinstance(exc, TimeoutError):
        return Unreachable(server, "no answer in time")
    return Unreachable(server, str(exc) or type(exc).__name__)


def _tls_record_header(size: int | None) -> bool:
    """Whether a Kafka frame size is really the start of a TLS record (type 20-23, version 3.x).

    A TLS listener answers a plain request with an alert: its first 4 bytes, read as a frame
    size, ask for some 350 MB, which no metadata answer ever is.
    """
    return size is not None and 0x14 <= size >> 24 <= 0x17 and (size >> 16) & 0xFF == 0x03


async def probe_server(server: str, kafka: KafkaSettings, timeout: float) -> Unreachable | None:
    """One connection to one bootstrap server and a metadata request; None when it answered."""
    options = client_options(kafka)
    del options["bootstrap_servers"]
    host, _, port = server.rpartition(":")
    try:
        async with asyncio.timeout(timeout):
            conn = await create_conn(host, int(port), request_timeout_ms=int(timeout * 1000),
                                     **options)  # fmt: skip
            try:
                metadata = await conn.send(MetadataRequest([]))
            finally:
                conn.close()
    except Exception as exc:  # whatever the connection raises is the reason: classify it
        failure = unreachable(server, exc, kafka.security_protocol)
        # A TLS client reset or cut off right after connecting may have met a plain listener.
        cut_off = isinstance(exc, ConnectionResetError | KafkaConnectionError)
        tls = kafka.security_protocol.endswith("SSL")
        if not failure.final and cut_off and tls and await _speaks_plain_kafka(host, int(port)):
            reason = "it speaks Kafka without TLS"
            hint = "set kafka.security_protocol to PLAINTEXT or SASL_PLAINTEXT, or use its TLS port"
            return Unreachable(server, reason, final=True, hint=hint)
        return failure
    if not metadata.brokers:
        return Unreachable(server, "it answered without any broker in its metadata")
    return None


async def _speaks_plain_kafka(host: str, port: int, timeout: float = 2.0) -> bool:
    """Whether `host:port` answers Kafka's version request without TLS."""
    try:
        async with asyncio.timeout(timeout):
            conn = await create_conn(host, port, request_timeout_ms=int(timeout * 1000))
    except Exception:  # refused, reset, timed out: not a plain Kafka listener (or not up)
        return False
    conn.close()
    return True


async def probe_bootstrap(kafka: KafkaSettings, timeout: float) -> list[Unreachable]:
    """Why no bootstrap server answered, one entry per server; empty when one answered."""
    failures: list[Unreachable] = []
    for server in (part.strip() for part in kafka.bootstrap.split(",")):
        failure = await probe_server(server, kafka, timeout)
        if failure is None:
            return []
        failures.append(failure)
    return failures


async def check_bootstrap(kafka: KafkaSettings, timeout: float = PROBE_TIMEOUT) -> None:
    """Raise BrokerError if no bootstrap server can ever answer (unknown host, TLS or
    credentials refused); return when one answers or may answer later."""
    _raise_if_final(kafka, await probe_bootstrap(kafka, timeout))


async def with_broker(
    kafka: KafkaSettings,
    step: Callable[[], Awaitable[T]],
    *,
    timeout: float | None = None,
    backoff: Backoff = BROKER_BACKOFF,
    probe: Callable[[KafkaSettings, float], Awaitable[list[Unreachable]]] = probe_bootstrap,
    rng: random.Random | None = None,
) -> T:
    """The result of `step()`, run once a bootstrap server answers.

    Until one does, tries again after `backoff` delays with one log line per attempt: for as
    long as it takes when `timeout` is None (a service, ended by SIGTERM), else BrokerError after
    `timeout` seconds (a one-shot command). BrokerError at once when no server can ever answer
    (unknown host, TLS or credentials refused), or when `step` loses a broker that has just
    answered MAX_STEP_FAILURES times in a row.
    """
    rng = rng or random.Random()
    started = time.monotonic()
    attempt = lost = 0
    while True:  # a service waits as long as it takes; a one-shot command until `timeout`
        attempt += 1
        left = None if timeout is None else timeout - (time.monotonic() - started)
        failures = await probe(kafka, PROBE_TIMEOUT if left is None else _clip(left))
        if failures:
            lost = 0
        else:
            try:
                result = await step()
            except Exception as exc:
                if not _connection_lost(exc):
                    raise
                lost += 1
                if lost >= MAX_STEP_FAILURES:
                    raise BrokerError(
                        f"Kafka at {kafka.bootstrap} answers, but the next request failed "
                        f"{lost} times in a row ({exc}); are the brokers' advertised "
                        "listeners reachable from here?"
                    ) from None
                failures = [Unreachable(kafka.bootstrap, f"it answered, then {exc}")]
            else:
                if attempt > 1:
                    log.info("broker %s answered after %d attempts, %.1f s", kafka.bootstrap,
                             attempt, time.monotonic() - started)  # fmt: skip
                return result
        _raise_if_final(kafka, failures)
        delay = backoff.delay(attempt, rng)
        if timeout is not None:
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                raise BrokerError(
                    f"no Kafka broker answered at {kafka.bootstrap} within {timeout:g} s "
                    f"({attempt} attempts, last: {_reasons(failures)}); "
                    f"{_HINTS[kafka.security_protocol]}"
                )
            delay = min(delay, left)
        log.warning("broker %s not reachable yet (attempt %d, next try in %.1f s): %s",
                    kafka.bootstrap, attempt, delay, _reasons(failures))  # fmt: skip
        await asyncio.sleep(delay)


def _clip(left: float) -> float:
    """A probe's timeout when `left` seconds of the wait remain (at least a tenth of a second)."""
    return max(0.1, min(PROBE_TIMEOUT, left))


def _connection_lost(exc: Exception) -> bool:
    """Whether a step failed because the broker went away (worth waiting for it again)."""
    return isinstance(exc, TimeoutError | KafkaTimeoutError) or (
        isinstance(exc, KafkaError) and bool(exc.retriable)
    )


def _reasons(failures: list[Unreachable]) -> str:
    if len(failures) == 1:
        return failures[0].reason
    return "; ".join(f"{failure.server}: {failure.reason}" for failure in failures)


def _raise_if_final(kafka: KafkaSettings, failures: list[Unreachable]) -> None:
    """BrokerError when every server failed in a way no wait can fix (none if one answered)."""
    if failures and all(failure.final for failure in failures):
        hint = failures[0].hint or _HINTS[kafka.security_protocol]
        raise BrokerError(
            f"cannot connect to Kafka at {kafka.bootstrap} over {kafka.security_protocol}: "
            f"{_reasons(failures)}; {hint}"
        )
