"""Precision/recall/F1 arithmetic, the dev-set quality gate and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.evaluate import (
    evaluate_dedup,
    evaluate_tagging,
    main,
    precision_recall_f1,
    read_jsonl,
)
from agents.tagging.taxonomy import load_taxonomy

FIXTURES = Path(__file__).parents[2] / "fixtures"
DEV = FIXTURES / "labelled" / "dev_tagging.jsonl"
DEV_PAIRS = FIXTURES / "labelled" / "dev_dedup_pairs.jsonl"
# Items written from the label definitions, not from the dev set (one judgement-call miss).
EXTRA = FIXTURES / "tagging" / "extra_labelled.jsonl"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((8, 2, 0), (0.8, 1.0, 8 / 9)),
        ((0, 0, 0), (1.0, 1.0, 1.0)),
        ((0, 3, 2), (0.0, 0.0, 0.0)),
        ((3, 1, 3), (0.75, 0.5, 0.6)),
    ],
)
def test_precision_recall_f1(
    counts: tuple[int, int, int], expected: tuple[float, float, float]
) -> None:
    scores = precision_recall_f1(*counts)
    assert (scores.precision, scores.recall, scores.f1) == pytest.approx(expected)
    assert scores.support == counts[0] + counts[2]


@pytest.mark.parametrize("path", [DEV, EXTRA], ids=["dev", "extra"])
def test_quality_gate(path: Path) -> None:
    report = evaluate_tagging(load_taxonomy(), read_jsonl(path))
    for topic, scores in report.scores.items():
        assert scores.f1 >= 0.9, (topic, scores, report.misses)


def test_misses_name_the_terms_that_fired() -> None:
    item = {"id": "x", "title": "Bundestag", "summary": "", "labels": [], "lang": "de"}
    [miss] = evaluate_tagging(load_taxonomy(), [item]).misses
    assert miss.predicted == {"german-politics"}
    assert any("bundestag" in fired for fired in miss.evidence)


def test_cli_prints_scores(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tagging", str(DEV)]) == 0
    out = capsys.readouterr().out
    assert "defense-treaty" in out and "misclassified:" in out


def test_dedup_same_language_quality_gate() -> None:
    report = evaluate_dedup(read_jsonl(DEV_PAIRS))
    assert report.same_language.precision == 1.0, report.misses
    assert report.same_language.f1 >= 0.9, report


def _side(lang: str, title: str, summary: str) -> dict[str, str]:
    return {"lang": lang, "title": title, "summary": summary}


SAME_FR = _side("fr", "Le Parlement adopte la loi sur l'énergie", "Le vote a eu lieu mardi soir.")
OTHER_FR = _side("fr", "Inondations dans le sud du pays", "Des milliers d'habitants évacués.")
SAME_EN = _side("en", "Parliament passes the energy law", "The vote took place on Tuesday.")


@pytest.mark.parametrize(
    ("pairs", "same", "cross", "misses"),
    [
        # Identical text is a duplicate: one true positive, nothing missed.
        ([("p1", SAME_FR, SAME_FR, True)], (1, 0, 0), (0, 0, 0), ()),
        # Labelled duplicate but unrelated text: a false negative, listed as a miss.
        ([("p2", SAME_FR, OTHER_FR, True)], (0, 0, 1), (0, 0, 0), ("p2",)),
        # Identical text labelled distinct: a false positive.
        ([("p3", OTHER_FR, OTHER_FR, False)], (0, 1, 0), (0, 0, 0), ("p3",)),
        # A translation goes to the cross-lingual group, never the same-language one, and the
        # default cross-language search finds it.
        ([("p4", SAME_FR, SAME_EN, True)], (0, 0, 0), (1, 0, 0), ()),
    ],
)
def test_evaluate_dedup_counts_each_group(
    pairs: list[tuple[str, dict[str, str], dict[str, str], bool]],
    same: tuple[int, int, int],
    cross: tuple[int, int, int],
    misses: tuple[str, ...],
) -> None:
    labelled = [{"id": i, "a": a, "b": b, "duplicate": dup} for i, a, b, dup in pairs]
    report = evaluate_dedup(labelled)
    assert report.same_language == precision_recall_f1(*same)
    assert report.cross_lingual == precision_recall_f1(*cross)
    assert report.misses == misses


def test_cli_prints_dedup_scores(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dedup", str(DEV_PAIRS)]) == 0
    out = capsys.readouterr().out
    assert "same-language" in out and "cross-lingual" in out
    listed = {line.strip() for line in out.split("misclassified:")[1].splitlines()[1:]}
    assert listed == set(evaluate_dedup(read_jsonl(DEV_PAIRS)).misses)
