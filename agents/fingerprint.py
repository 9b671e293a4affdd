"""Content fingerprints for dedup: content hash, MinHash signature, words, entities, numbers.

Pure functions, no I/O. A fingerprint is computed once per item by one agent and sent to the
dedup agent as JSON (`fingerprint_to_dict` / `fingerprint_from_dict`).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from agents.facts import NUMBER_WORDS, number_facts
from agents.text import FoldedText, fold, fold_text

# Number of MinHash values; each value is one LSH band of one row (see docs/dedup.md).
SIGNATURE_SIZE = 16
# Word stems are prefixes: "eingestuft"/"einstufung" still differ, but "rechtsextremistisch" and
# "rechtsextremistischer", "Partnerschaft" and "Partnerschaftsvertrag" meet.
STEM_LENGTH = 6

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
_STOP_WORDS = frozenset(f"{_STOP_EN} {_STOP_FR} {_STOP_DE}".split())
# Live-blog labels in front of a title ("Récap :", "Zusammenfassung:", "BREAKING:"): a recap's
# label is neither a name the other item should mention nor a word of the news.
_LIVE_BLOG_LABELS = frozenset({
    "recap", "recaps", "recapitulatif", "zusammenfassung", "zusammengefasst", "uberblick",
    "breaking", "eilmeldung", "update", "updates", "live", "liveblog", "liveticker", "explainer",
})  # fmt: skip
# Words that are neither content words nor names.
_NOT_CONTENT = _STOP_WORDS | NUMBER_WORDS.keys() | _LIVE_BLOG_LABELS
_FOLDED_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# A word starting with a capital letter, not preceded by a letter ("l’OSCE" gives "OSCE").
# Python's re has no \\p{Lu}: the class lists Latin capitals, accented ones included.
_CAPITALS = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŜŞŠŢŤŪŮŰŲŹŻŽ"
# Title words split at hyphens too, so "Hamburg-Wahl" names Hamburg.
_TITLE_WORD = re.compile(r"[^\W\d_]+")
# The capital comes before the look-behind (which then spans it): re can then skip straight to
# capitals instead of testing the look-behind at every position, ~3x faster.
_CAPITALISED = re.compile(rf"[{_CAPITALS}](?<![^\W_](?s:.))[^\W_]*(?:-[^\W_]+)*")
# On ASCII text _FOLDED_WORD only matches inside runs of letters, digits and "-": every other
# byte becomes a space (bytes.translate: a table lookup per byte).
_ASCII_SEPARATORS = bytes(c if chr(c).isalnum() or c == ord("-") else ord(" ") for c in range(256))
# In such runs a match keeps exactly the hyphens between two letters or digits ("a-b" in
# "a-b--c-"); the others separate words like spaces. The literal "-" first lets re jump from
# hyphen to hyphen.
_LOOSE_HYPHEN = re.compile(r"-(?:(?<![^\W_]-)|(?![^\W_]))")

# Multiply-shift hashing (Dietzfelbinger et al.): h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32 with
# odd a_i is a 2-universal family for 32-bit x. Fixed seed: every process computes the same
# signature for the same words.
_RNG = np.random.default_rng(20241204)
_MULTIPLIERS = _RNG.integers(1, 2**63, size=SIGNATURE_SIZE, dtype=np.uint64) * np.uint64(2) + 1
_OFFSETS = _RNG.integers(0, 2**63, size=SIGNATURE_SIZE, dtype=np.uint64)
_EMPTY_SIGNATURE = (2**32 - 1,) * SIGNATURE_SIZE

# Spelling variants, exonyms, demonyms and seats of power of frequent news entities, folded to
# one key per entity (see the file's header).
ALIASES_PATH = Path(__file__).with_name("aliases.yaml")
# Endings the loader adds to a demonym's base form: en -s; fr -e/-s/-es/-ne/-nes; de -e/-en/-er/
# -es/-em. Forms that are not words ("germane") are harmless: nothing else folds to them.
_ADJECTIVE_ENDINGS = ("", "s", "e", "es", "ne", "nes", "en", "er", "em")
_PHRASE_SEPARATOR = re.compile(r"[\s-]+")


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
                parts = _PHRASE_SEPARATOR.split(fold(str(variant)).strip())
                if len(parts) > 1:
                    phrase_keys[" ".join(parts)] = str(key)
                if len(parts) == 1 or "-" in str(variant):
                    names.update({"-".join(parts) + ending: str(key) for ending in endings})
    phrases = None
    if phrase_keys:
        alternatives = sorted(phrase_keys, key=len, reverse=True)
        pattern = "|".join(r"[\s-]+".join(map(re.escape, p.split())) for p in alternatives)
        phrases = re.compile(rf"(?<![^\W_])(?:{pattern})(?![^\W_])")
    words = {variant: key for variant, key in names.items() if variant not in _NOT_CONTENT}
    gate = {p.split()[-1] for p in phrase_keys} | {p.replace(" ", "-") for p in phrase_keys}
    capitals = {str(k): str(v) for k, v in (document.get("capitals") or {}).items()}
    capitals |= {capital: country for country, capital in capitals.items()}
    return Aliases(names, words, phrases, phrase_keys, frozenset(gate), capitals)


ALIASES = load_aliases()
_ALIAS_KEYS = frozenset(ALIASES.words.values())
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


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup needs of an item: exact identity, LSH signature and verification features."""

    content_hash: str
    signature: tuple[int, ...]
    words: frozenset[str]
    entities: frozenset[str]
    numbers: frozenset[str]
    # Folded names in the title (see `title_names`); empty for fingerprints stored before it.
    title_names: frozenset[str] = frozenset()
    # German entities that always follow an article (`german_determined_nouns`): common nouns.
    # Still names for `shared_names`, not for the template guard. Empty in fingerprints made
    # before them.
    common: frozenset[str] = frozenset()
    # The item's language ("fr", "de", "en") and its language-neutral terms (`neutral_terms`),
    # for the opt-in cross-language search; None and empty in fingerprints made before them.
    language: str | None = None
    neutral: frozenset[str] = frozenset()


