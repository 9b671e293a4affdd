"""Matching behaviour of tag_item: folding, elision, wildcards, proximity, none-of, seed labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.evaluate import evaluate_tagging, read_jsonl
from agents.tagging.tag import Evidence, tag_item
from agents.tagging.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy

FIXTURES = Path(__file__).parents[3] / "fixtures"
SEED = Path(__file__).parents[4] / "streams" / "demo" / "seed_liveblog.json"


@pytest.fixture(scope="module")
def rules() -> Taxonomy:
    return load_taxonomy(FIXTURES / "tagging" / "rules.yaml")


def _topics(taxonomy: Taxonomy, title: str, summary: str = "", lang: str | None = None) -> set[str]:
    return {tag.topic for tag in tag_item(taxonomy, title=title, summary=summary, language=lang)}


@pytest.mark.parametrize(
    ("title", "lang", "expected"),
    [
        # elision, typographic apostrophe, accents, case
        ("L’ACCORD de DÉFENSE", "fr", {"pact"}),
        ("l'accord d'assistance mutuelle", "fr", {"pact"}),
        # wildcards: German compounds, prefix and infix
        ("Verteidigungsabkommen unterzeichnet", "de", {"pact"}),
        ("Vertragsentwurf zur Verteidigungspolitik", "de", {"pact"}),
        ("Abkommens-Text zur Verteidigung", "de", set()),  # "*abkommen" needs the word end
        # word boundaries: no match inside other words
        ("Untreaty of indefenceable", "en", set()),
        # none-of vetoes, whatever the score
        ("Accord commercial de défense", "fr", set()),
        # all-of: both groups needed
        ("Traité et accord", "fr", set()),
        # mid-word wildcard confirmed by regex
        ("Bundesaußenminister spricht", "de", {"ministers"}),
        ("Bundesminister", "de", {"ministers"}),
        ("Bundesliga-Minister", "de", set()),
    ],
)
def test_matching_rules(rules: Taxonomy, title: str, lang: str, expected: set[str]) -> None:
    assert _topics(rules, title, lang=lang) == expected


def test_proximity_bonus_only_when_terms_are_close(rules: Taxonomy) -> None:
    close = tag_item(rules, title="", summary="treaty on defence", language="en")
    far = tag_item(rules, title="", summary="treaty a b c d defence", language="en")
    assert [e.term for e in close[0].evidence] == ["treaty", "defence", "treaty~defence"]
    assert far == []  # 1 + 1 < threshold 3 without the bonus


def test_title_weight_and_once_per_field(rules: Taxonomy) -> None:
    [tag] = tag_item(rules, title="treaty defence", summary="treaty treaty defence", language="en")
    assert Evidence("treaty", "title", 2.0) in tag.evidence
    assert sum(e.term == "treaty" for e in tag.evidence) == 2
    assert tag.score == pytest.approx(2 + 2 + 2 + 1 + 1 + 1)


def test_proximity_looks_at_its_own_topic_only() -> None:
    # Both topics name their groups "a" and "b"; only "near" has the terms close together.
    group = {"weight": 1, "all": []}
    document = {
        "version": "1",
        "topics": {
            "near": {
                "threshold": 2.5,
                "groups": {"a": {**group, "all": ["treaty"]}, "b": {**group, "all": ["defence"]}},
                "near": [{"groups": ["a", "b"], "within": 1, "weight": 1}],
            },
            "far": {
                "threshold": 2.5,
                "groups": {"a": {**group, "all": ["pact"]}, "b": {**group, "all": ["army"]}},
                "near": [{"groups": ["a", "b"], "within": 1, "weight": 1}],
            },
        },
    }
    taxonomy = parse_taxonomy(document, source="inline", digest="0" * 8)
    tags = tag_item(taxonomy, title="", summary="pact treaty defence x y army", language="en")
    assert [(tag.topic, tag.evidence[-1].term) for tag in tags] == [("near", "a~b")]


def test_min_distinct_counts_entries_not_terms() -> None:
    """A `min_distinct` group counts only when enough different entries matched; alternatives
    listed together (a country, its demonym, its capital) are one entry."""
    document = {
        "version": "1",
        "topics": {
            "bilateral": {
                "threshold": 1,
                "groups": {
                    "act": {"weight": 1, "en": ["talks"]},
                    "states": {
                        "weight": 0.5,
                        "min_distinct": 2,
                        "en": [["france", "french", "paris"], ["china", "chinese"]],
                    },
                },
                "all_of": ["act", "states"],
                "near": [{"groups": ["act", "states"], "within": 2, "weight": 5}],
            }
        },
    }
    taxonomy = parse_taxonomy(document, source="inline", digest="0" * 8)
    assert _topics(taxonomy, "French talks in Paris", "France", "en") == set()
    [tag] = tag_item(taxonomy, title="", summary="French and Chinese talks", language="en")
    assert [e.term for e in tag.evidence] == ["french", "chinese", "talks", "act~states"]
    # one state: no score, no constraint, no proximity bonus from the group
    assert tag_item(taxonomy, title="", summary="French talks", language="en") == []


def _requiring(requires: list[object], within: int | None = None) -> Taxonomy:
    """One topic: `name` (3 points) counts only with its `requires`; `office` and `party` are
    context groups of no weight."""
    name: dict[str, object] = {"weight": 3, "requires": requires, "en": ["smith"]}
    if within is not None:
        name["within"] = within
    document = {
        "version": "1",
        "topics": {
            "politics": {
                "threshold": 3,
                "groups": {
                    "name": name,
                    "office": {"weight": 0, "en": ["minister"]},
                    "party": {"weight": 0, "en": ["labour"]},
                },
                "any_of": ["name"],
            }
        },
    }
    return parse_taxonomy(document, source="inline", digest="0" * 8)


def test_requires_counts_a_group_only_with_its_context() -> None:
    """A group with `requires` adds nothing and satisfies no constraint unless every required
    entry (one of its alternative groups, as in `all_of`) matched somewhere in the item."""
    either = _requiring([["office", "party"]])
    assert _topics(either, "Smith wins the slalom") == set()
    assert _topics(either, "Smith speaks", "The minister said so.") == {"politics"}
    assert _topics(either, "Smith speaks", "Labour backs him.") == {"politics"}
    both = _requiring(["office", "party"])
    assert _topics(both, "Smith speaks", "The minister said so.") == set()
    assert _topics(both, "Labour minister Smith speaks") == {"politics"}


def test_requires_within_counts_each_hit_only_next_to_its_context() -> None:
    """With `within`, each hit needs a required hit within that many words in its field."""
    near = _requiring([["office"]], within=2)
    assert _topics(near, "", "minister Smith") == {"politics"}
    assert _topics(near, "", "the minister met a b c d Smith") == set()
    assert _topics(near, "minister", "Smith") == set()  # another field is not next to it
    [tag] = tag_item(near, title="minister Smith", summary="Smith", language="en")
    # the summary's "Smith" has no minister next to it: only the title's counts
    assert [(e.term, e.field) for e in tag.evidence] == [("minister", "title"), ("smith", "title")]


def test_unknown_language_matches_every_language(rules: Taxonomy) -> None:
    assert _topics(rules, "Verteidigungsabkommen", lang=None) == {"pact"}
    assert _topics(rules, "Verteidigungsabkommen", lang="es") == {"pact"}
    assert _topics(rules, "Verteidigungsabkommen", lang="en") == set()


def test_tags_sorted_by_score() -> None:
    tags = tag_item(
        load_taxonomy(),
        title="Merz et Macron signent un accord de défense à Paris",
        summary="Le chancelier allemand et le président français ont signé le traité.",
        language="fr",
    )
    assert [t.score for t in tags] == sorted((t.score for t in tags), reverse=True)
    assert {t.topic for t in tags} == {"defense-treaty", "diplomacy", "german-politics"}


@pytest.mark.parametrize("item", json.loads(SEED.read_text())["items"], ids=lambda i: i["id"])
def test_seed_liveblog_labels(item: dict[str, object]) -> None:
    title, summary = str(item["title"]), str(item["summary"])
    assert _topics(load_taxonomy(), title, summary, "fr") == set(item["labels"])  # type: ignore[arg-type]


HELDOUT_3 = FIXTURES / "tagging" / "heldout_3.jsonl"


def test_heldout_3_quality_gate() -> None:
    """72 items written from the label definitions before the taxonomy was read (commit
    1840331), then used to tune it: all three topics at F1 1.0 after tuning; the gate keeps a
    margin of one or two misses per topic."""
    report = evaluate_tagging(load_taxonomy(), read_jsonl(HELDOUT_3))
    assert set(report.scores) == {"defense-treaty", "diplomacy", "german-politics"}
    for topic, scores in report.scores.items():
        assert scores.f1 >= 0.95, (topic, scores, report.misses)


HELDOUT_4 = FIXTURES / "tagging" / "heldout_4.jsonl"


def test_heldout_4_quality_gate() -> None:
    """90 items (30 fr/de/en, 33 with no label) written from the label definitions before the
    taxonomy was read (commit 51a2107). Blind: F1 0.952 defense-treaty, 0.847 diplomacy, 1.000
    german-politics; after tuning 1.000 / 0.964 / 1.000, so no longer blind; diplomacy 0.982
    after its act-and-international-dimension restructure. The gate keeps a margin of one or
    two misses per topic."""
    report = evaluate_tagging(load_taxonomy(), read_jsonl(HELDOUT_4))
    assert set(report.scores) == {"defense-treaty", "diplomacy", "german-politics"}
    for topic, scores in report.scores.items():
        assert scores.f1 >= 0.93, (topic, scores, report.misses)


HELDOUT_5 = FIXTURES / "tagging" / "heldout_5.jsonl"


def test_heldout_5_regression_gate() -> None:
    """90 items written blind by someone who never saw the rules (commit f1eea75) and NEVER
    tuned on: the generalisation measure (docs/tagging.md). Blind F1 0.895 defense-treaty,
    0.914 diplomacy, 1.000 german-politics; the gate only catches regressions. Do not tune the
    taxonomy to this file's misses."""
    report = evaluate_tagging(load_taxonomy(), read_jsonl(HELDOUT_5))
    assert set(report.scores) == {"defense-treaty", "diplomacy", "german-politics"}
    for topic, scores in report.scores.items():
        assert scores.f1 >= 0.87, (topic, scores, report.misses)


