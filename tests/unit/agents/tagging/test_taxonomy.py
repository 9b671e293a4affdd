"""Taxonomy loading and validation errors that name file, topic and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.tagging.taxonomy import TaxonomyError, load_taxonomy

VALID_TOPIC = "  t:\n    threshold: 1\n    groups:\n      g:\n        en: [pact]\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_taxonomy_loads_with_versioned_digest() -> None:
    taxonomy = load_taxonomy()
    assert {t.id for t in taxonomy.topics} >= {"defense-treaty", "diplomacy", "german-politics"}
    version, digest = taxonomy.version.split("+")
    assert version and len(digest) == 8
    assert taxonomy.languages == {"fr", "de", "en"}


def test_patterns_are_folded_like_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\ntopics:\n" + VALID_TOPIC.replace("pact", "'L’Ac  CORD'"))
    assert load_taxonomy(path).topics[0].terms[0].pattern == "l'ac cord"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("version: 1\ntopics: {}\n", "key 'topics'"),
        ("topics:\n" + VALID_TOPIC, "key 'version'"),
        ("version: 1\ncolour: red\ntopics:\n" + VALID_TOPIC, "key 'colour'"),
        ("version: 1\ntopics:\n  Bad_Id:\n    threshold: 1\n", "topic 'Bad_Id'"),
        ("version: 1\ntopics:\n" + VALID_TOPIC.replace("1", "'high'"), "'threshold'"),
        ("version: 1\ntopics:\n" + VALID_TOPIC.replace("en:", "english:"), "'groups.g': 'english'"),
        ("version: 1\ntopics:\n" + VALID_TOPIC.replace("pact", "'pact *'"), "wildcard"),
        ("version: 1\ntopics:\n" + VALID_TOPIC.replace("pact", "'--'"), "no letters"),
        ("version: 1\ntopics:\n" + VALID_TOPIC + "    all_of: [nope]\n", "'all_of'"),
        ("version: 1\ntopics:\n" + VALID_TOPIC + "    none_of: [nope]\n", "'none_of'"),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC
            + "    near: [{groups: [g], within: 2, weight: 1}]\n",
            "exactly two groups",
        ),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC
            + "    near: [{groups: [g, g], within: 0, weight: 1}]\n",
            "near[0]'.within",
        ),
        ("version: 1\ntopics: [\n", "cannot read"),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC.replace("en: [pact]", "min_distinct: 0\n        en: [pact]"),
            "'groups.g'.min_distinct",
        ),
        ("version: 1\ntopics:\n" + VALID_TOPIC.replace("[pact]", "[[]]"), "must not be empty"),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC.replace("en: [pact]", "requires: [nope]\n        en: [pact]"),
            "'groups.g.requires': unknown group(s) ['nope']",
        ),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC.replace("en: [pact]", "requires: [g]\n        en: [pact]"),
            "'groups.g.requires': must name other groups",
        ),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC.replace("en: [pact]", "within: 2\n        en: [pact]"),
            "'groups.g.within': only applies together with 'requires'",
        ),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC.replace(
                "en: [pact]", "requires: [h]\n        within: 0\n        en: [pact]"
            )
            + "      h:\n        en: [army]\n",
            "'groups.g.within': must be a positive whole number",
        ),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC.replace("en: [pact]", "requires: [h]\n        en: [pact]")
            + "      h:\n        requires: [g]\n        en: [army]\n",
            "have requirements of their own",
        ),
        (
            "version: 1\ntopics:\n"
            + VALID_TOPIC.replace("en: [pact]", "requires: [h]\n        en: [pact]")
            + "      h:\n        en: [army]\n"
            + "    near: [{groups: [g, h], within: 2, weight: 1}]\n",
            "cannot be in 'near'",
        ),
    ],
)
def test_invalid_files_raise_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_missing_file_is_a_taxonomy_error(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.yaml")


def test_alternatives_share_an_entry(tmp_path: Path) -> None:
    body = VALID_TOPIC.replace("en: [pact]", "min_distinct: 2\n        en: [[france, french], uk]")
    [topic] = load_taxonomy(_write(tmp_path, "version: 1\ntopics:\n" + body)).topics
    assert [(t.pattern, t.entry) for t in topic.terms] == [
        ("france", "france"),
        ("french", "france"),
        ("uk", "uk"),
    ]
    assert topic.min_distinct == (("g", 2),)


def test_requirements_are_read_like_all_of(tmp_path: Path) -> None:
    body = VALID_TOPIC.replace(
        "en: [pact]", "requires: [[h, i], i]\n        within: 3\n        en: [pact]"
    )
    body += "      h:\n        en: [army]\n      i:\n        en: [navy]\n"
    [topic] = load_taxonomy(_write(tmp_path, "version: 1\ntopics:\n" + body)).topics
    assert [(r.group, r.groups, r.within) for r in topic.requires] == [
        ("g", (("h", "i"), ("i",)), 3)
    ]
