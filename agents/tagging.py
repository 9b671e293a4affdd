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
from agents.text import padded_fold

TITLE = "title"
SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A term (or `a~b` proximity rule) that contributed `weight` from `field`."""

    term: str
    field: str
    weight: float


@dataclass(frozen=True, slots=True)
class Tag:
    """A topic that fired, its score and the evidence behind it."""

    topic: str
    score: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A term ready for matching: which literal to look for and how to confirm it."""

    topic: int
    term: Term
    literal_length: int
    bounded_left: bool
    bounded_right: bool
    confirm: re.Pattern[str] | None


# A hit: the compiled term and the word position where it starts.
_Hit = tuple[_Compiled, int]


def tag_item(taxonomy: Taxonomy, *, title: str, summary: str, language: str | None) -> list[Tag]:
    """Topics whose rules hold for the item, best score first; all languages when unknown."""
    automaton = _automaton(taxonomy, language if language in taxonomy.languages else None)
    by_topic: dict[int, dict[str, list[_Hit]]] = defaultdict(lambda: {TITLE: [], SUMMARY: []})
    for field, text in ((TITLE, title), (SUMMARY, summary)):
        for hit in _scan(automaton, padded_fold(text)):
            by_topic[hit[0].topic][field].append(hit)
    tags = [
        tag
        for index, hits in by_topic.items()
        if (tag := _judge(taxonomy.topics[index], hits)) is not None
    ]
    return sorted(tags, key=lambda tag: (-tag.score, tag.topic))


def _scan(automaton: ahocorasick.Automaton, text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    confirmed: dict[_Compiled, list[int]] = {}
    for end, candidates in automaton.iter(text):
        for term in candidates:
            start = end - term.literal_length + 1
            if term.confirm is not None:
                if term not in confirmed:
                    confirmed[term] = [m.start() for m in term.confirm.finditer(text)]
                    hits.extend((term, _word_index(text, at)) for at in confirmed[term])
                continue
            if term.bounded_left and text[start - 1].isalnum():
                continue
            if term.bounded_right and text[end + 1].isalnum():
                continue
            hits.append((term, _word_index(text, start)))
    return hits


def _word_index(text: str, at: int) -> int:
    return text.count(" ", 0, at) - 1


def _judge(topic: Topic, hits: dict[str, list[_Hit]]) -> Tag | None:
    """Score a topic's hits; None unless the score reaches the threshold and constraints hold."""
    evidence: list[Evidence] = []
    groups_hit: set[str] = set()
    for field, field_hits in hits.items():
        factor = topic.title_weight if field == TITLE else 1.0
        seen: set[tuple[str, str]] = set()
        for term, _ in field_hits:
            key = (term.term.group, term.term.pattern)
            if key not in seen:  # each term counts once per field, whatever its language
                seen.add(key)
                groups_hit.add(term.term.group)
                evidence.append(Evidence(term.term.pattern, field, term.term.weight * factor))
        evidence.extend(
            Evidence(f"{rule.groups[0]}~{rule.groups[1]}", field, rule.weight * factor)
            for rule in topic.near
            if _near(rule, field_hits)
        )
    score = round(sum(item.weight for item in evidence), 3)
    if score < topic.threshold or not _constraints_hold(topic, groups_hit):
        return None
    return Tag(topic.id, score, tuple(evidence))


def _near(rule: Proximity, hits: list[_Hit]) -> bool:
    first = [(at, c.term) for c, at in hits if c.term.group == rule.groups[0]]
    second = [(at, c.term) for c, at in hits if c.term.group == rule.groups[1]]
    return any(
        abs(at_a - at_b) <= rule.within and term_a != term_b
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
        for term in topic.terms:
            if language is None or term.language in (language, ALL_LANGUAGES):
                literal, compiled = _compile(index, term)
                by_literal[literal].append(compiled)
    automaton = ahocorasick.Automaton()
    for literal, compiled_terms in by_literal.items():
        automaton.add_word(literal, tuple(compiled_terms))
    automaton.make_automaton()
    return automaton


def _compile(topic: int, term: Term) -> tuple[str, _Compiled]:
    """The literal the automaton looks for, and how a hit on it is confirmed."""
    pattern = term.pattern
    core = pattern.strip("*")
    if "*" not in core:
        return core, _Compiled(
            topic, term, len(core), not pattern.startswith("*"), not pattern.endswith("*"), None
        )
    anchor = max(core.split("*"), key=len)
    words = (r"\w*".join(re.escape(piece) for piece in word.split("*")) for word in pattern.split())
    confirm = re.compile(r"(?<!\w)" + " ".join(words) + r"(?!\w)")
    return anchor, _Compiled(topic, term, len(anchor), False, False, confirm)
