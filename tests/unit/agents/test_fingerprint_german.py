"""German names: capitalised nouns with a common-noun suffix and capitalised adjectives are not
entities (German capitalises every noun). The sentences are written for these tests."""

from __future__ import annotations

import pytest

from agents.dedup import compare
from agents.fingerprint import Fingerprint, fingerprint, is_german_common_word


def _de(title: str, summary: str, language: str | None = "de") -> Fingerprint:
    return fingerprint(title=title, summary=summary, language=language)


TITLE = "Verkehrsministerin Schulze besucht Dresden"
SUMMARY = (
    "Nach der Sperrung der Brücke fordert die Sprecherin der Stadtverwaltung eine schnelle "
    "Entscheidung über die Finanzierung."
)


def test_german_nouns_with_a_common_noun_suffix_are_not_names() -> None:
    entities = _de(TITLE, SUMMARY).entities
    assert {"schulze", "dresden"} <= entities
    common = {"verkehrsministerin", "sperrung", "sprecherin", "stadtverwaltung", "entscheidung"}
    assert not common & entities


@pytest.mark.parametrize("language", [None, "en", "fr"])
def test_the_rule_is_for_german_only(language: str | None) -> None:
    assert "sperrung" in _de(TITLE, SUMMARY, language).entities


def test_short_names_with_a_suffix_like_ending_stay_names() -> None:
    entities = _de(
        "Ministerpräsident Jung trifft Vincent Clement in Schwerin",
        "Danach reist er über Leipzig nach Tunis, begleitet von Anna Fröhlich.",
    ).entities
    assert {"jung", "vincent", "clement", "schwerin", "leipzig", "tunis", "frohlich"} <= entities
    assert "ministerprasident" not in entities


def test_a_compound_noun_left_out_keeps_the_alias_of_its_name_part() -> None:
    entities = _de("EU-Kommission prüft Beschwerde", "Brüssel will bis Juli antworten.").entities
    assert "eu-kommission" not in entities
    assert "eu" in entities


def test_a_capitalised_adjective_is_not_a_name_nor_its_country() -> None:
    entities = _de("Polnische Regierung lehnt Plan ab", "Warschau will erst verhandeln.").entities
    assert not {"polnische", "poland", "regierung"} & entities
    assert "warschau" in entities


@pytest.mark.parametrize(
    ("word", "common"),
    [
        ("einigung", True),
        ("gesundheitsministerin", True),
        ("grunen-kandidatin", True),  # the last part of a compound
        ("gemeinschaft", True),
        ("terrorismus", True),
        ("russischen", True),
        ("jung", False),
        ("schwerin", False),
        ("leipzig", False),
        ("soder", False),  # no "-er" rule: Söder, Lindner, Müller
        ("fischer", False),
        ("geiger", False),
        ("turkei", False),
    ],
)
def test_is_german_common_word(word: str, common: bool) -> None:
    assert is_german_common_word(word) is common


def test_shared_suffix_nouns_no_longer_count_as_shared_names() -> None:
    decision = (
        "Stadtrat beschließt Sanierung der Oper",
        "Die Mehrheit im Stadtrat von Leipzig stimmte für die Sanierung; die Finanzierung "
        "übernimmt zur Hälfte das Land.",
    )
    lawsuit = (
        "Klage gegen Sanierung der Oper eingereicht",
        "Eine Bürgerinitiative in Leipzig geht gegen die Entscheidung vor; die Finanzierung der "
        "Sanierung sei nicht gesichert.",
    )
    assert compare(_de(*lawsuit), _de(*decision))[0] is False
    # Without the rule "Sanierung" and "Finanzierung" made three shared names with "Leipzig".
    assert compare(_de(*lawsuit, None), _de(*decision, None))[0] is True


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            ("Oberbürgermeisterin Weber eröffnet Ausstellung in Potsdam", "Potsdam"),
            ("Oberbürgermeisterin Weber eröffnet Ausstellung in Cottbus", "Cottbus"),
        ),
        (
            ("Ministerin Keller besucht Unterkunft in Kassel", "Keller"),
            ("Ministerin Vogt besucht Unterkunft in Kassel", "Vogt"),
        ),
    ],
)
def test_same_template_with_other_places_or_people_stays_other_news(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    def item(title: str, name: str) -> Fingerprint:
        summary = (
            f"Die Ausstellung zur Geschichte der Stadt ist bis Ende Mai zu sehen, teilte die "
            f"Verwaltung mit. {name} sprach von einer wichtigen Einrichtung."
        )
        return _de(title, summary)

    assert compare(item(*first), item(*second))[0] is False


def test_a_small_correction_of_a_german_item_stays_a_duplicate() -> None:
    summary = "Die Ausstellung zur Geschichte der Stadt seit 1745 ist bis Ende Mai zu sehen."
    first = _de("Oberbürgermeisterin Weber eröffnet Ausstellung in Potsdam", summary)
    corrected = _de(
        "Oberbürgermeisterin Weber eröffnet Ausstellung in Potsdam",
        summary.replace("1745", "1754"),
    )
    assert compare(corrected, first)[0] is True
