"""Polite HTTP answers for the demo server: validators, 304s, Cache-Control and gzip.

Follows RFC 9110 section 13 (conditional requests: If-None-Match wins over
If-Modified-Since, weak comparison for If-None-Match) and RFC 9111 for max-age.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from email.utils import formatdate
from functools import cached_property

from aiohttp import web


@dataclass(frozen=True)
class Representation:
    """A rendered body with its validators; gzip is computed once, when first asked for."""

    body: bytes
    content_type: str
    last_modified: float

    @cached_property
    def etag(self) -> str:
        """A weak entity tag: the same for identity and gzip codings of the body."""
        return 'W/"' + hashlib.blake2b(self.body, digest_size=12).hexdigest() + '"'

    @cached_property
    def gzipped(self) -> bytes:
        """The body with gzip content coding."""
        return gzip.compress(self.body, compresslevel=6, mtime=0)


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value allows gzip (RFC 9110 section 12.5.3)."""
    allowed: dict[str, bool] = {}
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        allowed[coding.strip()] = _quality(params) > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def _bare_tag(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def is_not_modified(request: web.Request, representation: Representation) -> bool:
    """Whether the request's validators match, so 304 is the answer."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        wanted = _bare_tag(representation.etag)
        tags = [_bare_tag(tag) for tag in if_none_match.split(",")]
        return "*" in tags or wanted in tags
    since = request.if_modified_since
    return since is not None and int(representation.last_modified) <= since.timestamp()


def polite_response(
    request: web.Request, representation: Representation, max_age: int
) -> web.Response:
    """200 (gzip when accepted) or 304, always with ETag, Last-Modified and Cache-Control."""
    headers = {
        "ETag": representation.etag,
        "Last-Modified": formatdate(representation.last_modified, usegmt=True),
        "Cache-Control": f"max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if is_not_modified(request, representation):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = representation.content_type
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=representation.gzipped, headers=headers)
    return web.Response(body=representation.body, headers=headers)
