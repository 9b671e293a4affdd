"""The endless replay of the seed live blog, with its revisions."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from streams.demo.timeline import (
    DemoDataError,
    LiveBlog,
    latest_updates,
    load_liveblog,
    parse_liveblog,
    update_at,
)

DEMO = Path(__file__).resolve().parents[4] / "streams" / "demo"
SEED: dict[str, Any] = json.loads((DEMO / "seed_liveblog.json").read_text(encoding="utf-8"))
REVISIONS: dict[str, Any] = json.loads((DEMO / "seed_revisions.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def blog() -> LiveBlog:
    return load_liveblog()


def test_packaged_seed_loads_in_order(blog: LiveBlog) -> None:
    assert [update.id for update in blog.updates] == [item["id"] for item in SEED["items"]]
    assert blog.language == "fr"
    assert blog.cycle_shift == timedelta(days=1)


@pytest.mark.parametrize(
    ("position", "expected_id", "shift_days"),
    [(0, "seed-00", 0), (6, "seed-06", 0), (7, "seed-00-c2", 1), (16, "seed-02-c3", 2)],
)
def test_cycles_get_new_ids_and_later_times(
    blog: LiveBlog, position: int, expected_id: str, shift_days: int
) -> None:
    update = update_at(blog, position, published_count=position + 1)
    original = blog.updates[position % len(blog.updates)]
    assert update.id == expected_id
    assert update.published - original.published == timedelta(days=shift_days)
    assert update.summary == original.summary


@pytest.mark.parametrize(
    ("position", "published_count", "revised"),
    [(3, 5, False), (3, 6, True), (3, 40, True), (10, 12, False), (10, 13, True), (4, 6, False)],
)
def test_revision_appears_once_its_cycle_is_far_enough(
    blog: LiveBlog, position: int, published_count: int, revised: bool
) -> None:
    update = update_at(blog, position, published_count)
    original = blog.updates[position % len(blog.updates)]
    assert (update.summary != original.summary) is revised
    assert (update.modified > update.published) is revised


def test_latest_updates_are_newest_first_within_the_window(blog: LiveBlog) -> None:
    ids = [update.id for update in latest_updates(blog, published_count=9, window=4)]
    assert ids == ["seed-01-c2", "seed-00-c2", "seed-06", "seed-05"]
    assert latest_updates(blog, published_count=0, window=4) == []


def _broken(change: str) -> tuple[dict[str, Any], dict[str, Any]]:
    seed, revisions = copy.deepcopy(SEED), copy.deepcopy(REVISIONS)
    if change == "unknown id":
        revisions["revisions"][0]["id"] = "seed-99"
    elif change == "revision before update":
        revisions["revisions"][0]["after_updates"] = 3
    elif change == "no updates":
        seed["items"] = []
    elif change == "bad date":
        seed["items"][0]["published"] = "yesterday"
    elif change == "missing summary":
        del seed["items"][2]["summary"]
    return seed, revisions


@pytest.mark.parametrize(
    "change", ["unknown id", "revision before update", "no updates", "bad date", "missing summary"]
)
def test_inconsistent_demo_data_is_refused(change: str) -> None:
    with pytest.raises(DemoDataError):
        parse_liveblog(*_broken(change))
