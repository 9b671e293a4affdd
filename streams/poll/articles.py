"""Article text for feeds that ship teasers (`fetch_article: true`).

Each new or revised item's page is fetched by the feeds' own Fetcher (same address guard, size
cap, timeouts and per-host politeness), its main text extracted off the event loop and put into
`content` when the feed gave none or a shorter one. A failure costs that item its text, never
the poll: it is logged and counted by outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from schemas.models import RawItem
from streams import metrics
from streams.poll.clean import bounded_text
from streams.poll.extract import article_text, is_html
from streams.poll.fetch import Fetcher, FetchOutcome

log = logging.getLogger(__name__)

ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
# Outcomes besides the fetch outcomes (metric label values).
OK = "ok"
NOT_HTML = "not_html"
NO_TEXT = "no_text"
EXTRACT_ERROR = "extract_error"
OVER_LIMIT = "over_limit"


@dataclass(frozen=True)
class ArticleLimits:
    """How many pages one poll may fetch, and how long `content` may be."""

    per_poll: int
    max_chars: int


async def with_article_texts(
    fetcher: Fetcher, items: Sequence[RawItem], *, feed_id: str, limits: ArticleLimits
) -> list[RawItem]:
    """`items` with the text of their linked pages in `content` where it is longer; at most
    `limits.per_poll` pages (the newest items'), fetched concurrently (the fetcher's per-host
    slots keep it polite)."""
    wanted = [i for i, item in enumerate(items) if _wants_article(item, limits.max_chars)]
    # Items come oldest first: past the limit, the newest ones get their pages.
    skipped = max(0, len(wanted) - limits.per_poll)
    chosen = wanted[skipped:]
    if skipped:
        metrics.ARTICLE_FETCHES.labels(feed_id, OVER_LIMIT).inc(skipped)
        log.info("article pages not fetched: feed_id=%s over_limit=%d", feed_id, skipped)
    texts = await asyncio.gather(
        *(_article(fetcher, items[i], feed_id, limits.max_chars) for i in chosen)
    )
    result = list(items)
    for index, text in zip(chosen, texts, strict=True):
        if text is not None and len(text) > len(items[index].content or ""):
            result[index] = replace(items[index], content=text)
    return result


def _wants_article(item: RawItem, max_chars: int) -> bool:
    """An item with a link whose content could still grow (0 turns content off)."""
    return bool(item.link) and len(item.content or "") < max_chars


@dataclass(frozen=True)
class _Page:
    """What one article page came to: an outcome label, and the text or the reason."""

    outcome: str
    text: str | None = None
    reason: str | None = None


async def _article(fetcher: Fetcher, item: RawItem, feed_id: str, max_chars: int) -> str | None:
    """The bounded main text of the item's page; None (logged, counted) when there is none."""
    page = await _fetch_and_extract(fetcher, item.link or "")
    metrics.ARTICLE_FETCHES.labels(feed_id, page.outcome).inc()
    if page.text is None:
        log.warning(
            "article text not added: feed_id=%s item_id=%s outcome=%s reason=%s",
            feed_id, item.item_id, page.outcome, page.reason,
        )  # fmt: skip
        return None
    return bounded_text(page.text, max_chars)


async def _fetch_and_extract(fetcher: Fetcher, url: str) -> _Page:
    """Fetch one page and extract its main text; never raises."""
    fetched = await fetcher.fetch(url, headers={"Accept": ARTICLE_ACCEPT})
    if fetched.outcome is not FetchOutcome.OK:
        return _Page(str(fetched.outcome), reason=fetched.error)
    if not is_html(fetched.content_type):
        return _Page(NOT_HTML, reason=f"Content-Type {fetched.content_type}")
    try:
        # trafilatura is CPU-bound: off the event loop, so other feeds keep their schedule.
        text = await asyncio.to_thread(article_text, fetched.body, fetched.url)
    except Exception as exc:  # a page that breaks the extractor costs its item the text only
        return _Page(EXTRACT_ERROR, reason=f"{type(exc).__name__}: {exc}")
    if text is None:
        return _Page(NO_TEXT, reason="no article body found")
    return _Page(OK, text=text)
