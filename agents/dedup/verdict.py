"""Pairwise verdicts: do two fingerprints report the same news?

`compare` judges by shared words (word-stem Jaccard) with guards on names, numbers and
templates; `compare_facts` by what two items say whatever their words or language (names,
figures, event concepts, days). Pure functions of two fingerprints and the config.
"""

from __future__ import annotations

from agents.dedup import meaning
from agents.dedup.config import DedupConfig
from agents.dedup.facts import facts_differ, shared_figure
from agents.dedup.fingerprint import Fingerprint
from agents.dedup.names import (
    checked_title_names,
    days,
    event_concepts,
    jaccard,
    name_keys,
    neutral_numbers,
    shared_name_keys,
    shared_names,
    unmatched_title_events,
    unmentioned_across,
    unmentioned_alias_keys,
    unmentioned_entities,
    unmentioned_in_other_words,
    unmentioned_title_names,
)


def compare(
    a: Fingerprint, b: Fingerprint, config: DedupConfig | None = None
) -> tuple[bool, float]:
    """Pairwise near-duplicate verdict and word-stem Jaccard similarity."""
    config = config or DedupConfig()
    similarity = jaccard(a.words, b.words)
    if similarity >= config.template_floor and _names_swapped(a, b):
        return False, similarity
    if similarity >= config.near_identical:
        return True, similarity
    if facts_differ(a.numbers, b.numbers):
        return False, similarity
    if similarity >= config.threshold:
        return not _title_names_swapped(a, b), similarity
    return similarity >= config.paraphrase_floor and _same_facts(a, b, config), similarity


def compare_cross_language(
    a: Fingerprint, b: Fingerprint, config: DedupConfig | None = None
) -> tuple[bool, float]:
    """`compare_facts` for two items in two known, different languages; False otherwise."""
    if not (a.language and b.language) or a.language == b.language:
        return False, compare_facts(a, b, config)[1]
    return compare_facts(a, b, config)


def compare_facts(
    a: Fingerprint, b: Fingerprint, config: DedupConfig | None = None
) -> tuple[bool, float]:
    """Verdict on what two items say, whatever their words or language, and the Jaccard of
    their neutral terms.

    Precise first: any conflict rejects (numbers or days of the week on both sides that the other
    lacks, a title name the other text never mentions), then the two must share names and enough
    evidence in all (names, numbers, event concepts such as "~sign", days).
    """
    config = config or DedupConfig()
    names_a, names_b = name_keys(a), name_keys(b)
    numbers_a, numbers_b = neutral_numbers(a), neutral_numbers(b)
    events_a, events_b = event_concepts(a), event_concepts(b)
    days_a, days_b = days(a), days(b)
    similarity = jaccard(
        names_a | numbers_a | events_a | days_a, names_b | numbers_b | events_b | days_b
    )
    if facts_differ(_facts(numbers_a), _facts(numbers_b)) or (
        days_a and days_b and not days_a & days_b
    ):
        return False, similarity
    if not (checked_title_names(a) or checked_title_names(b)):
        return False, similarity
    if unmentioned_across(a, b) or unmentioned_across(b, a):
        return False, similarity
    if unmatched_title_events(a, b) or unmatched_title_events(b, a):
        return False, similarity
    if a.language == b.language and _title_names_swapped(a, b):
        return False, similarity  # in one language every title word can be looked up
    names = shared_name_keys(names_a, names_b)
    events = len(events_a & events_b)
    evidence = names + len(numbers_a & numbers_b) + events + len(days_a & days_b)
    is_duplicate = (
        names >= config.cross_language_min_names
        and events >= config.cross_language_min_events
        and evidence >= config.cross_language_min_evidence
    )
    return is_duplicate, similarity


def compare_meaning(
    a: Fingerprint, b: Fingerprint, config: DedupConfig | None = None
) -> tuple[bool, float]:
    """Verdict on two items that say the same in other words: the cosine of their embeddings
    at or above the threshold of their language pair, and no guard against it.

    The embedding sees that "l'Élysée" and "Emmanuel Macron" report the same act; it also puts
    the same template with other figures, or the same people doing something else, close
    together. So the figures and the days of the week must agree (a rounded figure agrees: "21"
    for "20.8"); in one language the same wording must not name other people or places (the
    template guard of `compare`), nor each title someone or something the other item never
    mentions in any form (`names.unmentioned_in_other_words`). Across languages, where names
    are spelt differently, the language-neutral figures decide.
    """
    config = config or DedupConfig()
    similarity = meaning.cosine(a.meaning, b.meaning)
    days_a, days_b = days(a), days(b)
    if days_a and days_b and days_a.isdisjoint(days_b):
        return False, similarity  # Wednesday's strike, then Thursday's
    if a.language and b.language and a.language != b.language:
        if not config.cross_language or similarity < config.cross_meaning_threshold:
            return False, similarity
        numbers_a, numbers_b = _facts(neutral_numbers(a)), _facts(neutral_numbers(b))
        return not facts_differ(numbers_a, numbers_b, rounding=True), similarity
    if not config.same_language_meaning or similarity < config.meaning_threshold:
        return False, similarity
    if facts_differ(a.numbers, b.numbers, rounding=True):
        return False, similarity
    if jaccard(a.words, b.words) >= config.template_floor and _names_swapped(a, b):
        return False, similarity  # the same wording about other people or places: a template
    swapped = unmentioned_in_other_words(a, b) and unmentioned_in_other_words(b, a)
    return not swapped, similarity


def _same_facts(a: Fingerprint, b: Fingerprint, config: DedupConfig) -> bool:
    """Paraphrase check for low word overlap: both titles name the same subject.

    A title names what the news is about. A re-summary mentions everything the other title names;
    a title naming a person or place the other item never mentions (Orbán in Moscow, then Orbán
    in Kyiv) announces other news. Shared names or a shared figure confirm the same facts.
    """
    if not (a.title_names or b.title_names):
        return False
    if unmentioned_title_names(a, b) or unmentioned_title_names(b, a):
        return False
    names = min(shared_names(a, b), shared_names(b, a))
    if not (a.title_names and b.title_names):
        # A title without names ("Fed cuts rates by a quarter point"): both signals.
        return shared_figure(a.numbers, b.numbers) and names >= config.paraphrase_min_shared_names
    return shared_figure(a.numbers, b.numbers) or names >= config.paraphrase_min_shared_names


def _title_names_swapped(a: Fingerprint, b: Fingerprint) -> bool:
    """Each title names someone or something the other item never mentions (a strike at the
    Hamburg airport, then at Düsseldorf's; one minister appointed, then another)."""
    return bool(unmentioned_title_names(a, b)) and bool(unmentioned_title_names(b, a))


def _names_swapped(a: Fingerprint, b: Fingerprint) -> bool:
    """Each item names someone or something the other never mentions: a reused template. A
    place named by its demonym counts ("Parlement finlandais" / "Parlement suédois")."""
    return bool(unmentioned_entities(a, b) or unmentioned_alias_keys(a, b)) and bool(
        unmentioned_entities(b, a) or unmentioned_alias_keys(b, a)
    )


def _facts(neutral_numbers: frozenset[str]) -> frozenset[str]:
    """Neutral number terms ("#3000", "#~25") as facts ("3000", "~25")."""
    return frozenset(term[1:] for term in neutral_numbers)
