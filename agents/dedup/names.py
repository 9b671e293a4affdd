"""Signals for "same news facts" between two fingerprints, beyond word overlap. Pure functions.

Names are matched across spelling variants by their first `NAME_PREFIX` letters (folded), so
Zelensky/Zelenskyy and Hamburg/Hamburg-Wahl meet but Poutine/Putin do not by themselves: the
fingerprint already carries the alias key of such names (agents/dedup/aliases.yaml: "putin").
A prefix never joins two entities of the alias table, though: Austria/Australia,
Algeria/Algiers and Schweden/Schweiz share five letters and stay apart (`entity_of`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from agents.dedup.facts import is_calendar_word
from agents.dedup.fingerprint import STEM_LENGTH, Fingerprint
from agents.dedup.lexicon import ALIAS_KEYS, ALIASES, event_term

NAME_PREFIX = 5
# What `entity_of` answers for a prefix with which names of two entities of the table begin.
SHARED_PREFIX = "?"


def _table_entities() -> dict[str, str]:
    """Every name of the alias table -> its entity: variants to their key, and capitals with
    no variants to themselves ("tunis" is no spelling of "tunisia")."""
    return {**{capital: capital for capital in ALIASES.capitals}, **ALIASES.names}


def _prefix_owners(entities: dict[str, str]) -> dict[str, str]:
    """First `NAME_PREFIX` letters -> the one entity whose names begin so, or SHARED_PREFIX."""
    owners: dict[str, set[str]] = defaultdict(set)
    for name, entity in entities.items():
        if len(name) >= NAME_PREFIX:
            owners[name[:NAME_PREFIX]].add(entity)
    return {prefix: min(e) if len(e) == 1 else SHARED_PREFIX for prefix, e in owners.items()}


_ENTITIES = _table_entities()
_PREFIX_OWNERS = _prefix_owners(_ENTITIES)


def entity_of(name: str) -> str | None:
    """The alias-table entity a folded name stands for: its own when the table lists it, else
    the one whose names begin like it (an inflection the table lacks: "ukrainerin"), or
    SHARED_PREFIX when names of two entities do ("australierin"); None for other names."""
    return _ENTITIES.get(name) or _PREFIX_OWNERS.get(name[:NAME_PREFIX])


def named_apart(a: str, b: str) -> bool:
    """True when the alias table tells two names apart: they stand for two of its entities."""
    entity_a, entity_b = entity_of(a), entity_of(b)
    return entity_a is not None and entity_b is not None and entity_a != entity_b


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Size of the intersection over size of the union; 0.0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def mentions(name: str, terms: Iterable[str]) -> bool:
    """True when `name` is one of `terms`, or both are long enough and share a prefix and the
    alias table does not tell them apart."""
    if len(name) < NAME_PREFIX:
        return name in terms
    prefix = name[:NAME_PREFIX]
    return any(
        term[:NAME_PREFIX] == prefix and not named_apart(name, term)
        for term in terms
        if len(term) >= NAME_PREFIX
    )


def unmentioned_title_names(item: Fingerprint, other: Fingerprint) -> frozenset[str]:
    """Names in `item`'s title that `other` never mentions, neither as a name nor as a word.

    A name with an alias is mentioned by any variant of it: a title's "Kremlin" by "Moscou"
    (`other`'s entities carry the alias keys of its names).
    """
    terms = other.entities | other.words | compound_parts(other.entities)
    return frozenset(
        name
        for name in item.title_names
        if not mentions(name, terms)
        and not (name in ALIASES.names and mentions(ALIASES.names[name], terms))
        and not ends_a_compound(name, other.entities)
    )


def compound_parts(names: Iterable[str]) -> set[str]:
    """The parts of hyphenated names: title names are split at hyphens, so a text naming
    "OSZE-Ministerrat" or "CSU-Chef" mentions a title's "Ministerrat" or "CSU"."""
    return {part for name in names if "-" in name for part in name.split("-")}


def compound_heads(names: Iterable[str]) -> set[str]:
    """The last parts of hyphenated names, the heads of the compounds ("brigade")."""
    return {name.rsplit("-", 1)[-1] for name in names if "-" in name}


def ends_a_compound(name: str, names: Iterable[str]) -> bool:
    """True when one of `names` is a closed compound whose head is `name` ("Etatentwurf" ends
    with "Entwurf"): German writes compounds in one word. Heads of 5 letters or more."""
    return len(name) >= NAME_PREFIX and any(
        len(other) > len(name) and other.endswith(name) for other in names
    )


def unmentioned_entities(item: Fingerprint, other: Fingerprint) -> frozenset[str]:
    """`item`'s names (entities) that `other` never mentions, neither as a name nor as a word.

    Spelling variants meet as in `mentions` ("Sonntag"/"Sonntagabend", "Bodenpersonal"/
    "Bodenpersonals"). A hyphenated name is mentioned by its last part, the head of the compound,
    and mentions that head ("Bundeswehr-Brigade" and "Brigade"), but not its first part:
    "Sachsen-Anhalt" and "Sachsen" are two places. A country is mentioned by its capital and a
    capital by its country ("France"/"Paris", `aliases.yaml` capitals): news name a government
    by either, so the two are no swapped place. `item.common` (German nouns after an article)
    are not names here.
    """
    heads = compound_heads(other.entities)
    firsts = {name[:STEM_LENGTH] for name in other.entities if "-" in name}
    terms = {name for name in other.entities if "-" not in name} | heads | (other.words - firsts)
    keys = alias_keys(other.entities)
    capitals = ALIASES.capitals
    return frozenset(
        name
        for name in item.entities - item.common
        if name not in other.entities
        and not mentions(name.rsplit("-", 1)[-1] if "-" in name else name, terms)
        and capitals.get(ALIASES.names.get(name, name)) not in keys
    )


def unmentioned_alias_keys(item: Fingerprint, other: Fingerprint) -> frozenset[str]:
    """Alias keys of `item`'s words that `other` never names, by any variant, its capital or its
    country: a place named by its demonym only ("le Parlement finlandais" -> "finland"), which
    French and English write in lower case, so it is no entity. Empty without neutral terms."""
    keys = name_keys(other)
    capitals = ALIASES.capitals
    return frozenset(
        key
        for term in item.neutral
        if term[:1] == "@" and (key := term[1:]) not in keys and capitals.get(key) not in keys
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


# Cross-language signals (the opt-in cross-language search, docs/dedup.md). Two texts in two
# languages share almost no words; what they share is names (spelled alike, or folded to one key
# by the alias table), numbers and the concepts of their event words (`Fingerprint.neutral`).


def name_keys(fp: Fingerprint) -> frozenset[str]:
    """The item's names in no particular language: the alias key of a name that has one
    ("Poutine", "Putin" -> "putin"; "ukrainienne" -> "ukraine"), the folded name otherwise."""
    keys = {ALIASES.names.get(name, name) for name in fp.entities}
    keys.update(term[1:] for term in fp.neutral if term[:1] == "@")
    return frozenset(keys)


def index_keys(fp: Fingerprint) -> frozenset[str]:
    """Keys under which an item is found by the cross-language search: its name keys, those
    without an alias cut to `NAME_PREFIX` letters (so "Macrons" finds "Macron")."""
    return frozenset(k if k in ALIAS_KEYS else k[:NAME_PREFIX] for k in name_keys(fp))


def same_name(a: str, b: str) -> bool:
    """Two name keys name the same: equal, or one is the other plus an inflection of at most two
    letters ("macron"/"macrons", "scholz"/"scholzs") and the shorter has 4 letters or more, unless
    the alias table tells them apart ("tunis"/"tunisia")."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return (
        len(short) >= 4
        and len(long_) - len(short) <= 2
        and long_.startswith(short)
        and not named_apart(a, b)
    )


def shared_name_keys(a: frozenset[str], b: frozenset[str]) -> int:
    """How many of the names in the smaller-matching direction the other side names too."""
    forward = sum(any(same_name(x, y) for y in b) for x in a)
    backward = sum(any(same_name(y, x) for x in a) for y in b)
    return min(forward, backward)


def neutral_numbers(fp: Fingerprint) -> frozenset[str]:
    return frozenset(term for term in fp.neutral if term[:1] == "#")


def event_concepts(fp: Fingerprint) -> frozenset[str]:
    """Event concepts ("~killed"), days of the week left out."""
    return frozenset(t for t in fp.neutral if t[:1] == "~" and not t.startswith("~day:"))


def days(fp: Fingerprint) -> frozenset[str]:
    return frozenset(t for t in fp.neutral if t.startswith("~day:"))


def checked_title_names(fp: Fingerprint) -> frozenset[str]:
    """Title names that must be mentioned by a translation of the item, as name keys.

    German capitalises every noun, and the noun of a German title ("Zugunglück", "Leitzins")
    has no reason to appear in a French or English text: a German title name counts only when
    the alias table knows it (a country, capital, leader or organisation). The title's first
    word counts when `fingerprint.title_terms` found it may be a name.
    """
    keys = {ALIASES.names.get(name, name) for name in fp.title_names}
    if fp.language == "de":
        keys &= ALIAS_KEYS
    keys.update(term[1:] for term in fp.neutral if term[:1] == "^")
    return frozenset(keys)


def unmentioned_across(item: Fingerprint, other: Fingerprint) -> frozenset[str]:
    """`item`'s checked title names that `other` (another language) never mentions."""
    other_names = name_keys(other)
    # Title words are split at hyphens ("Garmisch-Partenkirchen" names "partenkirchen").
    parts = {part for name in other.entities if "-" in name for part in name.split("-")}
    terms = other.entities | other.words | parts
    return frozenset(
        name
        for name in checked_title_names(item)
        if not any(same_name(name, key) for key in other_names) and not mentions(name, terms)
    )


def unmatched_title_events(item: Fingerprint, other: Fingerprint) -> frozenset[str]:
    """Event concepts of `item`'s title ("!~ratification") that `other` never mentions: a title
    says what happened, and a translation says it too."""
    events = event_concepts(other)
    return frozenset(
        term[1:] for term in item.neutral if term[:1] == "!" and term[1:] not in events
    )


def unmentioned_in_other_words(item: Fingerprint, other: Fingerprint) -> frozenset[str]:
    """`item`'s checked title names that `other`, told in other words or in another language,
    never mentions: neither by a spelling variant nor as the capital of the country named (or
    the country of the capital: "Téhéran" for Iran). Months and days are no names."""
    keys = name_keys(other)
    return frozenset(
        name
        for name in unmentioned_across(item, other)
        if ALIASES.capitals.get(name) not in keys
        and not is_calendar_word(name)
        and not (event_term(name) or "").startswith("~day:")
    )
