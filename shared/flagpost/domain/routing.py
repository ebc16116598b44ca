"""Which platforms a confirmed item goes to: owners of its target, plus those the reviewer named."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flagpost.domain.errors import InvalidInputError
from flagpost.domain.models.principal import Principal, Role


def owns(platform: Principal, target: dict[str, Any]) -> bool:
    """A platform owns a target by platform id (`telegram`) or by a domain of its canonical URL."""
    if str(target.get("platform", "")).lower() in platform.platform_ids:
        return True
    url = target.get("canonical_url")
    host = (urlsplit(url).hostname or "").lower() if url else ""
    return any(host == domain or host.endswith("." + domain) for domain in platform.domains)


def route(target: dict[str, Any], named: Iterable[str], platforms: Iterable[Principal]) -> list[Principal]:
    """Active platforms that own the target or that the decision named (by principal or platform id)."""
    wanted = {n.lower() for n in named}
    chosen = [
        p
        for p in platforms
        if p.role is Role.PLATFORM
        and p.active
        and (owns(p, target) or p.id.lower() in wanted or wanted & set(p.platform_ids))
    ]
    return sorted(chosen, key=lambda p: p.id)


def check_named_platforms(named: list[str], platforms: Iterable[Principal]) -> None:
    """Every platform a confirmation names must exist and be active (by principal id or platform name):
    an unknown one would silently receive nothing. A 422 that points at each unknown name."""
    known: set[str] = set()
    for platform in platforms:
        known.add(platform.id.lower())
        known.update(platform.platform_ids)
    unknown = [(n, name) for n, name in enumerate(named) if name.lower() not in known]
    if unknown:
        raise InvalidInputError(
            f"No active platform is called {', '.join(repr(name) for _, name in unknown)}.",
            errors=[
                {"loc": ["body", "platforms", n], "msg": f"no active platform is {name!r}", "type": "unknown_platform"}
                for n, name in unknown
            ],
        )