HELDOUT_6 = FIXTURES / "tagging" / "heldout_6.jsonl"


def test_heldout_6_quality_gate() -> None:
    """90 items written blind from the label definitions (commit 2a79c12). Blind: F1 0.909
    defense-treaty, 0.870 diplomacy, 0.943 german-politics; then tuned on (companies as the
    parties of a "security pact", fissile material, meeting and sealing words, contracts):
    0.981 / 0.944 / 0.962. The gate keeps a margin of one or two misses per topic."""
    report = evaluate_tagging(load_taxonomy(), read_jsonl(HELDOUT_6))
    assert set(report.scores) == {"defense-treaty", "diplomacy", "german-politics"}
    for topic, scores in report.scores.items():
        assert scores.f1 >= 0.9, (topic, scores, report.misses)


HELDOUT_7 = FIXTURES / "tagging" / "heldout_7.jsonl"


def test_heldout_7_regression_gate() -> None:
    """75 items written blind (commit 835559d) after the heldout_6 tuning and NEVER tuned on:
    F1 0.923 defense-treaty, 0.923 diplomacy, 1.000 german-politics at first scoring (with the
    taxonomy of the day before: 0.923 / 0.902 / 1.000). The gate only catches regressions. Do
    not tune the taxonomy to this file's misses."""
    report = evaluate_tagging(load_taxonomy(), read_jsonl(HELDOUT_7))
    assert set(report.scores) == {"defense-treaty", "diplomacy", "german-politics"}
    for topic, scores in report.scores.items():
        assert scores.f1 >= 0.87, (topic, scores, report.misses)


