"""Client security options (aiokafka and Faust) and the secure test-broker configuration."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from streams.app import create_app
from streams.kafka import client_options
from streams.local.broker import BrokerConfig, server_properties
from streams.local.broker_security import (
    ScramUser,
    TlsFiles,
    add_scram_args,
    generate_tls_files,
    pem_property,
    secure_broker_config,
    subject_alt_names,
)
from streams.settings import KafkaSettings, load_settings

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return generate_tls_files(tmp_path_factory.mktemp("tls"))


def kafka_settings(protocol: str, tls: TlsFiles, **extra: Any) -> KafkaSettings:
    values: dict[str, Any] = {"bootstrap": "127.0.0.1:9094", "security_protocol": protocol}
    if "SSL" in protocol:
        values["ssl_cafile"] = tls.ca_cert
    if protocol.startswith("SASL"):
        values |= {"sasl_username": "telex", "sasl_password": PASSWORD}
    return KafkaSettings(**values | extra)


@pytest.mark.parametrize(
    ("protocol", "extra", "has_tls", "mechanism"),
    [
        ("PLAINTEXT", {}, False, None),
        ("SSL", {}, True, None),
        ("SASL_PLAINTEXT", {}, False, "PLAIN"),
        ("SASL_SSL", {"sasl_mechanism": "SCRAM-SHA-512"}, True, "SCRAM-SHA-512"),
        ("SASL_SSL", {"sasl_mechanism": "SCRAM-SHA-256"}, True, "SCRAM-SHA-256"),
    ],
)
def test_client_options_per_protocol(
    tls: TlsFiles, protocol: str, extra: dict[str, Any], has_tls: bool, mechanism: str | None
) -> None:
    options = client_options(kafka_settings(protocol, tls, **extra))
    assert options["security_protocol"] == protocol
    assert ("ssl_context" in options) is has_tls
    assert options.get("sasl_mechanism") == mechanism
    if mechanism:
        assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
            "telex",
            PASSWORD,
        )


@pytest.mark.parametrize(
    ("protocol", "extra"),
    [
        ("PLAINTEXT", {}),
        ("SSL", {}),
        ("SASL_SSL", {"sasl_mechanism": "SCRAM-SHA-512"}),
        ("SASL_PLAINTEXT", {"sasl_mechanism": "SCRAM-SHA-256"}),
    ],
)
def test_faust_credentials_give_aiokafka_the_same_security_as_client_options(
    tls: TlsFiles, tmp_path: Path, protocol: str, extra: dict[str, Any]
) -> None:
    kafka = kafka_settings(protocol, tls, **extra)
    settings = load_settings(None, worker={"data_dir": str(tmp_path)})
    app = create_app(settings.model_copy(update={"kafka": kafka}))
    faust_auth = credentials_to_aiokafka_auth(app.conf.broker_credentials)
    ours = client_options(kafka)
    for key in (
        "security_protocol",
        "sasl_mechanism",
        "sasl_plain_username",
        "sasl_plain_password",
    ):
        assert faust_auth.get(key) == ours.get(key), key
    assert ("ssl_context" in ours) is (faust_auth.get("ssl_context") is not None)


def test_tls_files_complete_a_mutual_handshake_for_127_0_0_1(tls: TlsFiles) -> None:
    client = client_options(
        kafka_settings("SSL", tls, ssl_certfile=tls.client_cert, ssl_keyfile=tls.client_key)
    )["ssl_context"]
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tls.ca_cert))
    server.load_cert_chain(str(tls.broker_cert), str(tls.broker_key))
    server.verify_mode = ssl.CERT_REQUIRED
    peer = handshake(client, server, "127.0.0.1").getpeercert()
    assert peer is not None and peer["subject"] == ((("commonName", "telex-client"),),)


def test_tls_client_refuses_a_name_outside_the_broker_certificate(tls: TlsFiles) -> None:
    client = client_options(kafka_settings("SSL", tls))["ssl_context"]
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(str(tls.broker_cert), str(tls.broker_key))
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(client, server, "10.0.0.1")


def handshake(client: ssl.SSLContext, server: ssl.SSLContext, hostname: str) -> ssl.SSLObject:
    """A TLS handshake in memory (no sockets); returns the server side once both are done."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(to_client, to_server, server_hostname=hostname)
    server_side = server.wrap_bio(to_server, to_client, server_side=True)
    done: set[str] = set()
    for _ in range(10):
        for name, side in (("client", client_side), ("server", server_side)):
            try:
                side.do_handshake()
                done.add(name)
            except ssl.SSLWantReadError:
                pass
        if done == {"client", "server"}:
            return server_side
    raise AssertionError("handshake did not finish in 10 rounds")


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (("127.0.0.1", "localhost"), "IP:127.0.0.1,DNS:localhost"),
        (("::1",), "IP:::1"),
        (("kafka-0.internal",), "DNS:kafka-0.internal"),
    ],
)
def test_subject_alt_names(hosts: tuple[str, ...], expected: str) -> None:
    assert subject_alt_names(hosts) == expected


def test_pem_property_is_one_line_java_reads_back(tls: TlsFiles) -> None:
    value = pem_property(tls.ca_cert)
    assert "\n" not in value
    assert value.replace("\\n", "\n") == tls.ca_cert.read_text().strip()


def test_default_broker_has_no_secure_listener(tmp_path: Path) -> None:
    properties = server_properties(BrokerConfig(data_dir=tmp_path, port=9092))
    assert "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n" in properties
    assert "SSL" not in properties and "sasl" not in properties


def test_secure_broker_listeners_and_scram_user(tls: TlsFiles, tmp_path: Path) -> None:
    user = ScramUser("telex", PASSWORD)
    base = BrokerConfig(data_dir=tmp_path, port=9092, controller_port=9093)
    config = secure_broker_config(base, tls, [user], sasl_ssl_port=9094, mtls_port=9095)
    lines = set(server_properties(config).splitlines())
    assert {
        "advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094,"
        "SSL://127.0.0.1:9095",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,"
        "SASL_SSL:SASL_SSL,SSL:SSL",
        "listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512",
        "listener.name.ssl.ssl.client.auth=required",
        "inter.broker.listener.name=PLAINTEXT",
    } <= lines
    assert config.format_args == add_scram_args([user])
    assert config.format_args == (
        "--add-scram",
        f"SCRAM-SHA-512=[name=telex,password={PASSWORD}]",
    )
    assert PASSWORD not in repr(config) and "PRIVATE KEY" not in repr(config)
    assert PASSWORD not in repr(user)
