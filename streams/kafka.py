"""The Kafka seam: client options (security included) and the producer every stage uses."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaProducer

from streams.settings import KafkaSettings


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
