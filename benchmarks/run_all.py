"""Every telex benchmark in one run, printed and written as markdown (docs/performance.md).

Run: python -m benchmarks.run_all [--smoke] [--bootstrap HOST:PORT] [--out docs/performance.md]
Without --bootstrap a throwaway Kafka broker is started on free ports and stopped at the end.
Each figure comes with its baseline measured in this same run; nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import (
    bench_e2e,
    bench_memory,
    bench_parse,
    bench_pipeline,
    bench_poller,
    bench_worker,
)
from benchmarks.corpus import build_corpus
from benchmarks.report import Section, machine_description, verdict
from benchmarks.servers import kafka_bootstrap

AIM_PARSE_SPEEDUP = 10.0
_OPTIMISATIONS = Path(__file__).with_name("optimisations.md")


@dataclass(frozen=True)
class Scale:
    """How big each benchmark runs: the full run, or the smoke run of under a minute."""

    parse_feeds: int
    repeats: int
    window_items: int
    window_budget: float
    unchanged_feeds: int
    poll_rounds: int
    scale_feeds: int
    scale_interval: float
    scale_intervals: int
    burst: int
    paced: int
    memory_items: int
    memory_budget: float
    e2e_updates: int
    e2e_item_interval: float
    e2e_poll_interval: float


FULL = Scale(240, 2, 100_000, 90.0, 200, 5, 10_000, 300.0, 3, 500, 200, 1_000_000, 60.0,
             40, 1.0, 2.0)  # fmt: skip
SMOKE = Scale(5, 1, 1_000, 10.0, 20, 1, 300, 3.0, 2, 40, 20, 2_000, 10.0, 6, 0.5, 1.0)


def parse_section(scale: Scale) -> Section:
    """Feed parsing items/s against stock feedparser.parse, on bench_parse's corpus."""
    corpus = build_corpus(scale.parse_feeds)
    feeds = [feed for feed in corpus if feed.kind in ("rss", "atom")]
    items = sum(len(bench_parse.ours(feed).entries) for feed in feeds)
    stock_s = bench_parse.median_seconds(bench_parse.stock, feeds, scale.repeats)
    ours_s = bench_parse.median_seconds(bench_parse.ours, feeds, scale.repeats)
    processes = os.cpu_count() or 1
    pooled_s = bench_parse.pooled_seconds(feeds, processes, scale.repeats)
    problems = bench_parse.mismatches(feeds)
    section = Section("Feed parsing (RSS/Atom)", ("parser", "feeds", "items", "median s",
                                                  "items/s"))  # fmt: skip
    for name, seconds in (
        ("feedparser.parse (baseline)", stock_s),
        ("parse_feed, one process", ours_s),
        (f"parse_feed in the poller's ParsePool, {processes} processes", pooled_s),
    ):
        section.rows.append((name, str(len(feeds)), str(items), f"{seconds:.3f}",
                             f"{items / seconds:,.0f}"))  # fmt: skip
    speedup = stock_s / pooled_s
    section.notes.append(f"speed-up with `poller.parse_processes: {processes}` (one per core): "
                         f"{speedup:.1f}x (aim >= {AIM_PARSE_SPEEDUP:g}x): "
                         f"{verdict(speedup >= AIM_PARSE_SPEEDUP)}; in one process (the "
                         f"default, one thread): {stock_s / ours_s:.1f}x")  # fmt: skip
    section.notes.append(f"identical items to feedparser: {not problems} "
                         f"({len(problems)} mismatches); median of {scale.repeats}")  # fmt: skip
    return section


def sections(scale: Scale, bootstrap: str | None, work_dir: Path) -> list[Section]:
    """Run every benchmark, printing each section as soon as it is done."""
    steps: list[Callable[[str], Section]] = [
        lambda _: parse_section(scale),
        lambda _: bench_pipeline.run(scale.window_items, scale.window_budget, scale.repeats),
        lambda broker: bench_poller.run(
            broker,
            work_dir,
            feeds=scale.scale_feeds,
            interval=scale.scale_interval,
            intervals=scale.scale_intervals,
            unchanged_feeds=scale.unchanged_feeds,
            rounds=scale.poll_rounds,
        ),
        lambda broker: bench_worker.run(broker, work_dir, burst=scale.burst, paced=scale.paced),
        lambda broker: bench_e2e.run(
            broker,
            work_dir,
            updates=scale.e2e_updates,
            item_interval=scale.e2e_item_interval,
            poll_interval=scale.e2e_poll_interval,
        ),
        lambda _: bench_memory.run(scale.memory_items, scale.memory_budget),
    ]
    done: list[Section] = []
    with kafka_bootstrap(bootstrap) as broker:
        for step in steps:
            started = time.perf_counter()
            section = step(broker)
            section.notes.append(f"section took {time.perf_counter() - started:.0f} s")
            print(section.markdown(), flush=True)
            done.append(section)
    return done


def document(done: list[Section], smoke: bool, seconds: float) -> str:
    """The whole report as markdown: machine, every section, then the optimisation log."""
    kind = "smoke run (tiny sizes, figures not meaningful)" if smoke else "full run"
    head = ["# telex performance", "",
            "Generated by `python -m benchmarks.run_all`; do not edit by hand.", "",
            f"- {kind}, {seconds:.0f} s in all", *machine_description(), ""]  # fmt: skip
    log = _OPTIMISATIONS.read_text() if _OPTIMISATIONS.exists() else ""
    return "\n".join(head) + "\n" + "\n".join(s.markdown() for s in done) + "\n" + log


def main(argv: list[str] | None = None) -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--smoke", action="store_true", help="tiny sizes, under a minute")
    options.add_argument("--bootstrap", help="a running Kafka broker (else start one)")
    options.add_argument("--out", type=Path, help="write the markdown report here")
    args = options.parse_args(argv)
    started = time.perf_counter()
    print("\n".join(machine_description()), flush=True)
    with tempfile.TemporaryDirectory(prefix="telex-bench-") as work_dir:
        done = sections(SMOKE if args.smoke else FULL, args.bootstrap, Path(work_dir))
    if args.out:
        args.out.write_text(document(done, args.smoke, time.perf_counter() - started))
        print(f"report written to {args.out}")


if __name__ == "__main__":
    main()
