"""Numeric facts (agents/dedup/facts.py): number forms, fractions, months and dates, and how the
dedup number guard compares them."""

from __future__ import annotations

import pytest

from agents.dedup.facts import facts_differ, shared_figure
from agents.dedup.fingerprint import fingerprint


def _facts(text: str, language: str | None) -> frozenset[str]:
    return fingerprint(title=text, summary="", language=language).numbers


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Rund 3.000 Soldaten", "de", {"3000"}),
        ("Environ 3 000 soldats", "fr", {"3000"}),
        ("Environ 3\u202f000 soldats", "fr", {"3000"}),
        ("About 3,000 troops", "en", {"3000"}),
        ("About 3000 troops", "en", {"3000"}),
        ("Rund drei Tausend Soldaten", "de", {"3000"}),
        ("Rund dreitausend Soldaten", "de", {"3000"}),
        ("About three thousand troops, three killed", "en", {"3000", "3"}),
        ("Ein Haushalt von 1.250.000 Euro", "de", {"1250000"}),
        ("L'inflation à 2,5 %", "fr", {"2.5"}),
        ("Inflation at 2.5%", "en", {"2.5"}),
        ("Un taux de 1,250 %", "fr", {"1.25"}),
        ("A €481bn budget", "en", {"481000000000"}),
        ("Un budget de 481 milliards d'euros", "fr", {"481000000000"}),
        ("Ein Etat von 481 Mrd. Euro", "de", {"481000000000"}),
        ("3,5 Millionen Beschäftigte", "de", {"3500000"}),
        ("A £3.5m deal", "en", {"3500000"}),
        ("2 billion dollars", "en", {"2000000000"}),
        ("2 Billionen Euro", "de", {"2000000000000"}),
    ],
)
def test_number_forms_normalise_alike(text: str, language: str, expected: set[str]) -> None:
    assert _facts(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Two-thirds of voters back the plan", "en", {"~66.7"}),
        ("Les deux tiers des électeurs", "fr", {"~66.7"}),
        ("Zwei Drittel der Wähler", "de", {"~66.7"}),
        ("Eine Zweidrittelmehrheit im Bundestag", "de", {"~66.7"}),
        ("A third of the budget", "en", {"~33.3"}),
        ("Un tiers des voix", "fr", {"~33.3"}),
        ("Rund ein Drittel der Stimmen", "de", {"~33.3"}),
        ("The Fed cut rates by a quarter point", "en", {"~25"}),
        ("Un quart des salariés", "fr", {"~25"}),
        ("Drei Viertel der Befragten", "de", {"~75"}),
        ("Half of the staff", "en", {"~50"}),
        ("La moitié des députés", "fr", {"~50"}),
        ("Die Hälfte der Abgeordneten", "de", {"~50"}),
        # Periods and ordinals are no quantities.
        ("Profits rose in the first quarter", "en", set()),
        ("Growth in the first half of the year", "en", set()),
        ("Un quart d'heure de retard", "fr", set()),
        ("In der ersten Hälfte des Jahres", "de", set()),
        ("La première moitié du mandat", "fr", set()),
        ("He seeks a third term", "en", set()),
    ],
)
def test_fractions_used_as_quantities(text: str, language: str, expected: set[str]) -> None:
    assert _facts(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Inflation slowed in May", "en", {"month:05"}),
        ("Prices may rise again", "en", set()),
        ("May rise in prices worries investors", "en", set()),
        ("May 5 vote", "en", {"month:05", "date:05-05", "5"}),
        ("Thousands march in Berlin", "en", set()),
        ("The summit on March 5", "en", {"month:03", "date:03-05", "5"}),
        ("Le sommet du 5 mars", "fr", {"month:03", "date:03-05", "5"}),
        ("Le 1er mai à Paris", "fr", {"month:05", "date:05-01", "1"}),
        ("En février et en août", "fr", {"month:02", "month:08"}),
        ("Am 5. März in Berlin", "de", {"month:03", "date:03-05", "5"}),
        ("Im Jänner und im Maerz", "de", {"month:01", "month:03"}),
        ("Mission to Mars", "en", set()),
        ("Am Dienstag in Berlin", "de", set()),  # weekdays are not dates
    ],
)
def test_months_and_dates(text: str, language: str, expected: set[str]) -> None:
    assert _facts(text, language) == expected


@pytest.mark.parametrize(
    ("a", "b", "differ"),
    [
        ({"month:05"}, {"month:06"}, True),  # inflation in May / in June
        ({"month:05", "date:05-12"}, {"month:05"}, False),  # one adds the day
        ({"~66.7"}, {"66"}, False),
        ({"~66.7"}, {"67"}, False),
        ({"~66.7"}, {"65"}, True),
        ({"~25"}, {"25"}, False),  # a quarter point / 25 basis points
        ({"3000"}, {"5000"}, True),
        ({"3000"}, {"3000", "12"}, False),
        ({"2023"}, {"2024"}, True),  # a year substituted
        ({"3", "2021"}, {"5"}, True),  # a count substituted, a year added
        ({"12"}, {"2016"}, False),  # "12 jurors" / "before the 2016 election": other kinds
        ({"12", "34"}, {"11", "34", "date:07-11", "month:07"}, False),  # "11" is a date's day
        ({"12", "date:07-12"}, {"11", "date:07-11"}, True),  # the dates differ
    ],
)
def test_facts_differ(a: set[str], b: set[str], differ: bool) -> None:
    assert facts_differ(frozenset(a), frozenset(b)) is differ
    assert facts_differ(frozenset(b), frozenset(a)) is differ


def test_a_month_alone_is_no_shared_figure() -> None:
    assert not shared_figure(frozenset({"month:05"}), frozenset({"month:05", "3"}))
    assert shared_figure(frozenset({"~66.7"}), frozenset({"67"}))
    assert shared_figure(frozenset({"date:05-12"}), frozenset({"date:05-12"}))


def test_number_forms_meet_across_languages() -> None:
    de = _facts("Rund 3.000 Soldaten, 2,5 Prozent", "de")
    en = _facts("Some three thousand troops, 2.5 per cent", "en")
    fr = _facts("Quelque 3 000 soldats, 2,5 %", "fr")
    assert de == en == fr == {"3000", "2.5"}
