"""The worker's Faust app: thin wiring of Kafka topics to the pure pipeline in agents.enrich.

Two agents, because near-duplicates must meet across partitions:
- ``tag-raw-items`` (agents.tagging.agent) consumes the raw topic (N partitions, shared by all
  workers): it tags and fingerprints each item and forwards it to the fingerprinted topic.
  Tagging and fingerprinting scale with workers.
- ``dedup-items`` (agents.dedup.agent) consumes the fingerprinted topic, which has ONE
  partition: every fingerprint lands in one ordered log, so a near-duplicate finds its
  candidates whichever raw partition or worker it came from.

What the agents send, and why deliveries are not awaited one by one: agents.outputs. Messages
faust's stream passes over are read back from the broker: agents.readback. The web pages,
readiness and lag metrics: agents.health.
"""

from __future__ import annotations

import logging

import faust

from agents.dedup.agent import DedupAgent, DedupPartition
from agents.health import add_health_timer, add_web_pages
from agents.outputs import Outputs
from agents.readback import RawPositions
from agents.store import ROCKSDB_OPTIONS
from agents.tagging.agent import TagAgent, TaxonomyHolder
from streams import metrics
from streams.app import create_app
from streams.settings import Settings
from streams.topics import TopicNames

log = logging.getLogger(__name__)


RAW_POSITIONS_TABLE = "raw-positions"


def raw_positions_changelog(settings: Settings) -> str:
    """The raw-positions table's changelog topic, as faust names it."""
    return f"{settings.worker.app_id}-{RAW_POSITIONS_TABLE}-changelog"


def build_worker_app(
    settings: Settings,
    *,
    worker_id: str,
    web_port: int | None = None,
    raw_partitions: int | None = None,
) -> faust.App:
    """The worker's Faust app with its topics, tables, agents, web pages and timers.

    `raw_partitions` is the raw topic's partition count when known (streams.topics.
    align_partitions); the raw-positions table needs as many.
    """
    app = create_app(settings, worker_id=worker_id, web_port=web_port)
    names = TopicNames.from_settings(settings)
    holder = TaxonomyHolder(settings.worker.taxonomy_path)

    raw_topic = app.topic(names.raw, key_type=bytes, value_type=bytes)
    fingerprinted_topic = app.topic(
        names.fingerprinted, key_type=bytes, value_type=bytes, partitions=1
    )
    outputs = Outputs(
        app,
        names,
        fingerprinted=fingerprinted_topic,
        enriched=app.topic(names.enriched, key_type=bytes, value_type=bytes),
        dlq=app.topic(names.dlq, key_type=bytes, value_type=bytes, partitions=1),
    )
    dedup_table = app.Table(
        "dedup-state", partitions=1, key_type=bytes, value_type=bytes, options=ROCKSDB_OPTIONS
    )
    dedup = DedupPartition.in_table(dedup_table, settings, worker_id=worker_id)
    for input_topic in (names.raw, names.fingerprinted):  # series at 0 before any read-back
        metrics.READ_BACK.labels(input_topic)

    raw_positions = app.Table(
        RAW_POSITIONS_TABLE, partitions=raw_partitions or settings.kafka.partitions,
        key_type=bytes, value_type=bytes, options=ROCKSDB_OPTIONS,
    )  # fmt: skip
    tag_agent = TagAgent(app, settings, names, outputs, holder, RawPositions(raw_positions))
    tag_agent.register(raw_topic)
    dedup_agent = DedupAgent(app, settings, names, outputs, dedup, worker_id=worker_id)
    dedup_agent.register(fingerprinted_topic)
    add_web_pages(app, faust_metrics=settings.worker.faust_metrics)
    _add_taxonomy_reload(app, holder)
    add_health_timer(app)
    return app


def _add_taxonomy_reload(app: faust.App, holder: TaxonomyHolder) -> None:
    @app.timer(interval=10.0)  # type: ignore[untyped-decorator]
    async def reload_taxonomy() -> None:
        try:
            holder.reload_if_changed()
        except Exception:  # an escaping exception would stop the worker
            log.exception("taxonomy reload check failed")
