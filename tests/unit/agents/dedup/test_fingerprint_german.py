"""German names: capitalised nouns with a common-noun suffix and capitalised adjectives are not
entities (German capitalises every noun). The sentences are written for these tests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.dedup.fingerprint import (
    Fingerprint,
    fingerprint,
    fingerprint_from_dict,
    fingerprint_to_dict,
)
from agents.dedup.german import is_german_common_word
from agents.dedup.verdict import compare
from agents.dedup.window import Deduplicator


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


def test_a_capitalised_word_always_after_an_article_is_a_common_noun() -> None:
    fp = _de(
        "Bundestag berät Haushalt",
        "Der Ausschuss hat den Schritt vertagt; der richtige Weg sei ein neuer Entwurf, sagte "
        "der Kanzler Olaf Scholz im Plenum. Die AfD und die Ukraine-Hilfe kamen zur Sprache, "
        "ebenso die Ukraine. Den Bundestag erreichte am Abend ein Brief aus Kiew.",
    )
    # Always after an article or a determiner (adjectives between): common nouns.
    assert {"ausschuss", "schritt", "weg", "entwurf", "plenum", "abend"} <= fp.common
    # Followed by a first name, an acronym, an alias-table name, and a word that also stands
    # without an article (the headline's "Bundestag"): names.
    assert not {"kanzler", "olaf", "afd", "ukraine", "bundestag", "kiew"} & fp.common
    assert fp.common <= fp.entities  # still names for shared_names
    assert _de("Der Ausschuss tagt", "Er tagt.", "en").common == frozenset()


def test_the_title_end_does_not_reach_into_the_summary() -> None:
    fp = _de("Außenamt bestellt Botschafter ein", "Budapest reagiert damit auf die Kritik.")
    assert "budapest" not in fp.common


COACH_LEAVES = (
    "Trainer Köhler verlässt Eintracht Trier",
    "Der Verein hat sich nach der dritten Niederlage in Folge von seinem Trainer Jan Köhler "
    "getrennt. Den Schritt begründete der Vorstand mit der sportlichen Lage in der Liga.",
)
COACH_RESUMMARY = (
    "Eintracht Trier trennt sich von Trainer Köhler",
    "Nach der dritten Niederlage in Folge muss Köhler gehen. Ein Neuanfang sei der richtige "
    "Weg in der Liga, erklärte das Präsidium des Vereins.",
)


def test_common_nouns_after_articles_do_not_trip_the_template_guard() -> None:
    first, second = _de(*COACH_LEAVES), _de(*COACH_RESUMMARY)
    assert compare(second, first)[0] is True
    # Read as names, "Schritt", "Vorstand" / "Neuanfang", "Weg", "Präsidium" were swapped.
    assert compare(replace(second, common=frozenset()), replace(first, common=frozenset()))[0] is (
        False
    )


def test_a_place_swapped_in_a_german_template_stays_other_news() -> None:
    def strike(city: str) -> Fingerprint:
        return _de(
            f"Warnstreik bei den Stadtwerken in {city}",
            f"Die Gewerkschaft hat die Beschäftigten der Stadtwerke in {city} für Montag zum "
            "Ausstand aufgerufen. Der Streik soll den ganzen Tag dauern, der Busverkehr ruht.",
        )

    assert strike("Kiel").common and compare(strike("Kiel"), strike("Lübeck"))[0] is False


def test_common_nouns_survive_json_and_the_dedup_record() -> None:
    first, second = _de(*COACH_LEAVES), _de(*COACH_RESUMMARY)
    assert fingerprint_from_dict(fingerprint_to_dict(first)) == first
    old = fingerprint_to_dict(first)
    del old["common"]  # written before the field
    assert fingerprint_from_dict(old).common == frozenset()
    # The stored item's common nouns come from its record: without them its "Weg" and
    # "Präsidium" would be names the new item never mentions.
    dedup = Deduplicator({})
    dedup.decide(item_id="coach-1", fingerprint=second, event_time=0.0)
    decision = dedup.decide(item_id="coach-2", fingerprint=first, event_time=60.0)
    assert (decision.status, decision.duplicate_of) == ("near_duplicate", "coach-1")
