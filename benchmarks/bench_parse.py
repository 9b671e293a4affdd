"""Items/s of stock feedparser.parse versus streams.poll.parse.parse_feed on a generated corpus.

Run: .venv/bin/python benchmarks/bench_parse.py [--feeds 240] [--repeats 5]
Stock feedparser only reads RSS/Atom, so the ratio and identity check use those feeds;
JSON Feed and live-blog pages are timed for parse_feed alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parent)]

from corpus import CorpusFeed, build_corpus  # noqa: E402

from streams.poll.clean import clean_text  # noqa: E402
from streams.poll.parse import ParsedFeed, parse_feed  # noqa: E402
from streams.poll.parse_pool import ParsePool  # noqa: E402

_FEEDPARSER_KINDS = {"rss", "atom"}


def stock(feed: CorpusFeed) -> Any:
    """feedparser with its defaults, on bytes, as the issue's baseline."""
    return feedparser.parse(feed.body, response_headers={"content-type": feed.content_type})


def ours(feed: CorpusFeed) -> Any:
    return parse_feed(feed.body, url=feed.url, content_type=feed.content_type)


def median_seconds(
    run: Callable[[CorpusFeed], Any], feeds: list[CorpusFeed], repeats: int
) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        for feed in feeds:
            run(feed)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def pooled_seconds(feeds: list[CorpusFeed], processes: int, repeats: int) -> float:
    """Median seconds to parse every feed through the poller's ParsePool of `processes`
    processes, all submitted at once as when many feeds are due; raises if any result differs
    from parse_feed's in this process."""

    async def parse_all(pool: ParsePool) -> list[ParsedFeed]:
        return await asyncio.gather(*(
            pool.parse(feed.body, url=feed.url, content_type=feed.content_type, max_items=500)
            for feed in feeds
        ))  # fmt: skip

    pool = ParsePool(processes)
    try:
        if asyncio.run(parse_all(pool)) != [ours(feed) for feed in feeds]:  # also starts them
            raise AssertionError("ParsePool results differ from parse_feed's")
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            asyncio.run(parse_all(pool))
            timings.append(time.perf_counter() - started)
        return statistics.median(timings)
    finally:
        pool.close()


def mismatches(feeds: list[CorpusFeed]) -> list[str]:
    """Differences in count, ids, links, titles and summary text between the two parsers."""
    problems = []
    for feed in feeds:
        theirs, mine = stock(feed).entries, ours(feed).entries
        if len(theirs) != len(mine):
            problems.append(f"{feed.url}: {len(theirs)} != {len(mine)} entries")
            continue
        for their, my in zip(theirs, mine, strict=True):
            expected = (their.get("id"), their.get("link"), clean_text(their.get("title", "")),
                        clean_text(their.get("summary", "")))  # fmt: skip
            if expected != (my.guid, my.link, my.title, my.summary):
                problems.append(f"{feed.url}: {expected[:3]} != {(my.guid, my.link, my.title)}")
    return problems


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--feeds", type=int, default=240)
    options.add_argument("--repeats", type=int, default=5)
    args = options.parse_args()
    corpus = build_corpus(args.feeds)
    xml_feeds = [feed for feed in corpus if feed.kind in _FEEDPARSER_KINDS]
    other_feeds = [feed for feed in corpus if feed.kind not in _FEEDPARSER_KINDS]
    xml_items = sum(len(ours(feed).entries) for feed in xml_feeds)
    other_items = sum(len(ours(feed).entries) for feed in other_feeds)
    stock_s = median_seconds(stock, xml_feeds, args.repeats)
    ours_s = median_seconds(ours, xml_feeds, args.repeats)
    other_s = median_seconds(ours, other_feeds, args.repeats)
    processes = os.cpu_count() or 1
    pooled_s = pooled_seconds(xml_feeds, processes, args.repeats)
    problems = mismatches(xml_feeds)
    print(f"corpus: {len(corpus)} feeds ({len(xml_feeds)} RSS/Atom, {len(other_feeds)} other)")
    print(f"{'parser':<34}{'feeds':>7}{'items':>8}{'median s':>10}{'items/s':>10}")
    for name, feeds, items, seconds in (
        ("feedparser.parse (defaults)", xml_feeds, xml_items, stock_s),
        ("parse_feed RSS/Atom", xml_feeds, xml_items, ours_s),
        (f"ParsePool({processes}) RSS/Atom", xml_feeds, xml_items, pooled_s),
        ("parse_feed JSON Feed + live blog", other_feeds, other_items, other_s),
    ):
        print(f"{name:<34}{len(feeds):>7}{items:>8}{seconds:>10.3f}{items / seconds:>10.0f}")
    print(
        f"speed-up on RSS/Atom: {stock_s / ours_s:.1f}x in one process, "
        f"{stock_s / pooled_s:.1f}x with {processes} processes; identical items: {not problems}"
    )
    for problem in problems[:10]:
        print("  mismatch:", problem)


if __name__ == "__main__":
    main()
