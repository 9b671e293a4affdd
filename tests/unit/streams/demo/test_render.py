"""Every demo view keeps text intact however hostile it is to XML, HTML or JSON."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
import pytest

from streams.demo.render import (
    FeedItem,
    FeedPage,
    liveblog_json_ld,
    render_atom,
    render_json_feed,
    render_liveblog_html,
    render_rss,
)

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "demo" / "tricky_items.json"
WHEN = datetime.fromisoformat("2024-12-04T09:30:00+01:00")


@pytest.fixture(scope="module")
def page() -> FeedPage:
    raw: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["items"]
    items = tuple(
        FeedItem(item["id"], item["title"], item["summary"], WHEN, WHEN + timedelta(minutes=index))
        for index, item in enumerate(raw)
    )
    return FeedPage("Fil <en> direct & co", "fr", "http://127.0.0.1:1/liveblog.html", WHEN, items)


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_xml_feeds_parse_cleanly_and_keep_the_text(page: FeedPage, render: Any) -> None:
    parsed = feedparser.parse(render(page, "http://127.0.0.1:1/feed"))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.title == page.title
    got = [(entry.id, entry.title, plain_summary(entry)) for entry in parsed.entries]
    assert got == [(item.id, item.title, item.summary) for item in page.items]


def plain_summary(entry: Any) -> str:
    """The summary as text: RSS descriptions are HTML, Atom type="text" summaries are not."""
    summary: str = entry.summary
    return unescape(summary) if entry.summary_detail.type == "text/html" else summary


def test_atom_and_rss_carry_the_modified_time(page: FeedPage) -> None:
    for render in (render_rss, render_atom):
        entries = feedparser.parse(render(page, "http://127.0.0.1:1/feed")).entries
        assert [entry.updated for entry in entries] == [
            item.modified.isoformat() for item in page.items
        ]


def test_json_feed_round_trips(page: FeedPage) -> None:
    document = json.loads(render_json_feed(page, "http://127.0.0.1:1/feed.json"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    got = [(item["id"], item["title"], item["content_text"]) for item in document["items"]]
    assert got == [(item.id, item.title, item.summary) for item in page.items]


def test_json_ld_cannot_close_its_script_element(page: FeedPage) -> None:
    html = render_liveblog_html(page).decode()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I)
    assert len(scripts) == 1
    assert json.loads(scripts[0]) == liveblog_json_ld(page)


def test_visible_html_escapes_the_text(page: FeedPage) -> None:
    html = render_liveblog_html(page).decode()
    assert "<direct>" not in html and "&lt;direct&gt;" in html
    assert html.count("<article ") == len(page.items)
