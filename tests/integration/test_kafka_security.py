"""SASL_SSL (SCRAM-SHA-512) and mutual TLS on a real broker, through telex's own client code."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiokafka import AIOKafkaConsumer

from schemas.models import RawItem, decode_enriched_item, encode
from streams.errors import BrokerError
from streams.kafka import client_options, reliable_producer, start_client, with_broker
from streams.local.broker import BrokerConfig, LocalBroker, free_port
from streams.local.broker_security import (
    ScramUser,
    TlsFiles,
    generate_tls_files,
    secure_broker_config,
)
from streams.poll.service import run_poller
from streams.settings import KafkaSettings, Settings, load_settings
from streams.topics import TopicNames, ensure_topics

from .processes import stop_process

pytestmark = pytest.mark.integration

USER = "telex"


@dataclass(frozen=True)
class SecureBroker:
    """The running test broker: its three addresses, the TLS files and the SCRAM password."""

    plaintext: str
    sasl_ssl: str
    mtls: str
    tls: TlsFiles
    password: str


@pytest.fixture(scope="module")
def secure_broker() -> Iterator[SecureBroker]:
    """A broker with PLAINTEXT, SASL_SSL (SCRAM-SHA-512 user ``telex``) and SSL (mTLS)."""
    root = Path(tempfile.mkdtemp(prefix="telex-test-secure-kafka-"))
    tls = generate_tls_files(root / "tls")
    password = secrets.token_urlsafe(18)
    base = BrokerConfig(
        data_dir=root / "kafka", port=free_port(), controller_port=free_port(), partitions=2
    )
    config = secure_broker_config(
        base, tls, [ScramUser(USER, password)], sasl_ssl_port=free_port(), mtls_port=free_port()
    )
    broker = LocalBroker(config)
    try:
        broker.start()
        asyncio.run(broker.wait_ready(timeout=120))
        sasl, mtls = (listener.bootstrap for listener in config.extra_listeners)
        yield SecureBroker(
            plaintext=base.bootstrap, sasl_ssl=sasl, mtls=mtls, tls=tls, password=password
        )
    finally:
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


def sasl_settings(broker: SecureBroker, password: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap=broker.sasl_ssl,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=USER,
        sasl_password=password,  # type: ignore[arg-type]  # pydantic wraps it in SecretStr
        ssl_cafile=broker.tls.ca_cert,
    )


def mtls_settings(broker: SecureBroker, *, with_client_cert: bool = True) -> KafkaSettings:
    cert = broker.tls if with_client_cert else None
    return KafkaSettings(
        bootstrap=broker.mtls,
        security_protocol="SSL",
        ssl_cafile=broker.tls.ca_cert,
        ssl_certfile=cert.client_cert if cert else None,
        ssl_keyfile=cert.client_key if cert else None,
    )


async def round_trip(kafka: KafkaSettings) -> list[bytes]:
    """Send three records with reliable_producer, read them back with a client_options consumer."""
    topic = f"secure-{uuid.uuid4().hex[:8]}"
    sent = [f"item {n}".encode() for n in range(3)]
    await send(kafka, topic, sent)
    return await receive(kafka, topic, count=len(sent))


async def send(kafka: KafkaSettings, topic: str, values: list[bytes]) -> None:
    producer = reliable_producer(kafka)
    await start_client(producer, kafka)
    try:
        for value in values:
            await producer.send(topic, key=b"k", value=value)
        await producer.flush()
    finally:
        await producer.stop()


async def receive(kafka: KafkaSettings, topic: str, *, count: int, polls: int = 20) -> list[bytes]:
    """Up to ``count`` values from the start of ``topic``, polling at most ``polls`` times."""
    consumer = AIOKafkaConsumer(
        topic, group_id=None, auto_offset_reset="earliest", **client_options(kafka)
    )
    await start_client(consumer, kafka)
    received: list[bytes] = []
    try:
        for _ in range(polls):
            batches = await consumer.getmany(timeout_ms=500)
            received += [record.value for batch in batches.values() for record in batch]
            if len(received) >= count:
                break
    finally:
        await consumer.stop()
    return received


async def test_sasl_ssl_scram_round_trip(secure_broker: SecureBroker) -> None:
    received = await round_trip(sasl_settings(secure_broker, secure_broker.password))
    assert received == [b"item 0", b"item 1", b"item 2"]


async def test_mtls_round_trip_with_client_certificate(secure_broker: SecureBroker) -> None:
    received = await round_trip(mtls_settings(secure_broker))
    assert received == [b"item 0", b"item 1", b"item 2"]


async def test_wrong_password_fails_naming_the_cause_not_the_password(
    secure_broker: SecureBroker,
) -> None:
    wrong = "not-" + secure_broker.password
    kafka = sasl_settings(secure_broker, wrong)
    producer = reliable_producer(kafka)
    with pytest.raises(BrokerError, match=r"SaslAuthenticationFailed.*invalid credentials") as info:
        await start_client(producer, kafka)
    assert "sasl_password" in str(info.value)
    assert wrong not in str(info.value)


async def test_missing_client_certificate_is_refused(secure_broker: SecureBroker) -> None:
    kafka = mtls_settings(secure_broker, with_client_cert=False)
    producer = reliable_producer(kafka)
    with pytest.raises(BrokerError, match=r"over SSL: .*closed.*ssl_certfile"):
        await start_client(producer, kafka)


def _wrong_ca(broker: SecureBroker, tmp_path: Path) -> KafkaSettings:
    other = generate_tls_files(tmp_path / "other-ca")
    return mtls_settings(broker).model_copy(update={"ssl_cafile": other.ca_cert})


def _tls_to_plaintext(broker: SecureBroker, tmp_path: Path) -> KafkaSettings:
    return KafkaSettings(
        bootstrap=broker.plaintext, security_protocol="SSL", ssl_cafile=broker.tls.ca_cert
    )


# What no wait can fix: the start of a broker wait ends at once with the cause in one line.
CANNOT_WORK: dict[str, tuple[Callable[[SecureBroker, Path], KafkaSettings], str, str]] = {
    "certificate from another CA": (_wrong_ca, "TLS handshake failed", "ssl_cafile"),
    "no client certificate (mTLS)": (
        lambda broker, _: mtls_settings(broker, with_client_cert=False),
        "TLS handshake failed", "ssl_certfile",
    ),
    "TLS to the PLAINTEXT listener": (
        _tls_to_plaintext, "it speaks Kafka without TLS", "PLAINTEXT or SASL_PLAINTEXT"
    ),
    "PLAINTEXT to a TLS listener": (
        lambda broker, _: KafkaSettings(bootstrap=broker.mtls),
        "it answered with TLS", "SSL or SASL_SSL",
    ),
    "wrong SCRAM password": (
        lambda broker, _: sasl_settings(broker, "not-" + broker.password),
        "credentials refused", "sasl_password",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CANNOT_WORK))
async def test_broker_wait_ends_at_once_when_it_cannot_work(
    secure_broker: SecureBroker, tmp_path: Path, case: str
) -> None:
    settings_of, reason, hint = CANNOT_WORK[case]
    kafka = settings_of(secure_broker, tmp_path)
    steps: list[str] = []

    async def step() -> None:
        steps.append("ran")

    started = time.monotonic()
    with pytest.raises(BrokerError) as raised:
        await with_broker(kafka, step, timeout=60)
    elapsed = time.monotonic() - started
    message = str(raised.value)
    print(f"{case}: {elapsed:.2f} s: {message}")
    assert elapsed < 10, "a retry loop instead of an immediate end"
    assert steps == []
    assert "\n" not in message
    assert message.startswith(f"cannot connect to Kafka at {kafka.bootstrap} over ")
    assert reason in message and hint in message
    assert secure_broker.password not in message


async def test_sasl_settings_from_environment_never_show_the_password(
    secure_broker: SecureBroker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    environment = {
        "TELEX_KAFKA_BOOTSTRAP": secure_broker.sasl_ssl,
        "TELEX_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "TELEX_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "TELEX_KAFKA_SASL_USERNAME": USER,
        "TELEX_KAFKA_SASL_PASSWORD": secure_broker.password,
        "TELEX_KAFKA_SSL_CAFILE": str(secure_broker.tls.ca_cert),
        "TELEX_KAFKA_PARTITIONS": "2",
        "TELEX_TOPICS_PREFIX": f"t{uuid.uuid4().hex[:8]}",
        "TELEX_METRICS_PORT": str(free_port()),
        "TELEX_DATA_DIR": str(tmp_path),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    settings = load_settings(None)
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == secure_broker.password

    pages = await poller_pages(settings)

    assert pages["/readyz"].startswith("200"), pages["/readyz"]
    assert "telex_poller" in pages["/metrics"]
    for shown in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        caplog.text,
        *pages.values(),
    ):
        assert secure_broker.password not in shown


async def poller_pages(settings: Any, timeout: float = 30.0) -> dict[str, str]:
    """Run the poller (no feeds) until it is ready on Kafka; return its three HTTP pages."""
    poller = asyncio.create_task(run_poller(settings))
    base = f"http://{settings.metrics.host}:{settings.metrics.port}"
    pages: dict[str, str] = {}
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(int(timeout / 0.25)):
                assert not poller.done(), poller.exception()
                pages = {path: await fetch(session, base + path) for path in _PAGES}
                if pages["/readyz"].startswith("200"):
                    break
                await asyncio.sleep(0.25)
    finally:
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
    return pages


_PAGES = ("/metrics", "/healthz", "/readyz")


async def fetch(session: aiohttp.ClientSession, url: str) -> str:
    """'<status> <body>', or '000 <error>' while the server is not up yet."""
    try:
        async with session.get(url) as response:
            return f"{response.status} {await response.text()}"
    except aiohttp.ClientConnectionError as exc:
        return f"000 {exc}"


async def test_faust_worker_enriches_over_sasl_ssl(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    kafka = sasl_settings(secure_broker, secure_broker.password).model_dump()
    settings = load_settings(
        None,
        kafka={**kafka, "partitions": 2},
        topics={"prefix": f"t{uuid.uuid4().hex[:8]}"},
        worker={"app_id": f"telex-sec-{uuid.uuid4().hex[:6]}", "store": "memory://",
                "data_dir": str(tmp_path / "worker"), "web_port": free_port()},
        metrics={"port": free_port()},
        data_dir=str(tmp_path),
    )  # fmt: skip
    names = TopicNames.from_settings(settings)
    await ensure_topics(settings, ["diplomacy"])
    item = RawItem(event_id="ev-sec-1", item_id="sec:1", revision=1, feed_id="sec",
                   feed_url="http://127.0.0.1/sec", source_format="rss",
                   title="Le ministre des Affaires étrangères reçoit son homologue allemand",
                   summary="Entretien diplomatique à Paris sur le traité.", language="fr",
                   fetched="2024-12-04T09:00:00Z", content_hash="hash-sec-1")  # fmt: skip
    await send(settings.kafka, names.raw, [encode(item)])

    log = tmp_path / "worker.log"
    worker = start_worker(settings, secure_broker.password, log)
    try:
        enriched = await receive(settings.kafka, names.enriched, count=1, polls=120)
        assert worker.poll() is None, log.read_text()[-2000:]
        base = f"http://{settings.worker.web_host}:{settings.worker.web_port}"
        async with aiohttp.ClientSession() as session:
            pages = [await fetch(session, base + path) for path in _PAGES]
    finally:
        stop_process(worker)

    assert [decode_enriched_item(value).event_id for value in enriched] == ["ev-sec-1"]
    assert pages[0].startswith("200") and "telex_worker_enriched" in pages[0], pages[0][:300]
    for shown in (log.read_text(), *pages):
        assert secure_broker.password not in shown
        assert item.title not in shown  # pages and logs carry counts, never item content


def start_worker(settings: Settings, password: str, log: Path) -> subprocess.Popen[bytes]:
    """`telex worker` with the settings in a file but the password only in its environment."""
    values = settings.model_dump(mode="json")
    del values["kafka"]["sasl_password"]  # dumped as '**********': the worker reads the env
    config = log.with_name("telex.yaml")
    config.write_text(yaml.safe_dump(values))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEX_")}
    env["TELEX_KAFKA_SASL_PASSWORD"] = password
    command = [sys.executable, "-m", "streams.cli", "--config", str(config), "worker"]
    with open(log, "ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
