"""`telex feeds` on a YAML feeds file: every edit, OPML import of reader exports and export,
errors in one line. The state topic is replaced by fakes (the integration tests use Kafka)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import listparser
import orjson
import pytest
import yaml

from schemas.models import FeedState
from streams.poll import service
from streams.poll.feedlist import read_feed_file
from tests.unit.streams.test_cli import _isolate, _main  # the CLI tests' isolation and runner

__all__ = ["_isolate"]  # autouse: no TELEX_* variables, the root logger restored

OPML = Path(__file__).parents[2] / "fixtures" / "opml"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "telex.yaml"
    path.write_text(yaml.safe_dump({
        "poller": {"feeds_file": str(tmp_path / "feeds.yaml"),
                   "feeds": [{"id": "inline", "url": "https://inline.example/rss"}]},
    }))  # fmt: skip
    return path


@pytest.fixture
def deleted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    async def delete_states(settings: Any, feed_ids: list[str]) -> None:
        calls.extend(feed_ids)

    monkeypatch.setattr(service, "delete_states", delete_states)
    return calls


def telex(config: Path, *args: str) -> tuple[int, str, str]:
    outcome = _main(["--config", str(config), "feeds", *args])
    return outcome.code, outcome.stdout, outcome.stderr


def listed(config: Path) -> dict[str, dict[str, Any]]:
    code, out, err = telex(config, "list", "--no-state")
    assert code == 0, err
    return {entry["feed_id"]: entry for entry in map(orjson.loads, out.splitlines())}


def test_add_pause_resume_reset_remove(config: Path, deleted: list[str]) -> None:
    feeds_file = config.parent / "feeds.yaml"
    code, out, _ = telex(config, "add", "https://www.ft.example/world?format=rss",
                         "--interval", "120", "--language", "en", "--label", "outlet=FT",
                         "--label", "country=gb")  # fmt: skip
    assert (code, out) == (0, "added ft-example-world (https://www.ft.example/world?format=rss)\n")
    assert telex(config, "add", "https://x.example/rss", "--id", "x")[0] == 0
    feed = read_feed_file(feeds_file)[0]
    assert (feed.interval_seconds, feed.language, feed.labels) == (
        120, "en", {"outlet": "FT", "country": "gb"}
    )  # fmt: skip
    entries = listed(config)
    assert list(entries) == ["inline", "ft-example-world", "x"]
    assert entries["x"]["status"] == "not polled yet"

    assert telex(config, "pause", "x")[1] == "paused x\n"
    assert listed(config)["x"]["status"] == "paused"
    assert telex(config, "resume", "x")[1] == "resumed x\n"
    assert not read_feed_file(feeds_file)[1].paused
    assert telex(config, "reset", "x")[1] == "reset x\n"
    assert read_feed_file(feeds_file)[1].reset_at

    code, out, _ = telex(config, "remove", "x")
    assert (code, out) == (0, "removed x\nsaved state of x deleted\n")
    assert deleted == ["x"] and [f.id for f in read_feed_file(feeds_file)] == ["ft-example-world"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "https://inline.example/other", "--id", "inline"], "listed twice"),
        (["add", "ftp://x.example/"], "invalid feed 'url'"),
        (["add", "https://x.example/", "--label", "nolabel"], "is not KEY=VALUE"),
        (["add", "https://x.example/", "--interval", "0.1"], "invalid feed 'interval_seconds'"),
        (["pause", "nope"], "no feed 'nope' in the feeds file"),
        (["remove", "inline"], "is in the config's poller.feeds: remove it there"),
    ],
)
def test_bad_edits_end_in_one_line_and_leave_the_file_alone(
    config: Path, args: list[str], message: str
) -> None:
    assert telex(config, "add", "https://kept.example/rss", "--id", "kept")[0] == 0
    before = (config.parent / "feeds.yaml").read_text()
    code, _, err = telex(config, *args)
    assert code != 0 and message in err
    assert (config.parent / "feeds.yaml").read_text() == before


def test_the_same_url_twice_is_refused(config: Path) -> None:
    assert telex(config, "add", "https://x.example/rss")[0] == 0
    code, _, err = telex(config, "add", "https://x.example/rss", "--id", "other")
    assert code == 1 and "already listed" in err


def test_without_a_feeds_file_edits_say_what_to_set(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text("{}")
    code, _, err = telex(bare, "add", "https://x.example/rss")
    assert code == 1 and "set poller.feeds_file" in err


@pytest.mark.parametrize(
    ("name", "count"), [("miniflux.opml", 3), ("freshrss.opml", 3), ("feedly.opml", 2)]
)
def test_import_of_reader_exports_then_export(config: Path, name: str, count: int) -> None:
    code, out, _ = telex(config, "import", str(OPML / name), "--interval", "900")
    assert (code, out) == (0, f"imported {count} feeds from {OPML / name} (0 already listed)\n")
    again = telex(config, "import", str(OPML / name))[1]
    assert again.endswith(f"({count} already listed)\n")
    feeds = read_feed_file(config.parent / "feeds.yaml")
    assert len(feeds) == count and all(f.interval_seconds == 900 for f in feeds)
    assert all(f.labels.get("category") for f in feeds)
    code, out, _ = telex(config, "export")
    parsed = listparser.parse(out.encode())
    assert code == 0 and parsed.version == "opml2" and not parsed.bozo
    assert {f.url for f in parsed.feeds} == {f.url for f in feeds} | {"https://inline.example/rss"}


def test_list_shows_saved_states_and_states_of_unlisted_feeds(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def load_states(settings: Any, timeout: float = 60.0) -> dict[str, FeedState]:
        return {
            "inline": FeedState("inline", "https://inline.example/rss",
                                configured_url="https://inline.example/rss", gone=True,
                                failures=1, last_outcome="gone"),
            "old": FeedState("old", "https://old.example/rss"),
        }  # fmt: skip

    monkeypatch.setattr(service, "load_states", load_states)
    code, out, _ = telex(config, "list")
    entries = [orjson.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [(e["feed_id"], e["status"]) for e in entries] == [
        ("inline", "stopped: 410 Gone; telex feeds reset inline to resume"),
        ("old", "not in the feed list (saved state kept; telex feeds remove ID deletes it)"),
    ]
