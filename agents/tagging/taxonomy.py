"""Topic taxonomy: load and validate the YAML rule file (format in docs/tagging.md).

Pure parsing and validation; matching lives in agents/tagging/tag.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agents.text import fold
from streams.errors import ConfigError

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
ALL_LANGUAGES = "all"
_LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}$")
_TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TOP_KEYS = frozenset({"version", "title_weight", "topics"})
_TOPIC_KEYS = frozenset(
    {"description", "threshold", "title_weight", "groups", "all_of", "any_of", "none_of", "near"}
)
_NEAR_KEYS = frozenset({"groups", "within", "weight"})
_GROUP_KEYS = frozenset({"weight", "min_distinct", "requires", "within"})


class TaxonomyError(ConfigError):
    """The taxonomy file is unreadable or breaks the rule format; the message names file, topic
    and key. A configuration error: it stops a starting worker, not a running one (reloads)."""


@dataclass(frozen=True, slots=True)
class Term:
    """One weighted term or phrase; `pattern` is folded, `*` matches any word characters.

    `entry` names what the term stands for: terms listed together as alternatives of one
    entry (a country, its capital, its demonyms) share it; `min_distinct` counts entries."""

    pattern: str
    weight: float
    group: str
    language: str
    entry: str = ""


@dataclass(frozen=True, slots=True)
class Proximity:
    """Bonus when terms of two groups occur within `within` words of each other in one field."""

    groups: tuple[str, str]
    within: int
    weight: float


@dataclass(frozen=True, slots=True)
class Requirement:
    """A group whose hits count only when every entry of `groups` (alternatives, as in
    `all_of`) has a hit too: anywhere in the item (`within` None) or, hit by hit, within
    `within` words in the same field."""

    group: str
    groups: tuple[tuple[str, ...], ...]
    within: int | None


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic's rules: weighted terms in named groups, group constraints and a threshold."""

    id: str
    description: str
    threshold: float
    title_weight: float
    terms: tuple[Term, ...]
    all_of: tuple[tuple[str, ...], ...]  # every entry needs a hit in one of its groups
    any_of: tuple[str, ...]
    none_of: tuple[str, ...]
    near: tuple[Proximity, ...]
    # groups that count only when at least this many distinct entries of theirs matched
    min_distinct: tuple[tuple[str, int], ...] = ()
    # groups that count only next to (or in the same item as) another group's hits
    requires: tuple[Requirement, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Taxonomy:
    """Validated topics; identity-hashed so compiled matchers can be cached per instance."""

    version: str
    topics: tuple[Topic, ...]
    languages: frozenset[str]
    source: str


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; None loads the shipped default."""
    path = path or DEFAULT_TAXONOMY_PATH
    try:
        raw = path.read_bytes()
        document = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as error:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {error}") from error
    return parse_taxonomy(document, source=str(path), digest=hashlib.sha256(raw).hexdigest())


def parse_taxonomy(document: Any, *, source: str, digest: str) -> Taxonomy:
    """Validate a parsed YAML document; errors name `source`, the topic and the key."""
    top = _mapping(document, source, "(top level)", _TOP_KEYS)
    version = top.get("version")
    if not isinstance(version, str | int | float) or isinstance(version, bool) or version == "":
        raise TaxonomyError(f"{source}: key 'version': must be a non-empty string")
    title_weight = _number(top.get("title_weight", 1.0), f"{source}: key 'title_weight'", 0.0)
    topics_raw = _mapping(top.get("topics"), source, "topics", None)
    if not topics_raw:
        raise TaxonomyError(f"{source}: key 'topics': must define at least one topic")
    topics = tuple(
        _topic(topic_id, body, f"{source}: topic {topic_id!r}", title_weight)
        for topic_id, body in topics_raw.items()
    )
    languages = frozenset(t.language for topic in topics for t in topic.terms) - {ALL_LANGUAGES}
    return Taxonomy(f"{version}+{digest[:8]}", topics, languages, source)


def _topic(topic_id: Any, body: Any, where: str, default_title_weight: float) -> Topic:
    if not isinstance(topic_id, str) or not _TOPIC_ID.match(topic_id):
        raise TaxonomyError(f"{where}: topic id must be lower-case letters, digits and '-'")
    spec = _mapping(body, where, "(topic)", _TOPIC_KEYS)
    groups = _mapping(spec.get("groups"), where, "groups", None)
    if not groups:
        raise TaxonomyError(f"{where}: key 'groups': must define at least one group")
    terms = tuple(
        term for name, group in groups.items() for term in _group(name, group, f"{where}: key")
    )
    names = frozenset(str(name) for name in groups)
    min_distinct = tuple(
        (str(name), _min_distinct(group["min_distinct"], f"{where}: key 'groups.{name}'"))
        for name, group in groups.items()
        if isinstance(group, Mapping) and "min_distinct" in group
    )
    near = tuple(
        _proximity(rule, names, f"{where}: key 'near[{index}]'")
        for index, rule in enumerate(_list(spec.get("near", []), f"{where}: key 'near'"))
    )
    requires = _requirements(groups, names, near, where)
    return Topic(
        id=topic_id,
        description=str(spec.get("description", "")),
        threshold=_number(spec.get("threshold"), f"{where}: key 'threshold'", 0.0),
        title_weight=_number(
            spec.get("title_weight", default_title_weight), f"{where}: key 'title_weight'", 0.0
        ),
        terms=terms,
        all_of=tuple(
            _group_names(
                entry if isinstance(entry, list) else [entry], names, f"{where}: key 'all_of'"
            )
            for entry in _list(spec.get("all_of", []), f"{where}: key 'all_of'")
        ),
        any_of=_group_names(spec.get("any_of", []), names, f"{where}: key 'any_of'"),
        none_of=_group_names(spec.get("none_of", []), names, f"{where}: key 'none_of'"),
        near=near,
        min_distinct=min_distinct,
        requires=requires,
    )


def _group(name: Any, body: Any, where: str) -> list[Term]:
    key = f"groups.{name}"
    spec = _mapping(body, where, key, None)
    default_weight = _number(spec.get("weight", 1.0), f"{where} '{key}.weight'", None)
    terms: list[Term] = []
    for language, entries in spec.items():
        if language in _GROUP_KEYS:
            continue
        if not isinstance(language, str) or not (
            language == ALL_LANGUAGES or _LANGUAGE_KEY.match(language)
        ):
            raise TaxonomyError(f"{where} '{key}': {language!r} is not a language code or 'all'")
        for pattern, weight, entry in _weighted(
            entries, default_weight, f"{where} '{key}.{language}'"
        ):
            terms.append(Term(pattern, weight, str(name), language, entry))
    if not terms:
        raise TaxonomyError(f"{where} '{key}': defines no terms")
    return terms


def _weighted(entries: Any, default: float, where: str) -> list[tuple[str, float, str]]:
    """(pattern, weight, entry) triples; a nested list is one entry's alternative terms."""
    if isinstance(entries, Mapping):
        pairs = [(_pattern(p, where), _number(w, f"{where}.{p}", None)) for p, w in entries.items()]
        return [(p, w, p) for p, w in pairs]
    triples: list[tuple[str, float, str]] = []
    for raw in _list(entries, where):
        alternatives = [_pattern(p, where) for p in (raw if isinstance(raw, list) else [raw])]
        if not alternatives:
            raise TaxonomyError(f"{where}: an entry of alternatives must not be empty")
        triples.extend((p, default, alternatives[0]) for p in alternatives)
    return triples


def _requirements(
    groups: dict[Any, Any], names: frozenset[str], near: tuple[Proximity, ...], where: str
) -> tuple[Requirement, ...]:
    """Each group's `requires` (and `within`). Required groups must not have requirements of
    their own, and a group with one takes no part in `near` rules (its proximity is `within`)."""
    found: list[Requirement] = []
    for name, group in groups.items():
        key = f"{where}: key 'groups.{name}"
        if not isinstance(group, Mapping):
            continue
        if "within" in group and "requires" not in group:
            raise TaxonomyError(f"{key}.within': only applies together with 'requires'")
        if "requires" not in group:
            continue
        required = tuple(
            _group_names(entry if isinstance(entry, list) else [entry], names, f"{key}.requires'")
            for entry in _list(group["requires"], f"{key}.requires'")
        )
        if not required or not all(required) or any(str(name) in entry for entry in required):
            raise TaxonomyError(f"{key}.requires': must name other groups of the topic")
        within = group.get("within")
        if within is not None and (
            not isinstance(within, int) or isinstance(within, bool) or within < 1
        ):
            raise TaxonomyError(f"{key}.within': must be a positive whole number of words")
        if any(str(name) in rule.groups for rule in near):
            raise TaxonomyError(f"{key}.requires': a group with requirements cannot be in 'near'")
        found.append(Requirement(str(name), required, within))
    conditional = {requirement.group for requirement in found}
    for requirement in found:
        chained = conditional.intersection(g for entry in requirement.groups for g in entry)
        if chained:
            raise TaxonomyError(
                f"{where}: key 'groups.{requirement.group}.requires': "
                f"{sorted(chained)} have requirements of their own"
            )
    return tuple(found)


def _min_distinct(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TaxonomyError(f"{where}.min_distinct: must be a positive whole number of entries")
    return value


def _pattern(raw: Any, where: str) -> str:
    """Fold a term as the text is folded; reject patterns that could never match sensibly."""
    if not isinstance(raw, str):
        raise TaxonomyError(f"{where}: term {raw!r} must be a string")
    pattern = " ".join(fold(raw).split())
    words = pattern.split(" ")
    if not any(ch.isalnum() for ch in pattern):
        raise TaxonomyError(f"{where}: term {raw!r} has no letters or digits")
    if "**" in pattern or any(word.strip("*") == "" for word in words):
        raise TaxonomyError(f"{where}: term {raw!r} has a wildcard without letters")
    return pattern


def _proximity(rule: Any, names: frozenset[str], where: str) -> Proximity:
    spec = _mapping(rule, where, "(near rule)", _NEAR_KEYS)
    groups = _group_names(spec.get("groups"), names, f"{where}.groups")
    if len(groups) != 2:
        raise TaxonomyError(f"{where}.groups: must name exactly two groups")
    within = spec.get("within")
    if not isinstance(within, int) or isinstance(within, bool) or within < 1:
        raise TaxonomyError(f"{where}.within: must be a positive whole number of words")
    weight = _number(spec.get("weight"), f"{where}.weight", None)
    return Proximity((groups[0], groups[1]), within, weight)


def _group_names(value: Any, names: frozenset[str], where: str) -> tuple[str, ...]:
    listed = tuple(str(name) for name in _list(value, where))
    unknown = [name for name in listed if name not in names]
    if unknown:
        raise TaxonomyError(f"{where}: unknown group(s) {unknown}; defined: {sorted(names)}")
    return listed


def _mapping(value: Any, where: str, key: str, allowed: frozenset[str] | None) -> dict[Any, Any]:
    if not isinstance(value, Mapping):
        raise TaxonomyError(f"{where}: key {key!r}: must be a mapping")
    unknown = sorted(str(k) for k in value if allowed is not None and k not in allowed)
    if unknown:
        raise TaxonomyError(
            f"{where}: key {unknown[0]!r}: unknown; allowed: {sorted(allowed or [])}"
        )
    return dict(value)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise TaxonomyError(f"{where}: must be a list")
    return value


def _number(value: Any, where: str, above: float | None) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TaxonomyError(f"{where}: must be a number, got {value!r}")
    if above is not None and value <= above:
        raise TaxonomyError(f"{where}: must be greater than {above:g}")
    return float(value)
