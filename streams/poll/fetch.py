"""Polite HTTP fetching of feeds: conditional GET, guarded manual redirects, caps and timeouts.

`Fetcher.fetch` never raises for network or HTTP problems; the `FetchResult.outcome` says
what happened. Whether a body is unchanged or unparseable is the poller's call, not ours.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver
from yarl import URL

from streams.poll.content_encoding import (
    ACCEPT_ENCODING,
    BodyTooLargeError,
    CappedDecoder,
    ContentEncodingError,
)
from streams.poll.http_headers import conditional_headers, parse_max_age, parse_retry_after
from streams.poll.netguard import (
    AddressPolicy,
    ForbiddenAddressError,
    GuardedResolver,
    check_scheme,
)
from streams.poll.politeness import HostSlots

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
_CHUNK_BYTES = 64 * 1024


class FetchOutcome(StrEnum):
    """What a fetch came to; the values are metric label values."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    GONE = "gone"
    NOT_FOUND = "not_found"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    REFUSED_ADDRESS = "refused_address"
    REFUSED_REDIRECT = "refused_redirect"
    REDIRECT_LOOP = "redirect_loop"
    NETWORK_ERROR = "network_error"


_SUCCESSES = frozenset({FetchOutcome.OK, FetchOutcome.NOT_MODIFIED})


@dataclass(frozen=True)
class FetchSettings:
    """Fetcher knobs; `exempt_networks` (CIDR) stay reachable while the address guard is on.

    Through a proxy, the proxy resolves names: the guard still refuses private literal
    addresses and local names, and the proxy's own rules decide the rest.
    """

    user_agent: str
    connect_timeout: float = 10
    read_timeout: float = 20
    total_timeout: float = 60
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host_concurrency: int = 2
    max_concurrency: int = 100
    allow_private_addresses: bool = False
    exempt_networks: tuple[str, ...] = ()
    # Egress proxy URL for every request; trust_env lets aiohttp read HTTP(S)_PROXY/NO_PROXY.
    proxy: str | None = None
    trust_env: bool = False


def user_agent(version: str, contact_url: str) -> str:
    """The recognisable User-Agent: telex/<version> (+<contact URL>)."""
    return f"telex/{version} (+{contact_url})"


@dataclass(frozen=True)
class FetchResult:
    """The result of one fetch; `url` is the final URL after redirects."""

    outcome: FetchOutcome
    status: int | None
    url: str
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after_seconds: float | None = None
    max_age_seconds: int | None = None
    permanent_redirect_to: str | None = None
    elapsed_seconds: float = 0.0
    error: str | None = None
    bytes_read: int = 0


def classify_status(status: int, has_retry_after: bool) -> FetchOutcome:
    """Outcome for a final (non-redirect) HTTP status."""
    if status == 304:
        return FetchOutcome.NOT_MODIFIED
    if 200 <= status < 300:
        return FetchOutcome.OK
    specific = {404: FetchOutcome.NOT_FOUND, 410: FetchOutcome.GONE}
    if status in specific:
        return specific[status]
    # RFC 9110 15.6.4: a 503 with Retry-After is the server asking us to slow down.
    if status == 429 or (status == 503 and has_retry_after):
        return FetchOutcome.RATE_LIMITED
    return FetchOutcome.SERVER_ERROR if status >= 500 else FetchOutcome.CLIENT_ERROR


