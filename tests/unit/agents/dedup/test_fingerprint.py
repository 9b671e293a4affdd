"""Fingerprints: folding, entities, numbers, determinism across processes, JSON round trip."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import yaml

from agents.dedup.fingerprint import (
    SIGNATURE_SIZE,
    Fingerprint,
    fingerprint,
    fingerprint_from_dict,
    fingerprint_to_dict,
    folded_words,
    hash_content,
    minhash,
    signature_terms,
)
from agents.dedup.lexicon import ALIASES, ALIASES_PATH, load_aliases
from agents.text import fold

ROOT = Path(__file__).resolve().parents[4]
TITLE = "L’accord de défense Corée du Nord–Russie en vigueur, Lavrov à Malte"
SUMMARY = "Sergueï Lavrov participe à une réunion de l’OSCE à Malte avec 57 États membres."


def _fp(title: str = TITLE, summary: str = SUMMARY) -> Fingerprint:
    return fingerprint(title=title, summary=summary, language="fr")


def test_case_accents_and_elisions_do_not_change_the_fingerprint() -> None:
    shouted = _fp(TITLE.upper().replace("’", "'"), SUMMARY.upper())
    assert shouted.content_hash == _fp().content_hash
    assert shouted.words == _fp().words
    assert shouted.signature == _fp().signature


def test_whitespace_does_not_change_the_content_hash_but_words_do() -> None:
    assert hash_content(TITLE, SUMMARY) == hash_content(f"  {TITLE} ", SUMMARY.replace(" ", "  "))
    assert hash_content(TITLE, SUMMARY) != hash_content(TITLE, SUMMARY.replace("57", "56"))


def test_given_content_hash_is_kept() -> None:
    given = fingerprint(title=TITLE, summary=SUMMARY, language="fr", content_hash="sha256:abc")
    assert given.content_hash == "sha256:abc"


def test_words_drop_stop_words_and_are_stemmed() -> None:
    words = _fp().words
    assert {"accord", "defens", "lavrov", "malte", "osce"} <= words
    assert not {"de", "la", "une", "avec", "l"} & words


@pytest.mark.parametrize(
    ("title", "summary", "entities", "absent"),
    [
        (TITLE, SUMMARY, {"lavrov", "malte", "osce", "coree", "russie", "serguei"}, {"participe"}),
        ("Three killed in Kharkiv", "The UN said.", {"kharkiv", "un"}, {"three", "killed", "the"}),
        (
            "Merz kritisiert Baerbock",
            "Die CDU will das nicht.",
            {"merz", "baerbock", "cdu"},
            {"die"},
        ),
    ],
)
def test_named_entities(title: str, summary: str, entities: set[str], absent: set[str]) -> None:
    found = fingerprint(title=title, summary=summary, language=None).entities
    assert entities <= found
    assert not absent & found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trois blessés à Zaporijjia, 12 maisons touchées", {"3", "12"}),
        ("Sieben Verletzte, 3,5 Millionen Euro Schaden", {"7", "3500000"}),
        ("Five killed in 2024 attack", {"5", "2024"}),
        ("One man was arrested", set()),
        ("Score 1..2, then 3,5,7.", {"1", "2", "3.5", "7"}),
        ("Tote: ١٢ und 3,5 Prozent", {"12", "3.5"}),  # any Unicode decimal digits
        ("Ａｂ １２ et 4", {"12", "4"}),
    ],
)
def test_numbers(text: str, expected: set[str]) -> None:
    assert fingerprint(title=text, summary="", language=None).numbers == expected


@pytest.mark.parametrize("title", ["", "2024", " – "])
def test_a_title_without_words_has_no_title_names(title: str) -> None:
    assert fingerprint(title=title, summary=SUMMARY, language="fr").title_names == frozenset()


@pytest.mark.parametrize(
    "text",
    ["a-b--c-", "-a", "a-", "--", "nato-gipfel in den-haag", "x - y", "a-b-c d--e", "1-2,3_4",
     "été-x", "l'accord", ""],
)  # fmt: skip
def test_folded_words_are_the_distinct_word_matches(text: str) -> None:
    assert folded_words(text) == set(re.findall(r"[^\W_]+(?:-[^\W_]+)*", text))


def test_signature_has_fixed_size_and_tracks_word_overlap() -> None:
    base = {f"word{n}" for n in range(40)}
    assert len(minhash(base)) == SIGNATURE_SIZE
    assert minhash(base) == minhash(set(sorted(base, reverse=True)))
    disjoint = {f"other{n}" for n in range(40)}
    shared = sum(x == y for x, y in zip(minhash(base), minhash(disjoint), strict=True))
    assert shared == 0
    assert minhash(set()) == minhash(())


def test_json_round_trip() -> None:
    original = _fp()
    wire = orjson.dumps(fingerprint_to_dict(original))
    assert fingerprint_from_dict(orjson.loads(wire)) == original


def test_signature_is_identical_in_a_fresh_process() -> None:
    code = (
        "from agents.dedup.fingerprint import fingerprint\n"
        f"print(list(fingerprint(title={TITLE!r}, summary={SUMMARY!r}, language='fr').signature))"
    )
    output = subprocess.check_output([sys.executable, "-c", code], cwd=ROOT, timeout=60)
    assert orjson.loads(output) == list(_fp().signature)


def test_alias_keys_are_added_to_entities_and_words_are_unchanged() -> None:
    fp = fingerprint(
        title="Orbán reçu par Poutine au Kremlin",
        summary="Le dirigeant hongrois est arrivé vendredi à Moscou.",
        language="fr",
    )
    assert {"poutine", "putin", "kremlin", "moscou", "moscow"} <= fp.entities
    assert "poutin" in fp.words
    assert not {"putin", "moscow", "hungar"} & fp.words  # word overlap (J) is not changed
    assert fp.title_names == {"poutine", "kremlin"}


@pytest.mark.parametrize(
    ("title", "names"),
    [
        ("Visite de Zelensky à la Maison-Blanche", {"zelensky", "washington"}),
        ("Zelensky received at the White House", {"washington"}),
        ("Selenskyj im Weißen Haus empfangen", {"washington"}),
        ("Sanctions : la réponse des États-Unis", {"usa"}),
    ],
)
def test_a_multi_word_alias_in_a_title_is_one_name(title: str, names: set[str]) -> None:
    fp = fingerprint(title=title, summary="", language=None)
    assert fp.title_names == names
    assert names <= fp.entities


def test_aliases_inflect_demonyms_and_keep_stop_words_out_of_words() -> None:
    assert {ALIASES.names[w] for w in ("hongrois", "hongroise", "ungarischen", "hungarian")} == {
        "hungary"
    }
    assert ALIASES.names["un"] == ALIASES.names["onu"] == "uno"
    assert "un" not in ALIASES.words  # the French article
    assert ALIASES.words["onu"] == "uno"


def test_every_alias_variant_has_one_key(tmp_path: Path) -> None:
    document = yaml.safe_load(ALIASES_PATH.read_text(encoding="utf-8"))
    keys_of: dict[str, set[str]] = {}
    for name, section in document.items():
        if name == "capitals":  # country -> capital, not variants
            continue
        for key, variants in section.items():
            for variant in [key, *variants]:
                keys_of.setdefault(fold(str(variant)), set()).add(str(key))
    assert {variant: keys for variant, keys in keys_of.items() if len(keys) > 1} == {}
    custom = tmp_path / "aliases.yaml"
    custom.write_text("names:\n  kyiv: [Kiew]\nphrases:\n  usa: [Vereinigte Staaten]\n")
    loaded = load_aliases(custom)
    assert loaded.names == {"kyiv": "kyiv", "kiew": "kyiv", "usa": "usa"}
    assert loaded.phrases is not None
    assert loaded.phrases.findall("die vereinigte  staaten, vereinigte-staaten") == [
        "vereinigte  staaten",
        "vereinigte-staaten",
    ]


def test_the_signature_is_over_aliased_words_and_alias_keys() -> None:
    terms = signature_terms({"poutine", "recu", "au", "kremlin", "kreml-chef"}, [])
    assert terms == {"putin", "recu", "moscow", "kreml-", "@putin", "@moscow"}
    in_title = [("washington", ("maison", "blanche"))]
    assert signature_terms({"maison", "blanche", "biden"}, in_title) == {
        "washin",
        "biden",
        "@washington",
    }
    fp = fingerprint(title="Poutine au Kremlin", summary="", language="fr")
    assert fp.words == {"poutin", "kremli"}  # compare()'s words are not aliased
    assert fp.signature == minhash({"putin", "moscow", "@putin", "@moscow"})


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("Récap : Francfort amorce la baisse des taux", "fr"),
        ("Zusammenfassung: Verfassungsgericht stoppt Haushaltstrick", "de"),
        ("Recap: Fed kicks off easing cycle", "en"),
        ("BREAKING: Strong earthquake strikes Noto peninsula", "en"),
    ],
)
def test_a_live_blog_label_is_neither_a_name_nor_a_word(title: str, language: str) -> None:
    fp = fingerprint(title=title, summary="", language=language, neutral=True)
    label = fold(title.split(":")[0].strip())
    assert label not in fp.title_names | fp.entities
    assert f"^{label}" not in fp.neutral
    assert not any(word.startswith(label[:6]) for word in fp.words)
