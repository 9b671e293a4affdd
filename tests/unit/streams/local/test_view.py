"""`telex run`'s view: the state it keeps and what it draws from it, at 80 columns and wider,
with no terminal, broker or process (render is a pure function of the state)."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from schemas.models import (
    DeadLetter,
    DedupInfo,
    EnrichedItem,
    FeedState,
    MessageSource,
    Processing,
    RawItem,
    TagInfo,
)
from streams.local.view import duration, plain_event_line, render, shorten_id
from streams.local.view_state import Child, FeedMetrics, ViewState

NOW = 1_765_000_000.0
BLOG = "http://127.0.0.1:8765/liveblog.html"


def event(feed: str, post: str, status: str, story_post: str, *tags: str) -> EnrichedItem:
    item_id = f"{feed}:{BLOG}#{post}"
    raw = RawItem(event_id=f"ev-{feed}-{post}", item_id=item_id, revision=1, feed_id=feed,
                  feed_url=f"{BLOG}.rss", source_format="rss",
                  title=f"Titre de {post}: la diplomatie ukrainienne appelle à un sommet",
                  summary="s", fetched="2024-12-04T09:00:00Z", content_hash="h")  # fmt: skip
    dedup = DedupInfo(status, f"demo-rss:{BLOG}#{story_post}", None, None, None)  # type: ignore[arg-type]
    tag_infos = tuple(TagInfo(tag, 1.0, ()) for tag in tags)
    return EnrichedItem(raw.event_id, raw, "fr", "declared", dedup, tag_infos, "1",
                        Processing("2024-12-04T09:00:01Z", "2024-12-04T09:00:02Z"))  # fmt: skip


def busy_state() -> ViewState:
    state = ViewState(NOW - 65, "127.0.0.1:9092", "var/log")
    state.children = [Child("demo-server", 101, "var/log/demo-server.log"),
                      Child("worker-1", 102, "var/log/worker-1.log"),
                      Child("poller", 103, "var/log/poller.log")]  # fmt: skip
    state.add_feeds(["demo-rss", "demo-atom", "demo-jsonfeed", "demo-liveblog"])
    state.apply_feed_state(FeedState("demo-rss", BLOG, items={"a": "1", "b": "2"},
                                     last_outcome="ok", next_poll_at=NOW + 3))  # fmt: skip
    state.apply_feed_state(FeedState("demo-atom", BLOG, failures=3, backoff_since=NOW - 125,
                                     last_outcome="server_error",
                                     next_poll_at=NOW + 60))  # fmt: skip
    state.apply_raw(9)
    for item in (
        event("demo-rss", "seed-00", "new", "seed-00", "diplomacy"),
        event("demo-liveblog", "seed-00-c2", "duplicate", "seed-00", "diplomacy"),
        event("demo-jsonfeed", "seed-01", "near_duplicate", "seed-00", "defense-treaty",
              "diplomacy"),
        event("demo-rss", "seed-02", "new", "seed-02", "german-politics", "diplomacy",
              "defense-treaty"),
        event("demo-atom", "seed-02", "update", "seed-02"),
    ):  # fmt: skip
        state.apply_enriched(item, NOW - 1)
    letter = DeadLetter("invalid_json", "not JSON", MessageSource("telex.items.raw", 2, 41, None),
                        "", 8, "2024-12-04T09:00:03Z")  # fmt: skip
    state.apply_dead_letter(letter, None, NOW)
    return state


def screen(state: ViewState, width: int = 80, height: int = 40) -> list[str]:
    """The view as a terminal of that size would show it (text only, trailing blanks cut)."""
    console = Console(width=width, height=height, record=True, color_system=None,
                      file=io.StringIO())  # fmt: skip
    console.print(render(state, NOW, width, height))
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_the_view_at_80_columns_has_every_section_and_fits() -> None:
    lines = screen(busy_state())
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80
    assert len(lines) <= 40
    for heading in ("Feeds", "Counters", "Latest events"):
        assert heading in lines, heading
    assert lines[0].startswith("telex run  broker 127.0.0.1:9092  up 1m05s")
    assert "items in 9   new 2   updates 1   duplicates 1   near-duplicates 1" in text
    assert "DLQ 1   consumer lag -" in text
    assert "tags: diplomacy 4 · defense-treaty 2 · german-politics 1" in text
    assert "processes: demo-server 101  worker-1 102  poller 103" in text
    assert "logs: var/log/" in text


def test_feed_rows_say_outcome_items_next_poll_and_backoff() -> None:
    rows = {line.split()[0]: line for line in screen(busy_state()) if line.startswith("demo-")}
    assert rows["demo-rss"].split() == ["demo-rss", "ok", "2", "in", "3s", "none"]
    assert rows["demo-atom"].split() == [
        "demo-atom", "server_error", "0", "in", "1m00s", "3", "failures", "for", "2m05s",
    ]  # fmt: skip
    assert rows["demo-jsonfeed"].split() == ["demo-jsonfeed", "waiting", "0", "-", "none"]


def test_event_rows_show_status_item_story_and_tags_with_ids_cut_in_the_middle() -> None:
    lines = screen(busy_state())
    events = lines[lines.index("Latest events") + 2 :]
    rows = [line.split() for line in events if line][:6]
    assert [row[:4] for row in rows] == [
        ["new", "demo-rss:…#seed-00", "#1", "diplomacy"],
        ["duplicate", "demo-liveblog:…#seed-00-c2", "#1", "diplomacy"],
        ["near-dup", "demo-jsonfeed:…#seed-01", "#1", "defense-treaty+1"],
        ["new", "demo-rss:…#seed-02", "#2", "german-politics+2"],
        ["update", "demo-atom:…#seed-02", "#2", "-"],
        ["dlq", "telex.items.raw/2@41", "-", "invalid_json"],
    ]


def test_newest_events_stay_on_screen_when_the_terminal_is_short() -> None:
    state = busy_state()
    for index in range(50):
        state.apply_enriched(event("demo-rss", f"post-{index}", "new", f"post-{index}"), NOW)
    lines = screen(state, height=30)
    assert len(lines) <= 30
    assert any("#post-49" in line for line in lines)
    assert not any("#post-30 " in line for line in lines)


def test_wide_terminals_get_a_time_column_and_longer_ids() -> None:
    lines = screen(busy_state(), width=120)
    assert max(len(line) for line in lines) <= 120
    header = next(line for line in lines if line.startswith("time"))
    assert header.split()[:3] == ["time", "status", "item"]
    assert any(re.search(r" demo-liveblog:…\S*/liveblog\.html#seed-00-c2 ", line) for line in lines)


def test_before_any_event_the_view_says_it_is_waiting() -> None:
    state = ViewState(NOW, "127.0.0.1:9092", "var/log")
    state.add_feeds(["demo-rss"])
    text = "\n".join(screen(state))
    assert "waiting for the first enriched event" in text
    assert "demo-rss" in text and "waiting" in text


def test_a_notice_is_shown_above_the_footer() -> None:
    state = busy_state()
    state.notice = "poller exited with code 1; see var/log/poller.log"
    lines = screen(state)
    assert lines[-3] == state.notice and len(lines) <= 40


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("demo-rss:" + BLOG + "#seed-06", 20, "demo-rss:…#seed-06"),
        ("demo-liveblog:" + BLOG + "#seed-00-c2", 29, "demo-liveblog:…#seed-00-c2"),
        ("demo-liveblog:" + BLOG + "#seed-00-c2", 40, "demo-liveblog:…/liveblog.html#seed-00-c2"),
        ("demo-liveblog:" + BLOG + "#seed-00-c2", 16, "…#seed-00-c2"),
        ("lemonde:urn:lemonde:post-7", 20, "lemonde:…:post-7"),
        ("f:" + "x" * 40, 10, "f:…xxxxxxx"),
        ("short:id", 20, "short:id"),
        ("/tmp/pytest-of-root/pytest-7/test_run0/log/", 20, "…/test_run0/log/"),
    ],
)
def test_shorten_id_keeps_the_end_and_cuts_the_middle(text: str, width: int, expected: str) -> None:
    shortened = shorten_id(text, width)
    assert shortened == expected
    assert len(shortened) <= width
    if shortened != text:
        assert text.endswith(shortened.split("…", 1)[1])


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59.9, "59s"), (60, "1m00s"), (3599, "59m59s"), (3720, "1h02m"), (-5, "0s")],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_plain_lines_keep_ids_whole() -> None:
    rows = list(busy_state().events)
    line = plain_event_line(rows[1])
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d duplicate demo-liveblog:http://127\.0\.0\.1:8765/liveblog\.html#seed-00-c2"
        r" story=demo-rss:http://127\.0\.0\.1:8765/liveblog\.html#seed-00 \[diplomacy\] Titre .*",
        line,
    )
    assert " story=" not in plain_event_line(rows[0])  # a new story is its own item
    assert plain_event_line(rows[-1]).split()[1:] == [
        "dlq", "telex.items.raw/2@41", "invalid_json", "(telex.items.raw/2@41)",
    ]  # fmt: skip


def test_stories_are_numbered_in_order_of_first_sight() -> None:
    state = busy_state()
    assert [row.story for row in state.events] == [1, 1, 1, 2, 2, 0]
    assert state.statuses == {"new": 2, "duplicate": 1, "near_duplicate": 1, "update": 1}


def test_feed_metrics_give_the_outcome_that_grew_and_backoff_changes() -> None:
    state = ViewState(NOW, "b", "var/log")
    state.apply_feed_state(FeedState("f", BLOG, last_outcome="unchanged"))

    def page(ok: float, errors: float, backoff: float | None) -> dict[str, FeedMetrics]:
        fetches = {"ok": ok, "server_error": errors}
        return {"f": FeedMetrics(NOW + 5, backoff, fetches)}

    assert state.apply_feed_metrics(page(3, 0, None)) == []
    assert state.feeds["f"].last_outcome == "unchanged", "no earlier page: nothing grew yet"
    assert state.apply_feed_metrics(page(4, 0, None)) == []
    assert state.feeds["f"].last_outcome == "ok"
    assert state.apply_feed_metrics(page(5, 1, NOW - 2)) == ["f"], "entered backoff"
    row = state.feeds["f"]
    assert (row.last_outcome, row.failures, row.backoff_since) == ("server_error", 1, NOW - 2)
    assert state.apply_feed_metrics(page(5, 2, NOW - 2)) == []
    assert state.apply_feed_metrics(page(6, 2, None)) == ["f"], "left backoff"
    assert (state.feeds["f"].last_outcome, state.feeds["f"].failures) == ("ok", 0)
    assert state.feeds["f"].next_poll_at == NOW + 5


def test_many_feeds_leave_room_for_events_and_failing_feeds_come_first() -> None:
    state = busy_state()
    state.add_feeds([f"feed-{index:02d}" for index in range(40)])
    lines = screen(state)
    assert len(lines) <= 40
    feeds = lines[lines.index("Feeds") + 2 : lines.index("Counters") - 1]
    assert feeds[0].startswith("demo-atom ") and "3 failures" in feeds[0]
    assert re.fullmatch(r"… and \d+ more feeds", feeds[-1])
    assert int(feeds[-1].split()[2]) + len(feeds) - 1 == 44
    events = lines[lines.index("Latest events") + 2 :]
    assert any(line.startswith("dlq ") for line in events), "the newest event is still shown"
