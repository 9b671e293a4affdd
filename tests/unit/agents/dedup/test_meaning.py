"""The meaning signal: the real encoder's quantised vectors, their SimHash bands, the meaning
verdict's guards, and the window finding the same news across languages by meaning."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from agents.dedup import meaning
from agents.dedup.config import DedupConfig
from agents.dedup.facts import facts_differ
from agents.dedup.fingerprint import (
    Fingerprint,
    fingerprint,
    fingerprint_from_dict,
    fingerprint_to_dict,
)
from agents.dedup.memory import MemoryStore
from agents.dedup.verdict import compare_meaning
from agents.dedup.window import Deduplicator

T0 = 1_733_300_000.0
SUMMIT_FR = (
    "fr",
    "Macron reçoit Scholz à l'Élysée",
    "Les deux dirigeants ont parlé de l'aide à l'Ukraine et de la défense européenne mardi.",
)
SUMMIT_DE = (
    "de",
    "Scholz trifft Macron in Paris",
    "Die beiden sprachen am Dienstag über die Hilfe für die Ukraine und die europäische "
    "Verteidigung.",
)
SUMMIT_EN = (
    "en",
    "Scholz meets Macron in Paris",
    "The two leaders discussed aid to Ukraine and European defence on Tuesday.",
)
QUAKE_EN = (
    "en",
    "Magnitude 6.1 earthquake strikes Japan",
    "No tsunami warning was issued after the quake off Hokkaido.",
)


def _fp(side: tuple[str, str, str]) -> Fingerprint:
    language, title, summary = side
    plain = fingerprint(title=title, summary=summary, language=language)
    return replace(plain, meaning=meaning.embed([meaning.passage(title, summary)])[0])


def test_vectors_are_quantised_unit_vectors_and_batches_agree() -> None:
    texts = [meaning.passage(title, summary) for _, title, summary in (SUMMIT_FR, QUAKE_EN)]
    batch = meaning.embed(texts)
    assert [len(vector) for vector in batch] == [meaning.DIMENSIONS] * 2
    assert batch == [meaning.embed([text])[0] for text in texts]
    assert meaning.cosine(batch[0], batch[0]) == pytest.approx(1.0, abs=1e-3)
    assert meaning.embed([]) == []


def test_quantising_keeps_the_cosine() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, meaning.DIMENSIONS)).astype(np.float32)
    b = a + 0.5 * b
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    exact = float(a @ b)
    assert meaning.cosine(meaning.quantise(a), meaning.quantise(b)) == pytest.approx(
        exact, abs=0.01
    )
    assert meaning.cosine(b"", meaning.quantise(a)) == 0.0


def test_translations_are_closer_than_other_news() -> None:
    fr, de, en, quake = (_fp(side) for side in (SUMMIT_FR, SUMMIT_DE, SUMMIT_EN, QUAKE_EN))
    unrelated = meaning.cosine(fr.meaning, quake.meaning)
    for other in (de, en):
        assert meaning.cosine(fr.meaning, other.meaning) > unrelated + 0.3


def test_similar_vectors_share_bands_and_unrelated_ones_few() -> None:
    fr, en, quake = (_fp(side) for side in (SUMMIT_FR, SUMMIT_EN, QUAKE_EN))
    bands = meaning.bands(fr.meaning)
    shared = sum(x == y for x, y in zip(bands, meaning.bands(en.meaning), strict=True))
    unrelated = sum(x == y for x, y in zip(bands, meaning.bands(quake.meaning), strict=True))
    assert len(meaning.bands(fr.meaning)) == meaning.HYPERPLANE_BANDS
    assert shared >= 2 and shared > unrelated
    assert meaning.bands(b"") == []


def test_the_embedding_survives_the_fingerprint_round_trip() -> None:
    fp = _fp(SUMMIT_FR)
    assert fingerprint_from_dict(fingerprint_to_dict(fp)) == fp
    assert "meaning" not in fingerprint_to_dict(replace(fp, meaning=b""))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("20.8", "21", False),  # rounded
        ("412", "400", False),  # rounded to hundreds
        ("7.3", "7.6", True),  # same precision, other figure
        ("2.25", "2", True),  # a rate is no rounded rate
        ("33000", "38", True),
    ],
)
def test_rounded_figures_agree_only_with_rounding(a: str, b: str, expected: bool) -> None:
    assert facts_differ(frozenset({a}), frozenset({b}), rounding=True) is expected
    assert facts_differ(frozenset({a}), frozenset({b})) is True


def test_across_languages_the_meaning_verdict_needs_the_option_and_agreeing_figures() -> None:
    fr, en = _fp(SUMMIT_FR), _fp(SUMMIT_EN)
    assert compare_meaning(fr, en, DedupConfig())[0] is True
    assert compare_meaning(fr, en, DedupConfig(cross_language=False))[0] is False
    toll = replace(en, neutral=en.neutral | {"#40"})
    other_toll = replace(fr, neutral=fr.neutral | {"#12"})
    assert compare_meaning(other_toll, toll, DedupConfig())[0] is False


def test_within_one_language_the_meaning_verdict_is_opt_in() -> None:
    de, en = _fp(SUMMIT_DE), _fp(SUMMIT_EN)
    assert compare_meaning(de, de, DedupConfig())[0] is False
    on = DedupConfig(same_language_meaning=True)
    assert compare_meaning(de, de, on) == (True, pytest.approx(1.0, abs=1e-3))
    other_day = replace(de, numbers=frozenset({"12"}))
    assert compare_meaning(de, replace(de, numbers=frozenset({"40"})), on)[0] is True  # one side
    assert compare_meaning(replace(de, numbers=frozenset({"40"})), other_day, on)[0] is False
    assert compare_meaning(en, replace(en, meaning=_fp(QUAKE_EN).meaning), on)[0] is False


def test_the_window_finds_a_translation_by_meaning_and_keeps_its_story() -> None:
    config = DedupConfig(same_language_facts=False)
    dedup = Deduplicator(MemoryStore(), config, index=MemoryStore())
    first = dedup.decide(item_id="fr-1", fingerprint=_fp(SUMMIT_FR), event_time=T0)
    quake = dedup.decide(item_id="en-2", fingerprint=_fp(QUAKE_EN), event_time=T0 + 60)
    later = dedup.decide(item_id="en-3", fingerprint=_fp(SUMMIT_EN), event_time=T0 + 120)
    assert (first.status, quake.status) == ("new", "new")
    assert later.status == "near_duplicate" and later.duplicate_of == "fr-1"
    assert later.story_id == "fr-1" and later.method in {"meaning", "cross_language"}


def test_the_meaning_index_is_rebuilt_from_the_records() -> None:
    store = MemoryStore()
    config = DedupConfig(same_language_facts=False)
    Deduplicator(store, config, index=MemoryStore()).decide(
        item_id="fr-1", fingerprint=_fp(SUMMIT_FR), event_time=T0
    )
    index = MemoryStore()
    restarted = Deduplicator(store, config, index=index)
    assert restarted.rebuild_index() == 1
    assert any(key.startswith("v:") for key in index)
    later = restarted.decide(item_id="de-2", fingerprint=_fp(SUMMIT_DE), event_time=T0 + 60)
    assert later.duplicate_of == "fr-1"