HELDOUT_8 = FIXTURES / "tagging" / "heldout_8.jsonl"
HELDOUT_8_FLOORS = {"defense-treaty": 0.93, "diplomacy": 0.84, "german-politics": 0.96}


def test_heldout_8_quality_gate() -> None:
    """106 items written blind (commit c02b264) for the issue-18 error classes (namesakes,
    gatherings opening, ministers arriving, withdrawals from conventions, mutual-defence
    pledges). Blind: F1 0.684 defense-treaty, 0.696 diplomacy, 0.791 german-politics; after
    the classes were written into the taxonomy (tuned on, no longer blind): 0.958 / 0.868 /
    1.000. The floors allow about one more miss per topic."""
    report = evaluate_tagging(load_taxonomy(), read_jsonl(HELDOUT_8))
    assert set(report.scores) == set(HELDOUT_8_FLOORS)
    for topic, scores in report.scores.items():
        assert scores.f1 >= HELDOUT_8_FLOORS[topic], (topic, scores, report.misses)


@pytest.mark.parametrize(
    ("title", "summary", "lang", "expected"),
    [
        # other kinds of security are not a defence treaty
        (
            "Accord sur la sécurité sociale des frontaliers",
            "Paris et Luxembourg ont signé.",
            "fr",
            set(),
        ),
        (
            "Sicherheitsupdate: Microsoft schließt Lücke",
            "Abkommen mit einer Sicherheitsfirma.",
            "de",
            set(),
        ),
        # a historical alliance as the subject of an exhibition
        (
            "Exhibition marks 70 years since the Warsaw Pact",
            "The Soviet-led military alliance "
            "was dissolved in 1991; the museum shows archive footage.",
            "en",
            set(),
        ),
        # coalition talks and police summons are domestic
        (
            "Austria's chancellor resigns after coalition talks collapse",
            "Negotiations with the Social Democrats broke down.",
            "en",
            set(),
        ),
        ("La police convoque le maire", "Le maire a été convoqué au commissariat.", "fr", set()),
        # a German minister abroad stays German politics, even in London
        (
            "Merz empfängt britischen Premier",
            "Der Bundeskanzler und der Premierminister aus "
            "Großbritannien sprachen über die Ukraine.",
            "de",
            {"diplomacy", "german-politics"},
        ),
        # depositing accession instruments between states is diplomacy
        (
            "Sweden formally joins NATO",
            "Stockholm handed over its instruments of accession in Washington.",
            "en",
            {"defense-treaty", "diplomacy"},
        ),
        # sports stars and brand faces named ambassador are not diplomacy
        (
            "Tennis champion becomes UNICEF goodwill ambassador",
            "The former world number one will serve as ambassador for children's rights.",
            "en",
            set(),
        ),
        (
            "L'ancien footballeur nommé ambassadeur du Mondial",
            "Il sera l'ambassadeur du tournoi auprès des jeunes.",
            "fr",
            set(),
        ),
        (
            "Olympiasiegerin wird Botschafterin der Kinderhilfe",
            "Die Sportlerin will als Botschafterin Spenden sammeln.",
            "de",
            set(),
        ),
        # one word counts once: "Gipfel"/"Verhandlungen" match one wildcard each, not two
        ("Bergwacht meldet Schaden", "Am Gipfel fehlt ein Balken.", "de", set()),
        ("Haushalt", "Die Verhandlungen laufen.", "de", set()),
        # an embassy or consulate alone is not an interaction between states
        ("Protest outside the embassy", "Crowds gathered near the embassy.", "en", set()),
        ("Consulate general reopens visa desk", "The consulate opens on Monday.", "en", set()),
        # consular crises are diplomacy
        (
            "Berlin fordert konsularischen Zugang zu inhaftiertem Deutschen",
            "Das Auswärtige Amt steht in Kontakt mit den Behörden in Teheran.",
            "de",
            {"diplomacy"},
        ),
        # a head of government meeting a foreign leader, with domestic criticism alongside
        (
            "Kanzler empfängt Gast aus Kiew",
            "Er sagte dem Präsidenten bei einem Treffen Hilfe zu; die Opposition kritisiert das.",
            "de",
            {"diplomacy", "german-politics"},
        ),
        # status-of-forces agreements and arms-control treaty names; inspectors in general are not
        (
            "Les députés approuvent l'accord sur le statut des forces",
            "Le texte encadre la présence des militaires étrangers.",
            "fr",
            {"defense-treaty"},
        ),
        (
            "Moskau steigt aus dem Vertrag über den Offenen Himmel aus",
            "Beobachtungsflüge sind nicht mehr erlaubt.",
            "de",
            {"defense-treaty"},
        ),
        (
            "Food inspectors close restaurants",
            "Inspections were carried out under an agreement with the city.",
            "en",
            set(),
        ),
        # EU defence ministers meeting is a ministerial meeting of an organisation
        (
            "EU defence ministers meet in Brussels",
            "They discussed ammunition for Ukraine.",
            "en",
            {"diplomacy"},
        ),
        # "Ministerpräsident" is also the German title of foreign prime ministers
        (
            "Ungarns Ministerpräsident blockiert EU-Hilfen",
            "Die Regierung in Budapest lehnt das Paket weiter ab.",
            "de",
            set(),
        ),
        # a state premier is German politics
        (
            "Der sächsische Ministerpräsident warnt vor Kürzungen",
            "Er kritisiert den Entwurf des Landeshaushalts.",
            "de",
            {"german-politics"},
        ),
        # companies as the parties of a "security pact" are no treaty between states
        (
            "Zwei Versicherer und ein Netzbetreiber schließen Sicherheitspakt",
            "Die Konzerne wollen sich gemeinsam gegen Cyberangriffe schützen.",
            "de",
            set(),
        ),
    ],
)
def test_default_taxonomy_guards(title: str, summary: str, lang: str, expected: set[str]) -> None:
    assert _topics(load_taxonomy(), title, summary, lang) == expected


