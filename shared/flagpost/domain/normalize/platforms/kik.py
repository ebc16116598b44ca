"""Kik: accounts by username, from kik.me links or given as non-URL targets."""

from __future__ import annotations

import re

from flagpost.domain.normalize.parsing import ParsedUrl
from flagpost.domain.normalize.platforms.base import (
    SEARCH_PARAMETERS,
    Adapter,
    Outcome,
    Router,
    clean_id,
    no_target,
    route,
    unknown_type,
)
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "kik"

# Kik usernames are case-insensitive.
_PATTERNS = {"name": r"[A-Za-z0-9._]{2,32}"}
_USERNAME = re.compile(_PATTERNS["name"])


def account(name: str) -> Target:
    name = name.lower()
    return make_target(PLATFORM, "account", name, f"https://kik.me/{name}")


# kik.me/<name> is the only shape; any longer path is a page.
ROUTER = Router(_PATTERNS, [route("/{name}", account, unless=SEARCH_PARAMETERS)])


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    return ROUTER.match(url, segments)


def from_target(type_: str, raw: str) -> Target:
    if type_ == "account":
        return account(clean_id(raw, _USERNAME, "Kik username", lower=True))
    raise unknown_type(PLATFORM, type_, ("account",))


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("kik.me",),
    content_subdomains=frozenset({"", "www"}),
    type_aliases=(("user", "account"), ("username", "account"), ("handle", "account")),
)
