"""The word lists dedup reads, loaded once at import: stop words and live-blog labels of the
three feed languages, the alias table (`aliases.yaml`: spelling variants, exonyms, demonyms and
seats of power folded to one key per entity) and the event lexicon (`event_words.yaml`: event
words and days folded to one concept each), with the lookups built on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from agents.dedup.facts import NUMBER_WORDS
from agents.text import fold

# Function words of the three feed languages, folded (accents stripped) like the tokens.
_STOP_EN = """
    a an the and or but of in on at to for from by with about as into over after before under
    since than that this these those it its is are was were be been being has have had do does
    did will would can could may might must shall should not no nor so if then there their
    they them he she his her him we our you your i me my who whom which what when where why
    how all any both each few more most other some such only own same too very just also said
    says say new first
"""
_STOP_FR = """
    le la les un une des du de et ou mais donc ni car en dans sur sous par pour avec sans chez
    vers entre contre depuis pendant avant apres lors selon au aux ce cet cette ces son sa ses
    leur leurs mon ma mes notre nos votre vos il elle ils elles on nous vous je tu se qui que
    quoi dont est sont etait etaient ete etre ont avait avaient avoir fait faire plus moins
    tres aussi ne pas y qu jusqu lorsqu puisqu ainsi alors comme si tout tous toute toutes
    meme autre autres deja encore a-t-il
"""
_STOP_DE = """
    der die das den dem des ein eine einer eines einem einen und oder aber doch sondern im an
    am auf aus bei mit nach seit von vom zu zum zur fur uber unter vor hinter neben zwischen
    durch gegen ohne um als wie wenn dass ob weil er sie es wir ihr ich du sein seine seiner
    seinen seinem ihre ihrer ihren ihrem ist sind war waren wird werden wurde wurden hat haben
    hatte hatten kann konnen soll sollen muss will nicht kein keine keinen auch noch nur schon
    sehr mehr sich dieser diese dieses diesem diesen jetzt bisher damit dabei
"""
STOP_WORDS = frozenset(f"{_STOP_EN} {_STOP_FR} {_STOP_DE}".split())
# Live-blog labels in front of a title ("Récap :", "Zusammenfassung:", "BREAKING:"): a recap's
# label is neither a name the other item should mention nor a word of the news.
LIVE_BLOG_LABELS = frozenset({
    "recap", "recaps", "recapitulatif", "zusammenfassung", "zusammengefasst", "uberblick",
    "breaking", "eilmeldung", "update", "updates", "live", "liveblog", "liveticker", "explainer",
})  # fmt: skip
# Words that are neither content words nor names.
NOT_CONTENT = STOP_WORDS | NUMBER_WORDS.keys() | LIVE_BLOG_LABELS

# Python's re has no \\p{Lu}: the class lists Latin capitals, accented ones included.
CAPITALS = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŜŞŠŢŤŪŮŰŲŹŻŽ"
# The capital comes before the look-behind (which then spans it): re can then skip straight to
# capitals instead of testing the look-behind at every position, ~3x faster.
CAPITALISED = re.compile(rf"[{CAPITALS}](?<![^\W_](?s:.))[^\W_]*(?:-[^\W_]+)*")

# Spelling variants, exonyms, demonyms and seats of power of frequent news entities, folded to
# one key per entity (see the file's header).
ALIASES_PATH = Path(__file__).with_name("aliases.yaml")
# Endings the loader adds to a demonym's base form: en -s; fr -e/-s/-es/-ne/-nes; de -e/-en/-er/
# -es/-em. Forms that are not words ("germane") are harmless: nothing else folds to them.
_ADJECTIVE_ENDINGS = ("", "s", "e", "es", "ne", "nes", "en", "er", "em")
PHRASE_SEPARATOR = re.compile(r"[\s-]+")


@dataclass(frozen=True, slots=True)
class Aliases:
    """Alias table, folded: one key per entity for its single-word and multi-word variants."""

    # Folded one-word variant (hyphenated ones included: "etats-unis") -> key.
    names: Mapping[str, str]
    # The same without stop words ("un" is the French article before it is the UN): for words.
    words: Mapping[str, str]
    # Multi-word variants, in folded text, words separated by a space or a hyphen.
    phrases: re.Pattern[str] | None
    # Variant with its words joined by one space ("maison blanche") -> key.
    phrase_keys: Mapping[str, str]
    # Tokens without which no phrase can occur: each one's last word and its hyphenated form
    # ("blanche", "maison-blanche"). Items without them skip the regex.
    phrase_gate: frozenset[str] = frozenset()
    # Country key -> capital key and back ("france" <-> "paris"): for the template guard only.
    capitals: Mapping[str, str] = field(default_factory=dict)


def load_aliases(path: Path = ALIASES_PATH) -> Aliases:
    """Read an alias file: `names`, `adjectives` (inflected), `phrases` and `seats` sections,
    and `capitals` (country key: capital key)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names: dict[str, str] = {}
    phrase_keys: dict[str, str] = {}
    for section in ("names", "adjectives", "phrases", "seats"):
        endings = _ADJECTIVE_ENDINGS if section == "adjectives" else ("",)
        for key, variants in (document.get(section) or {}).items():
            for variant in [key, *variants]:
                parts = PHRASE_SEPARATOR.split(fold(str(variant)).strip())
                if len(parts) > 1:
                    phrase_keys[" ".join(parts)] = str(key)
                if len(parts) == 1 or "-" in str(variant):
                    names.update({"-".join(parts) + ending: str(key) for ending in endings})
    phrases = None
    if phrase_keys:
        alternatives = sorted(phrase_keys, key=len, reverse=True)
        pattern = "|".join(r"[\s-]+".join(map(re.escape, p.split())) for p in alternatives)
        phrases = re.compile(rf"(?<![^\W_])(?:{pattern})(?![^\W_])")
    words = {variant: key for variant, key in names.items() if variant not in NOT_CONTENT}
    gate = {p.split()[-1] for p in phrase_keys} | {p.replace(" ", "-") for p in phrase_keys}
    capitals = {str(k): str(v) for k, v in (document.get("capitals") or {}).items()}
    capitals |= {capital: country for country, capital in capitals.items()}
    return Aliases(names, words, phrases, phrase_keys, frozenset(gate), capitals)