@pytest.mark.parametrize(
    ("title", "summary", "lang", "expected"),
    [
        # meetings with no foreign party: an act but no international dimension
        (
            "Le maire de Lyon rencontre les syndicats",
            "La réunion avec les représentants du personnel municipal a porté sur les salaires.",
            "fr",
            set(),
        ),
        (
            "Club president meets fans after derby defeat",
            "The meeting with supporters' groups at the stadium lasted two hours.",
            "en",
            set(),
        ),
        (
            "Regional president meets mayors on school funding",
            "The talks in the regional capital ended without agreement.",
            "en",
            set(),
        ),
        (
            "Landrat trifft Bürgermeister zum Gespräch über Kitas",
            "Bei dem Treffen im Kreishaus ging es um fehlende Erzieherinnen.",
            "de",
            set(),
        ),
        # one state named three ways (demonym, leader, capital) is still one state
        (
            "Le président français rencontre les agriculteurs",
            "Emmanuel Macron a reçu les syndicats agricoles à Paris pour une réunion sur les prix.",
            "fr",
            set(),
        ),
        # a foreign minister or a forum without any act between states
        (
            "La ministre des Affaires étrangères défend son budget",
            "Devant les députés, elle a répondu aux critiques sur les effectifs du Quai d'Orsay.",
            "fr",
            set(),
        ),
        (
            "Foreign minister warns over nuclear programme",
            "He said UN sanctions would follow and that the IAEA must keep access to the sites.",
            "en",
            set(),
        ),
        # bilateral calls between leaders: an act and two states, nothing else
        (
            "Scholz telefoniert mit Macron",
            "Die beiden sprachen über die Lage in der Ukraine.",
            "de",
            {"diplomacy", "german-politics"},
        ),
        (
            "Trump and Xi speak by phone",
            "The two leaders discussed tariffs and Taiwan, Beijing said.",
            "en",
            {"diplomacy"},
        ),
        # an ambassador summoned
        (
            "Alger convoque l'ambassadeur de France",
            "Le diplomate a été reçu au ministère après des propos jugés hostiles.",
            "fr",
            {"diplomacy"},
        ),
        # mediation offered by a third country
        (
            "Norwegen bietet Vermittlung zwischen Kolumbien und Venezuela an",
            "Oslo sei bereit, Gespräche auf neutralem Boden auszurichten.",
            "de",
            {"diplomacy"},
        ),
        (
            "Qatar offers to mediate between Kyiv and Moscow",
            "Doha said it was ready to host talks on the return of children.",
            "en",
            {"diplomacy"},
        ),
    ],
)
def test_diplomacy_needs_an_act_and_an_international_dimension(
    title: str, summary: str, lang: str, expected: set[str]
) -> None:
    """Probe items written for the restructured diplomacy rule (not a labelled set)."""
    assert _topics(load_taxonomy(), title, summary, lang) == expected


