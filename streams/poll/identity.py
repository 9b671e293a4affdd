"""Item identity: canonical URLs, item ids, content hashes and event ids. Pure functions.

Choices (miniflux-style):
- item_id uses the publisher's GUID/Atom id/JSON Feed id first: it is the only identifier
  meant to survive edits of title, text and even URL (RSS 2.0 <guid>, RFC 4287 §4.2.6).
  Without one, the canonical URL identifies the article; without a URL, a hash of title and
  publication date is the best stable proxy (it changes if the title is edited, unavoidably).
- The GUID is kept verbatim (ids are opaque strings; RFC 4287 §4.2.6 compares them byte-wise),
  but URLs are canonicalised so tracking parameters and cosmetic differences do not split items.
- canonical_url keeps the order of the remaining query parameters: some sites route on order,
  and the same publisher emits the same order every time.
- content_hash covers title, summary and link, normalised for whitespace and Unicode form,
  so it changes on real edits only; it is how the poller detects a new revision.
- event_id is a UUID5 of item id and revision: deterministic, so a replayed poll republishes
  the same event id and consumers can deduplicate.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from streams.poll.clean import collapse_whitespace
from streams.poll.formats.model import ParsedEntry

_TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid",
    "_ga", "_gl", "ref_src", "cmpid", "xtor", "at_medium", "at_campaign", "ocid", "smid",
}  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://telex.invalid/events")


def canonical_url(url: str) -> str:
    """Lower-case scheme/host, no default port, fragment or tracking params; '' path -> '/'."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    port = _port_or_none(parts)
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}:{parts.password or ''}@{netloc}".replace(":@", "@")
    path = parts.path or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def item_id(feed_id: str, entry: ParsedEntry) -> str:
    """'<feed_id>:' + GUID when present, else canonical link, else hash of title + published."""
    if entry.guid:
        return f"{feed_id}:{entry.guid}"
    if entry.link:
        return f"{feed_id}:{canonical_url(entry.link)}"
    published = entry.published.isoformat() if entry.published else ""
    return f"{feed_id}:{_sha256(entry.title + chr(10) + published)[:16]}"


def content_hash(entry: ParsedEntry) -> str:
    """sha256 hex of normalised title, summary and link; blind to whitespace-only changes."""
    parts = (entry.title, entry.summary, canonical_url(entry.link) if entry.link else "")
    normalised = (unicodedata.normalize("NFC", collapse_whitespace(part)) for part in parts)
    return _sha256("\x1f".join(normalised))


def event_id(item_id: str, revision: int) -> str:
    """Deterministic UUID5 string for one revision of one item."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{item_id}#{revision}"))


def _tracking(param: str) -> bool:
    lowered = param.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _port_or_none(parts: object) -> int | None:
    try:
        return parts.port  # type: ignore[attr-defined, no-any-return]
    except ValueError:  # out-of-range or non-numeric port: drop it
        return None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