def fingerprint(
    *,
    title: str,
    summary: str,
    language: str | None,
    content_hash: str | None = None,
    folded: FoldedText | None = None,
    neutral: bool = True,
) -> Fingerprint:
    """Fingerprint an item; `content_hash` defaults to a hash of the folded title and summary.

    `folded` is `fold_text(title, summary)` when the caller has it already. The language-neutral
    terms (for the dedup stage's fact search) are left out with `neutral=False`: they cost
    about a sixth of the fingerprint.
    """
    # Folding, elisions and stop words cover fr/de/en at once; only the names depend on it.
    german = (language or "").lower().startswith("de")
    folded = folded or fold_text(title, summary)
    # Elided "l'", "qu'" split off as their own short tokens, which content_words drops: cheaper
    # than text.tokens(), whose elision pass costs as much as the rest of the fingerprint.
    distinct = folded_words(f"{folded.title}\n{folded.summary}")
    in_title: list[PhraseAlias] = []
    in_text: list[PhraseAlias] = []
    # The phrase regex costs as much as the tokenising: most items have no token it needs.
    if not distinct.isdisjoint(ALIASES.phrase_gate):
        in_title = phrase_aliases(folded.title)
        in_text = in_title + phrase_aliases(folded.summary)
    words = content_words(distinct)
    entities = named_entities(title, summary, in_text, german=german)
    common = german_determined_nouns(title, summary) & entities if german else frozenset()
    aliased = alias_words(distinct, in_text)
    found_numbers = number_facts(
        f"{title}\n{summary}",
        f"{folded.title}\n{folded.summary}",
        distinct,
        base_language(language),
    )
    return Fingerprint(
        content_hash=content_hash or _hash_folded(folded),
        signature=minhash(_aliased_signature_terms(aliased)),
        words=words,
        entities=entities,
        numbers=found_numbers,
        title_names=title_names(title, in_title),
        common=common,
        language=base_language(language),
        neutral=neutral_terms(distinct, aliased, found_numbers)
        | title_terms(folded.title, german=german)
        if neutral
        else frozenset(),
    )


def base_language(language: str | None) -> str | None:
    """ "fr" for "fr", "FR" or "fr-CH"; None when unknown."""
    return language.replace("_", "-").split("-")[0].lower() or None if language else None


