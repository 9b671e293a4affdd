"""Address guard: forbidden address forms, URL checks and the guarded resolver."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from streams.poll.netguard import (
    AddressPolicy,
    ForbiddenAddressError,
    GuardedResolver,
    address_is_forbidden,
    parse_host_address,
)

FORBIDDEN = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "10.0.0.1",  # RFC 1918
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local, cloud metadata
    "100.64.0.1",  # CGNAT (RFC 6598)
    "100.100.100.200",  # Alibaba metadata, inside CGNAT
    "224.0.0.251",  # multicast
    "239.255.255.250",
    "0.0.0.0",  # unspecified
    "255.255.255.255",
    "240.0.0.1",  # reserved
    "::1",
    "::",
    "fc00::1",  # unique local
    "fd00:ec2::254",  # AWS IPv6 metadata
    "fe80::1",  # link-local
    "fec0::1",  # deprecated site-local
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.1.2.3",
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 wrapping 192.168.1.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]
ALLOWED = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:82a::200e"]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert address_is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not address_is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),  # decimal
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0x7f.1", "127.0.0.1"),  # hex, short form
        ("127.1", "127.0.0.1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
        ("[0:0:0:0:0:0:0:1]", "::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("example.org", None),
        ("deadbeef.example", None),
        ("", None),
    ],
)
def test_parse_host_address_reads_every_literal_form(host: str, expected: str | None) -> None:
    parsed = parse_host_address(host)
    assert parsed == (ipaddress.ip_address(expected) if expected else None)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://[::1]:8080/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.google.internal./",
        "http://localhost:8000/",
        "http://feeds.localhost/",
        "file:///etc/passwd",
        "ftp://example.org/feed.xml",
        "gopher://example.org/",
    ],
)
def test_check_url_refuses(url: str) -> None:
    with pytest.raises(ForbiddenAddressError):
        AddressPolicy().check_url(URL(url))


@pytest.mark.parametrize(
    "url", ["https://example.org/feed.xml", "http://93.184.215.14/rss", "https://[2606:4700::1]/"]
)
def test_check_url_allows_public_http(url: str) -> None:
    AddressPolicy().check_url(URL(url))


def test_exempt_network_is_allowed_but_nothing_else() -> None:
    policy = AddressPolicy.with_exemptions(["10.1.0.0/16"])
    policy.check_url(URL("http://10.1.2.3/feed"))
    with pytest.raises(ForbiddenAddressError):
        policy.check_url(URL("http://10.2.0.1/feed"))


class FakeResolver(AbstractResolver):
    """Resolves every name to fixed addresses, like a rebinding DNS server would."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0)
            for a in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.5"], ["93.184.215.14", "127.0.0.1"], ["::ffff:192.168.0.1"], ["fe80::1%2"]],
)
async def test_resolver_refuses_names_with_any_forbidden_address(addresses: list[str]) -> None:
    resolver = GuardedResolver(FakeResolver(addresses), AddressPolicy())
    with pytest.raises(ForbiddenAddressError):
        await resolver.resolve("rebind.example", 80)


async def test_resolver_returns_the_checked_public_addresses() -> None:
    inner = FakeResolver(["93.184.215.14", "2606:4700::1"])
    resolver = GuardedResolver(inner, AddressPolicy())
    results = await resolver.resolve("example.org", 443)
    assert [r["host"] for r in results] == ["93.184.215.14", "2606:4700::1"]
    await resolver.close()
    assert inner.closed


# (exempt networks, URL, allowed): an exemption lets its own network through, and only it.
EXEMPTION_CASES = [
    (("10.1.0.0/16",), "http://10.1.2.3/feed", True),
    (("10.1.0.0/16",), "http://10.9.9.9/feed", False),
    (("10.1.0.0/16",), "http://127.0.0.1/feed", False),  # loopback still refused
    (("10.1.0.0/16",), "http://192.168.1.1/feed", False),
    (("10.1.0.0/16",), "http://167837955/feed", True),  # 10.1.2.3 in decimal
    (("10.1.0.0/16",), "http://[::ffff:10.1.2.3]/feed", False),  # judged as IPv6 ::ffff:0:0/96
    (("10.1.0.0/16",), "https://example.org/feed", True),  # public stays allowed
    (("127.0.0.0/8",), "http://127.0.0.1:8080/feed", True),  # loopback only when exempt
    (("127.0.0.0/8",), "http://localhost/feed", False),  # local names stay refused
    (("127.0.0.0/8",), "http://10.1.2.3/feed", False),
    (("169.254.0.0/16",), "http://169.254.10.1/feed", True),
    (("169.254.0.0/16",), "http://169.254.169.254/latest/", False),  # metadata never exempt
    (("100.64.0.0/10",), "http://100.100.100.200/", False),
    (("fd00::/8",), "http://[fd12::1]/feed", True),
    (("fd00::/8",), "http://[fd00:ec2::254]/", False),
    (("fd00::/8",), "http://[fe80::1]/feed", False),
    ((), "http://10.1.2.3/feed", False),
    (("10.1.0.0/16", "192.168.7.0/24"), "http://192.168.7.20/feed", True),
    (("10.1.0.0/16", "192.168.7.0/24"), "http://192.168.8.20/feed", False),
]


@pytest.mark.parametrize(("exempt", "url", "allowed"), EXEMPTION_CASES)
def test_exempt_networks_allow_only_their_addresses(
    exempt: tuple[str, ...], url: str, allowed: bool
) -> None:
    policy = AddressPolicy.with_exemptions(exempt)
    if allowed:
        policy.check_url(URL(url))
    else:
        with pytest.raises(ForbiddenAddressError):
            policy.check_url(URL(url))


@pytest.mark.parametrize(
    ("addresses", "allowed"),
    [(["10.1.2.3"], True), (["10.1.2.3", "10.9.9.9"], False), (["127.0.0.1"], False)],
)
async def test_resolver_applies_the_exemptions(addresses: list[str], allowed: bool) -> None:
    policy = AddressPolicy.with_exemptions(["10.1.0.0/16"])
    resolver = GuardedResolver(FakeResolver(addresses), policy)
    if allowed:
        assert [r["host"] for r in await resolver.resolve("intranet.example")] == addresses
    else:
        with pytest.raises(ForbiddenAddressError):
            await resolver.resolve("intranet.example")


async def test_resolver_trusts_only_the_configured_proxy_host() -> None:
    resolver = GuardedResolver(
        FakeResolver(["10.0.0.8"]), AddressPolicy(), trusted_hosts=frozenset({"Proxy.Corp."})
    )
    assert [r["host"] for r in await resolver.resolve("proxy.corp")] == ["10.0.0.8"]
    with pytest.raises(ForbiddenAddressError):
        await resolver.resolve("feeds.corp")
