"""Dedup decisions: exact identity, near duplicates, guards, expiry and restart determinism."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agents.dedup.config import DedupConfig
from agents.dedup.fingerprint import Fingerprint, fingerprint
from agents.dedup.names import mentions
from agents.dedup.verdict import compare
from agents.dedup.window import DedupDecision, Deduplicator
from agents.evaluate import evaluate_dedup

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = ROOT / "tests" / "fixtures"
SEED = json.loads((ROOT / "streams" / "demo" / "seed_liveblog.json").read_text())["items"]
PAIRS = [json.loads(line) for line in (FIXTURES / "labelled" / "dev_dedup_pairs.jsonl").open()]
GUARD_PAIRS = [json.loads(line) for line in (FIXTURES / "dedup" / "guard_pairs.jsonl").open()]
STEPS = json.loads((FIXTURES / "dedup" / "exact_sequence.json").read_text())["steps"]
T0 = 1_733_295_720.0  # 2024-12-04T08:02:00+01:00, the first seed update
HOUR = 3600.0


def _fp(item: dict[str, Any]) -> Fingerprint:
    return fingerprint(title=item["title"], summary=item["summary"], language=item.get("lang"))


def _stream() -> list[tuple[str, Fingerprint, float]]:
    """Seed live blog, both sides of every labelled pair, a redelivery and a repost."""
    items = [(item["id"], _fp(item)) for item in SEED]
    for pair in PAIRS:
        items += [(f"{pair['id']}-a", _fp(pair["a"])), (f"{pair['id']}-b", _fp(pair["b"]))]
    items += [(SEED[0]["id"], _fp(SEED[0])), ("repost-of-seed-02", _fp(SEED[2]))]
    return [(item_id, fp, T0 + 300 * n) for n, (item_id, fp) in enumerate(items)]


def _run(dedup: Deduplicator, stream: list[tuple[str, Fingerprint, float]]) -> list[DedupDecision]:
    return [dedup.decide(item_id=i, fingerprint=fp, event_time=t) for i, fp, t in stream]


@pytest.mark.parametrize("upto", range(1, len(STEPS) + 1))
def test_exact_sequence(upto: int) -> None:
    dedup = Deduplicator({})
    for n, step in enumerate(STEPS[:upto]):
        decision = dedup.decide(item_id=step["item_id"], fingerprint=_fp(step), event_time=T0 + n)
    got = dataclasses.asdict(decision)
    del got["similarity"]
    assert got == STEPS[upto - 1]["expect"]


def test_seed_live_blog_near_duplicates() -> None:
    dedup = Deduplicator({})
    for n, item in enumerate(SEED):
        decision = dedup.decide(item_id=item["id"], fingerprint=_fp(item), event_time=T0 + 60 * n)
        assert decision.duplicate_of == item["near_duplicate_of"], item["id"]
        expected_status = "near_duplicate" if item["near_duplicate_of"] else "new"
        assert decision.status == expected_status
        assert decision.story_id == (item["near_duplicate_of"] or item["id"])


def test_seed_recap_is_found_behind_sixty_other_items() -> None:
    dedup = Deduplicator({})
    dedup.decide(item_id="seed-00", fingerprint=_fp(SEED[0]), event_time=T0)
    for item_id, fp, event_time in _stream()[len(SEED) : -2]:
        dedup.decide(item_id=item_id, fingerprint=fp, event_time=event_time)
    recap = dedup.decide(item_id="seed-01", fingerprint=_fp(SEED[1]), event_time=T0 + 86_400)
    assert (recap.status, recap.duplicate_of) == ("near_duplicate", "seed-00")


def test_labelled_same_language_pairs_quality_gate() -> None:
    """Measured on the dev pairs: precision 1.0, recall 0.83, F1 0.91."""
    verdicts = [
        (compare(_fp(p["b"]), _fp(p["a"]))[0], p["duplicate"])
        for p in PAIRS
        if p["kind"] != "cross-lingual"
    ]
    true_pos = sum(got and want for got, want in verdicts)
    false_pos = sum(got and not want for got, want in verdicts)
    false_neg = sum(want and not got for got, want in verdicts)
    f1 = 2 * true_pos / (2 * true_pos + false_pos + false_neg)
    assert false_pos == 0
    assert f1 >= 0.9


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(p, id=p["id"], marks=[pytest.mark.xfail(strict=True)])
        if p.get("known_limitation")
        else pytest.param(p, id=p["id"])
        for p in GUARD_PAIRS
    ],
)
def test_number_and_entity_guard(pair: dict[str, Any]) -> None:
    is_duplicate, _ = compare(_fp(pair["b"]), _fp(pair["a"]))
    assert is_duplicate == pair["duplicate"], pair["why"]


def test_a_template_with_a_detail_in_another_form_is_still_a_correction() -> None:
    text = "Wegen Sturm fährt die Fähre ab List nicht. Ersatz gibt es ab "
    first = _fp({"lang": "de", "title": "Fähre nach Sylt fällt aus", "summary": text + "Montag."})
    fixed = _fp(
        {"lang": "de", "title": "Fähre nach Sylt fällt aus", "summary": text + "Montagmittag."}
    )
    assert compare(first, fixed)[0]


def _features(words: str, names: str, title: str, numbers: str = "") -> Fingerprint:
    """A fingerprint made of the features compare() reads, for a chosen word-stem Jaccard."""
    return Fingerprint(content_hash="-", signature=(0,) * 16, words=frozenset(words.split()),
                       entities=frozenset(names.split()), numbers=frozenset(numbers.split()),
                       title_names=frozenset(title.split()))  # fmt: skip


def test_two_titles_naming_other_people_are_other_news_even_above_the_threshold() -> None:
    template = "appoin cabine labour primem minist friday downin street"
    first = _features(f"{template} doe health riversi w1 w2 w3 w4 w5 w6 w7 w8", "doe smith", "doe")
    second = _features(f"{template} roe transp hillsi v1 v2 v3 v4 v5 v6 v7 v8", "roe smith", "roe")
    is_duplicate, similarity = compare(first, second)
    assert DedupConfig().threshold <= similarity < DedupConfig().template_floor
    assert not is_duplicate
    same_person = dataclasses.replace(second, entities=frozenset({"doe", "smith"}),
                                      title_names=frozenset({"doe"}))  # fmt: skip
    assert compare(first, same_person)[0]


def test_a_title_without_names_needs_a_shared_figure_and_names() -> None:
    words = "bank rates policy norway oslo"
    holds = _features(
        f"{words} a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12", "norges bache oslo", "", "3.5"
    )
    recap = _features(
        f"{words} b1 b2 b3 b4 b5 b6 b7 b8 b9 b10 b11 b12", "norges bache oslo", "norges", "3.5"
    )
    assert DedupConfig().paraphrase_floor <= compare(holds, recap)[1] < DedupConfig().threshold
    assert compare(holds, recap)[0]
    assert not compare(holds, dataclasses.replace(recap, numbers=frozenset()))[0]
    assert not compare(holds, dataclasses.replace(recap, entities=frozenset({"norges"})))[0]
    assert not compare(holds, dataclasses.replace(recap, title_names=frozenset()))[0]


def test_near_duplicate_outside_the_window_is_new() -> None:
    dedup = Deduplicator({}, DedupConfig(window_seconds=6 * HOUR))
    dedup.decide(item_id="seed-00", fingerprint=_fp(SEED[0]), event_time=T0)
    late = dedup.decide(item_id="seed-01", fingerprint=_fp(SEED[1]), event_time=T0 + 7 * HOUR)
    assert late.status == "new"


def test_expire_removes_every_key_of_expired_items() -> None:
    store: dict[str, bytes] = {}
    dedup = Deduplicator(store, DedupConfig(window_seconds=48 * HOUR))
    early = [(i, fp, T0 + 60 * n) for n, (i, fp, _) in enumerate(_stream()[:20])]
    late = [(i, fp, T0 + 30 * HOUR + 60 * n) for n, (i, fp, _) in enumerate(_stream()[20:-2])]
    _run(dedup, early + late)
    assert dedup.window_size() == len(early) + len(late)

    removed = dedup.expire(T0 + 50 * HOUR)

    assert removed == len(early)
    assert dedup.window_size() == len(late)
    # Later items may still name an expired item as their story; no key or index may.
    index = b" ".join(v for k, v in store.items() if k[0] in "bht")
    for item_id, _, _ in early:
        assert f"i:{item_id}" not in store
        assert f'"{item_id}"'.encode() not in index
    assert dedup.expire(T0 + 100 * HOUR) == len(late)
    assert set(store) == {"m"}
    assert dedup.window_size() == 0


def test_expire_keeps_an_item_refreshed_by_an_update() -> None:
    store: dict[str, bytes] = {}
    dedup = Deduplicator(store, DedupConfig(window_seconds=2 * HOUR))
    dedup.decide(item_id="x", fingerprint=_fp(SEED[2]), event_time=T0)
    dedup.decide(item_id="x", fingerprint=_fp(SEED[3]), event_time=T0 + 2 * HOUR)
    assert dedup.expire(T0 + 3.5 * HOUR) == 0
    again = dedup.decide(item_id="x", fingerprint=_fp(SEED[3]), event_time=T0 + 3.5 * HOUR)
    assert (again.status, again.revision, again.drop) == ("duplicate", 2, True)
    assert dedup.expire(T0 + 10 * HOUR) == 1
    assert set(store) == {"m"}


def test_restart_over_the_same_store_decides_the_same() -> None:
    stream = _stream()
    uninterrupted = _run(Deduplicator({}), stream)
    store: dict[str, bytes] = {}
    restarted = [
        Deduplicator(store).decide(item_id=i, fingerprint=fp, event_time=t) for i, fp, t in stream
    ]
    assert restarted == uninterrupted
    assert {d.status for d in uninterrupted} >= {"new", "near_duplicate", "duplicate"}


def test_a_fresh_process_decides_the_same() -> None:
    code = (
        "import dataclasses, json, sys\n"
        "sys.path.insert(0, 'tests/unit/agents/dedup')\n"
        "import test_dedup as t\n"
        "from agents.dedup.window import Deduplicator\n"
        "print(json.dumps([dataclasses.asdict(d) for d in t._run(Deduplicator({}), t._stream())]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    here = [dataclasses.asdict(d) for d in _run(Deduplicator({}), _stream())]
    assert json.loads(result.stdout) == here


def test_an_update_moves_the_item_in_the_index() -> None:
    dedup = Deduplicator({})
    dedup.decide(item_id="x", fingerprint=_fp(SEED[0]), event_time=T0)
    update = dedup.decide(item_id="x", fingerprint=_fp(SEED[5]), event_time=T0 + 60)
    recap_of_old = dedup.decide(item_id="y", fingerprint=_fp(SEED[1]), event_time=T0 + 120)
    assert (update.status, update.revision, dedup.window_size()) == ("update", 2, 2)
    assert recap_of_old.status == "new"


@pytest.mark.parametrize("num_perm", [0, 17])
def test_config_rejects_more_bands_than_the_signature_has(num_perm: int) -> None:
    with pytest.raises(ValueError, match="num_perm"):
        DedupConfig(num_perm=num_perm)


EXTRA_PAIRS = [json.loads(line) for line in (FIXTURES / "dedup" / "extra_pairs.jsonl").open()]


def test_held_out_pairs_keep_precision() -> None:
    """Pairs written apart from the dev set: measured P 1.0, R 0.75 (misses: x-09, x-16)."""
    verdicts = [(compare(_fp(p["a"]), _fp(p["b"]))[0], p["duplicate"]) for p in EXTRA_PAIRS]
    assert not any(got and not want for got, want in verdicts)
    assert sum(got and want for got, want in verdicts) >= 6


HELDOUT_3 = [json.loads(line) for line in (FIXTURES / "dedup" / "heldout_pairs_3.jsonl").open()]


def test_third_held_out_set_quality_gate() -> None:
    """40 same-language pairs written blind: P 0.62 R 0.28 before looking at the code, now
    P 0.83 R 0.56 (TP 10, FP 2: a template whose title swap is read as a first name, and a
    genuine new development in the same words; docs/dedup.md)."""
    verdicts = [(compare(_fp(p["a"]), _fp(p["b"]))[0], p["duplicate"]) for p in HELDOUT_3]
    assert sum(got and not want for got, want in verdicts) <= 2
    assert sum(got and want for got, want in verdicts) >= 10


@pytest.mark.parametrize(
    ("name", "least_precision", "least_recall"),
    [
        # Blind when written; 4 and 6 tuned on since, 5, 7 and 8 never (docs/dedup.md). Measured
        # P / R: 0.94 / 0.73, 0.89 / 0.36, 1.00 / 0.59, 1.00 / 0.60, 0.78 / 0.22; the floors
        # allow one pair.
        ("heldout_pairs_4", 0.88, 0.68),
        ("heldout_pairs_5", 0.85, 0.31),
        ("heldout_pairs_6", 0.95, 0.54),
        ("heldout_pairs_7", 0.95, 0.55),
        ("heldout_pairs_8", 0.74, 0.20),
    ],
)
def test_blind_pair_sets_regression_gate(
    name: str, least_precision: float, least_recall: float
) -> None:
    """The Deduplicator's verdict with the default settings (word comparison, the fact search;
    the meaning search only across languages) on pair sets written blind: a gate against
    regressions, not a target to tune to."""
    pairs = [json.loads(line) for line in (FIXTURES / "dedup" / f"{name}.jsonl").open()]
    scores = evaluate_dedup(pairs).same_language
    assert scores.precision >= least_precision, scores
    assert scores.recall >= least_recall, scores


@pytest.mark.parametrize(
    ("name", "terms", "expected"),
    [
        ("zelensky", {"zelenskyy"}, True),
        ("poutine", {"putin"}, False),
        ("hamburg", {"hambur"}, True),
        ("afd", {"afd-chef"}, False),
        ("us", {"us"}, True),
    ],
)
def test_name_variants(name: str, terms: set[str], expected: bool) -> None:
    assert mentions(name, terms) is expected


class CountingStore(dict[str, bytes]):
    """A dict that counts writes (each would be one changelog message in the worker)."""

    writes = 0

    def __setitem__(self, key: str, value: bytes) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_a_separate_index_decides_the_same_and_the_store_keeps_only_records() -> None:
    stream = _stream()
    expected = _run(Deduplicator({}), stream)
    store = CountingStore()
    index: dict[str, bytes] = {}
    assert _run(Deduplicator(store, index=index), stream) == expected
    assert all(key.startswith("i:") for key in store)
    # LSH buckets, hash lists, hour counts, time entries, meta, and the fact search's names.
    assert {key[0] for key in index} == {"b", "h", "c", "t", "m", "x"}
    dropped = sum(decision.drop for decision in expected)
    assert store.writes == len(stream) - dropped  # one store write per recorded item


def test_a_rebuilt_index_has_the_same_buckets_and_hash_lists() -> None:
    store: dict[str, bytes] = {}
    live: dict[str, bytes] = {}
    dedup = Deduplicator(store, DedupConfig(window_seconds=2 * HOUR), index=live)
    # An update, a repost of the old text, then expiry of the first half.
    stream = _stream()
    _run(dedup, stream[:30])
    dedup.decide(item_id="seed-00", fingerprint=_fp(SEED[6]), event_time=stream[30][2])
    dedup.decide(item_id="repost", fingerprint=_fp(SEED[0]), event_time=stream[30][2])
    assert dedup.expire(stream[15][2] + 2 * HOUR) > 0
    rebuilt: dict[str, bytes] = {}
    Deduplicator(store, index=rebuilt).rebuild_index()

    def lists(index: dict[str, bytes]) -> dict[str, bytes]:
        return {key: value for key, value in index.items() if key[0] in "bh"}

    assert lists(rebuilt) == lists(live)
    assert Deduplicator(store, index=rebuilt).window_size() == dedup.window_size()


@pytest.mark.parametrize("restart_at", [5, 20, 40])
def test_an_index_rebuilt_from_the_records_decides_the_same(restart_at: int) -> None:
    stream = _stream()
    expected = _run(Deduplicator({}), stream)
    store: dict[str, bytes] = {}
    before = _run(Deduplicator(store, index={}), stream[:restart_at])
    restarted = Deduplicator(store, index={})  # the old index is lost with the process
    assert restarted.rebuild_index() > 0
    assert before + _run(restarted, stream[restart_at:]) == expected


def test_a_message_delivered_again_gets_its_first_verdict_and_a_repeat_is_dropped() -> None:
    """Redelivery (same input offset) must re-publish, or a crash between recording the
    verdict and publishing the event would lose the event; a repeat from elsewhere drops."""
    lead, recap = _fp(SEED[0]), _fp(SEED[1])
    dedup = Deduplicator({})
    dedup.decide(item_id="lead", fingerprint=lead, event_time=T0, source_offset=0)
    first = dedup.decide(item_id="recap", fingerprint=recap, event_time=T0 + 60, source_offset=1)
    assert first.status == "near_duplicate"
    again = dedup.decide(item_id="recap", fingerprint=recap, event_time=T0 + 60, source_offset=1)
    assert again == first and not again.drop
    repeat = dedup.decide(item_id="recap", fingerprint=recap, event_time=T0 + 90, source_offset=7)
    assert repeat.drop and repeat.status == "duplicate"


def test_the_state_knows_the_last_input_offset_across_rebuild_and_expiry() -> None:
    """The dedup agent compares each offset with this to find messages it never got."""
    store: dict[str, bytes] = {}
    dedup = Deduplicator(store, DedupConfig(window_seconds=2 * HOUR), index={})
    assert dedup.last_offset() is None
    for offset, (item_id, fp, t) in enumerate(_stream()[:10]):
        dedup.decide(item_id=item_id, fingerprint=fp, event_time=t, source_offset=offset)
    assert dedup.last_offset() == 9
    dedup.decide(item_id=SEED[0]["id"], fingerprint=_fp(SEED[0]), event_time=T0, source_offset=10)
    dedup.note_offset(11)  # a bad message, sent to the DLQ
    dedup.note_offset(4)  # a redelivery does not move it back
    assert dedup.last_offset() == 11
    rebuilt = Deduplicator(store, index={})
    rebuilt.rebuild_index()
    assert rebuilt.last_offset() == 9  # records carry their offsets; 10 and 11 wrote none
    dedup.expire(T0 + 100 * HOUR)
    assert not any(key.startswith("i:") for key in store)
    after_expiry = Deduplicator(store, index={})
    after_expiry.rebuild_index()
    assert after_expiry.last_offset() == 11


def test_an_older_revision_after_a_newer_one_is_dropped_not_taken_for_an_update() -> None:
    """At-least-once and read-back can deliver revision 1 again after revision 2: that must not
    publish the old text as revision 3. A later revision restoring the old text is an update."""
    first, second = _fp(SEED[2]), _fp(SEED[6])
    dedup = Deduplicator({})
    dedup.decide(item_id="x", fingerprint=first, event_time=T0, source_offset=0, source_revision=1)
    update = dedup.decide(
        item_id="x", fingerprint=second, event_time=T0 + 60, source_offset=1, source_revision=2
    )
    assert (update.status, update.revision) == ("update", 2)
    stale = dedup.decide(
        item_id="x", fingerprint=first, event_time=T0, source_offset=0, source_revision=1
    )
    assert stale.drop and (stale.method, stale.revision) == ("revision", 2)
    restored = dedup.decide(
        item_id="x", fingerprint=first, event_time=T0 + 120, source_offset=2, source_revision=3
    )
    assert (restored.status, restored.revision, restored.drop) == ("update", 3, False)
