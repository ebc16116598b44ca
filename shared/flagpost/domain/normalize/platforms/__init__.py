"""The adapter registry: which platform owns a host, and which builds a named platform's targets."""

from __future__ import annotations

from flagpost.domain.normalize.platforms import (
    archives,
    facebook,
    instagram,
    justpaste,
    kik,
    pinterest,
    shortlinks,
    telegram,
    tiktok,
    tumblr,
    whatsapp,
    x,
    youtube,
)
from flagpost.domain.normalize.platforms.base import Adapter

ADAPTERS: tuple[Adapter, ...] = (
    shortlinks.ADAPTER,  # first: vm.tiktok.com is a short link, not a TikTok page
    archives.ADAPTER,
    archives.TODAY_ADAPTER,
    telegram.ADAPTER,
    youtube.ADAPTER,
    x.ADAPTER,
    facebook.ADAPTER,
    instagram.ADAPTER,
    tiktok.ADAPTER,
    whatsapp.ADAPTER,
    tumblr.ADAPTER,
    pinterest.ADAPTER,
    kik.ADAPTER,
    justpaste.ADAPTER,
)


def _build() -> tuple[dict[str, Adapter], dict[str, Adapter]]:
    exact: dict[str, Adapter] = {}
    domains: dict[str, Adapter] = {}
    for adapter in ADAPTERS:
        for host in adapter.hosts:
            exact.setdefault(host, adapter)
        for domain in adapter.domains:
            exact.setdefault(domain, adapter)
            domains.setdefault(domain, adapter)
    return exact, domains


_EXACT, _DOMAINS = _build()
BY_PLATFORM: dict[str, Adapter] = {adapter.platform: adapter for adapter in ADAPTERS if adapter.from_target}


def adapter_for(host: str) -> Adapter | None:
    """The adapter owning `host` (exact name, then each parent domain), or None for the generic web."""
    adapter = _EXACT.get(host)
    if adapter is not None:
        return adapter
    dot = host.find(".")
    while dot != -1:
        adapter = _DOMAINS.get(host[dot + 1 :])
        if adapter is not None:
            return adapter
        dot = host.find(".", dot + 1)
    # Mirrors and Nitter instances are listed by exact name in x.py: a host prefix (`nitter.`) is
    # something anyone can register, never evidence of the platform.
    return None