@pytest.mark.parametrize(
    ("title", "summary", "lang", "expected"),
    [
        # Two states exchanging ratification instruments or documents is diplomacy (data
        # README), even when the summary says so and nothing else between them does (seed-04).
        ("Le traité fiscal entre le Japon et le Vietnam entre en vigueur",
         "Les deux pays ont échangé les documents de ratification à Hanoï.", "fr",
         {"diplomacy"}),
        ("Le traité fiscal entre le Japon et le Vietnam entre en vigueur",
         "Il s’applique depuis l’échange des instruments de ratification lundi.", "fr",
         {"diplomacy"}),
        ("Steuerabkommen zwischen Japan und Vietnam tritt in Kraft",
         "Beide Länder tauschten in Hanoi die Ratifikationsurkunden aus.", "de", {"diplomacy"}),
        ("Steuerabkommen zwischen Japan und Vietnam tritt in Kraft",
         "Die Ratifizierungsdokumente wurden am Montag in Hanoi ausgetauscht.", "de",
         {"diplomacy"}),
        ("Japan-Vietnam tax treaty enters into force",
         "The two countries exchanged instruments of ratification in Hanoi.", "en",
         {"diplomacy"}),
        ("Japan-Vietnam tax treaty enters into force",
         "Ratification documents were exchanged in Hanoi on Monday.", "en", {"diplomacy"}),
        # ... but one state's parliament ratifying, or states exchanging something else, is not.
        ("Le Parlement japonais ratifie le traité fiscal avec le Vietnam",
         "Les députés ont approuvé le texte par 300 voix contre 12.", "fr", set()),
        ("Japan and Vietnam exchange students under a new programme",
         "Universities in Tokyo and Hanoi will host 500 students each year.", "en", set()),
    ],
)  # fmt: skip
def test_exchanging_ratification_instruments_between_states_is_diplomacy(
    title: str, summary: str, lang: str, expected: set[str]
) -> None:
    assert _topics(load_taxonomy(), title, summary, lang) == expected


