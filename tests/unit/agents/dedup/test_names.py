"""Name signals of the paraphrase check: spelling variants and aliases of names."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import combinations
from unittest.mock import patch

import pytest

from agents.dedup.fingerprint import Fingerprint, fingerprint
from agents.dedup.lexicon import ALIASES
from agents.dedup.names import (
    NAME_PREFIX,
    SHARED_PREFIX,
    alias_keys,
    entity_of,
    mentions,
    same_name,
    shared_names,
    unmentioned_across,
    unmentioned_entities,
    unmentioned_title_names,
)
from agents.dedup.verdict import compare


def _fp(title: str, summary: str = "") -> Fingerprint:
    return fingerprint(title=title, summary=summary, language=None)


def test_a_title_name_is_mentioned_by_any_variant_of_it() -> None:
    kremlin = _fp("Orbán reçu par Poutine au Kremlin")
    moscow = _fp("Visite de Viktor Orbán", "Il a rencontré Vladimir Poutine à Moscou.")
    assert unmentioned_title_names(kremlin, moscow) == frozenset()
    german = _fp("Orbán bei Putin", "Der Kreml bestätigte das Treffen in Moskau.")
    assert unmentioned_title_names(kremlin, german) == frozenset()


def test_a_title_name_the_other_item_never_mentions_is_still_missing() -> None:
    moscow = _fp("Orbán meets Putin in Moscow", "Talks in the Kremlin drew criticism.")
    kyiv = _fp("Orbán visits Kyiv, urges Zelensky to consider ceasefire", "In Kiev, he met him.")
    assert unmentioned_title_names(moscow, kyiv) == {"moscow", "putin"}
    assert unmentioned_title_names(kyiv, moscow) == {"kyiv", "zelensky"}


def test_a_prefix_match_still_counts_beside_the_alias() -> None:
    kreml = _fp("Warnung aus dem Kreml", "")
    spokesman = _fp("Sprecher warnt", "Der Kremlsprecher sagte, man werde reagieren.")
    assert unmentioned_title_names(kreml, spokesman) == frozenset()


def test_a_name_and_its_alias_key_count_once() -> None:
    a = _fp("Poutine à Moscou", "Le président russe reçoit Loukachenko.")
    b = _fp("Loukachenko chez Poutine", "Rencontre à Moscou.")
    assert alias_keys(a.entities) >= {"putin", "moscow", "lukashenko"}
    assert "poutine" not in alias_keys(a.entities)
    assert shared_names(a, b) == shared_names(b, a) == 3


def _de(title: str, summary: str = "") -> Fingerprint:
    return fingerprint(title=title, summary=summary, language="de")


def test_an_inflected_or_compound_form_mentions_a_name() -> None:
    a = _de(
        "Rheinbrücke gesperrt", "Die Sperrung dauert bis Montag. Die Feuerwehr-Einheit ist vor Ort."
    )
    b = _de("Rheinbrücke gesperrt", "Die Sperrung dauert bis Montagabend. Die Einheit ist vor Ort.")
    assert unmentioned_entities(a, b) == frozenset()  # "Feuerwehr-Einheit" by its head "Einheit"
    assert unmentioned_entities(b, a) == frozenset()  # "Einheit" by "Feuerwehr-Einheit"


def test_a_compound_is_not_mentioned_by_its_first_part() -> None:
    anhalt = _de("Unwetter", "Starkregen in Sachsen-Anhalt.")
    sachsen = _de("Unwetter", "Starkregen in Sachsen.")
    assert unmentioned_entities(anhalt, sachsen) == {"sachsen-anhalt"}


def test_a_title_name_is_mentioned_inside_a_compound() -> None:
    council = _de(
        "Ministerrat ohne Einigung", "Der OSZE-Ministerrat in Wien endete ohne Erklärung."
    )
    draft = _de("Kabinett billigt Entwurf", "Der Etatentwurf sieht neue Schulden vor.")
    other = _de("Kabinett billigt Etatentwurf", "Der OSZE-Ministerrat tagt.")
    assert "ministerrat" not in unmentioned_title_names(council, other)
    assert unmentioned_title_names(draft, other) == frozenset()


def test_a_single_capital_letter_is_not_an_acronym() -> None:
    fp = _fp("Storm closes port", "A gale hit the coast. C'est la tempête, dit le maire.")
    assert not {"a", "c"} & fp.entities


def test_a_country_and_its_capital_mention_each_other_in_the_template_guard() -> None:
    countries = _fp(
        "Poland and Lithuania sign air-defence plan",
        "A radar chain backed by Germany will run along the border with Belarus by next year.",
    )
    capitals = _fp(
        "Poland and Lithuania sign air-defence plan",
        "Warsaw and Vilnius agreed with Berlin on radars along the Belarusian border.",
    )
    assert unmentioned_entities(capitals, countries) == frozenset()
    assert unmentioned_entities(countries, capitals) == frozenset()
    assert ALIASES.capitals["france"] == "paris" and ALIASES.capitals["paris"] == "france"


def test_another_capital_or_a_city_is_still_unmentioned() -> None:
    paris = _fp("Summit opens", "Leaders met in Paris.")
    assert unmentioned_entities(paris, _fp("Summit opens", "Leaders met in Germany.")) == {"paris"}
    # Only a capital meets its country: Lyon is not France.
    lyon = _fp("Summit opens", "Leaders met in Lyon.")
    assert unmentioned_entities(lyon, _fp("Summit opens", "Leaders met in France.")) == {"lyon"}


def test_title_names_do_not_fold_a_capital_into_its_country() -> None:
    in_kyiv = _fp("NATO chief arrives in Kyiv", "He met officials in Ukraine.")
    in_ukraine = _fp("NATO chief visits Ukraine", "The visit was not announced.")
    assert unmentioned_title_names(in_kyiv, in_ukraine) == {"kyiv"}


def _en(title: str, summary: str) -> Fingerprint:
    return fingerprint(title=title, summary=summary, language="en")


def test_a_re_summary_naming_the_capital_for_the_country_is_a_duplicate() -> None:
    first = _en(
        "Grain corridor deal between Romania and Moldova takes effect",
        "The agreement, brokered by Turkey, opened two rail lines for Ukrainian grain on "
        "Monday after months of talks.",
    )
    second = _en(
        "Romania-Moldova grain corridor opens",
        "Two rail lines for Ukrainian grain opened on Monday under a deal that Ankara "
        "brokered after months of talks between Bucharest and Chisinau.",
    )
    assert compare(second, first)[0] is True
    without = replace(ALIASES, capitals={})
    with patch("agents.dedup.names.ALIASES", without):
        assert compare(second, first)[0] is False  # Turkey / Ankara read as a swapped place


def test_a_template_with_another_capital_stays_other_news() -> None:
    def visit(city: str) -> Fingerprint:
        return _en(
            f"Foreign minister visits {city}",
            f"The minister arrived in {city} on Monday for talks on energy and trade, the "
            "ministry said.",
        )

    assert compare(visit("Paris"), visit("Berlin"))[0] is False
    assert compare(visit("Paris"), visit("Rome"))[0] is False


def _entities() -> dict[str, str]:
    """Every name of the alias table (each en/fr/de variant, demonyms with their endings,
    capitals without variants) -> the entity it names."""
    entities = dict(ALIASES.names)
    entities.update({name: name for name in ALIASES.capitals if name not in entities})
    return entities


def test_no_two_entities_of_the_alias_table_collide() -> None:
    """Every pair of the table's names (its en, fr and de variants, demonyms with the endings the
    loader adds, seats of power, capitals): no name of one entity mentions a name of another,
    and no two entities' keys are taken for one name across languages."""
    entities = _entities()
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for name in entities:  # mentions() can only match names that share their prefix
        by_prefix[name[:NAME_PREFIX]].append(name)
    mixed = {
        (entities[a], entities[b])
        for names in by_prefix.values()
        for a in names
        for b in names
        if entities[a] != entities[b] and mentions(a, {b})
    }
    assert mixed == set()
    keys = sorted(set(entities.values()))
    assert [(a, b) for a, b in combinations(keys, 2) if same_name(a, b)] == []


