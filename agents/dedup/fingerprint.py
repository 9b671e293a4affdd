"""Content fingerprints for dedup: content hash, MinHash signature, words, entities, numbers.

Pure functions, no I/O. A fingerprint is computed once per item by one agent and sent to the
dedup agent as JSON (`fingerprint_to_dict` / `fingerprint_from_dict`).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from agents.dedup import meaning
from agents.dedup.facts import NUMBER_WORDS, number_facts
from agents.dedup.german import german_determined_nouns, is_german_common_word
from agents.dedup.lexicon import (
    ALIASES,
    CAPITALISED,
    LIVE_BLOG_LABELS,
    NOT_CONTENT,
    WORD_ALIAS_KEYS,
    PhraseAlias,
    alias_words,
    event_term,
    is_acronym,
    phrase_aliases,
)
from agents.text import FoldedText, fold, fold_text

# Number of MinHash values; each value is one LSH band of one row (see docs/dedup.md).
SIGNATURE_SIZE = 16
# Word stems are prefixes: "eingestuft"/"einstufung" still differ, but "rechtsextremistisch" and
# "rechtsextremistischer", "Partnerschaft" and "Partnerschaftsvertrag" meet.
STEM_LENGTH = 6

_FOLDED_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# A word starting with a capital letter, not preceded by a letter ("l’OSCE" gives "OSCE").
# Title words split at hyphens too, so "Hamburg-Wahl" names Hamburg.
_TITLE_WORD = re.compile(r"[^\W\d_]+")
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
    # The item's quantised sentence embedding (`agents.dedup.meaning`), set by the tag stage;
    # empty when the meaning search is off.
    meaning: bytes = b""


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
    terms = {"@" + key for key in aliased & WORD_ALIAS_KEYS}
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
    if name in NOT_CONTENT or len(name) < 2 or event_term(name) is not None:
        return frozenset(terms)
    if name in ALIASES.names and not (german and is_german_common_word(name)):
        terms.add("^" + ALIASES.names[name])
    elif not german:
        terms.add("^" + name)
    return frozenset(terms)


def signature_terms(folded_tokens: set[str], phrases: Iterable[PhraseAlias]) -> frozenset[str]:
    """What the MinHash signature (LSH candidates only) is computed over: the content words with
    aliases folded ("poutine" -> "putin"), plus each alias key once more ("@putin").

    A re-summary in new words keeps its names: weighting them, two paraphrases share more of the
    set and become LSH candidates more often. `words`, and so compare()'s Jaccard, stay as they
    are. Built from folded tokens only, so case does not change the signature.
    """
    return _aliased_signature_terms(alias_words(folded_tokens, phrases))


def _aliased_signature_terms(aliased: set[str]) -> frozenset[str]:
    return content_words(aliased) | {"@" + key for key in aliased & WORD_ALIAS_KEYS}


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
    candidates = _as_set(folded_tokens) - NOT_CONTENT
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
    capitalised = CAPITALISED.findall(f"{title}\n{summary}")
    acronyms = {fold(word) for word in capitalised if word.isupper() and len(word) > 1}
    acronyms -= LIVE_BLOG_LABELS  # "BREAKING:"
    names = set(fold(" ".join(capitalised)).split()).difference(NOT_CONTENT)
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
        if word[0].isupper() and (is_acronym(word) or not following[:1].isupper())
    }
    if parts and not is_acronym(parts[0]):
        names.discard(fold(parts[0]))
    names = {n for n in names.difference(NOT_CONTENT) if len(n) > 1}
    for key, words in phrases:
        names.difference_update(words)
        names.add(key)
    return frozenset(names)


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
    return (
        {
            "content_hash": fp.content_hash,
            "signature": list(fp.signature),
            "words": sorted(fp.words),
            "entities": sorted(fp.entities),
            "numbers": sorted(fp.numbers),
            "title_names": sorted(fp.title_names),
            "common": sorted(fp.common),
            "language": fp.language,
        }
        | ({"neutral": sorted(fp.neutral)} if fp.neutral else {})
        | ({"meaning": meaning.to_text(fp.meaning)} if fp.meaning else {})
    )


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
        meaning=meaning.from_text(data.get("meaning", "")),
    )