@pytest.mark.parametrize(
    ("title", "summary", "lang", "expected"),
    [
        # a surname alone is no German politics: sport, stage and screen, kitchens
        (
            "Le skieur allemand Dobrindt remporte le slalom",
            "Il devance deux Autrichiens.",
            "fr",
            set(),
        ),
        (
            "Schauspielerin Esken gewinnt Fernsehpreis",
            "Die Jury lobte ihre Rolle als Kommissarin in der Krimireihe.",
            "de",
            set(),
        ),
        ("Weidel scores twice as Freiburg beat Mainz", "The striker has eight goals.", "en", set()),
        # ... even next to an election word of another kind
        (
            "Kretschmer zum Handballer des Jahres gewählt",
            "Der Torhüter setzte sich bei der Wahl der Fans deutlich durch.",
            "de",
            set(),
        ),
        (
            "Spahn wins public vote for chef of the year",
            "The Munich restaurateur took 40% of readers' votes.",
            "en",
            set(),
        ),
        # a surname with a party, an office, a policy or official contacts is
        (
            "Spahn kritisiert Rentenpläne",
            "Die Reform sei nicht finanzierbar, sagte er im Interview.",
            "de",
            {"german-politics"},
        ),
        (
            "Söder veut baisser les impôts des retraités",
            "Il veut en faire un thème de campagne.",
            "fr",
            {"german-politics"},
        ),
        (
            "Merz defends migration policy",
            "He spoke at an event in Hamburg.",
            "en",
            {"german-politics"},
        ),
        # so is a first name with the surname
        (
            "Friedrich Merz rules out Taurus deliveries",
            "He said so in an interview on Sunday.",
            "en",
            {"german-politics"},
        ),
    ],
)
def test_a_surname_needs_a_first_name_or_a_political_context(
    title: str, summary: str, lang: str, expected: set[str]
) -> None:
    assert _topics(load_taxonomy(), title, summary, lang) == expected


