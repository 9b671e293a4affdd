"""Dead letters: the original kept up to the limit the schema and docs state, and a record
that always fits Kafka's default 1 MiB message limit."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import orjson
import pytest
import yaml

from agents.outputs import DLQ_ERROR_LIMIT, DLQ_ORIGINAL_LIMIT, dead_letter_record
from schemas.models import DeadLetter, encode, load_schema

ROOT = Path(__file__).resolve().parents[3]
# Kafka's default broker message.max.bytes (and so every topic's max.message.bytes).
KAFKA_DEFAULT_MESSAGE_BYTES = 1_048_588
FAILED_AT = "2024-12-04T12:00:00Z"


@dataclass
class Message:
    value: bytes | None
    key: bytes | None = b"lemonde-live:urn:lemonde:post-7"
    topic: str = "telex.items.raw"
    partition: int = 3
    offset: int = 42


def _letter(value: bytes, error: str = "not JSON", key: bytes | None = b"k") -> DeadLetter:
    return dead_letter_record(Message(value, key), "invalid_json", error, failed_at=FAILED_AT)


@pytest.mark.parametrize(
    ("size", "kept"),
    [(0, 0), (DLQ_ORIGINAL_LIMIT - 1, DLQ_ORIGINAL_LIMIT - 1),
     (DLQ_ORIGINAL_LIMIT, DLQ_ORIGINAL_LIMIT), (DLQ_ORIGINAL_LIMIT + 1, DLQ_ORIGINAL_LIMIT)],
)  # fmt: skip
def test_original_is_kept_up_to_the_limit_and_its_size_always(size: int, kept: int) -> None:
    value = bytes(range(256)) * (size // 256) + b"\x01" * (size % 256)
    letter = _letter(value)
    assert base64.b64decode(letter.original_base64) == value[:kept]
    assert letter.original_size == size
    jsonschema.validate(orjson.loads(encode(letter)), load_schema("telex.dlq/1"))


def test_schema_allows_exactly_the_base64_of_the_limit() -> None:
    schema = load_schema("telex.dlq/1")
    at_limit = base64.b64encode(bytes(DLQ_ORIGINAL_LIMIT)).decode()
    assert schema["properties"]["original_base64"]["maxLength"] == len(at_limit)
    # base64 counts in groups of 3 bytes: the next longer value is one group, 4 characters, more.
    over = {**orjson.loads(encode(_letter(b""))), "original_base64": at_limit + "AAAA"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(over, schema)


def test_error_text_is_capped() -> None:
    assert len(_letter(b"{", error="x" * (DLQ_ERROR_LIMIT + 1)).error) == DLQ_ERROR_LIMIT
    assert _letter(b"{", error="x" * DLQ_ERROR_LIMIT).error == "x" * DLQ_ERROR_LIMIT


def test_worst_case_record_fits_well_under_kafkas_default_message_limit() -> None:
    # Schema errors quote the message's own property names, so the error can be as long as
    # the original; control characters take six bytes each in JSON.
    key = b"k" * 1024
    letter = _letter(b"\xff" * KAFKA_DEFAULT_MESSAGE_BYTES, error="\x00" * 1_000_000, key=key)
    record = len(encode(letter)) + len(key)
    assert record < KAFKA_DEFAULT_MESSAGE_BYTES // 2


def _kib(size: int) -> str:
    return f"{size // 1024} KiB"


def test_docs_and_contract_state_the_code_s_limit() -> None:
    schema = load_schema("telex.dlq/1")["properties"]
    assert _kib(DLQ_ORIGINAL_LIMIT) in schema["original_base64"]["description"]
    events = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    (paragraph,) = [p for p in events.split("\n\n") if "`original_base64`" in p]
    assert _kib(DLQ_ORIGINAL_LIMIT) in paragraph
    asyncapi = yaml.safe_load((ROOT / "schemas" / "asyncapi.yaml").read_text(encoding="utf-8"))
    description = asyncapi["channels"]["deadLetters"]["description"]
    assert _kib(DLQ_ORIGINAL_LIMIT) in description
    for text in (events, description, schema["original_base64"]["description"]):
        assert "truncated to 1 MiB" not in text and "up to 1 MiB" not in text
