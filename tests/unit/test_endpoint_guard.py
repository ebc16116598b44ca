"""The SSRF guard's rules for push endpoints, without sockets (resolution is checked in integration)."""

from __future__ import annotations

import ipaddress

import pytest

from flagpost.adapters.ssrf import embedded_ipv4, validate_endpoint
from flagpost.domain.errors import UnsafeEndpointError


@pytest.mark.parametrize(
    "url",
    [
        "https://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
        "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "https://[2002:0a00:0001::]/x",  # 6to4 of 10.0.0.1
        "https://[2001:0:4136:e378:8000:63bf:56fe:5601]/",  # Teredo, client 169.1.170.254 ^ 0xffff...
        "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 well-known prefix
        "https://[64:ff9b::7f00:1]/",
        "https://[64:ff9b:1::a9fe:a9fe]/",  # NAT64 local-use prefix
        "https://[::a9fe:a9fe]/",  # IPv4-compatible
        "https://[::ffff:169.254.169.254]/",  # IPv4-mapped
        "https://[fd00:ec2::254]/",  # the IPv6 metadata address
        "https://0x7f000001/",
        "https://2130706433/",
        "https://127.1/",
        "https://010.8.8.8/",
        "https://0251.0376.0251.0376/",
        "https://example.org/\thook",
        "https://example.org/hook\n",
        "https://exa\rmple.org/",
        "https://example.org/\u2028x",
        "https://example.org/\x00",
        " https://example.org/",
        "https://example.org/hook ",
        "https://bücher.example/",
        "https://user:pass@example.org/",
        "https://@example.org/",
        "http://example.org/",
        "ftp://example.org/",
        "https:///nohost",
        "https://example.org:99999/",
    ],
)
def test_refused(url: str) -> None:
    with pytest.raises(UnsafeEndpointError):
        validate_endpoint(url, resolve=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://8.8.8.8/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://[2002:0808:0808::]/",  # 6to4 of a public address
        "https://123.example.com/hook",
        "https://3com.com/",
        "https://xn--bcher-kva.example/x?y=1",
    ],
)
def test_accepted_exactly_as_given(url: str) -> None:
    assert validate_endpoint(url, resolve=False) == url


def test_loopback_only_when_allowed() -> None:
    with pytest.raises(UnsafeEndpointError):
        validate_endpoint("http://127.0.0.1:9/hook", resolve=False)
    assert validate_endpoint("http://127.0.0.1:9/hook", allow_loopback=True, resolve=False) == "http://127.0.0.1:9/hook"
    with pytest.raises(UnsafeEndpointError):
        validate_endpoint("http://127.0.0.1:9/\thook", allow_loopback=True, resolve=False)


def test_embedded_ipv4_forms() -> None:
    assert embedded_ipv4(ipaddress.IPv6Address("2002:a9fe:a9fe::")) == [ipaddress.IPv4Address("169.254.169.254")]
    assert embedded_ipv4(ipaddress.IPv6Address("64:ff9b::a9fe:a9fe")) == [ipaddress.IPv4Address("169.254.169.254")]
    assert embedded_ipv4(ipaddress.IPv6Address("2606:4700:4700::1111")) == []


@pytest.mark.parametrize(
    "url", ["https://a..b/", f"https://{'a' * 64}.example/", "https://-x.example/", "https://x-.example/"]
)
def test_host_names_must_be_dns_names(url: str) -> None:
    with pytest.raises(UnsafeEndpointError):
        validate_endpoint(url, resolve=False)
