"""Keeps pushes from reaching anything but public HTTPS endpoints: checked at registration and at send time.

At send time the host is resolved once, every address is checked, and the connection is made to the
checked address itself (TLS still verifies the certificate for the host name), so a DNS answer that
changes between check and connect (rebinding) cannot redirect a push to an internal address.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


class UnsafeEndpointError(ValueError):
    """The endpoint is not a public HTTPS URL, or resolves to an address we never send to."""


def _unsafe_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _unsafe_address(address.ipv4_mapped)
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
    """The URL if it may receive pushes; `UnsafeEndpointError` with the reason otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeEndpointError(f"not a URL: {exc}") from None
    host = parts.hostname or ""
    if parts.username or parts.password:
        raise UnsafeEndpointError("credentials in the URL are not allowed")
    if allow_loopback and parts.scheme in ("http", "https") and _is_loopback_host(host):
        return url.strip()  # `flagpost local` only: a developer receiving pushes on this machine
    if parts.scheme != "https":
        raise UnsafeEndpointError("endpoints must use https")
    if not host:
        raise UnsafeEndpointError("the URL has no host")
    if resolve:
        public_addresses(host, port or 443)
    else:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and _unsafe_address(literal):
            raise UnsafeEndpointError(f"{host} is not a public address")
    return url.strip()


def public_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, if all are public; refuse otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
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


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
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
    session.max_redirects = 0
    adapter = GuardedAdapter(allow_loopback=allow_loopback)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