def neutral_terms(
    folded_tokens: set[str], aliased: set[str], found_numbers: frozenset[str]
) -> frozenset[str]:
    """What an item says in no particular language, for the cross-language search: the alias
    keys of its words, capitalised or not ("@ukraine" for "ukrainien", "ukrainische"), its
    numbers ("#4", with the counts spelled inside hyphenated words: "two-hour" gives "#2") and
    the concepts of its event words ("~killed" for "killed", "tués", "Tote"; "~day:tuesday").

    `aliased` is `alias_words` of the tokens. Names without an alias come from the entities
    (similarity.name_keys).
    """
    terms = {"@" + key for key in aliased & _ALIAS_KEYS}
    terms.update("#" + number for number in found_numbers)
    for token in folded_tokens:
        if "-" in token:
            parts = token.split("-")
            terms.update("#" + NUMBER_WORDS[part] for part in parts if part in NUMBER_WORDS)
            terms.update(term for part in parts if (term := event_term(part)) is not None)
        term = event_term(token)
        if term is not None:
            terms.add(term)
    return frozenset(terms)


def title_terms(folded_title: str, *, german: bool) -> frozenset[str]:
    """What a translation of a folded title must mention too: its first word as "^<name>" when
    that may be a name, which `title_names` leaves out, and its event concepts as "!~<concept>".

    Headlines often start with who the news is about ("Scholz makes surprise visit to Kyiv"). In
    English and French the first word counts unless it is a stop word, a count or an event word;
    a common word is then usually a cognate the translation shares ("Magnitude", "Délégations").
    German capitalises every noun: there it counts only when the alias table knows it as a name,
    not as an inflected adjective ("Kiew" counts, "Russische" and "Zugunglück" do not).
    """
    terms = {"!" + term for token in folded_words(folded_title) if (term := event_term(token))}
    first = _TITLE_WORD.search(folded_title)
    if first is None:
        return frozenset(terms)
    name = first.group()
    if name in _NOT_CONTENT or len(name) < 2 or event_term(name) is not None:
        return frozenset(terms)
    if name in ALIASES.names and not (german and is_german_common_word(name)):
        terms.add("^" + ALIASES.names[name])
    elif not german:
        terms.add("^" + name)
    return frozenset(terms)


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
        parts = tuple(_PHRASE_SEPARATOR.split(match.group()))
        found.append((ALIASES.phrase_keys[" ".join(parts)], parts))
    return found


def signature_terms(folded_tokens: set[str], phrases: Iterable[PhraseAlias]) -> frozenset[str]:
    """What the MinHash signature (LSH candidates only) is computed over: the content words with
    aliases folded ("poutine" -> "putin"), plus each alias key once more ("@putin").

    A re-summary in new words keeps its names: weighting them, two paraphrases share more of the
    set and become LSH candidates more often. `words`, and so compare()'s Jaccard, stay as they
    are. Built from folded tokens only, so case does not change the signature.
    """
    return _aliased_signature_terms(alias_words(folded_tokens, phrases))


def _aliased_signature_terms(aliased: set[str]) -> frozenset[str]:
    return content_words(aliased) | {"@" + key for key in aliased & _ALIAS_KEYS}


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


def folded_words(folded: str) -> set[str]:
    """The distinct _FOLDED_WORD matches of folded text; ASCII text skips the regex."""
    if not folded.isascii():
        return set(_FOLDED_WORD.findall(folded))
    runs = folded.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii")
    if "-" in runs:
        runs = _LOOSE_HYPHEN.sub(" ", runs)
    return set(runs.split())


def hash_content(title: str, summary: str) -> str:
    """Hash of the folded, whitespace-collapsed text: a 128-bit BLAKE2b hex digest."""
    return _hash_folded(fold_text(title, summary))


def _hash_folded(folded: FoldedText) -> str:
    normalised = f"{folded.title}\x1f{folded.summary}"
    return hashlib.blake2b(normalised.encode(), digest_size=16).hexdigest()


def content_words(folded_tokens: Iterable[str]) -> frozenset[str]:
    """Stems of the words that carry content: no stop words, counts or single letters."""
    candidates = _as_set(folded_tokens) - _NOT_CONTENT
    return frozenset({w[:STEM_LENGTH] for w in candidates if len(w) > 1 and not w.isdigit()})


