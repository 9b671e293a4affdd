"""Name signals of the paraphrase check: spelling variants and aliases of names."""

from __future__ import annotations

from agents.fingerprint import Fingerprint, fingerprint
from agents.similarity import alias_keys, shared_names, unmentioned_title_names


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
