"""The ``dedup-items`` agent under faust's test_context (no broker): verdicts, DLQ, tag copies."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import faust
import orjson
import pytest
from faust.types import AgentT

import agents.dedup.agent as dedup_module
from agents.enrich import tag_stage
from agents.tagging.taxonomy import load_taxonomy
from agents.worker import build_worker_app
from schemas.models import (
    EnrichedItem,
    MessageSource,
    RawItem,
    decode_dead_letter,
    decode_enriched_item,
    encode,
)
from streams.settings import Settings
from streams.topics import TopicNames
from tests.unit.agents.agent_support import BrokerLog, Record, Sent

PUT_TIMEOUT = 5.0  # seconds: a hung put fails its test (the first put loads lazy models)

GERMAN = (
    "Bundesrat billigt Wehrdienstgesetz",
    "Die Länderkammer hat dem neuen Wehrdienst zugestimmt. Ab Januar erhalten alle "
    "18-Jährigen einen Fragebogen der Bundeswehr.",
)
GERMAN_CORRECTED = (
    GERMAN[0],
    GERMAN[1] + " Männer müssen ihn ausfüllen.",
)
ENGLISH = (
    "Local bakery wins regional bread award",
    "The family-run shop on Main Street was praised for its sourdough.",
)


@pytest.fixture(autouse=True)
def broker_log(monkeypatch: pytest.MonkeyPatch) -> BrokerLog:
    log = BrokerLog()
    monkeypatch.setattr(dedup_module, "read_back", log.read_back)
    return log


def _settings(tmp_path: Path, *, per_tag_topics: bool = True) -> Settings:
    worker = {"store": "memory://", "data_dir": str(tmp_path)}
    return Settings(worker=worker, topics={"per_tag_topics": per_tag_topics})  # type: ignore[arg-type]


def _dedup_agent(settings: Settings) -> AgentT:
    """The worker app's dedup agent, ready for test_context (call inside the running loop)."""
    app: faust.App = build_worker_app(settings, worker_id="w-1")
    app.finalize()
    app.flow_control.resume()  # without it put() waits forever
    return app.agents["dedup-items"]


async def _put(agent: Any, value: bytes, key: bytes | None, offset: int | None = None) -> None:
    """Deliver one message, at `offset` if given (else right after the previous one)."""
    if offset is not None:
        agent.sent_offset = offset
    await asyncio.wait_for(agent.put(value, key=key), PUT_TIMEOUT)


def _raw(item_id: str, text: tuple[str, str], revision: int = 1) -> RawItem:
    title, summary = text
    return RawItem(
        event_id=f"{item_id}#{revision}",
        item_id=item_id,
        revision=revision,
        feed_id="feed",
        feed_url="https://example.org/feed.xml",
        source_format="rss",
        title=title,
        summary=summary,
        fetched="2024-12-04T12:00:00Z",
        content_hash=f"hash-{item_id}-{revision}",
    )


def _fingerprinted(raw: RawItem) -> bytes:
    """The tag stage's message for `raw`, as the tag agent forwards it."""
    return encode(tag_stage(raw, load_taxonomy(), received_at="2024-12-04T12:00:01Z"))


def _enriched(sent: list[Sent], names: TopicNames) -> list[EnrichedItem]:
    return [decode_enriched_item(out.value) for out in sent if out.topic == names.enriched]


# One step: (item id, text, revision, offset or None for the next one); its expected event:
# (status, story_id, duplicate_of, method), or None when the item is dropped (no event).
Step = tuple[str, tuple[str, str], int, int | None]
Verdict = tuple[str, str, str | None, str | None] | None


@pytest.mark.parametrize(
    ("steps", "verdicts"),
    [
        pytest.param(
            [("feed:a", GERMAN, 1, None), ("other:b", GERMAN, 1, None)],
            [("new", "feed:a", None, None), ("duplicate", "feed:a", "feed:a", "content_hash")],
            id="repost-under-another-id",
        ),
        pytest.param(
            [("feed:a", GERMAN, 1, None), ("feed:a", GERMAN, 1, None)],
            [("new", "feed:a", None, None), None],
            id="repeat-is-dropped",
        ),
        pytest.param(
            [("feed:a", GERMAN, 1, None), ("feed:a", GERMAN_CORRECTED, 2, None)],
            [("new", "feed:a", None, None), ("update", "feed:a", "feed:a", "item_id")],
            id="correction-is-an-update",
        ),
        pytest.param(
            [("feed:a", GERMAN, 1, None), ("feed:a", GERMAN, 1, 0)],
            [("new", "feed:a", None, None), ("new", "feed:a", None, None)],
            id="redelivery-of-the-same-offset-gets-its-first-verdict",
        ),
        pytest.param(
            [("feed:a", GERMAN, 1, None), ("feed:c", ENGLISH, 1, None)],
            [("new", "feed:a", None, None), ("new", "feed:c", None, None)],
            id="unrelated-items-are-new",
        ),
    ],
)
async def test_items_are_decided_in_log_order_and_published_to_the_enriched_topic(
    tmp_path: Path, sent: list[Sent], steps: list[Step], verdicts: list[Verdict]
) -> None:
    settings = _settings(tmp_path, per_tag_topics=False)
    names = TopicNames.from_settings(settings)
    got: list[Verdict] = []
    async with _dedup_agent(settings).test_context() as agent:
        for item_id, text, revision, offset in steps:
            before = len(sent)
            raw = _raw(item_id, text, revision)
            await _put(agent, _fingerprinted(raw), item_id.encode(), offset)
            published = sent[before:]
            where = [(out.topic, out.key) for out in published]
            assert where in ([], [(names.enriched, item_id.encode())])
            if not published:
                got.append(None)
                continue
            event = decode_enriched_item(published[0].value)
            assert event.item == raw
            dedup = event.dedup
            got.append((dedup.status, dedup.story_id, dedup.duplicate_of, dedup.method))
    assert got == verdicts


