"""Feed autodiscovery: the feed a plain HTML page advertises with <link rel="alternate">."""

from __future__ import annotations

from streams.poll.clean import safe_link
from streams.poll.formats.htmlpage import PageScan

# Preference order when a page advertises several formats (RSS Autodiscovery, rssboard.org).
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
)


def advertised_feed_url(scan: PageScan, page_url: str) -> str | None:
    """Absolute URL of the preferred advertised feed, or None when the page advertises none."""
    base = safe_link(scan.base_href, page_url) or page_url
    for feed_type in FEED_TYPES:
        for declared_type, href in scan.alternates:
            if declared_type.strip().lower() == feed_type:
                link = safe_link(href, base)
                if link:
                    return link
    return None