# Names of two entities of the alias table that share their first NAME_PREFIX letters.
TWO_PLACES = [
    ("Austria", "Australia", "en"),
    ("Austrian", "Australian", "en"),
    ("Autriche", "Australie", "fr"),
    ("Schweden", "Schweiz", "de"),
]
COUNTRY_AND_CAPITAL = [
    ("Algeria", "Algiers", "en"),
    ("Algérie", "Alger", "fr"),
    ("Tunisie", "Tunis", "fr"),
    ("Brasilien", "Brasília", "de"),
]


def _flood(place: str, lang: str) -> Fingerprint:
    return fingerprint(title=f"Floods in {place}", summary="", language=lang)


@pytest.mark.parametrize(("one", "other", "lang"), TWO_PLACES + COUNTRY_AND_CAPITAL)
def test_a_title_name_is_not_mentioned_by_another_entity_sharing_its_prefix(
    one: str, other: str, lang: str
) -> None:
    # Titles never fold a capital into its country (Kyiv / Ukraine above), nor a prefix two.
    assert unmentioned_title_names(_flood(one, lang), _flood(other, lang)) != frozenset()
    assert unmentioned_across(_flood(one, lang), _flood(other, lang)) != frozenset()


@pytest.mark.parametrize(("one", "other", "lang"), TWO_PLACES)
def test_the_template_guard_tells_two_places_sharing_a_prefix_apart(
    one: str, other: str, lang: str
) -> None:
    # (It takes a country and its capital for one place on purpose: news name a government by
    # either.)
    assert unmentioned_entities(_flood(one, lang), _flood(other, lang)) != frozenset()
    assert shared_names(_flood(one, lang), _flood(other, lang)) == 1  # "Floods" only


def test_a_visit_to_austria_is_no_duplicate_of_a_visit_to_australia() -> None:
    def visit(place: str) -> Fingerprint:
        return _en(
            f"Chancellor visits {place}",
            f"The chancellor arrived in {place} on Monday for talks on energy and trade.",
        )

    assert compare(visit("Austria"), visit("Australia"))[0] is False
    assert compare(visit("Austria"), visit("Austria"))[0] is True


def test_an_inflection_the_table_lacks_still_mentions_its_entity() -> None:
    ukraine = _de("Hilfe für die Ukraine", "")
    refugee = _de("Hilfe", "Eine Ukrainerin erzählt von der Flucht.")
    assert unmentioned_title_names(ukraine, refugee) == frozenset()


def test_a_prefix_two_entities_share_meets_neither() -> None:
    assert entity_of("australierin") == SHARED_PREFIX
    assert not mentions("australierin", {"austria"})
    assert not mentions("australierin", {"australien"})
    assert mentions("australierin", {"australierinnen"})