@pytest.mark.parametrize(
    ("title", "summary", "lang", "expected"),
    [
        # gatherings reported by their opening
        (
            "UN Human Rights Council session opens in Geneva",
            "Diplomats from 47 member states begin four weeks of debate.",
            "en",
            {"diplomacy"},
        ),
        (
            "La conférence de Munich sur la sécurité s'ouvre",
            "Des ministres des Affaires étrangères de 40 pays sont attendus.",
            "fr",
            {"diplomacy"},
        ),
        (
            "OSZE-Ministerrat beginnt in Malta",
            "Außenminister aus 57 Staaten beraten über die Ukraine.",
            "de",
            {"diplomacy"},
        ),
        # festivals, party congresses and exercises open or begin too
        (
            "Film festival opens in Berlin with a jury from 12 countries",
            "The jury is chaired by an American actress.",
            "en",
            set(),
        ),
        (
            "Le festival de Cannes s'ouvre avec un film iranien",
            "Le jury est présidé par une actrice américaine.",
            "fr",
            set(),
        ),
        (
            "Parteitag der Grünen beginnt in Karlsruhe",
            "Die Delegierten wählen eine neue Doppelspitze.",
            "de",
            {"german-politics"},
        ),
        (
            "NATO begins large-scale exercise in Norway",
            "Some 20,000 troops take part.",
            "en",
            set(),
        ),
        # ministers and leaders arriving in a foreign capital
        (
            "Turkish foreign minister arrives in Damascus",
            "Hakan Fidan is the most senior Turkish official in Syria since the fall of Assad.",
            "en",
            {"diplomacy"},
        ),
        (
            "Le président kényan est arrivé à Pékin",
            "William Ruto est accompagné de six ministres.",
            "fr",
            {"diplomacy"},
        ),
        (
            "Kanadas Premierminister in Tokio eingetroffen",
            "Mark Carney will mit Japan über Flüssiggas sprechen.",
            "de",
            {"diplomacy"},
        ),
        # arrivals of others, at home, or no arrival at all
        (
            "Refugees from Sudan arrive in Cairo",
            "Aid agencies counted 2,000 arrivals.",
            "en",
            set(),
        ),
        (
            "Prime minister arrives in Glasgow for party conference",
            "She will address delegates on Tuesday.",
            "en",
            set(),
        ),
        (
            "Le ministre de l'Intérieur est arrivé à Marseille",
            "Il doit annoncer des renforts de police.",
            "fr",
            set(),
        ),
        (
            "Le chef de la diplomatie n'arrive pas à convaincre les députés",
            "Le budget du Quai d'Orsay sera réduit.",
            "fr",
            set(),
        ),
        (
            "Nationalmannschaft in Katar angekommen",
            "Das Team bezog sein Quartier in Doha.",
            "de",
            set(),
        ),
    ],
)
def test_gatherings_opening_and_arrivals_abroad_are_diplomacy(
    title: str, summary: str, lang: str, expected: set[str]
) -> None:
    assert _topics(load_taxonomy(), title, summary, lang) == expected


