"""detect_changes: new items, revisions, repeats, GUID churn, bounded memory, oldest first."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from schemas.models import FeedState
from streams.poll import changes
from streams.poll.changes import detect_changes
from streams.poll.formats.model import ParsedEntry
from streams.poll.identity import content_hash, item_id

FEED = "lemonde-live"


def _entry(number: int, *, guid: str | None = None, summary: str | None = None) -> ParsedEntry:
    return ParsedEntry(
        guid=guid if guid is not None else f"urn:lemonde:post-{number}",
        link=f"https://www.lemonde.fr/live/ukraine/post-{number}?utm_source=rss",
        title=f"Mise à jour {number} : Kiev et Moscou échangent des prisonniers",
        summary=summary or f"Le ministère annonce l'échange numéro {number} de la semaine.",
        summary_html=None,
        language="fr",
        published=datetime(2024, 12, 4, 8, number, tzinfo=UTC),
        updated=None,
        authors=("Le Monde",),
    )


def _empty_state() -> FeedState:
    return FeedState(feed_id=FEED, url="https://www.lemonde.fr/live/ukraine/rss.xml")


def _newest_first(*numbers: int) -> tuple[ParsedEntry, ...]:
    return tuple(_entry(n) for n in sorted(numbers, reverse=True))


def test_first_poll_emits_every_item_as_revision_one_oldest_first() -> None:
    result = detect_changes(_empty_state(), _newest_first(1, 2, 3))
    assert [c.entry.guid for c in result.changes] == [f"urn:lemonde:post-{n}" for n in (1, 2, 3)]
    assert {c.revision for c in result.changes} == {1}
    assert {c.previous_content_hash for c in result.changes} == {None}
    assert [c.item_id for c in result.changes] == [item_id(FEED, _entry(n)) for n in (1, 2, 3)]
    assert result.churn_suppressed == 0
    # URLs are remembered without tracking parameters, for the churn guard.
    assert result.state.urls["https://www.lemonde.fr/live/ukraine/post-2"] == item_id(
        FEED, _entry(2)
    )


def test_unchanged_items_are_not_emitted_again() -> None:
    first = detect_changes(_empty_state(), _newest_first(1, 2))
    second = detect_changes(first.state, _newest_first(1, 2, 3))
    assert [c.entry.guid for c in second.changes] == ["urn:lemonde:post-3"]
    assert detect_changes(second.state, _newest_first(1, 2, 3)).changes == ()


def test_changed_content_is_the_next_revision_with_the_previous_hash() -> None:
    first = detect_changes(_empty_state(), (_entry(1),))
    corrected = _entry(1, summary="Correction : l'échange concerne 150 prisonniers.")
    second = detect_changes(first.state, (corrected,))
    [change] = second.changes
    assert change.revision == 2
    assert change.previous_content_hash == content_hash(_entry(1))
    assert change.content_hash == content_hash(corrected)
    third = detect_changes(second.state, (_entry(1),))
    assert [c.revision for c in third.changes] == [3]


def test_whitespace_only_edit_is_not_a_revision() -> None:
    first = detect_changes(_empty_state(), (_entry(1),))
    spaced = replace(_entry(1), summary="  " + _entry(1).summary.replace(" ", "  ") + "\n")
    assert detect_changes(first.state, (spaced,)).changes == ()


def test_the_same_item_twice_in_one_document_is_emitted_once() -> None:
    result = detect_changes(_empty_state(), (_entry(2), _entry(1), _entry(2)))
    assert [c.entry.guid for c in result.changes] == ["urn:lemonde:post-2", "urn:lemonde:post-1"]


@pytest.mark.parametrize(
    ("regenerated", "expect_suppressed"),
    [
        ((1, 2, 3, 4), 4),  # every GUID regenerated, every URL known: churn
        ((2, 3, 4), 3),  # three of four: still most of the feed
        ((3, 4), 0),  # half the feed: a normal mix of old and new, not churn
    ],
)
def test_guid_churn_guard(regenerated: tuple[int, ...], expect_suppressed: int) -> None:
    first = detect_changes(_empty_state(), _newest_first(1, 2, 3, 4))
    rebuilt = tuple(
        _entry(n, guid=f"urn:cms-rebuild:{n}") if n in regenerated else _entry(n)
        for n in (4, 3, 2, 1)
    )
    second = detect_changes(first.state, rebuilt)
    assert second.churn_suppressed == expect_suppressed
    expected_new = 0 if expect_suppressed else len(regenerated)
    assert len(second.changes) == expected_new


def test_input_state_is_left_untouched() -> None:
    state = _empty_state()
    detect_changes(state, _newest_first(1, 2))
    assert state.items == {} and state.revisions == {} and state.urls == {}


def test_memory_is_bounded_to_the_most_recent_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "KNOWN_ITEMS_PER_FEED", 3)
    result = detect_changes(_empty_state(), _newest_first(1, 2, 3, 4, 5))
    kept = {item_id(FEED, _entry(n)) for n in (3, 4, 5)}
    assert set(result.state.items) == kept
    assert set(result.state.revisions) == kept
    assert set(result.state.urls.values()) == kept


def test_a_reseen_item_counts_as_recent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "KNOWN_ITEMS_PER_FEED", 3)
    first = detect_changes(_empty_state(), _newest_first(1, 2, 3))
    # Item 1 is still in the feed when 4 arrives, so 2 is the one forgotten.
    second = detect_changes(first.state, (_entry(4), _entry(1)))
    assert set(second.state.items) == {item_id(FEED, _entry(n)) for n in (1, 3, 4)}
