"""Text normalisation shared by tagging and dedup: folding and tokenising.

Pure functions, no I/O. Folding makes "L’Accord", "l'accord" and "L'ACCORD"
compare equal and strips accents ("défense" -> "defense", "Außen" -> "aussen").
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from streams.poll.clean import collapse_whitespace

# French elided articles and pronouns: "l'accord" -> "accord", "qu'il" -> "il".
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# Anything but ASCII and the Combining Diacritical Marks block (minus U+034F, the grapheme
# joiner, whose combining class is 0): when absent, dropping non-ASCII drops only accents.
_BEYOND_LATIN_ACCENTS = re.compile("[^\x00-\x7f\u0300-\u034e\u0350-\u036f]")
# Typographic apostrophes and quotes that must compare equal to ASCII ones.
_APOSTROPHE_CHARS = "’‘ʼ`´′"


class FoldedText(NamedTuple):
    """An item's title and summary as `fold_text` returns them: folded once, for every stage."""

    title: str
    summary: str


def _drop_combining(run: re.Match[str]) -> str:
    return "".join(ch for ch in run.group() if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower-case, map typographic apostrophes to ', strip accents, ß -> ss."""
    if text.isascii():  # "`" is the one ASCII apostrophe; casefold() is lower() on ASCII
        return text.replace("`", "'").lower()
    for apostrophe in _APOSTROPHE_CHARS:
        # str.replace per character is ~100x faster than str.translate with a dict table.
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    text = text.casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    if _BEYOND_LATIN_ACCENTS.search(text) is None:
        return text.encode("ascii", "ignore").decode("ascii")
    return _NON_ASCII_RUN.sub(_drop_combining, text)


def strip_elisions(folded: str) -> str:
    """Remove French elided prefixes from already-folded text."""
    return _ELISION.sub("", folded)


def tokens(text: str) -> list[str]:
    """Folded word tokens with elisions removed; hyphenated words stay whole."""
    return _WORD.findall(strip_elisions(fold(text)))


def fold_text(title: str, summary: str) -> FoldedText:
    """Title and summary folded, whitespace runs collapsed to one space, none at either end."""
    return FoldedText(collapse_whitespace(fold(title)), collapse_whitespace(fold(summary)))


def padded_fold(text: str) -> str:
    """Folded text with whitespace runs collapsed to one space and a space at both ends."""
    return " " + collapse_whitespace(fold(text)) + " "
