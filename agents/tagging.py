"""Multilingual topic tagging: match a compiled taxonomy against an item's title and summary.

Each language's terms compile once into one Aho-Corasick automaton over folded text; a hit is
kept when its non-wildcard ends sit on word boundaries. Terms with a wildcard inside a word are
confirmed with a regex, only when their literal part was seen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from agents.taxonomy import ALL_LANGUAGES, Proximity, Taxonomy, Term, Topic
from agents.text import FoldedText, fold_text
from schemas.models import Evidence, TagInfo

TITLE = "title"
SUMMARY = "summary"


# A tag is what the enriched event carries: the schema's model, not a look-alike to convert.
# Evidence: a term (or `a~b` proximity rule) that contributed `weight` from `field`.
Tag = TagInfo


@dataclass(frozen=True, slots=True, eq=False)
class _Compiled:
    """A term ready for matching: which literal to look for and how to confirm it."""

    topic: int
    term: Term
    literal_length: int
    bounded_left: bool
    bounded_right: bool
    confirm: re.Pattern[str] | None
    positional: bool  # its group takes part in a proximity rule, so word positions matter


# A hit: the compiled term, whether it is in the title, and its word position (-1: unneeded).
_Hit = tuple[_Compiled, bool, int]


def tag_item(
    taxonomy: Taxonomy,
    *,
    title: str,
    summary: str,
    language: str | None,
    folded: FoldedText | None = None,
) -> list[Tag]:
    """Topics whose rules hold for the item, best score first; all languages when unknown.

    `folded` is `fold_text(title, summary)` when the caller has it already.
    """
    folded = folded or fold_text(title, summary)
    automaton = _automaton(taxonomy, language if language in taxonomy.languages else None)
    by_topic: dict[int, list[_Hit]] = {}
    for in_title, text in ((True, folded.title), (False, folded.summary)):
        for hit in _scan(automaton, f" {text} ", in_title):
            by_topic.setdefault(hit[0].topic, []).append(hit)
    tags = [
        tag
        for index, hits in by_topic.items()
        if (tag := _judge(taxonomy.topics[index], hits)) is not None
    ]
    return sorted(tags, key=lambda tag: (-tag.score, tag.topic))


def _scan(automaton: ahocorasick.Automaton, text: str, in_title: bool) -> list[_Hit]:
    hits: list[_Hit] = []
    confirmed: set[_Compiled] = set()
    for end, candidates in automaton.iter(text):
        for term in candidates:
            if term.confirm is not None:
                if term not in confirmed:
                    confirmed.add(term)
                    hits.extend(
                        (term, in_title, _word_index(text, m.start()))
                        for m in term.confirm.finditer(text)
                    )
                continue
            start = end - term.literal_length + 1
            if term.bounded_left and text[start - 1].isalnum():
                continue
            if term.bounded_right and text[end + 1].isalnum():
                continue
            hits.append((term, in_title, _word_index(text, start) if term.positional else -1))
    return hits


def _word_index(text: str, at: int) -> int:
    return text.count(" ", 0, at) - 1


def _judge(topic: Topic, hits: list[_Hit]) -> Tag | None:
    """Score a topic's hits; None unless the score reaches the threshold and constraints hold."""
    counted: dict[tuple[bool, str, str], float] = {}
    for compiled, in_title, _ in hits:
        term = compiled.term
        # Each term counts once per field, whatever language it was listed under.
        counted.setdefault((in_title, term.group, term.pattern), term.weight)
    score = sum(
        weight * topic.title_weight if in_title else weight
        for (in_title, _, _), weight in counted.items()
    )
    near = _near_bonuses(topic, hits, score)
    score = round(score + sum(weight for _, _, weight in near), 3)
    groups_hit = {group for _, group, _ in counted}
    if score < topic.threshold or not _constraints_hold(topic, groups_hit):
        return None
    evidence = [
        Evidence(pattern, TITLE if in_title else SUMMARY, weight * _factor(topic, in_title))
        for (in_title, _, pattern), weight in counted.items()
    ]
    evidence.extend(Evidence(term, field, weight) for term, field, weight in near)
    return Tag(topic.id, round(score, 4), tuple(evidence))


def _factor(topic: Topic, in_title: bool) -> float:
    return topic.title_weight if in_title else 1.0


def _near_bonuses(topic: Topic, hits: list[_Hit], score: float) -> list[tuple[str, str, float]]:
    """Proximity bonuses per field, skipped when even all of them could not reach the
    threshold."""
    best_case = sum(max(rule.weight * topic.title_weight, rule.weight) for rule in topic.near)
    if not topic.near or score + 2 * best_case < topic.threshold:
        return []
    return [
        (f"{rule.groups[0]}~{rule.groups[1]}", TITLE if in_title else SUMMARY, weight)
        for in_title in (True, False)
        for rule in topic.near
        if _near(rule, [(c.term, at) for c, title, at in hits if title is in_title])
        for weight in (rule.weight * _factor(topic, in_title),)
    ]


def _near(rule: Proximity, hits: list[tuple[Term, int]]) -> bool:
    first = [(at, term) for term, at in hits if term.group == rule.groups[0]]
    second = [(at, term) for term, at in hits if term.group == rule.groups[1]]
    return any(
        abs(at_a - at_b) <= rule.within and term_a.pattern != term_b.pattern
        for at_a, term_a in first
        for at_b, term_b in second
    )


def _constraints_hold(topic: Topic, groups_hit: set[str]) -> bool:
    return (
        all(any(group in groups_hit for group in entry) for entry in topic.all_of)
        and (not topic.any_of or any(group in groups_hit for group in topic.any_of))
        and not any(group in groups_hit for group in topic.none_of)
    )


@lru_cache(maxsize=64)
def _automaton(taxonomy: Taxonomy, language: str | None) -> ahocorasick.Automaton:
    """One automaton per (taxonomy, language); None holds every language's terms."""
    by_literal: dict[str, list[_Compiled]] = defaultdict(list)
    for index, topic in enumerate(taxonomy.topics):
        positional = {group for rule in topic.near for group in rule.groups}
        for term in topic.terms:
            if language is None or term.language in (language, ALL_LANGUAGES):
                literal, compiled = _compile(index, term, term.group in positional)
                by_literal[literal].append(compiled)
    automaton = ahocorasick.Automaton()
    for literal, compiled_terms in by_literal.items():
        automaton.add_word(literal, tuple(compiled_terms))
    automaton.make_automaton()
    return automaton


def _compile(topic: int, term: Term, positional: bool) -> tuple[str, _Compiled]:
    """The literal the automaton looks for, and how a hit on it is confirmed."""
    pattern = term.pattern
    core = pattern.strip("*")
    if "*" not in core:
        return core, _Compiled(
            topic,
            term,
            len(core),
            not pattern.startswith("*"),
            not pattern.endswith("*"),
            None,
            positional,
        )
    anchor = max(core.split("*"), key=len)
    words = (r"\w*".join(re.escape(piece) for piece in word.split("*")) for word in pattern.split())
    confirm = re.compile(r"(?<!\w)" + " ".join(words) + r"(?!\w)")
    return anchor, _Compiled(topic, term, len(anchor), False, False, confirm, positional)
