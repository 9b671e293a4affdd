"""Precision/recall/F1 arithmetic, the dev-set quality gate and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.evaluate import evaluate_tagging, main, precision_recall_f1, read_jsonl
from agents.taxonomy import load_taxonomy

FIXTURES = Path(__file__).parents[2] / "fixtures"
DEV = FIXTURES / "labelled" / "dev_tagging.jsonl"
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