class _FetchFailedError(Exception):
    """Internal: ends a fetch early with an outcome and a human reason."""

    def __init__(self, outcome: FetchOutcome, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.status = status


@dataclass
class _Progress:
    """Mutable state of one fetch, so a failure at any point still reports URL and bytes."""

    url: URL
    time_budget: float
    started: float = field(default_factory=time.monotonic)
    hops: int = 0
    permanent_chain: bool = True
    bytes_read: int = 0
    visited: set[URL] = field(default_factory=set)

    def elapsed(self) -> float:
        """Seconds since the fetch began (slot waits included)."""
        return time.monotonic() - self.started

    def permanent_target(self) -> str | None:
        return str(self.url) if self.hops and self.permanent_chain else None


class Fetcher:
    """One aiohttp ClientSession for the process; use `async with Fetcher(settings) as f`."""

    def __init__(self, settings: FetchSettings) -> None:
        self._settings = settings
        self._policy = AddressPolicy.with_exemptions(settings.exempt_networks)
        self._all_slots = asyncio.Semaphore(settings.max_concurrency)
        self._host_slots = HostSlots(settings.per_host_concurrency)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET `url` conditionally with the caller's stored validators; never raises for I/O.

        `headers` (a feed's token, say) go to `url`'s origin only, never to a redirect
        target elsewhere (as browsers drop Authorization on a cross-origin redirect).
        """
        try:
            progress = _Progress(URL(url), time_budget=self._settings.total_timeout)
        except ValueError as error:
            return FetchResult(FetchOutcome.REFUSED_ADDRESS, None, url, error=f"bad URL: {error}")
        conditional = conditional_headers(etag, last_modified)
        async with self._all_slots:
            try:
                return await self._follow(progress, conditional, dict(headers or {}))
            except _FetchFailedError as failure:
                return _failed(progress, failure.outcome, str(failure), failure.status)

    async def _follow(
        self, progress: _Progress, conditional: dict[str, str], extra: dict[str, str]
    ) -> FetchResult:
        """Request hop after hop, checking each target, until a non-redirect response."""
        origin = _origin(progress.url)
        while True:
            self._check_target(progress)
            progress.visited.add(progress.url)
            own = extra and _origin(progress.url) == origin
            headers = {**extra, **conditional} if own else conditional
            async with self._host_slots.hold(progress.url.host or ""):
                result = await self._request_within_budget(progress, headers)
            if result is not None:
                return result
            if progress.url in progress.visited:
                raise _FetchFailedError(FetchOutcome.REDIRECT_LOOP, f"loop at {progress.url}")
            if progress.hops > self._settings.max_redirects:
                limit = self._settings.max_redirects
                raise _FetchFailedError(FetchOutcome.REFUSED_REDIRECT, f"over {limit} redirects")

    def _check_target(self, progress: _Progress) -> None:
        try:
            check_scheme(progress.url)
            if not self._settings.allow_private_addresses:
                self._policy.check_url(progress.url)
        except ForbiddenAddressError as refusal:
            raise _refusal(progress, refusal) from refusal

    async def _request_within_budget(
        self, progress: _Progress, headers: dict[str, str]
    ) -> FetchResult | None:
        """One hop under what is left of the total timeout (waits for slots do not count)."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(progress.time_budget):
                return await self._request(progress, headers)
        except TimeoutError as error:
            raise _FetchFailedError(FetchOutcome.TIMEOUT, _timeout_reason(error)) from error
        except ForbiddenAddressError as refusal:
            raise _refusal(progress, refusal) from refusal
        except (aiohttp.ClientError, OSError, ValueError) as error:
            # ValueError: malformed URLs or headers that aiohttp or yarl would not parse.
            raise _network_failure(progress, error) from error
        finally:
            progress.time_budget -= time.monotonic() - started

    async def _request(self, progress: _Progress, headers: dict[str, str]) -> FetchResult | None:
        """Send one request; None after moving `progress` to a redirect target."""
        session = self._ensure_session()
        async with session.get(
            progress.url, headers=headers, allow_redirects=False, proxy=self._settings.proxy
        ) as response:
            location = response.headers.get("Location")
            if response.status in REDIRECT_STATUSES and location:
                _advance(progress, response.status, location)
                return None
            return await self._complete(progress, response)

    async def _complete(self, progress: _Progress, response: aiohttp.ClientResponse) -> FetchResult:
        """Turn a final response into a result, reading the body only for a 2xx."""
        retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        outcome = classify_status(response.status, retry_after is not None)
        body = b""
        if outcome is FetchOutcome.OK:
            body = await self._read_body(progress, response)
        return FetchResult(
            outcome=outcome,
            status=response.status,
            url=str(progress.url),
            body=body,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            retry_after_seconds=retry_after,
            max_age_seconds=parse_max_age(response.headers.get("Cache-Control")),
            permanent_redirect_to=progress.permanent_target(),
            error=None if outcome in _SUCCESSES else f"HTTP {response.status}",
            bytes_read=progress.bytes_read,
            elapsed_seconds=progress.elapsed(),
        )

    async def _read_body(self, progress: _Progress, response: aiohttp.ClientResponse) -> bytes:
        """Stream the body, capping both the bytes on the wire and the decoded bytes."""
        cap = self._settings.max_body_bytes
        status = response.status
        if response.content_length is not None and response.content_length > cap:
            reason = f"Content-Length {response.content_length} exceeds {cap} bytes"
            raise _FetchFailedError(FetchOutcome.TOO_LARGE, reason, status)
        try:
            decoder = CappedDecoder(response.headers.get("Content-Encoding"), cap)
            async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                progress.bytes_read += len(chunk)
                if progress.bytes_read > cap:
                    raise BodyTooLargeError(f"body exceeds {cap} bytes")
                decoder.feed(chunk)
            return decoder.finish()
        except BodyTooLargeError as error:
            raise _FetchFailedError(FetchOutcome.TOO_LARGE, str(error), status) from error
        except ContentEncodingError as error:
            raise _FetchFailedError(FetchOutcome.NETWORK_ERROR, str(error), status) from error

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self._new_session()
        return self._session

    def _new_session(self) -> aiohttp.ClientSession:
        settings = self._settings
        resolver: AbstractResolver = DefaultResolver()
        if not settings.allow_private_addresses:
            resolver = GuardedResolver(resolver, self._policy, _proxy_hosts(settings.proxy))
        connector = aiohttp.TCPConnector(resolver=resolver, limit=settings.max_concurrency)
        timeout = aiohttp.ClientTimeout(
            total=None, connect=settings.connect_timeout, sock_read=settings.read_timeout
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            auto_decompress=False,  # we decompress ourselves, under the size cap
            cookie_jar=aiohttp.DummyCookieJar(),  # feeds get no cookies: no tracking, no state
            trust_env=settings.trust_env,  # proxy variables only when the operator opts in
        )


def _proxy_hosts(proxy: str | None) -> frozenset[str]:
    """The configured proxy's host name: the resolver need not guard what the operator set."""
    host = URL(proxy).host if proxy else None
    return frozenset({host}) if host else frozenset()


def _origin(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host or "", url.port)


def _advance(progress: _Progress, status: int, location: str) -> None:
    """Move to the redirect target (relative Locations resolve against the current URL)."""
    try:
        target = progress.url.join(URL(location)).with_fragment(None)
    except ValueError as error:
        reason = f"unparseable Location {location!r}"
        raise _FetchFailedError(FetchOutcome.REFUSED_REDIRECT, reason, status) from error
    progress.url = target
    progress.hops += 1
    progress.permanent_chain = progress.permanent_chain and status in PERMANENT_REDIRECT_STATUSES


def _refusal(progress: _Progress, refusal: ForbiddenAddressError) -> _FetchFailedError:
    outcome = FetchOutcome.REFUSED_REDIRECT if progress.hops else FetchOutcome.REFUSED_ADDRESS
    return _FetchFailedError(outcome, str(refusal))


def _network_failure(progress: _Progress, error: BaseException) -> _FetchFailedError:
    """Map a client error; the guard's refusal may arrive wrapped by aiohttp's connector."""
    cause = error.__cause__
    if isinstance(cause, ForbiddenAddressError):
        return _refusal(progress, cause)
    return _FetchFailedError(FetchOutcome.NETWORK_ERROR, f"{type(error).__name__}: {error}")


def _timeout_reason(error: TimeoutError) -> str:
    detail = str(error)
    return f"timed out: {detail}" if detail else "total timeout exceeded"


def _failed(
    progress: _Progress, outcome: FetchOutcome, reason: str, status: int | None
) -> FetchResult:
    return FetchResult(
        outcome=outcome,
        status=status,
        url=str(progress.url),
        error=reason,
        bytes_read=progress.bytes_read,
        elapsed_seconds=progress.elapsed(),
    )