def named_entities(
    title: str, summary: str, phrases: Iterable[PhraseAlias], *, german: bool = False
) -> frozenset[str]:
    """Folded capitalised words and acronyms that are not stop words (names, places, orgs), plus
    the alias key of each one that has one ("Poutine" adds "putin") and of `phrases`, the
    multi-word aliases found in the text.

    German capitalises every noun: with `german`, words that `is_german_common_word` finds by
    their form ("Einstufung", "Ministerin", "Russische") are left out. The other German nouns
    remain; the guard that uses entities only looks at substitutions between otherwise similar
    texts.
    """
    capitalised = _CAPITALISED.findall(f"{title}\n{summary}")
    acronyms = {fold(word) for word in capitalised if word.isupper() and len(word) > 1}
    acronyms -= _LIVE_BLOG_LABELS  # "BREAKING:"
    names = set(fold(" ".join(capitalised)).split()).difference(_NOT_CONTENT)
    compounds = [name for name in names if "-" in name]
    if german:
        names = {name for name in names if not is_german_common_word(name)}
    entities = acronyms | {name for name in names if len(name) > 1}
    names_map = ALIASES.names
    keys = {names_map[name] for name in entities & names_map.keys()}
    keys.update(key for key, _ in phrases)
    for name in compounds:  # "Nato-Gipfel", "EU-Kommission" (a noun itself): a part's alias
        keys.update(names_map[p] for p in name.split("-") if p in names_map)
    return frozenset(entities | keys)


# Derivational suffixes of German common nouns, folded, singular and plural, each with the
# shortest stem it needs before it, so that short names keep theirs ("Jung", "Tunis", "Clement",
# "Schwerin", "Vincent"). Not "-er" (Söder, Lindner, Müller) nor "-ei", "-ie", "-chen", "-enz",
# "-agen" (Türkei, Armenien, München, Koblenz, Kopenhagen).
_GERMAN_NOUN_SUFFIXES = (
    ("ung ungen heit heiten keit keiten schaft schaften", 2),
    ("tion tionen sion sionen itat itaten ismus ismen tum tumer logie logien kratie", 2),
    ("ment mente menten nis nisse nissen ling linge tur turen eur eure", 4),
    ("ist isten ent enten", 5),  # Journalist, Präsident
    ("erin erinnen istin istinnen entin entinnen atin atinnen", 5),  # Ministerin, Kandidatin
)
# Matched against the last hyphenated part of a word ("Grünen-Kandidatin"); the endings alone
# (str.endswith) first, as most names have none of them.
_GERMAN_NOUN_ENDINGS = tuple(" ".join(suffixes for suffixes, _ in _GERMAN_NOUN_SUFFIXES).split())
_GERMAN_NOUN = re.compile(
    "|".join(
        rf"\w{{{stem},}}(?:{'|'.join(suffixes.split())})"
        for suffixes, stem in _GERMAN_NOUN_SUFFIXES
    )
)
# An inflected adjective ("Russische", "Ukrainischer", "Europäischen"): German adjectives are
# lower-case, so a capitalised one starts a sentence (or a fixed name, whose alias gives its key)
# and is no more a name than "ukrainische". Uninflected forms are left alone (Leipzig, Fröhlich),
# and "-iger" too (Geiger).
_GERMAN_ADJECTIVE = re.compile(r"\w{2,}(?:(?:isch|lich)(?:e|en|er|es|em)|ig(?:e|en|es|em))")
_GERMAN_ADJECTIVE_ENDINGS = tuple(
    f"{stem}{ending}"
    for stem in ("isch", "lich", "ig")
    for ending in ("e", "en", "er", "es", "em")
    if (stem, ending) != ("ig", "er")
)


def is_german_common_word(folded: str) -> bool:
    """True for a folded capitalised German word that is a common noun or an adjective by its
    form: an inflected adjective, or a noun suffix ("-ung", "-heit", "-schaft", "-ismus",
    "-erin" ...) at the end of its last hyphenated part ("Grünen-Kandidatin").

    Form only, no vocabulary: a word without such an ending ("Besuch", "Klage") stays a name.
    """
    if folded.endswith(_GERMAN_ADJECTIVE_ENDINGS) and _GERMAN_ADJECTIVE.fullmatch(folded):
        return True
    head = folded.rsplit("-", 1)[-1]
    if not head.endswith(_GERMAN_NOUN_ENDINGS) or folded in ALIASES.names:
        return False  # a name of the alias table with a noun ending stays a name
    return _GERMAN_NOUN.fullmatch(head) is not None


