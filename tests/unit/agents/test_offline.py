"""`enrich_lines`: minimal JSON lines, repeats, --keep-dropped, errors, same as the two stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from agents import offline
from agents.dedup.config import DedupConfig
from agents.dedup.window import Deduplicator
from agents.enrich import dedup_stage, tag_stage
from agents.offline import enrich_lines, raw_item_from_line
from agents.tagging.taxonomy import load_taxonomy
from schemas.models import validate
from streams.errors import MessageError
from streams.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "offline"
MINIMAL = FIXTURES / "title_summary.jsonl"  # three seed updates, title and summary only
FULL = FIXTURES / "full_items.jsonl"  # the seed blog with ids, dates and links
NOW = "2024-12-04T12:00:00.000Z"


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offline, "utc_now_iso", lambda: NOW)


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def _events(lines: list[bytes], settings: Settings | None = None, **kw: Any) -> list[Any]:
    return [orjson.loads(out) for out in enrich_lines(lines, settings or Settings(), **kw)]


def test_title_and_summary_are_enough() -> None:
    events = _events(_lines(MINIMAL))
    assert len(events) == 3  # the blank line is skipped
    for event in events:
        validate(event, "telex.enriched-item/1")
        assert event["language"] == "fr"
    assert len({event["item"]["item_id"] for event in events}) == 3


def test_results_equal_the_two_stages_in_order() -> None:
    settings = Settings()
    taxonomy = load_taxonomy(settings.worker.taxonomy_path)
    dedup = Deduplicator({}, DedupConfig(settings.worker.dedup_window_seconds))
    expected = []
    for number, line in enumerate(_lines(FULL), start=1):
        stage = tag_stage(raw_item_from_line(line, number), taxonomy, received_at=NOW)
        outcome = dedup_stage(stage, dedup, enriched_at=NOW)
        expected.append(orjson.loads(orjson.dumps(outcome.event)))
    assert _events(_lines(FULL)) == expected
    assert [e["dedup"]["status"] for e in expected].count("near_duplicate") == 1


def test_declared_fields_are_kept() -> None:
    first = _events(_lines(FULL))[0]["item"]
    assert first["item_id"] == "lemonde-live:seed-00"
    assert first["published"] == "2024-12-04T08:02:00+01:00"
    assert first["link"] == "https://www.lemonde.fr/live/ukraine/seed-00"


def test_near_duplicates_follow_the_setting() -> None:
    settings = Settings(worker={"near_duplicates": "drop"})  # type: ignore[arg-type]
    events = _events(_lines(FULL), settings)
    assert len(events) == len(_lines(FULL)) - 1
    assert "near_duplicate" not in {e["dedup"]["status"] for e in events}


@pytest.mark.parametrize(("keep_dropped", "expected_count"), [(False, 7), (True, 8)])
def test_a_repeated_item_is_dropped(keep_dropped: bool, expected_count: int) -> None:
    lines = _lines(FULL)
    events = _events([*lines, lines[3]], keep_dropped=keep_dropped)
    assert len(events) == expected_count
    if keep_dropped:
        assert events[-1]["dropped"] is True
        assert events[-1]["item_id"] == "lemonde-live:seed-03"
        assert events[-1]["dedup"]["drop"] is True


def test_a_repeated_identical_minimal_line_is_dropped() -> None:
    line = _lines(MINIMAL)[0]
    assert len(_events([line, line])) == 1


@pytest.mark.parametrize(
    ("line", "reason", "message"),
    [
        (b"{not json", "invalid_json", "line 4: not JSON"),
        (b'{"title": "Seulement un titre"}', "invalid_schema", "line 4: needs at least"),
        (b'["title", "summary"]', "invalid_schema", "line 4: needs at least"),
        (b'{"title": 3, "summary": "x"}', "invalid_schema", "line 4:"),
        pytest.param(
            b'{"title": "t", "summary": "s", "published": "hier"}',
            "invalid_schema",
            "line 4:",
            id="published-not-a-date",
        ),
    ],
)
def test_bad_lines_name_their_number_and_reason(line: bytes, reason: str, message: str) -> None:
    lines = [*_lines(FULL)[:3], line]
    with pytest.raises(MessageError, match=message) as caught:
        _events(lines)
    assert caught.value.reason == reason