ALIASES = load_aliases()
WORD_ALIAS_KEYS = frozenset(ALIASES.words.values())
# Alias keys, as names (similarity.name_keys): every key of the table.
ALIAS_KEYS = frozenset(ALIASES.names.values())

# Event words and days of the week in English, French and German, folded to one concept key each
# (see the file's header): for the opt-in cross-language duplicate search only.
EVENT_WORDS_PATH = Path(__file__).with_name("event_words.yaml")


@dataclass(frozen=True, slots=True)
class EventWords:
    """Event lexicon, folded: word, prefix or suffix -> neutral term ("~sign", "~day:tuesday")."""

    exact: Mapping[str, str]
    prefixes: Mapping[str, str]
    # The lengths of the prefixes, longest first: a token is looked up by its first n letters.
    prefix_lengths: tuple[int, ...]
    suffixes: tuple[tuple[str, str], ...]
    # The suffixes alone, for one str.endswith test before the loop.
    suffix_ends: tuple[str, ...]


def load_event_words(path: Path = EVENT_WORDS_PATH) -> EventWords:
    """Read an event lexicon: `events` (terms "~<concept>") and `days` ("~day:<day>")."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    exact: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    suffixes: dict[str, str] = {}
    for section, tag in (("events", "~"), ("days", "~day:")):
        for concept, forms in (document.get(section) or {}).items():
            for form in forms:
                folded = fold(str(form)).strip()
                if folded.endswith("*"):
                    prefixes[folded[:-1]] = f"{tag}{concept}"
                elif folded.startswith("*"):
                    suffixes[folded[1:]] = f"{tag}{concept}"
                else:
                    exact[folded] = f"{tag}{concept}"
    lengths = tuple(sorted({len(prefix) for prefix in prefixes}, reverse=True))
    ordered = tuple(sorted(suffixes.items(), key=lambda pair: (-len(pair[0]), pair[0])))
    return EventWords(exact, prefixes, lengths, ordered, tuple(suffixes))


EVENT_WORDS = load_event_words()


@lru_cache(maxsize=1 << 16)
def event_term(token: str) -> str | None:
    """The concept of a folded word in the event lexicon ("unterzeichnet" -> "~sign"), or None.

    Cached: news reuse their words, and a cached word costs one lookup instead of one per prefix
    length."""
    lexicon = EVENT_WORDS
    term = lexicon.exact.get(token)
    if term is not None:
        return term
    for length in lexicon.prefix_lengths:
        if length <= len(token) and (term := lexicon.prefixes.get(token[:length])) is not None:
            return term
    if token.endswith(lexicon.suffix_ends):
        return next(term for suffix, term in lexicon.suffixes if token.endswith(suffix))
    return None


# A multi-word alias found in folded text: its key and its words ("maison", "blanche").
PhraseAlias = tuple[str, tuple[str, ...]]


def phrase_aliases(folded: str) -> list[PhraseAlias]:
    """The multi-word alias variants ("maison blanche", "etats-unis") in folded text."""
    if ALIASES.phrases is None or not folded:
        return []
    found: list[PhraseAlias] = []
    for match in ALIASES.phrases.finditer(folded):
        parts = tuple(PHRASE_SEPARATOR.split(match.group()))
        found.append((ALIASES.phrase_keys[" ".join(parts)], parts))
    return found


def alias_words(folded_tokens: set[str], phrases: Iterable[PhraseAlias] = ()) -> set[str]:
    """Folded tokens with alias variants replaced by their key ("poutine" -> "putin").

    The words of a multi-word variant give way to its key; a hyphenated compound keeps its own
    token and adds the key of an aliased part ("kreml-chef" adds "moscow").
    """
    variants = folded_tokens & ALIASES.words.keys()
    result = folded_tokens - variants
    result.update(ALIASES.words[variant] for variant in variants)
    for key, parts in phrases:
        result.difference_update(parts)
        result.add(key)
    for token in [token for token in result if "-" in token]:
        result.update(ALIASES.words[p] for p in token.split("-") if p in ALIASES.words)
    return result


def is_acronym(word: str) -> bool:
    """Two capitals or more: "NATO", "AfD"."""
    return sum(map(str.isupper, word)) > 1
