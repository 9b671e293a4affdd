"""Name signals of the paraphrase check: spelling variants and aliases of names."""

from __future__ import annotations

from agents.fingerprint import Fingerprint, fingerprint
from agents.similarity import (
    alias_keys,
    shared_names,
    unmentioned_entities,
    unmentioned_title_names,
)


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
