"""Signals for "same news facts" between two fingerprints, beyond word overlap. Pure functions.

Names are matched across spelling variants by their first `NAME_PREFIX` letters (folded), so
Zelensky/Zelenskyy and Hamburg/Hamburg-Wahl meet but Poutine/Putin do not by themselves: the
fingerprint already carries the alias key of such names (agents/aliases.yaml: "putin").
"""

from __future__ import annotations

from collections.abc import Iterable

from agents.fingerprint import ALIASES, Fingerprint

NAME_PREFIX = 5


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Size of the intersection over size of the union; 0.0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def mentions(name: str, terms: Iterable[str]) -> bool:
    """True when `name` is one of `terms`, or both are long enough and share a prefix."""
    if len(name) < NAME_PREFIX:
        return name in terms
    prefix = name[:NAME_PREFIX]
    return any(term[:NAME_PREFIX] == prefix for term in terms if len(term) >= NAME_PREFIX)


def unmentioned_title_names(item: Fingerprint, other: Fingerprint) -> frozenset[str]:
    """Names in `item`'s title that `other` never mentions, neither as a name nor as a word.

    A name with an alias is mentioned by any variant of it: a title's "Kremlin" by "Moscou"
    (`other`'s entities carry the alias keys of its names).
    """
    terms = other.entities | other.words
    return frozenset(
        name
        for name in item.title_names
        if not mentions(name, terms)
        and not (name in ALIASES.names and mentions(ALIASES.names[name], terms))
    )


def shared_names(a: Fingerprint, b: Fingerprint) -> int:
    """Number of `a`'s names (entities) that `b` names too, spelling variants included.

    A name and its alias key ("poutine", "putin") count once.
    """
    terms = alias_keys(b.entities)
    return sum(mentions(name, terms) for name in alias_keys(a.entities))


def alias_keys(names: frozenset[str]) -> set[str]:
    """Names with each alias variant replaced by its key ("moscou", "moscow" -> "moscow")."""
    return {ALIASES.names.get(name, name) for name in names}
