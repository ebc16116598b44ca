"""Keeps pushes from reaching anything but public HTTPS endpoints: checked at registration and at send time.

At send time the host is resolved once, every address is checked, and the connection is made to the
checked address itself (TLS still verifies the certificate for the host name), so a DNS answer that
changes between check and connect (rebinding) cannot redirect a push to an internal address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from flagpost.adapters.cutoff import CutoffMixin
from flagpost.domain.errors import UnsafeEndpointError

METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


# Whitespace (ASCII and Unicode) and C0/C1 controls: never part of an endpoint a platform gave us.
_UNCLEAN = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


# A DNS host name: labels of 1-63 letters, digits and inner hyphens, 253 characters in all.
_HOSTNAME = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A host of digits, dots and hex notation only: a (possibly non-canonical) IPv4 address, not a name.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*", re.IGNORECASE)


# NAT64 prefixes (RFC 6052 well-known, RFC 8215 local-use): the last 32 bits are an IPv4 address.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# IPv4-compatible IPv6 (deprecated, RFC 4291 2.5.5.1): ::a.b.c.d.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may be routed to: mapped, 6to4, Teredo, NAT64."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client)
    if any(address in network for network in _NAT64) or address in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _unsafe_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if any(_unsafe_address(inner) for inner in embedded):
            return True
        if address.ipv4_mapped is not None:
            return False  # judged as the IPv4 address it is
    return (
        address in METADATA_ADDRESSES
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _is_loopback_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint(url: str, *, allow_loopback: bool = False, resolve: bool = True) -> str:
    """The URL, unchanged, if it may receive pushes; `UnsafeEndpointError` with the reason otherwise.

    What is checked is exactly what is stored and later dialled: a URL holding whitespace or control
    characters is refused, not cleaned (`urlsplit` would silently drop a tab or CR/LF, so a cleaned
    copy would pass while the raw text was kept).
    """
    if _UNCLEAN.search(url):
        raise UnsafeEndpointError("the URL holds whitespace or control characters")
    if not url.isascii():
        raise UnsafeEndpointError("the URL must be ASCII: write an internationalised host in its xn-- form")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeEndpointError(f"not a URL: {exc}") from None
    host = parts.hostname or ""
    if parts.username or parts.password or "@" in parts.netloc:
        raise UnsafeEndpointError("credentials in the URL are not allowed")
    if allow_loopback and parts.scheme in ("http", "https") and _is_loopback_host(host):
        return url  # `flagpost local` only: a developer receiving pushes on this machine
    if parts.scheme != "https":
        raise UnsafeEndpointError("endpoints must use https")
    if not host:
        raise UnsafeEndpointError("the URL has no host")
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
        if _NUMERIC_HOST.fullmatch(host.rstrip(".")):
            # Browsers and resolvers read 0x7f.1, 2130706433 or 010.0.0.1 as IPv4 addresses (WHATWG):
            # only the canonical dotted-decimal form is accepted, so what is checked is what is dialled.
            raise UnsafeEndpointError(f"{host} looks like an IPv4 address: write it as four decimal numbers") from None
    if literal is not None and _unsafe_address(literal):
        raise UnsafeEndpointError(f"{host} is not a public address")
    if literal is None and not _HOSTNAME.fullmatch(host.rstrip(".")):
        raise UnsafeEndpointError(f"{host!r} is not a host name (labels of 1-63 letters, digits or hyphens)")
    if resolve:
        public_addresses(host, port or 443)
    return url


def public_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, if all are public; refuse otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # IDNA refuses empty or over-long labels
        raise UnsafeEndpointError(f"cannot resolve {host}: {exc}") from None
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if _unsafe_address(ipaddress.ip_address(address.split("%", 1)[0])):
            raise UnsafeEndpointError(f"{host} resolves to {address}, which is not a public address")
    if not addresses:
        raise UnsafeEndpointError(f"{host} has no address")
    return addresses


class _PinnedMixin:
    """Connect to an address checked by `public_addresses`, not to whatever DNS says a moment later."""

    allow_loopback: bool = False
    host: str
    port: int

    def _new_conn(self) -> socket.socket:
        if self.allow_loopback and _is_loopback_host(self.host):
            return super()._new_conn()  # type: ignore[misc,no-any-return]
        address = public_addresses(self.host, self.port)[0]
        self._dns_host = address  # urllib3 dials _dns_host; TLS and Host still use self.host
        return super()._new_conn()  # type: ignore[misc,no-any-return]


class _PinnedHTTPConnection(CutoffMixin, _PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(CutoffMixin, _PinnedMixin, HTTPSConnection):
    pass


class _PinnedPoolManager(PoolManager):
    def __init__(self, allow_loopback: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        http = type(
            "HTTPPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": type("Conn", (_PinnedHTTPConnection,), {"allow_loopback": allow_loopback})},
        )
        https = type(
            "HTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": type("Conn", (_PinnedHTTPSConnection,), {"allow_loopback": allow_loopback})},
        )
        self.pool_classes_by_scheme = {"http": http, "https": https}


class GuardedAdapter(HTTPAdapter):
    def __init__(self, allow_loopback: bool = False, **kwargs: Any) -> None:
        self.allow_loopback = allow_loopback
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        self.poolmanager = _PinnedPoolManager(
            self.allow_loopback, num_pools=connections, maxsize=maxsize, block=block, **kwargs
        )


def guarded_session(allow_loopback: bool = False) -> requests.Session:
    """A session that sends only to checked public addresses and never follows redirects."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment may reroute pushes
    # Redirects are refused per request (allow_redirects=False, so a 3xx is answered as it came).
    # Setting max_redirects to 0 would not do it: requests then raises TooManyRedirects on any 3xx,
    # which reads as a network error and was retried.
    adapter = GuardedAdapter(allow_loopback=allow_loopback)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
