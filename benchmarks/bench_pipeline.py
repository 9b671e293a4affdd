"""Tagging + dedup logic on one core (tag_stage then dedup_stage over a dict store), against a
plain orjson loads+dumps loop over the same raw JSON: the floor any Python consumer pays."""

from __future__ import annotations

import time

import orjson

from agents.dedup.config import DedupConfig
from agents.dedup.index import DedupStore
from agents.dedup.window import Deduplicator
from agents.enrich import dedup_stage, tag_stage
from agents.tagging.taxonomy import load_taxonomy
from benchmarks.items import raw_items
from benchmarks.report import Section, median_seconds, verdict
from schemas.models import RawItem, decode_raw_item, encode

_STAMP = "2024-12-04T09:00:00.000Z"
AIM_RATIO = 0.25
AIM_ITEMS_PER_SECOND = 20_000


def enrich_all(values: list[bytes], budget_seconds: float = float("inf")) -> dict[str, int]:
    """Decode, tag, dedup and encode every value over a fresh window (stopping once over the
    time budget); verdict counts."""
    started = time.perf_counter()
    taxonomy = load_taxonomy(None)
    store: DedupStore = {}
    deduplicator = Deduplicator(store, DedupConfig())
    statuses: dict[str, int] = {}
    for value in values:
        item = tag_stage(decode_raw_item(value), taxonomy, received_at=_STAMP)
        outcome = dedup_stage(item, deduplicator, enriched_at=_STAMP)
        if outcome.event is not None:
            encode(outcome.event)
        statuses[outcome.decision.status] = statuses.get(outcome.decision.status, 0) + 1
        if sum(statuses.values()) % 1000 == 0 and time.perf_counter() - started > budget_seconds:
            break
    return statuses


def copy_all(values: list[bytes]) -> None:
    """The baseline: parse and re-serialise each message, nothing else."""
    for value in values:
        orjson.dumps(orjson.loads(value))


def encoded(items: list[RawItem]) -> list[bytes]:
    return [encode(item) for item in items]


def run(window_items: int, budget_seconds: float, repeats: int) -> Section:
    """Items/s of the full logic over `window_items` items (the window grows to that size)."""
    values = encoded(raw_items(window_items))
    baseline_s = median_seconds(lambda: copy_all(values), repeats)
    started = time.perf_counter()
    statuses = enrich_all(values, budget_seconds)
    ours_s = time.perf_counter() - started
    done = sum(statuses.values())
    ours_rate, base_rate = done / ours_s, window_items / baseline_s
    ratio = ours_rate / base_rate
    section = Section(
        f"Tagging + dedup logic, one core, {window_items:,} items in the window",
        ("what", "items", "seconds", "items/s"),
    )
    section.rows.append(("orjson loads+dumps loop (baseline)", f"{window_items:,}",
                         f"{baseline_s:.3f}", f"{base_rate:,.0f}"))  # fmt: skip
    section.rows.append(("decode + tag_stage + dedup_stage + encode", f"{done:,}",
                         f"{ours_s:.3f}", f"{ours_rate:,.0f}"))  # fmt: skip
    section.notes.append(f"ratio to baseline: {ratio:.3f} (aim >= {AIM_RATIO}): "
                         f"{verdict(ratio >= AIM_RATIO)}")  # fmt: skip
    section.notes.append(f"items/s: {ours_rate:,.0f} (aim >= {AIM_ITEMS_PER_SECOND:,}): "
                         f"{verdict(ours_rate >= AIM_ITEMS_PER_SECOND)}")  # fmt: skip
    section.notes.append(f"verdicts: {statuses}; baseline median of {repeats}, the logic "
                         "runs once (its window must start empty)")  # fmt: skip
    if done < window_items:
        section.notes.append(f"the time budget of {budget_seconds:g} s ran out: the window "
                             f"reached {done:,} items, not {window_items:,}")  # fmt: skip
    return section
