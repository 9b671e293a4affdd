"""Folding, elision stripping and tokenising."""

from __future__ import annotations

import pytest

from agents.text import (
    FoldedText,
    fold,
    fold_text,
    padded_fold,
    strip_elisions,
    tokens,
)
from streams.poll.clean import collapse_whitespace


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("L’Accord", "l'accord"),
        ("L'ACCORD", "l'accord"),
        ("défense Sécurité", "defense securite"),
        ("Außenminister", "aussenminister"),
        ("Erdoğan Pašić", "erdogan pasic"),
        ("manœuvre", "manœuvre"),  # œ has no decomposition: kept, not dropped
        ("Łódź", "łodz"),
        ("Привет Йошкар", "привет иошкар"),
        ("`x´ ′y‘ ʼz", "'x' 'y' 'z"),
        ("e\u034f\u0301", "e\u034f"),  # grapheme joiner has combining class 0: kept
        ("ﬁn ½", "fin 1⁄2"),
        ("`NATO` Summit's", "'nato' summit's"),  # ASCII text: the short path
        ("", ""),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("folded", "stripped"),
    [
        ("l'accord d'assistance", "accord assistance"),
        ("jusqu'ici qu'il", "ici il"),
        ("aujourd'hui", "aujourd'hui"),
    ],
)
def test_strip_elisions(folded: str, stripped: str) -> None:
    assert strip_elisions(folded) == stripped


def test_tokens_keep_hyphenated_words_and_drop_elisions() -> None:
    assert tokens("L’OTAN et l'accord CDU-Politikerin, 2024!") == [
        "otan",
        "et",
        "accord",
        "cdu-politikerin",
        "2024",
    ]


def test_padded_fold_collapses_whitespace() -> None:
    assert padded_fold("  Nato-Gipfel\n in\u00a0Den Haag ") == " nato-gipfel in den haag "


@pytest.mark.parametrize(
    "text",
    ["", " ", "a", "a b", " a", "a ", "a  b", "a\tb", "a\nb", "a\rb", "a\x0bb", "a\x1cb",
     "a\u00a0b", "a\u2028b", "a\x85b", "été  x", "été x"],
)  # fmt: skip
def test_collapse_whitespace_is_split_then_join(text: str) -> None:
    assert collapse_whitespace(text) == " ".join(text.split())


def test_fold_text_folds_and_collapses_title_and_summary() -> None:
    folded = fold_text(" L’Accord\n", "Außen\u00a0 Minister ")
    assert folded == FoldedText(title="l'accord", summary="aussen minister")