# A German capitalised word after an article, a determiner or a preposition fused with an
# article, with up to two inflected adjectives between ("den Schritt", "der richtige Weg"), and
# not followed by another capitalised word (a first name: "der Kanzler Olaf Scholz" keeps Olaf).
# Within a line: the title's last word ("bestellt Botschafter ein") does not reach the summary.
# der die das den dem des, ein(e|em|en|er|es), kein(...), zum zur, im ins, am, vom, beim. The
# look-ahead on first letters lets re skip most positions (~40 % faster than a plain list).
_GERMAN_DETERMINED = re.compile(
    r"(?=[dDeEkKzZiIaAvVbB])(?<![^\W_])"
    r"(?:[Dd](?:e[rmns]|ie|as)|(?:[Ee]|[Kk]e)in(?:e[mnrs]?)?|[Zz]u[mr]|[Ii](?:m|ns)|[Aa]m|[Vv]om|[Bb]eim)"
    r"[^\S\n]+"
    r"(?:[a-zäöüß]+(?:e|en|er|es|em)[^\S\n]+){0,2}"
    rf"([{_CAPITALS}][^\W_]*(?:-[^\W_]+)*)(?![^\W_-])(?![^\S\n]+[{_CAPITALS}])"
)


def german_determined_nouns(title: str, summary: str) -> frozenset[str]:
    """Folded capitalised words of a German item that follow an article or a determiner
    wherever they occur ("den Schritt", "das Staatsoberhaupt", "der richtige Weg", "im Januar"):
    common nouns, which German capitalises. German names rarely take an article; those that do
    are mostly in the alias table (die Ukraine, der Kreml) or acronyms (die AfD), and stay names,
    as does a word that also stands without one (a headline's "Bundestag").
    """
    text = f"{title}\n{summary}"
    determined = Counter(match.group(1) for match in _GERMAN_DETERMINED.finditer(text))
    if not determined:
        return frozenset()
    everywhere = Counter(_CAPITALISED.findall(text))
    common = (w for w, count in determined.items() if everywhere[w] == count and not _is_acronym(w))
    return frozenset(word for word in map(fold, common) if word not in ALIASES.names)


def title_names(title: str, phrases: Iterable[PhraseAlias]) -> frozenset[str]:
    """Folded names a title is about: capitalised words, minus the sentence-initial word (unless
    an acronym) and first names (a capitalised word followed by another: "Viktor Orbán").

    The words of a multi-word alias in `phrases` give way to its key ("Maison Blanche" ->
    "washington").
    """
    parts = _TITLE_WORD.findall(title)
    names = {
        fold(word)
        for word, following in pairwise([*parts, ""])
        if word[0].isupper() and (_is_acronym(word) or not following[:1].isupper())
    }
    if parts and not _is_acronym(parts[0]):
        names.discard(fold(parts[0]))
    names = {n for n in names.difference(_NOT_CONTENT) if len(n) > 1}
    for key, words in phrases:
        names.difference_update(words)
        names.add(key)
    return frozenset(names)


def _is_acronym(word: str) -> bool:
    """Two capitals or more: "NATO", "AfD"."""
    return sum(map(str.isupper, word)) > 1


def _as_set(words: Iterable[str]) -> set[str] | frozenset[str]:
    return words if isinstance(words, set | frozenset) else set(words)


def minhash(words: Iterable[str]) -> tuple[int, ...]:
    """MinHash signature of a word set: SIGNATURE_SIZE 32-bit minima."""
    hashes = np.array([zlib.crc32(word.encode()) for word in words], dtype=np.uint64)
    if hashes.size == 0:
        return _EMPTY_SIGNATURE
    # The shift is monotonic: taking it after the minimum shifts 16 values, not 16 per word.
    permuted = _MULTIPLIERS[:, None] * hashes + _OFFSETS[:, None]
    return tuple((permuted.min(axis=1) >> np.uint64(32)).tolist())


def fingerprint_to_dict(fp: Fingerprint) -> dict[str, Any]:
    """JSON-ready form of a fingerprint (sets as sorted lists, so the JSON is stable)."""
    return {
        "content_hash": fp.content_hash,
        "signature": list(fp.signature),
        "words": sorted(fp.words),
        "entities": sorted(fp.entities),
        "numbers": sorted(fp.numbers),
        "title_names": sorted(fp.title_names),
        "common": sorted(fp.common),
        "language": fp.language,
    } | ({"neutral": sorted(fp.neutral)} if fp.neutral else {})


def fingerprint_from_dict(data: Mapping[str, Any]) -> Fingerprint:
    """Inverse of `fingerprint_to_dict`."""
    return Fingerprint(
        content_hash=str(data["content_hash"]),
        signature=tuple(int(value) for value in data["signature"]),
        words=frozenset(data["words"]),
        entities=frozenset(data["entities"]),
        numbers=frozenset(data["numbers"]),
        title_names=frozenset(data.get("title_names", ())),
        common=frozenset(data.get("common", ())),
        language=data.get("language"),
        neutral=frozenset(data.get("neutral", ())),
    )
