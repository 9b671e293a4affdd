"""Waiting for the broker (streams.kafka): the backoff schedule, what a failed connection means,
and the wait itself against scripted probes and small loopback servers."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)

from streams.errors import BrokerError
from streams.kafka import (
    MAX_STEP_FAILURES,
    Backoff,
    Unreachable,
    probe_server,
    unreachable,
    with_broker,
)
from streams.local.broker import free_port
from streams.settings import KafkaSettings

FAST = Backoff(base=0.01, cap=0.02)
KAFKA = KafkaSettings(bootstrap="127.0.0.1:9092")
REFUSED = Unreachable("127.0.0.1:9092", "connection refused")
UNKNOWN = Unreachable("kafka.invalid:9092", "unknown host kafka.invalid", final=True,
                      hint="check kafka.bootstrap")  # fmt: skip


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        (1, 0.8, 1.0),
        (2, 1.6, 2.0),
        (3, 3.2, 4.0),
        (4, 6.4, 8.0),
        (5, 8.0, 10.0),  # 16 s capped at 10, jitter below it
        (40, 8.0, 10.0),
        (10**6, 8.0, 10.0),  # no overflow however long the outage
        (0, 0.8, 1.0),  # attempts count from 1
    ],
)
def test_backoff_is_capped_exponential_with_jitter_below_the_ceiling(
    attempt: int, low: float, high: float
) -> None:
    rng = random.Random(attempt)
    delays = [Backoff().delay(attempt, rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert max(delays) - min(delays) > (high - low) / 2  # jitter spreads, not a constant


def test_backoff_same_seed_same_schedule_other_seeds_spread() -> None:
    def schedule(seed: int) -> list[float]:
        rng = random.Random(seed)
        return [Backoff().delay(attempt, rng) for attempt in range(1, 8)]

    assert schedule(1) == schedule(1)
    third_attempts = {round(schedule(seed)[2], 3) for seed in range(50)}
    assert len(third_attempts) > 40  # 50 processes restarted together do not retry in step


def test_backoff_grows_until_the_cap() -> None:
    no_jitter = Backoff(base=0.5, cap=6.0, jitter=0.0)
    rng = random.Random(0)
    assert [no_jitter.delay(n, rng) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0]


def _cut_off(cause: BaseException) -> KafkaConnectionError:
    error = KafkaConnectionError("Connection at 127.0.0.1:9092 closed")
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "final", "reason"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), False, "connection refused"),
        (TimeoutError(), False, "no answer in time"),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), False,
         "Temporary failure"),
        (_cut_off(asyncio.IncompleteReadError(b"", 4)), False, "closed"),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), True,
         "unknown host kafka.example"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), True,
         "TLS handshake failed"),
        (_cut_off(ssl.SSLError(1, "sslv3 alert bad certificate")), True, "TLS handshake failed"),
        (SaslAuthenticationFailed("invalid credentials"), True, "credentials refused"),
        # A TLS listener's alert read as a frame size: 0x15 0x03 0x03 0x00
        (_cut_off(asyncio.IncompleteReadError(b"\x02\x02\x28", 0x15030300)), True,
         "answered with TLS"),
    ],
)  # fmt: skip
def test_what_a_failed_connection_means(error: BaseException, final: bool, reason: str) -> None:
    failure = unreachable("kafka.example:9092", error, "SASL_SSL")
    assert failure.final is final
    assert reason in failure.reason
    assert failure.server == "kafka.example:9092"
    assert bool(failure.hint) is final


class ScriptedProbe:
    """A probe answering from a script (the last entry repeats); counts its calls."""

    def __init__(self, *answers: list[Unreachable]) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, kafka: KafkaSettings, timeout: float) -> list[Unreachable]:
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


def _step(*outcomes: BaseException | str) -> Callable[[], Awaitable[str]]:
    """A step raising or returning each outcome in turn (the last one repeats)."""
    calls = iter([*outcomes[:-1], *[outcomes[-1]] * 100])

    async def step() -> str:
        outcome = next(calls)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return step


async def test_waits_until_the_broker_answers_then_runs_the_step(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="streams.kafka")
    probe = ScriptedProbe([REFUSED], [REFUSED], [REFUSED], [])
    result = await with_broker(KAFKA, _step("connected"), backoff=FAST, probe=probe)
    assert result == "connected"
    assert probe.calls == 4
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(lines) == 3  # one line per attempt that failed
    for attempt, line in enumerate(lines, start=1):
        assert line.startswith(f"broker 127.0.0.1:9092 not reachable yet (attempt {attempt}, ")
        assert "next try in 0.0 s): connection refused" in line
    assert "answered after 4 attempts" in caplog.text


async def test_unknown_host_ends_at_once_in_one_line() -> None:
    probe = ScriptedProbe([UNKNOWN])
    with pytest.raises(BrokerError) as raised:
        await with_broker(KAFKA, _step("never"), timeout=None, backoff=FAST, probe=probe)
    assert probe.calls == 1
    message = str(raised.value)
    assert "\n" not in message
    assert message == (
        "cannot connect to Kafka at 127.0.0.1:9092 over PLAINTEXT: unknown host kafka.invalid; "
        "check kafka.bootstrap"
    )


async def test_one_server_unknown_another_refusing_keeps_waiting() -> None:
    probe = ScriptedProbe([UNKNOWN, REFUSED], [])
    assert await with_broker(KAFKA, _step("ok"), backoff=FAST, probe=probe) == "ok"
    assert probe.calls == 2


async def test_a_bounded_wait_ends_in_one_line_naming_the_address() -> None:
    probe = ScriptedProbe([REFUSED])
    started = time.monotonic()
    with pytest.raises(BrokerError) as raised:
        await with_broker(KAFKA, _step("never"), timeout=0.3, backoff=FAST, probe=probe)
    assert time.monotonic() - started < 2.0
    message = str(raised.value)
    assert message.startswith("no Kafka broker answered at 127.0.0.1:9092 within 0.3 s (")
    assert "last: connection refused); is the broker running" in message
    assert probe.calls > 3


async def test_a_step_losing_the_broker_waits_again() -> None:
    lost = KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")
    probe = ScriptedProbe([])
    result = await with_broker(KAFKA, _step(lost, lost, "ok"), backoff=FAST, probe=probe)
    assert result == "ok"
    assert probe.calls == 3


async def test_a_step_failing_otherwise_is_not_retried() -> None:
    probe = ScriptedProbe([])
    with pytest.raises(TopicAuthorizationFailedError):
        await with_broker(KAFKA, _step(TopicAuthorizationFailedError()), probe=probe)
    assert probe.calls == 1


async def test_a_broker_answering_probes_but_never_the_step_is_given_up() -> None:
    probe = ScriptedProbe([])
    lost = KafkaConnectionError("Connection at 10.0.0.7:9092 closed")
    with pytest.raises(BrokerError, match="advertised listeners") as raised:
        await with_broker(KAFKA, _step(lost), backoff=FAST, probe=probe)
    assert probe.calls == MAX_STEP_FAILURES
    assert f"failed {MAX_STEP_FAILURES} times in a row" in str(raised.value)


@asynccontextmanager
async def _server(answer: bytes) -> AsyncIterator[str]:
    """A loopback server writing `answer` to each connection, then closing it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(64)
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def test_probe_of_a_closed_port_is_worth_retrying() -> None:
    server = f"127.0.0.1:{free_port()}"
    failure = await probe_server(server, KafkaSettings(bootstrap=server), timeout=2)
    assert failure == Unreachable(server, "connection refused")


async def test_probe_of_a_tls_listener_over_plaintext_is_final() -> None:
    async with _server(b"\x15\x03\x03\x00\x02\x02\x28") as server:  # a TLS alert
        failure = await probe_server(server, KafkaSettings(bootstrap=server), timeout=2)
    assert failure is not None and failure.final
    assert "answered with TLS" in failure.reason
    assert "SSL or SASL_SSL" in failure.hint


async def test_probe_of_a_server_hanging_up_is_worth_retrying() -> None:
    async with _server(b"") as server:
        failure = await probe_server(server, KafkaSettings(bootstrap=server), timeout=2)
    assert failure is not None and not failure.final
