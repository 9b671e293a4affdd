"""Multilingual topic tagging: match a compiled taxonomy against an item's title and summary.

Each language's terms compile once into one Aho-Corasick automaton over folded text; a hit is
kept when its non-wildcard ends sit on word boundaries. Terms with a wildcard inside a word are
confirmed with a regex, only when their literal part was seen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from agents.tagging.taxonomy import (
    ALL_LANGUAGES,
    Proximity,
    Requirement,
    Taxonomy,
    Term,
    Topic,
)
from agents.text import FoldedText, fold_text
from schemas.models import Evidence, TagInfo

TITLE = "title"
SUMMARY = "summary"


# A tag is what the enriched event carries: the schema's model, not a look-alike to convert.
# Evidence: a term (or `a~b` proximity rule) that contributed `weight` from `field`.
Tag = TagInfo

# Per-field pairs below are indexed by `in_title`: [0] for the summary, [1] for the title.
_FIELDS = (SUMMARY, TITLE)
# A term counts once per (topic, in_title, group, pattern); proximity rules look for positions
# per (topic, in_title, group).
_Key = tuple[int, bool, str, str]
_Place = tuple[int, bool, str]


@dataclass(frozen=True, slots=True, eq=False)
class _Compiled:
    """A term ready for matching: which literal to look for, how to confirm it and, per field,
    how a hit counts towards its topic."""

    topic: int
    group: str
    pattern: str
    entry: str  # what the term stands for; alternatives of one entry share it
    literal_length: int
    bounded_left: bool
    bounded_right: bool
    confirm: re.Pattern[str] | None
    positional: bool  # its group takes part in a proximity rule, so word positions matter
    keys: tuple[_Key, ...]  # a term counts once per key: topic, field, group and pattern
    places: tuple[_Place, ...]  # where proximity rules look for its positions
    scores: tuple[float, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class _Near:
    """A proximity rule with, per field, where to find its two groups' hits and its evidence."""

    rule: Proximity
    places: tuple[tuple[_Place, _Place], ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class _CompiledTopic:
    topic: Topic
    near: tuple[_Near, ...]
    near_best_case: float  # the most one field's proximity bonuses can add


@dataclass(frozen=True, slots=True)
class _Matcher:
    automaton: ahocorasick.Automaton
    topics: tuple[_CompiledTopic, ...]


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
    matcher = _matcher(taxonomy, language if language in taxonomy.languages else None)
    counted: dict[_Key, _Compiled] = {}  # the first hit of each key, in text order
    positions: dict[_Place, list[tuple[int, str]]] = {}  # word position and pattern of hits
    for in_title, text in ((True, folded.title), (False, folded.summary)):
        padded = f" {text} "
        for term, at in _hits(matcher.automaton, padded):
            counted.setdefault(term.keys[in_title], term)
            if term.positional:
                hit = (_word_index(padded, at), term.pattern)
                positions.setdefault(term.places[in_title], []).append(hit)
    by_topic: dict[int, list[tuple[bool, _Compiled]]] = {}
    for (topic, in_title, _, _), term in counted.items():
        by_topic.setdefault(topic, []).append((in_title, term))
    tags = [
        tag
        for index, hits in by_topic.items()
        if (tag := _judge(matcher.topics[index], hits, positions)) is not None
    ]
    return sorted(tags, key=lambda tag: (-tag.score, tag.topic))


def _hits(automaton: ahocorasick.Automaton, text: str) -> Iterator[tuple[_Compiled, int]]:
    """The terms found in padded folded `text`, each with where it starts."""
    confirmed: set[_Compiled] = set()
    for end, candidates in automaton.iter(text):
        for term in candidates:
            if term.confirm is not None:
                if term not in confirmed:
                    confirmed.add(term)
                    yield from ((term, match.start()) for match in term.confirm.finditer(text))
                continue
            start = end - term.literal_length + 1
            if term.bounded_left and text[start - 1].isalnum():
                continue
            if term.bounded_right and text[end + 1].isalnum():
                continue
            yield term, start


def _word_index(text: str, at: int) -> int:
    return text.count(" ", 0, at) - 1


def _judge(
    compiled: _CompiledTopic,
    hits: list[tuple[bool, _Compiled]],
    positions: dict[_Place, list[tuple[int, str]]],
) -> Tag | None:
    """Score a topic's hits; None unless the score reaches the threshold and constraints hold.

    Each term counts once per field, whatever language it was listed under (`hits` holds the
    first hit of each); proximity rules look at every hit of their groups.
    """
    topic = compiled.topic
    short = _short_of_distinct(topic, hits)
    if short:
        hits = [(in_title, term) for in_title, term in hits if term.group not in short]
    if topic.requires:
        hits = _with_requirements_met(topic, hits, positions)
    score = sum(term.scores[in_title] for in_title, term in hits)
    near = _near_bonuses(compiled, positions, score, short)
    score = round(score + sum(evidence.weight for evidence in near), 3)
    groups_hit = {term.group for _, term in hits}
    if score < topic.threshold or not _constraints_hold(topic, groups_hit):
        return None
    evidence = [term.evidence[in_title] for in_title, term in hits]
    evidence.extend(near)
    return Tag(topic.id, round(score, 4), tuple(evidence))


def _short_of_distinct(topic: Topic, hits: list[tuple[bool, _Compiled]]) -> frozenset[str]:
    """Groups with a `min_distinct` that fewer distinct entries matched (title and summary
    together): they count as not hit at all."""
    if not topic.min_distinct:
        return frozenset()
    entries: dict[str, set[str]] = defaultdict(set)
    for _, term in hits:
        entries[term.group].add(term.entry)
    return frozenset(group for group, least in topic.min_distinct if len(entries[group]) < least)


def _with_requirements_met(
    topic: Topic,
    hits: list[tuple[bool, _Compiled]],
    positions: dict[_Place, list[tuple[int, str]]],
) -> list[tuple[bool, _Compiled]]:
    """Drop the hits of groups with `requires` unless every required entry (one of its
    groups) matched: anywhere in the item, or (with `within`) within that many words in the
    same field, by another term. Required groups have no requirements of their own, so one
    pass over `hits` decides."""
    groups_hit = {term.group for _, term in hits}
    rules = {requirement.group: requirement for requirement in topic.requires}
    kept: list[tuple[bool, _Compiled]] = []
    for in_title, term in hits:
        rule = rules.get(term.group)
        if rule is None or _requirement_met(rule, term, in_title, groups_hit, positions):
            kept.append((in_title, term))
    return kept


def _requirement_met(
    rule: Requirement,
    term: _Compiled,
    in_title: bool,
    groups_hit: set[str],
    positions: dict[_Place, list[tuple[int, str]]],
) -> bool:
    own = [hit for hit in positions.get(term.places[in_title], ()) if hit[1] == term.pattern]
    for entry in rule.groups:
        present = [group for group in entry if group in groups_hit]
        if not present:
            return False
        if rule.within is None:
            continue
        others = [
            hit for group in present for hit in positions.get((term.topic, in_title, group), ())
        ]
        if not _near(rule.within, own, others):
            return False
    return True


def _near_bonuses(
    compiled: _CompiledTopic,
    positions: dict[_Place, list[tuple[int, str]]],
    score: float,
    short: frozenset[str] = frozenset(),
) -> list[Evidence]:
    """Proximity bonuses per field, skipped when even all of them could not reach the
    threshold; rules naming a group in `short` do not apply."""
    if not compiled.near or score + 2 * compiled.near_best_case < compiled.topic.threshold:
        return []
    bonuses: list[Evidence] = []
    for in_title in (True, False):
        for near in compiled.near:
            if short.intersection(near.rule.groups):
                continue
            first, second = near.places[in_title]
            if _near(near.rule.within, positions.get(first, ()), positions.get(second, ())):
                bonuses.append(near.evidence[in_title])
    return bonuses


def _near(within: int, first: Iterable[tuple[int, str]], second: Iterable[tuple[int, str]]) -> bool:
    """Hits of two groups within `within` words of each other, by different terms."""
    return any(
        abs(at_a - at_b) <= within and pattern_a != pattern_b
        for at_a, pattern_a in first
        for at_b, pattern_b in second
    )


def _constraints_hold(topic: Topic, groups_hit: set[str]) -> bool:
    return (
        all(any(group in groups_hit for group in entry) for entry in topic.all_of)
        and (not topic.any_of or any(group in groups_hit for group in topic.any_of))
        and not any(group in groups_hit for group in topic.none_of)
    )


@lru_cache(maxsize=64)
def _matcher(taxonomy: Taxonomy, language: str | None) -> _Matcher:
    """One automaton per (taxonomy, language); None holds every language's terms."""
    by_literal: dict[str, list[_Compiled]] = defaultdict(list)
    for index, topic in enumerate(taxonomy.topics):
        positional = {group for rule in topic.near for group in rule.groups}
        positional.update(
            group
            for rule in topic.requires
            if rule.within is not None
            for group in (rule.group, *(g for entry in rule.groups for g in entry))
        )
        for term in topic.terms:
            if language is None or term.language in (language, ALL_LANGUAGES):
                literal, compiled = _compile(index, topic, term, term.group in positional)
                by_literal[literal].append(compiled)
    automaton = ahocorasick.Automaton()
    for literal, compiled_terms in by_literal.items():
        automaton.add_word(literal, tuple(compiled_terms))
    automaton.make_automaton()
    topics = tuple(_compile_topic(index, topic) for index, topic in enumerate(taxonomy.topics))
    return _Matcher(automaton, topics)


def _compile_topic(index: int, topic: Topic) -> _CompiledTopic:
    factors = (1.0, topic.title_weight)  # summary, title
    near = tuple(
        _Near(
            rule,
            tuple(
                ((index, in_title, rule.groups[0]), (index, in_title, rule.groups[1]))
                for in_title in (False, True)
            ),
            tuple(
                Evidence(f"{rule.groups[0]}~{rule.groups[1]}", field, rule.weight * factor)
                for field, factor in zip(_FIELDS, factors, strict=True)
            ),
        )
        for rule in topic.near
    )
    best_case = sum(max(rule.weight * topic.title_weight, rule.weight) for rule in topic.near)
    return _CompiledTopic(topic, near, best_case)


def _compile(topic_index: int, topic: Topic, term: Term, positional: bool) -> tuple[str, _Compiled]:
    """The literal the automaton looks for, and how a hit on it is confirmed and counted."""
    literal, bounded_left, bounded_right, confirm = _literal(term.pattern)
    factors = (1.0, topic.title_weight)  # summary, title
    return literal, _Compiled(
        topic=topic_index,
        group=term.group,
        pattern=term.pattern,
        entry=term.entry or term.pattern,
        literal_length=len(literal),
        bounded_left=bounded_left,
        bounded_right=bounded_right,
        confirm=confirm,
        positional=positional,
        keys=tuple((topic_index, in_title, term.group, term.pattern) for in_title in (False, True)),
        places=tuple((topic_index, in_title, term.group) for in_title in (False, True)),
        scores=(term.weight, term.weight * topic.title_weight),
        evidence=tuple(
            Evidence(term.pattern, field, term.weight * factor)
            for field, factor in zip(_FIELDS, factors, strict=True)
        ),
    )


def _literal(pattern: str) -> tuple[str, bool, bool, re.Pattern[str] | None]:
    """The literal to look for, whether its ends must sit on word boundaries, and the regex
    that confirms a hit when a wildcard sits inside a word."""
    core = pattern.strip("*")
    if "*" not in core:
        return core, not pattern.startswith("*"), not pattern.endswith("*"), None
    anchor = max(core.split("*"), key=len)
    words = (r"\w*".join(re.escape(piece) for piece in word.split("*")) for word in pattern.split())
    return anchor, False, False, re.compile(r"(?<!\w)" + " ".join(words) + r"(?!\w)")
