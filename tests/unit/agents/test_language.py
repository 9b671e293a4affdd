"""Declared language wins when known; otherwise offline detection or None."""

from __future__ import annotations

import pytest

from agents.language import detect_language, normalise_language_tag


@pytest.mark.parametrize(
    ("tag", "expected"), [("fr-FR", "fr"), ("DE_at", "de"), ("en", "en"), ("", None), (None, None)]
)
def test_normalise_language_tag(tag: str | None, expected: str | None) -> None:
    assert normalise_language_tag(tag) == expected


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("whatever text", "fr-FR", "fr"),
        ("Le Premier ministre indien a été reçu par le président ukrainien.", "es", "fr"),
        ("Der Kanzler ist von Präsident Erdoğan in Ankara empfangen worden.", None, "de"),
        ("The German defence minister discussed air defence with his counterpart.", None, "en"),
        ("OK", None, None),
        ("1234 5678 — 42", None, None),
    ],
)
def test_detect_language(text: str, declared: str | None, expected: str | None) -> None:
    assert detect_language(text, declared) == expected


def test_detection_is_restricted_to_the_configured_languages() -> None:
    text = "Der Kanzler ist von Präsident Erdoğan in Ankara empfangen worden."
    assert detect_language(text, None, languages={"fr", "en"}) in {"fr", "en", None}
