"""Item language: the declared language when known, else offline detection with py3langid."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

DEFAULT_LANGUAGES: frozenset[str] = frozenset({"fr", "de", "en"})
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.9
# Detection cost grows with the text; the first few hundred characters of a title and summary
# identify fr/de/en as well as the whole text does.
SAMPLE_CHARS = 500


def normalise_language_tag(tag: str | None) -> str | None:
    """Primary subtag of a BCP 47 tag, lower-cased: "fr-FR" -> "fr", "" -> None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary or None


@lru_cache(maxsize=8)
def _identifier(languages: frozenset[str]) -> Any:
    """py3langid identifier restricted to `languages`; loading the model takes ~0.5 s."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(languages))
    return identifier


def detect_language(
    text: str,
    declared: str | None,
    *,
    languages: Iterable[str] = DEFAULT_LANGUAGES,
    min_letters: int = MIN_LETTERS,
    min_confidence: float = MIN_CONFIDENCE,
) -> str | None:
    """Declared language if it is one of `languages`, else the detected one, else None."""
    known = frozenset(languages)
    normalised = normalise_language_tag(declared)
    if normalised in known:
        return normalised
    sample = text[:SAMPLE_CHARS]
    if sum(map(str.isalpha, sample)) < min_letters:
        return None
    language, confidence = _identifier(known).classify(sample)
    return str(language) if confidence >= min_confidence else None
