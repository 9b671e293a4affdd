"""Text normalisation shared by tagging and dedup: folding and tokenising.

Pure functions, no I/O. Folding makes "L’Accord", "l'accord" and "L'ACCORD"
compare equal and strips accents ("défense" -> "defense", "Außen" -> "aussen").
"""

from __future__ import annotations

import re
import unicodedata

# Typographic apostrophes and quotes that must compare equal to ASCII ones.
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "′": "'"})
# French elided articles and pronouns: "l'accord" -> "accord", "qu'il" -> "il".
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, map typographic apostrophes to ', strip accents, ß -> ss."""
    text = text.translate(_APOSTROPHES).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def strip_elisions(folded: str) -> str:
    """Remove French elided prefixes from already-folded text."""
    return _ELISION.sub("", folded)


def tokens(text: str) -> list[str]:
    """Folded word tokens with elisions removed; hyphenated words stay whole."""
    return _WORD.findall(strip_elisions(fold(text)))
