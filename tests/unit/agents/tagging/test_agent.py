"""The ``tag-raw-items`` agent under faust's test_context (no broker): what it sends, and where."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import faust
import orjson
import pytest
from faust.types import AgentT

import agents.tagging.agent as tag_module
from agents.dedup.fingerprint import fingerprint, fingerprint_to_dict
from agents.outputs import DLQ_ORIGINAL_LIMIT
from agents.tagging.agent import MAX_RAW_MESSAGE_BYTES
from agents.tagging.taxonomy import load_taxonomy
from agents.worker import build_worker_app
from schemas.models import (
    MessageSource,
    RawItem,
    decode_dead_letter,
    decode_fingerprinted_item,
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
FRENCH = (
    "Minsk : Poutine et Loukachenko signent un traité de garanties de sécurité",
    "Le texte prévoit que la Russie pourra employer tous ses moyens, y compris nucléaires, pour "
    "défendre la Biélorussie en cas d'agression. Il a été signé lors d'une réunion du Conseil "
    "suprême de l'État de l'Union.",
)
ENGLISH = (
    "Local bakery wins regional bread award",
    "The family-run shop on Main Street was praised for its sourdough.",
)


@pytest.fixture(autouse=True)
def broker_log(monkeypatch: pytest.MonkeyPatch) -> BrokerLog:
    log = BrokerLog()
    monkeypatch.setattr(tag_module, "read_back", log.read_back)
    return log


def _settings(tmp_path: Path, **worker: Any) -> Settings:
    return Settings(worker={"store": "memory://", "data_dir": str(tmp_path), **worker})  # type: ignore[arg-type]


def _tag_agent(settings: Settings) -> AgentT:
    """The worker app's tag agent, ready for test_context (call inside the running loop)."""
    app: faust.App = build_worker_app(settings, worker_id="w-1")
    app.finalize()
    app.flow_control.resume()  # without it put() waits forever
    return app.agents["tag-raw-items"]


async def _put(agent: Any, value: bytes, key: bytes | None) -> None:
    await asyncio.wait_for(agent.put(value, key=key), PUT_TIMEOUT)


def _raw(item_id: str, text: tuple[str, str], language: str | None = None) -> RawItem:
    title, summary = text
    return RawItem(
        event_id=f"{item_id}#1",
        item_id=item_id,
        revision=1,
        feed_id="feed",
        feed_url="https://example.org/feed.xml",
        source_format="rss",
        title=title,
        summary=summary,
        fetched="2024-12-04T12:00:00Z",
        content_hash=f"hash-{item_id}",
        language=language,
    )


def _raw_dict(raw: RawItem, **changes: Any) -> bytes:
    data: dict[str, Any] = orjson.loads(encode(raw))
    return orjson.dumps(data | changes)


@pytest.mark.parametrize(
    ("text", "declared", "language", "source", "tags"),
    [
        pytest.param(GERMAN, "de", "de", "declared", {"german-politics"}, id="german-politics"),
        pytest.param(FRENCH, None, "fr", "detected", {"defense-treaty", "diplomacy"}, id="fr"),
        pytest.param(ENGLISH, "en", "en", "declared", set(), id="untagged"),
    ],
)
async def test_a_raw_item_is_tagged_fingerprinted_and_forwarded(
    tmp_path: Path,
    sent: list[Sent],
    text: tuple[str, str],
    declared: str | None,
    language: str,
    source: str,
    tags: set[str],
) -> None:
    settings = _settings(tmp_path)
    raw = _raw("feed:1", text, declared)
    async with _tag_agent(settings).test_context() as agent:
        await _put(agent, encode(raw), b"feed:1")

    [out] = sent
    assert (out.topic, out.key) == (TopicNames.from_settings(settings).fingerprinted, b"feed:1")
    item = decode_fingerprinted_item(out.value)  # schema-valid
    assert item.item == raw
    assert (item.language, item.language_source) == (language, source)
    assert {tag.topic for tag in item.tags} == tags
    assert item.taxonomy_version == load_taxonomy().version
    title, summary = text
    expected = fingerprint_to_dict(fingerprint(title=title, summary=summary, language=language))
    # The text's fingerprint; the agent may add signals computed from it (e.g. "meaning").
    assert item.fingerprint.items() >= expected.items()


