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
# Spelled-out counts compared like digits ("trois blessés" vs "sept blessés"). "one", "un",
# "ein" are left out: they are mostly articles.
_NUMBER_WORDS = {
    **dict.fromkeys(("two", "deux", "zwei"), "2"),
    **dict.fromkeys(("three", "trois", "drei"), "3"),
    **dict.fromkeys(("four", "quatre", "vier"), "4"),
    **dict.fromkeys(("five", "cinq", "funf"), "5"),
    **dict.fromkeys(("six", "sechs"), "6"),
    **dict.fromkeys(("seven", "sept", "sieben"), "7"),
    **dict.fromkeys(("eight", "huit", "acht"), "8"),
    **dict.fromkeys(("nine", "neuf", "neun"), "9"),
    **dict.fromkeys(("ten", "dix", "zehn"), "10"),
    **dict.fromkeys(("eleven", "onze", "elf"), "11"),
    **dict.fromkeys(("twelve", "douze", "zwolf"), "12"),
}
# Words that are neither content words nor names.
_NOT_CONTENT = _STOP_WORDS | _NUMBER_WORDS.keys()
_FOLDED_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
# A _DIGITS match is made of digits, "." and ","; when those digits are ASCII ones, the bytes
# regex (where \d is [0-9]) finds the same matches in each run of these bytes alone.
_ASCII_DIGITS = re.compile(rb"\d+(?:[.,]\d+)?")
_DIGIT_RUNS = bytes(c if chr(c) in "0123456789.," else ord(" ") for c in range(256))
_ASCII_BYTES = bytes(range(128))
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


def fingerprint(
    *,
    title: str,
    summary: str,
    language: str | None,
    content_hash: str | None = None,
    folded: FoldedText | None = None,
) -> Fingerprint:
    """Fingerprint an item; `content_hash` defaults to a hash of the folded title and summary.

    `folded` is `fold_text(title, summary)` when the caller has it already.
    """
    del language  # Folding, elisions and stop words cover fr/de/en at once.
    folded = folded or fold_text(title, summary)
    # Elided "l'", "qu'" split off as their own short tokens, which content_words drops: cheaper
    # than text.tokens(), whose elision pass costs as much as the rest of the fingerprint.
    distinct = folded_words(f"{folded.title}\n{folded.summary}")
    words = content_words(distinct)
    return Fingerprint(
        content_hash=content_hash or _hash_folded(folded),
        signature=minhash(words),
        words=words,
        entities=named_entities(title, summary),
        numbers=numbers(f"{title}\n{summary}", distinct),
        title_names=title_names(title),
    )


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


def named_entities(title: str, summary: str) -> frozenset[str]:
    """Folded capitalised words and acronyms that are not stop words (names, places, orgs).

    German capitalises every noun, so for German this is closer to "nouns"; the guard that uses
    entities only looks at substitutions between otherwise similar texts, where that is harmless.
    """
    capitalised = _CAPITALISED.findall(f"{title}\n{summary}")
    acronyms = {fold(word) for word in capitalised if word.isupper()}
    names = set(fold(" ".join(capitalised)).split()).difference(_NOT_CONTENT)
    return frozenset(acronyms | {name for name in names if len(name) > 1})


def title_names(title: str) -> frozenset[str]:
    """Folded names a title is about: capitalised words, minus the sentence-initial word (unless
    an acronym) and first names (a capitalised word followed by another: "Viktor Orbán")."""
    parts = _TITLE_WORD.findall(title)
    names = {
        fold(word)
        for word, following in pairwise([*parts, ""])
        if word[0].isupper() and (_is_acronym(word) or not following[:1].isupper())
    }
    if parts and not _is_acronym(parts[0]):
        names.discard(fold(parts[0]))
    return frozenset(n for n in names.difference(_NOT_CONTENT) if len(n) > 1)


def _is_acronym(word: str) -> bool:
    """Two capitals or more: "NATO", "AfD"."""
    return sum(map(str.isupper, word)) > 1


def _as_set(words: Iterable[str]) -> set[str] | frozenset[str]:
    return words if isinstance(words, set | frozenset) else set(words)


def numbers(text: str, folded_tokens: Iterable[str]) -> frozenset[str]:
    """Digit groups and spelled-out counts, normalised to digits ("3,5" -> "3.5")."""
    found = {match.replace(",", ".") for match in _digit_groups(text)}
    found.update(_NUMBER_WORDS[word] for word in _NUMBER_WORDS.keys() & _as_set(folded_tokens))
    return frozenset(found)


def _digit_groups(text: str) -> list[str]:
    """`_DIGITS.findall(text)`; when all digits are ASCII, the regex runs on the runs of digits,
    "." and "," alone (a match never spans another character): ~5x faster."""
    if not text.isascii():
        beyond_ascii = text.encode(errors="surrogatepass").translate(None, _ASCII_BYTES)
        if _DIGITS.search(beyond_ascii.decode(errors="surrogatepass")) is not None:
            return _DIGITS.findall(text)
    groups: list[str] = []
    for run in text.encode("ascii", "replace").translate(_DIGIT_RUNS).split():
        if run.isdigit():  # the usual run: one whole match
            groups.append(run.decode("ascii"))
        elif run.strip(b".,"):
            groups.extend(match.decode("ascii") for match in _ASCII_DIGITS.findall(run))
    return groups


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
    }


def fingerprint_from_dict(data: Mapping[str, Any]) -> Fingerprint:
    """Inverse of `fingerprint_to_dict`."""
    return Fingerprint(
        content_hash=str(data["content_hash"]),
        signature=tuple(int(value) for value in data["signature"]),
        words=frozenset(data["words"]),
        entities=frozenset(data["entities"]),
        numbers=frozenset(data["numbers"]),
        title_names=frozenset(data.get("title_names", ())),
    )
