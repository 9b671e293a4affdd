"""canonical_url, item_id, content_hash and event_id."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from streams.poll.identity import canonical_url, content_hash, event_id, item_id
from streams.poll.parse import ParsedEntry

ENTRY = ParsedEntry(
    guid=None,
    link=None,
    title="L’accord de défense en vigueur",
    summary="L’accord entre Pyongyang et Moscou est effectif.",
    summary_html=None,
    language="fr",
    published=datetime(2024, 12, 4, 7, 2, tzinfo=UTC),
    updated=None,
    authors=(),
)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://WWW.Example.FR:443/Live/Ukraine#post-1", "https://www.example.fr/Live/Ukraine"),
        ("http://example.fr:80", "http://example.fr/"),
        ("http://example.fr:8080/a", "http://example.fr:8080/a"),
        ("https://ex.fr/a?utm_source=rss&id=7&UTM_Medium=x&fbclid=abc&b=2",
         "https://ex.fr/a?id=7&b=2"),
        ("https://ex.fr/a?gclid=1&mc_cid=2&mc_eid=3&igshid=4&xtor=RSS-1", "https://ex.fr/a"),
        ("https://ex.fr/a?z=1&a=2", "https://ex.fr/a?z=1&a=2"),
        ("https://ex.fr/a?flag", "https://ex.fr/a?flag="),
        ("https://ex.fr./a/", "https://ex.fr/a/"),
    ],
)  # fmt: skip
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_item_id_prefers_guid_then_canonical_link_then_hash() -> None:
    with_guid = replace(ENTRY, guid="live-1042", link="https://ex.fr/a?utm_source=x")
    with_link = replace(ENTRY, link="https://EX.fr/a?utm_source=x#top")
    assert item_id("lemonde", with_guid) == "lemonde:live-1042"
    assert item_id("lemonde", with_link) == "lemonde:https://ex.fr/a"
    hashed = item_id("lemonde", ENTRY)
    assert hashed.startswith("lemonde:") and len(hashed) == len("lemonde:") + 16
    assert item_id("lemonde", replace(ENTRY, summary="edited")) == hashed
    assert item_id("lemonde", replace(ENTRY, title="Autre titre")) != hashed
    assert item_id("lemonde", replace(ENTRY, published=None)) != hashed


def test_content_hash_ignores_whitespace_only_changes() -> None:
    spaced = replace(ENTRY, title="  L’accord de   défense\nen vigueur ")
    decomposed = replace(ENTRY, title="L’accord de de\u0301fense en vigueur")
    assert content_hash(spaced) == content_hash(ENTRY) == content_hash(decomposed)


@pytest.mark.parametrize(
    "edit",
    [{"title": "L’accord de défense suspendu"}, {"summary": "Nouveau texte."},
     {"link": "https://ex.fr/autre"}],
)  # fmt: skip
def test_content_hash_changes_on_real_edits(edit: dict[str, str]) -> None:
    assert content_hash(replace(ENTRY, **edit)) != content_hash(ENTRY)  # type: ignore[arg-type]


def test_content_hash_does_not_mix_fields() -> None:
    moved = replace(ENTRY, title=ENTRY.title + " " + ENTRY.summary, summary="")
    assert content_hash(moved) != content_hash(ENTRY)


def test_event_id_is_a_deterministic_uuid_per_revision() -> None:
    first = event_id("lemonde:live-1042", 1)
    assert first == event_id("lemonde:live-1042", 1)
    assert first != event_id("lemonde:live-1042", 2)
    assert first != event_id("lemonde:live-1043", 1)
    assert uuid.UUID(first).version == 5
