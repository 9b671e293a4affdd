"""Evaluate agents on labelled files: `python -m agents.evaluate tagging|dedup FILE [...]`.

Computation (`precision_recall_f1`, `evaluate_tagging`) is pure; `main` reads files and prints.
New modes register a subcommand in `_MODES`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agents.dedup import meaning
from agents.dedup.config import DedupConfig
from agents.dedup.fingerprint import Fingerprint, fingerprint
from agents.dedup.verdict import compare, compare_facts, compare_meaning
from agents.tagging.tag import tag_item
from agents.tagging.taxonomy import Taxonomy, load_taxonomy


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-topic quality figures; support is the number of items labelled with the topic."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Miss:
    """A misclassified item: expected and predicted topics and the terms that fired."""

    id: str
    expected: frozenset[str]
    predicted: frozenset[str]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TaggingReport:
    """Scores per topic and the misclassified items."""

    scores: dict[str, Scores]
    misses: tuple[Miss, ...]


def precision_recall_f1(true_positive: int, false_positive: int, false_negative: int) -> Scores:
    """Precision, recall and F1 from counts; an empty denominator gives 1.0 (nothing to get
    wrong)."""
    predicted = true_positive + false_positive
    actual = true_positive + false_negative
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return Scores(precision, recall, f1, actual)


def evaluate_tagging(taxonomy: Taxonomy, items: Iterable[dict[str, Any]]) -> TaggingReport:
    """Tag every labelled item and score each taxonomy topic against its labels."""
    counts = {topic.id: [0, 0, 0] for topic in taxonomy.topics}
    misses: list[Miss] = []
    for item in items:
        tags = tag_item(
            taxonomy, title=item["title"], summary=item["summary"], language=item.get("lang")
        )
        predicted = frozenset(tag.topic for tag in tags)
        expected = frozenset(item["labels"])
        for topic, (tp_fp_fn) in counts.items():
            if topic in predicted:
                tp_fp_fn[0 if topic in expected else 1] += 1
            elif topic in expected:
                tp_fp_fn[2] += 1
        if predicted != expected:
            fired = tuple(f"{t.topic}:{e.term}@{e.field}" for t in tags for e in t.evidence)
            misses.append(Miss(str(item["id"]), expected, predicted, fired))
    scores = {topic: precision_recall_f1(*c) for topic, c in counts.items()}
    return TaggingReport(scores, tuple(misses))


@dataclass(frozen=True, slots=True)
class DedupReport:
    """Duplicate-detection scores for same-language and cross-lingual pairs, and the misses."""

    same_language: Scores
    cross_lingual: Scores
    misses: tuple[str, ...]


def evaluate_dedup(
    pairs: Iterable[dict[str, Any]],
    *,
    cross_language: bool = True,
    facts: bool = True,
    same_language_meaning: bool = False,
) -> DedupReport:
    """Compare the fingerprints of each labelled pair; score 'duplicate' as the positive class.

    Each pair is judged as `Deduplicator` judges a candidate (`pair_verdict`), with its fact
    search in one language (`facts`, the worker's `fact_duplicates`), across languages
    (`cross_language`, `cross_language_duplicates`, by facts and by meaning) and by meaning in
    one language (`same_language_meaning`, `meaning_duplicates`), with the worker's defaults.
    """
    config = DedupConfig(
        same_language_facts=facts,
        cross_language=cross_language,
        same_language_meaning=same_language_meaning,
    )
    pairs = list(pairs)
    sides = [_fingerprint_side(pair[side], config) for pair in pairs for side in ("a", "b")]
    counts = {"same": [0, 0, 0], "cross": [0, 0, 0]}
    misses: list[str] = []
    for pair, a, b in zip(pairs, sides[::2], sides[1::2], strict=True):
        predicted = pair_verdict(a, b, config)
        expected = bool(pair["duplicate"])
        group = counts["same" if pair["a"].get("lang") == pair["b"].get("lang") else "cross"]
        if predicted:
            group[0 if expected else 1] += 1
        elif expected:
            group[2] += 1
        if predicted != expected:
            misses.append(str(pair["id"]))
    same, cross = (precision_recall_f1(*counts[key]) for key in ("same", "cross"))
    return DedupReport(same, cross, tuple(misses))


def pair_verdict(a: Fingerprint, b: Fingerprint, config: DedupConfig) -> bool:
    """The Deduplicator's verdict on `a` against a recorded `b`, found as a candidate: the
    word comparison, then the fact search; two known languages go to the cross-language
    search alone when it is on."""
    method = config.fact_method(a.language, b.language)
    if method == "cross_language":
        found = compare_facts(a, b, config)[0]
    else:
        found = compare(a, b, config)[0] or (method == "facts" and compare_facts(a, b, config)[0])
    return found or (config.embeds and compare_meaning(a, b, config)[0])


def _fingerprint_side(side: dict[str, Any], config: DedupConfig) -> Fingerprint:
    print_ = fingerprint(title=side["title"], summary=side["summary"], language=side.get("lang"),
                         neutral=config.searches_facts)  # fmt: skip
    if not config.embeds:
        return print_
    embedding = meaning.embed([meaning.passage(side["title"], side["summary"])])[0]
    return replace(print_, meaning=embedding)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Items of a JSON-lines file, blank lines skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def format_tagging_report(report: TaggingReport) -> str:
    """Human-readable table of per-topic scores followed by the misclassified items."""
    lines = [f"{'topic':<20} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}"]
    for topic, s in report.scores.items():
        lines.append(
            f"{topic:<20} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.support:>7}"
        )
    lines.append(f"misclassified: {len(report.misses)}")
    for miss in report.misses:
        lines.append(
            f"  {miss.id}: expected {sorted(miss.expected)} got {sorted(miss.predicted)}"
            f" fired {list(miss.evidence)}"
        )
    return "\n".join(lines)


def format_dedup_report(report: DedupReport) -> str:
    """Scores of both pair groups followed by the misclassified pair ids."""
    lines = [f"{'pairs':<14} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}"]
    for name, s in (
        ("same-language", report.same_language),
        ("cross-lingual", report.cross_lingual),
    ):
        lines.append(f"{name:<14} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.support:>7}")
    lines.append(f"misclassified: {len(report.misses)}")
    lines.extend(f"  {pair_id}" for pair_id in report.misses)
    return "\n".join(lines)


def _run_tagging(args: argparse.Namespace) -> int:
    report = evaluate_tagging(load_taxonomy(args.taxonomy), read_jsonl(args.file))
    print(format_tagging_report(report))
    return 0


def _add_tagging(commands: Any) -> None:
    parser = commands.add_parser("tagging", help="per-topic precision, recall and F1")
    parser.add_argument("file", type=Path, help="labelled JSON lines (dev_tagging.jsonl format)")
    parser.add_argument("--taxonomy", type=Path, default=None, help="taxonomy YAML")
    parser.set_defaults(run=_run_tagging)


def _run_dedup(args: argparse.Namespace) -> int:
    report = evaluate_dedup(
        read_jsonl(args.file),
        cross_language=not args.no_cross_language,
        facts=not args.no_facts,
        same_language_meaning=args.meaning,
    )
    print(format_dedup_report(report))
    return 0


def _add_dedup(commands: Any) -> None:
    parser = commands.add_parser("dedup", help="duplicate-pair precision, recall and F1")
    parser.add_argument("file", type=Path, help="labelled pairs (dev_dedup_pairs.jsonl format)")
    parser.add_argument(
        "--no-cross-language",
        action="store_true",
        help="without the cross-language search (worker.cross_language_duplicates: false)",
    )
    parser.add_argument(
        "--meaning",
        action="store_true",
        help="with the meaning search in one language (worker.meaning_duplicates: true)",
    )
    parser.add_argument(
        "--no-facts",
        action="store_true",
        help="without the same-language fact search (worker.fact_duplicates: false)",
    )
    parser.set_defaults(run=_run_dedup)


_MODES: tuple[Callable[[Any], None], ...] = (_add_tagging, _add_dedup)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the subcommand and run it."""
    parser = argparse.ArgumentParser(prog="python -m agents.evaluate", description=__doc__)
    commands = parser.add_subparsers(dest="mode", required=True)
    for add_mode in _MODES:
        add_mode(commands)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