@pytest.mark.parametrize(
    ("title", "summary", "lang", "expected"),
    [
        # withdrawals from arms-control conventions, with verbs other than "withdraw"
        (
            "Belarus quits Chemical Weapons Convention",
            "Minsk said inspections were used to spy on its army.",
            "en",
            {"defense-treaty"},
        ),
        (
            "Moscow renounces the nuclear test ban",
            "The Kremlin said it would resume testing if Washington did.",
            "en",
            {"defense-treaty"},
        ),
        (
            "Le Japon quitte la convention sur les armes chimiques",
            "Tokyo invoque les menaces dans la région.",
            "fr",
            {"defense-treaty"},
        ),
        (
            "La Moldavie sort du traité sur les forces conventionnelles en Europe",
            "Chisinau suit ainsi Moscou et ses alliés.",
            "fr",
            {"defense-treaty"},
        ),
        (
            "Finnland tritt aus dem Minenverbot aus",
            "Helsinki will Antipersonenminen an der Grenze zu Russland lagern.",
            "de",
            {"defense-treaty"},
        ),
        (
            "Georgien verlässt die Chemiewaffenkonvention",
            "Tiflis wirft der Organisation Einmischung vor.",
            "de",
            {"defense-treaty"},
        ),
        # leaving a league, a collective or tax convention, a party convention
        (
            "Striker quits club and leaves the league",
            "He joins a Saudi side on a three-year contract.",
            "en",
            set(),
        ),
        (
            "Le syndicat dénonce la convention collective",
            "Il réclame une hausse des salaires dans la métallurgie.",
            "fr",
            set(),
        ),
        ("Hertha verlässt die zweite Liga", "Der Verein steigt nach der Saison ab.", "de", set()),
        (
            "UK leaves tax convention with Switzerland",
            "The accord on double taxation ends in 2027.",
            "en",
            set(),
        ),
        (
            "Democrats open their national convention in Chicago",
            "Speakers focused on national security and the economy.",
            "en",
            set(),
        ),
        # mutual-defence commitments without the words pact, treaty or agreement
        (
            "Sweden and Finland vow to come to each other's aid if attacked",
            "The two governments announced the commitment after a cabinet meeting.",
            "en",
            {"defense-treaty"},
        ),
        (
            "Rabat et Dakar promettent de se défendre l'un l'autre en cas d'attaque",
            "Les deux armées mèneront des exercices communs.",
            "fr",
            {"defense-treaty"},
        ),
        (
            "Schweden und Norwegen versprechen einander Beistand bei einem Angriff",
            "Beide Regierungen wollen die Zusage im Frühjahr bekräftigen.",
            "de",
            {"defense-treaty"},
        ),
        # mutual help of other kinds, and "mutual" far from any defence commitment
        (
            "Nurses pledge to help each other through the winter",
            "Hospitals face a record number of patients.",
            "en",
            set(),
        ),
        (
            "Deux clubs s'engagent à s'entraider",
            "Ils partageront leurs installations d'entraînement.",
            "fr",
            set(),
        ),
        (
            "Nachbarländer sichern sich gegenseitige Hilfe bei Waldbränden zu",
            "Löschflugzeuge sollen künftig schneller die Grenze überqueren.",
            "de",
            set(),
        ),
        (
            "Mutual respect, say rivals, as defence talks resume",
            "The two sides exchanged harsh words last month.",
            "en",
            set(),
        ),
    ],
)
def test_withdrawals_and_mutual_defence_pledges_are_defence_treaty_news(
    title: str, summary: str, lang: str, expected: set[str]
) -> None:
    assert _topics(load_taxonomy(), title, summary, lang) == expected
