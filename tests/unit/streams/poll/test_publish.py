"""to_raw_item: the entry's fields, the feed's language and labels, the bounded content."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from schemas.models import FeedState, RawItem, decode_raw_item, encode, validate
from streams.poll.changes import detect_changes
from streams.poll.parse import parse_feed
from streams.poll.publish import DEFAULT_MAX_CONTENT_CHARS, to_raw_item

FIXTURES = Path(__file__).parents[3] / "fixtures" / "feeds"
FETCHED = datetime(2024, 12, 5, 9, 0, tzinfo=UTC)


def raw_items(name: str, **options: object) -> list[RawItem]:
    url = f"https://feed.example/{name}"
    parsed = parse_feed((FIXTURES / name).read_bytes(), url=url)
    changes = detect_changes(FeedState(feed_id="f", url=url), parsed.entries).changes
    return [
        to_raw_item(change, feed_id="f", feed_url=url, parsed=parsed, fetched=FETCHED, **options)  # type: ignore[arg-type]
        for change in changes
    ]


def test_summary_and_content_both_reach_the_raw_item_and_its_schema() -> None:
    items = {item.guid: item for item in raw_items("rss20_content_encoded.xml")}
    both = items["wb-aussen-2001"]
    assert both.summary == "Die Außenminister der OSZE-Staaten treffen sich in Wien."
    assert both.content and "Sergej Lawrow" in both.content
    assert items["wb-aussen-2003"].content is None
    for item in items.values():
        validate(orjson.loads(encode(item)), "telex.raw-item/1")
        assert decode_raw_item(encode(item)) == item


def test_content_is_cut_at_a_word_boundary() -> None:
    full = raw_items("rss20_content_encoded.xml")[-1].content  # oldest first: 2001 is last
    assert full is not None and len(full) > 100
    cut = raw_items("rss20_content_encoded.xml", max_content_chars=100)[-1].content
    assert cut is not None and len(cut) <= 100
    assert full.startswith(cut) and full[len(cut)] == " "
    assert DEFAULT_MAX_CONTENT_CHARS == 20_000


def test_content_does_not_change_the_content_hash() -> None:
    """Edits of the content alone make no revision: a feed state written before content was
    kept recognises every item it knows (no re-publication at upgrade)."""
    with_content = raw_items("rss20_content_encoded.xml")
    without = raw_items("rss20_content_encoded.xml", max_content_chars=0)
    assert [i.content_hash for i in with_content] == [i.content_hash for i in without]
    assert all(item.content is None for item in without)


@pytest.mark.parametrize(
    ("name", "feed_language", "expected"),
    [
        ("jsonfeed_10.json", "fr", {"fr"}),  # the feed declares none: the setting stands in
        ("jsonfeed_10.json", None, {None}),
        ("jsonfeed_11.json", "fr", {"de"}),  # declared by the feed: the declaration wins
    ],
)
def test_feed_language_is_used_when_the_feed_declares_none(
    name: str, feed_language: str | None, expected: set[str | None]
) -> None:
    items = raw_items(name, feed_language=feed_language)
    assert {item.language for item in items} == expected


def test_labels_are_carried_and_absent_labels_stay_null() -> None:
    labels = {"outlet": "Wiener Beispiel", "country": "at"}
    items = raw_items("rss20_content_encoded.xml", labels=labels)
    assert all(item.labels == labels for item in items)
    assert orjson.loads(encode(items[0]))["labels"] == labels
    assert all(item.labels is None for item in raw_items("rss20_content_encoded.xml"))


def test_a_raw_item_written_before_content_and_labels_still_decodes() -> None:
    item = raw_items("rss20_content_encoded.xml")[0]
    old = {k: v for k, v in orjson.loads(encode(item)).items() if k not in {"content", "labels"}}
    decoded = decode_raw_item(orjson.dumps(old))
    assert (decoded.content, decoded.labels) == (None, None)