def _bad_message(kind: str) -> bytes:
    """A message of the fingerprinted topic that cannot be decided, of one kind."""
    raw = _raw("feed:bad", ENGLISH)
    if kind == "invalid-json":
        return b"{oops"
    if kind == "raw-item":  # a raw item sent to the wrong topic
        return encode(raw)
    good: dict[str, Any] = orjson.loads(_fingerprinted(raw))
    if kind == "no-fingerprint":
        return orjson.dumps({key: value for key, value in good.items() if key != "fingerprint"})
    assert kind == "empty-fingerprint"  # schema-valid, but no fingerprint to decide on
    return orjson.dumps(good | {"fingerprint": {}})


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("invalid-json", "invalid_json"),
        ("raw-item", "unsupported_schema_version"),
        ("no-fingerprint", "invalid_schema"),
        ("empty-fingerprint", "processing_error"),
    ],
)
async def test_a_bad_message_goes_to_the_dlq_and_the_next_item_is_still_decided(
    tmp_path: Path, sent: list[Sent], broker_log: BrokerLog, kind: str, reason: str
) -> None:
    value = _bad_message(kind)
    settings = _settings(tmp_path, per_tag_topics=False)
    names = TopicNames.from_settings(settings)
    async with _dedup_agent(settings).test_context() as agent:
        await _put(agent, _fingerprinted(_raw("feed:a", GERMAN)), b"feed:a")  # offset 0
        await _put(agent, value, b"feed:bad")  # offset 1
        await _put(agent, _fingerprinted(_raw("feed:c", ENGLISH)), b"feed:c")  # offset 2

    assert [(out.topic, out.key) for out in sent] == [
        (names.enriched, b"feed:a"),
        (names.dlq, b"feed:bad"),
        (names.enriched, b"feed:c"),
    ]
    letter = decode_dead_letter(sent[1].value)
    assert letter.reason == reason
    key_base64 = base64.b64encode(b"feed:bad").decode()
    assert letter.source == MessageSource(names.fingerprinted, 0, 1, key_base64)
    assert base64.b64decode(letter.original_base64) == value
    assert [event.dedup.status for event in _enriched(sent, names)] == ["new", "new"]
    # The state noted the bad message's offset: offset 2 is no hole to read back.
    assert broker_log.asked == []


@pytest.mark.parametrize(
    ("per_tag_topics", "text", "tag_topics"),
    [
        pytest.param(True, GERMAN, ["german-politics"], id="tagged"),
        pytest.param(True, ENGLISH, [], id="untagged"),
        pytest.param(False, GERMAN, [], id="per-tag-topics-off"),
    ],
)
async def test_tag_topics_get_a_copy_of_each_tagged_event_if_configured(
    tmp_path: Path,
    sent: list[Sent],
    per_tag_topics: bool,
    text: tuple[str, str],
    tag_topics: list[str],
) -> None:
    settings = _settings(tmp_path, per_tag_topics=per_tag_topics)
    names = TopicNames.from_settings(settings)
    raw = _raw("feed:a", text)
    async with _dedup_agent(settings).test_context() as agent:
        await _put(agent, _fingerprinted(raw), b"feed:a")

    [enriched] = [out for out in sent if out.topic == names.enriched]
    assert decode_enriched_item(enriched.value).item == raw
    copies = [out for out in sent if out.topic != names.enriched]
    assert copies == [Sent(names.tag(slug), b"feed:a", enriched.value) for slug in tag_topics]


async def test_messages_the_stream_passed_over_are_read_back_and_decided_first(
    tmp_path: Path, sent: list[Sent], broker_log: BrokerLog
) -> None:
    settings = _settings(tmp_path, per_tag_topics=False)
    names = TopicNames.from_settings(settings)
    repost = _fingerprinted(_raw("other:b", GERMAN))  # on the broker, never delivered
    broker_log.records[1] = Record(names.fingerprinted, 0, 1, b"other:b", repost)
    async with _dedup_agent(settings).test_context() as agent:
        await _put(agent, _fingerprinted(_raw("feed:a", GERMAN)), b"feed:a")  # offset 0
        await _put(agent, _fingerprinted(_raw("feed:c", ENGLISH)), b"feed:c", offset=2)

    assert broker_log.asked == [(names.fingerprinted, 0, 1, 2)]
    events = _enriched(sent, names)
    assert [(event.item.item_id, event.dedup.status) for event in events] == [
        ("feed:a", "new"),
        ("other:b", "duplicate"),
        ("feed:c", "new"),
    ]
