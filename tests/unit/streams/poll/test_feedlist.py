"""The feeds file: YAML and OPML (Miniflux, FreshRSS, Feedly exports) read into feeds, written
back atomically, exported as OPML 2.0, and watched for changes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import listparser
import pytest

from streams.errors import ConfigError
from streams.poll.feedlist import (
    FeedFileWatcher,
    export_opml,
    opml_feeds,
    read_feed_file,
    unique_id,
    write_feed_file,
)
from streams.settings import FeedSettings

OPML = Path(__file__).parents[3] / "fixtures" / "opml"
LIVE = FeedSettings(id="live", url="https://news.example/live.rss", interval_seconds=60)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("miniflux.opml", [
            ("le-monde-international", "https://www.lemonde.fr/international/rss_full.xml", "All"),
            ("tagesschau-de-inland", "https://www.tagesschau.de/inland/index~rss2.xml",
             "Deutschland"),
            ("deutsche-welle", "https://rss.dw.com/xml/rss-de-all", "Deutschland"),
        ]),
        ("freshrss.opml", [
            ("diplomatic-wire", "https://wire.example.org/europe/atom.xml", "Uncategorized"),
            ("kyiv-independent", "https://kyivindependent.com/feed/", "Ukraine"),
            # The category attribute and the enclosing outline, in OPML's own notation.
            ("le-monde-international", "https://www.lemonde.fr/international/rss_full.xml",
             "Presse/France,Ukraine"),
        ]),
        ("feedly.opml", [
            # Listed under two folders: one feed, both categories; nested folders kept as a path.
            ("politico-europe", "https://www.politico.eu/feed/", "Europe,Defense"),
            ("yle-news", "https://feeds.yle.fi/uutiset/v1/majorHeadlines/YLE_NEWS.rss",
             "Europe/Nordics"),
        ]),
    ],
)  # fmt: skip
def test_reader_exports_become_feeds_with_their_categories(
    name: str, expected: list[tuple[str, str, str]]
) -> None:
    feeds = read_feed_file(OPML / name)
    assert [(f.id, f.url, f.labels["category"]) for f in feeds] == expected
    assert all(f.title and f.interval_seconds == 300 for f in feeds)


def test_non_http_outlines_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        feeds = read_feed_file(OPML / "feedly.opml")
    assert "ftp://files.example/feed.xml" not in [feed.url for feed in feeds]
    assert "not http or https" in caplog.text


def test_opml_ids_avoid_the_ids_already_taken() -> None:
    document = (OPML / "miniflux.opml").read_bytes()
    feeds = opml_feeds(document, taken={"deutsche-welle"})
    assert [feed.id for feed in feeds][-1] == "deutsche-welle-2"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<rss version='2.0'><channel/></rss>", "is not an OPML subscription list"),
        (b'<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml version="2.0"><body/></opml>', "entity"),
    ],
)
def test_what_is_not_a_plain_opml_list_is_refused(document: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        opml_feeds(document)


@pytest.mark.parametrize(
    ("seed", "taken", "expected"),
    [
        ("Le Monde – International", (), "le-monde-international"),
        ("https://www.example.com/Feeds/World.xml", (), "example-com-feeds-world-xml"),
        ("Ärzte Zeitung", ("arzte-zeitung",), "arzte-zeitung-2"),
        ("Ärzte Zeitung", ("arzte-zeitung", "arzte-zeitung-2"), "arzte-zeitung-3"),
        ("!!!", (), "feed"),
        ("x" * 100, (), "x" * 56),
    ],
)
def test_unique_id(seed: str, taken: tuple[str, ...], expected: str) -> None:
    assert unique_id(seed, taken) == expected
    FeedSettings(id=expected, url="https://x.example/")  # a valid feed id


def test_yaml_file_round_trip_keeps_settings_and_never_writes_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FT_TOKEN", "s3cret")
    feeds = (
        LIVE,
        FeedSettings.model_validate({
            "id": "ft", "url": "https://ft.example/rss", "language": "en", "paused": True,
            "labels": {"outlet": "FT"}, "reset_at": "2026-01-01T00:00:00Z",
            "headers": {"Authorization": {"env": "FT_TOKEN", "prefix": "Bearer "}},
        }),
    )  # fmt: skip
    path = tmp_path / "feeds.yaml"
    write_feed_file(path, feeds)
    text = path.read_text()
    assert "s3cret" not in text and "FT_TOKEN" in text
    assert "interval_seconds: 300" not in text  # defaults are left out
    assert read_feed_file(path) == feeds
    assert [p.name for p in tmp_path.iterdir()] == ["feeds.yaml"]  # no temporary file left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: [", "not valid YAML"),
        ("feeds: {id: x}", "must hold a list of feeds"),
        ("feeds: [3]", "feed 0 is not a mapping"),
        ("feeds: [{id: x, url: 'ftp://x'}]", "feed x: url: Value error, feed url must start"),
        ("feeds: [{id: Bad, url: 'https://x'}]", "feed Bad: id"),
        ("feeds: [{url: 'https://x'}]", "feed #0: id: Field required"),
        ("- {id: x, url: 'https://x/a'}\n- {id: x, url: 'https://x/b'}", "listed twice"),
    ],
)
def test_invalid_yaml_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        read_feed_file(path)


def test_opml_feeds_files_are_not_edited(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is OPML"):
        write_feed_file(tmp_path / "feeds.opml", (LIVE,))


def test_export_is_opml_2_with_categories_as_nested_outlines() -> None:
    live = FeedSettings(id="live", url="https://news.example/live.rss?a=1&b=2", title='"Live"')
    feeds = (*read_feed_file(OPML / "feedly.opml"), live)
    document = export_opml(feeds)
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    parsed = listparser.parse(document.encode())
    assert not parsed.bozo and parsed.version == "opml2"
    by_url = {feed.url: feed for feed in parsed.feeds}
    assert by_url["https://feeds.yle.fi/uutiset/v1/majorHeadlines/YLE_NEWS.rss"].categories == [
        ["Europe", "Nordics"]
    ]
    assert by_url["https://news.example/live.rss?a=1&b=2"].title == '"Live"'
    # Read back, the same feeds come out (ids from titles, categories as labels).
    again = opml_feeds(document.encode())
    assert {(f.url, f.labels.get("category")) for f in again} == {
        (f.url, f.labels.get("category")) for f in feeds
    }


def test_watcher_sees_changes_keeps_the_previous_list_when_invalid(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "feeds.yaml"
    inline = (FeedSettings(id="inline", url="https://inline.example/rss"),)
    watcher = FeedFileWatcher(path, inline)
    assert watcher.load() == inline  # no file yet: the inline feeds, and watching
    assert watcher.check() is None
    write_feed_file(path, (LIVE,))
    assert watcher.check() == (*inline, LIVE)
    assert watcher.check() is None  # unchanged
    os.utime(path, ns=(1, 1))
    assert watcher.check() is None  # touched, same content
    path.write_text("feeds: [{id: live, url: 'not a url'}]")
    with caplog.at_level(logging.ERROR):
        assert watcher.check() is None
    assert "feeds file not reloaded, keeping the previous list" in caplog.text
    write_feed_file(path, (FeedSettings(id="inline", url="https://dup.example/rss"),))
    assert watcher.check() is None  # an id of poller.feeds again: refused too
    write_feed_file(path, (LIVE,))
    assert watcher.check() == (*inline, LIVE)
    path.unlink()
    assert watcher.check() is None  # gone: the previous list stays (not "remove every feed")
    write_feed_file(path, ())
    assert watcher.check() == inline  # an empty list does remove them


def test_watcher_refuses_an_invalid_file_at_start(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text("<opml version='2.0'><body><outline xmlUrl='https://x.example/'/>")
    assert [feed.url for feed in FeedFileWatcher(path).load()] == ["https://x.example/"]
    path.write_text("not opml at all")
    with pytest.raises(ConfigError):
        FeedFileWatcher(path).load()
