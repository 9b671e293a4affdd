"""Address guard against server-side request forgery: feeds may only reach public addresses.

Every request and every redirect hop is checked by URL (scheme, host name, literal address),
and host names are resolved by `GuardedResolver`, which refuses a name if any of its addresses
is forbidden and hands aiohttp only the addresses it checked, so DNS rebinding cannot swap them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from streams.errors import TelexError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Cloud metadata endpoints; the addresses are also covered by the link-local/ULA rules.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
METADATA_HOSTNAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
# RFC 6052 NAT64 prefix: the last 32 bits are an IPv4 address reached through the gateway.
_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible IPv6 (RFC 4291 2.5.5.1, deprecated): ::a.b.c.d.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class ForbiddenAddressError(TelexError):
    """A URL or a resolved address points somewhere feeds must not reach (SSRF guard)."""


def address_is_forbidden(ip: IPAddress) -> bool:
    """True for loopback, private, link-local, CGNAT, multicast, reserved and metadata addresses.

    IPv6 addresses that embed an IPv4 address (mapped, compatible, 6to4, NAT64) are judged by
    the embedded address too, so ::ffff:127.0.0.1 is as forbidden as 127.0.0.1.
    """
    if ip in METADATA_ADDRESSES or _is_non_public(ip):
        return True
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return embedded is not None and _is_non_public(embedded)


def _is_non_public(ip: IPAddress) -> bool:
    # Python 3.11 counts multicast and fec0::/10 site-local as "global", hence the extra tests.
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    return not ip.is_global or ip.is_multicast or ip.is_reserved or site_local


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64_PREFIX or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def parse_host_address(host: str) -> IPAddress | None:
    """The address a URL host names literally, legacy IPv4 forms included; None for a name.

    inet_aton accepts what C resolvers accept: 2130706433, 0177.0.0.1, 0x7f.1, 127.1.
    """
    literal = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(literal)
    except ValueError:
        pass
    if not literal or not all(c in "0123456789abcdefx." for c in literal.lower()):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(literal))
    except OSError:
        return None


def check_scheme(url: URL) -> None:
    """Raise ForbiddenAddressError unless the URL is http or https (checked even unguarded)."""
    if url.scheme not in ALLOWED_SCHEMES:
        raise ForbiddenAddressError(f"scheme {url.scheme!r} is not http or https")


@dataclass(frozen=True)
class AddressPolicy:
    """What the guard refuses; `exempt` networks are allowed anyway (e.g. an intranet feed)."""

    exempt: tuple[IPNetwork, ...] = ()

    @classmethod
    def with_exemptions(cls, networks: Iterable[str]) -> AddressPolicy:
        """Policy exempting the given CIDR networks, e.g. ("10.1.0.0/16",)."""
        return cls(tuple(ipaddress.ip_network(n) for n in networks))

    def refuses(self, ip: IPAddress) -> bool:
        """True if connecting to `ip` is not allowed; metadata endpoints are never exempt."""
        if ip in METADATA_ADDRESSES:
            return True
        return address_is_forbidden(ip) and not any(ip in net for net in self.exempt)

    def check_url(self, url: URL) -> None:
        """Raise ForbiddenAddressError unless the URL is http(s) to a name or a public address."""
        check_scheme(url)
        host = (url.host or "").rstrip(".").lower()
        if not host:
            raise ForbiddenAddressError("URL has no host")
        if host in METADATA_HOSTNAMES or host == "localhost" or host.endswith(".localhost"):
            raise ForbiddenAddressError(f"host {host!r} is a local or metadata name")
        literal = parse_host_address(host)
        if literal is not None and self.refuses(literal):
            raise ForbiddenAddressError(f"address {literal} is not public")

    def check_resolved(self, host: str, addresses: Iterable[str]) -> None:
        """Raise ForbiddenAddressError if any address `host` resolved to is refused."""
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if self.refuses(ip):
                raise ForbiddenAddressError(f"{host!r} resolves to non-public address {ip}")


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses names resolving to any forbidden address.

    The connector connects to exactly the addresses returned here, which were all checked,
    except those of `trusted_hosts`: names the operator configured (the egress proxy).
    """

    def __init__(
        self,
        inner: AbstractResolver,
        policy: AddressPolicy,
        trusted_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._trusted = frozenset(h.rstrip(".").lower() for h in trusted_hosts)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve with the inner resolver, then check every address."""
        results = await self._inner.resolve(host, port, family)
        if host.rstrip(".").lower() not in self._trusted:
            self._policy.check_resolved(host, (r["host"] for r in results))
        return results

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()
