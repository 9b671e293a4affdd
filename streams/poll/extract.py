"""The main text of an article page, without navigation, footer or comments (pure).

trafilatura finds the article body by its structure and text density; it is CPU-bound, so
callers run it off the event loop.
"""

from __future__ import annotations

import trafilatura

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Shorter "main text" is what is left of a page without an article (a menu, a login prompt).
MIN_ARTICLE_CHARS = 200


def is_html(content_type: str | None) -> bool:
    """True for an HTML media type, or none given (servers often omit it)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def article_text(page: bytes, url: str | None = None) -> str | None:
    """The page's main text as plain text (paragraphs separated by newlines), None if no
    article body of MIN_ARTICLE_CHARS is found. The bytes are decoded by the page's declared
    or sniffed charset."""
    text = trafilatura.extract(
        page,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,  # boilerplate left out rather than a related-links box kept
        with_metadata=False,
    )
    text = (text or "").strip()
    return text if len(text) >= MIN_ARTICLE_CHARS else None
