"""The Faust app: built from the settings, never at import time."""

from __future__ import annotations

from typing import Any

import faust

from streams.kafka import ssl_context
from streams.settings import KafkaSettings, Settings


def create_app(
    settings: Settings, *, worker_id: str = "worker-1", web_port: int | None = None
) -> faust.App:
    """A Faust app for this cluster; tables and agents are added by agents.worker."""
    worker = settings.worker
    datadir = (worker.data_dir / worker_id).resolve()
    datadir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        worker.app_id,
        broker=[f"kafka://{server.strip()}" for server in settings.kafka.bootstrap.split(",")],
        broker_credentials=_credentials(settings.kafka),
        store=worker.store,
        datadir=str(datadir),
        autodiscover=False,
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.kafka.partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger_ms=5,
        # aiokafka keeps one request in flight per broker and a send waits while its partition's
        # batch is full: with 16 KB batches (the default, ~6 enriched events) the agents spent
        # half their time waiting for produce round trips.
        producer_max_batch_size=1024 * 1024,
        producer_max_request_size=8 * 1024 * 1024,
        broker_commit_every=1000,
        # A worker killed without leaving the group holds its partitions until its session
        # times out; faust's 60 s default made a crashed worker's share wait a minute.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
        broker_commit_interval=1.0,
        web_enabled=True,
        web_bind=worker.web_host,
        web_host=worker.web_host,
        web_port=worker.web_port if web_port is None else web_port,
        web_in_thread=False,
        # Not faust's default: with True, the scale-out/in test lost an item in 1 of 4 runs
        # (its in-rebalance commit); False has the longer clean record in the reliability tests.
        stream_wait_empty=False,
    )


def _credentials(kafka: KafkaSettings) -> Any:
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    if kafka.security_protocol == "SSL":
        return faust.SSLCredentials(ssl_context(kafka))
    if kafka.security_protocol.startswith("SASL"):
        context = ssl_context(kafka) if kafka.security_protocol == "SASL_SSL" else None
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=password,
            ssl_context=context,
            mechanism=kafka.sasl_mechanism or "PLAIN",
        )
    return None


def make_worker(app: faust.App, loglevel: str) -> faust.Worker:
    """A faust worker for `app`, logging at `loglevel` and above."""
    worker = faust.Worker(app, loglevel=loglevel.lower(), quiet=True)
    # faust's terminal spinner, kept at WARNING and above, sets the root logger to DEBUG so that
    # it spins on every record: each debug call of faust and aiokafka then builds a LogRecord
    # (~8% of a pass-through agent's CPU, py-spy). Without it the level is the one asked for.
    worker.spinner = None
    return worker


def run_worker(app: faust.App, loglevel: str) -> None:
    """Run `app` as a faust worker until it is stopped (SIGTERM, SIGINT)."""
    make_worker(app, loglevel).execute_from_commandline()