@pytest.mark.parametrize(
    ("fact_duplicates", "cross_language_duplicates", "neutral"),
    [(True, False, True), (False, True, True), (False, False, False)],
)
async def test_fingerprints_carry_neutral_terms_only_if_the_dedup_stage_searches_facts(
    tmp_path: Path,
    sent: list[Sent],
    fact_duplicates: bool,
    cross_language_duplicates: bool,
    neutral: bool,
) -> None:
    settings = _settings(
        tmp_path,
        fact_duplicates=fact_duplicates,
        cross_language_duplicates=cross_language_duplicates,
    )
    raw = _raw("feed:1", FRENCH, "fr")
    async with _tag_agent(settings).test_context() as agent:
        await _put(agent, encode(raw), b"feed:1")

    [out] = sent
    print_ = decode_fingerprinted_item(out.value).fingerprint
    title, summary = FRENCH
    expected = fingerprint(title=title, summary=summary, language="fr")
    assert expected.neutral  # the item has some: their absence is the setting's doing
    assert print_.get("neutral") == (sorted(expected.neutral) if neutral else None)


_VALID = _raw("feed:bad", ENGLISH)
_HUGE = _raw("feed:bad", ("Huge", "x" * MAX_RAW_MESSAGE_BYTES))


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        pytest.param(b"{not json", b"feed:bad", "invalid_json", id="invalid-json"),
        pytest.param(b"[1, 2]", b"feed:bad", "invalid_schema", id="not-an-object"),
        pytest.param(_raw_dict(_VALID, revision=0), b"feed:bad", "invalid_schema", id="schema"),
        pytest.param(_raw_dict(_VALID, colour="red"), b"feed:bad", "invalid_schema", id="extra"),
        pytest.param(
            _raw_dict(_VALID, schema="telex.raw-item/2"),
            b"feed:bad",
            "unsupported_schema_version",
            id="schema-version",
        ),
        pytest.param(encode(_VALID), None, "missing_key", id="no-key"),
        pytest.param(encode(_HUGE), b"feed:bad", "too_large", id="oversized"),
    ],
)
async def test_a_bad_message_goes_to_the_dlq_and_the_next_item_is_still_tagged(
    tmp_path: Path, sent: list[Sent], value: bytes, key: bytes | None, reason: str
) -> None:
    settings = _settings(tmp_path)
    names = TopicNames.from_settings(settings)
    good = _raw("feed:good", GERMAN, "de")
    async with _tag_agent(settings).test_context() as agent:
        await _put(agent, value, key)
        await _put(agent, encode(good), b"feed:good")

    assert [(out.topic, out.key) for out in sent] == [
        (names.dlq, key),
        (names.fingerprinted, b"feed:good"),
    ]
    letter = decode_dead_letter(sent[0].value)
    assert letter.reason == reason
    key_base64 = base64.b64encode(key).decode() if key else None
    assert letter.source == MessageSource(names.raw, 0, 0, key_base64)
    assert letter.original_size == len(value)
    assert base64.b64decode(letter.original_base64) == value[:DLQ_ORIGINAL_LIMIT]
    assert decode_fingerprinted_item(sent[1].value).item == good


async def test_messages_the_stream_passed_over_are_read_back_and_tagged_first(
    tmp_path: Path, sent: list[Sent], broker_log: BrokerLog
) -> None:
    settings = _settings(tmp_path)
    names = TopicNames.from_settings(settings)
    items = [_raw(f"feed:{n}", GERMAN, "de") for n in range(4)]
    for offset in (1, 2):  # on the broker, never delivered by the stream
        key, value = items[offset].item_id.encode(), encode(items[offset])
        broker_log.records[offset] = Record(names.raw, 0, offset, key, value)
    async with _tag_agent(settings).test_context() as agent:
        await _put(agent, encode(items[0]), b"feed:0")  # offset 0
        agent.sent_offset = 3  # the stream jumps from offset 0 to 3
        await _put(agent, encode(items[3]), b"feed:3")

    assert broker_log.asked == [(names.raw, 0, 1, 3)]
    assert [out.topic for out in sent] == [names.fingerprinted] * 4
    assert [decode_fingerprinted_item(out.value).item for out in sent] == items
