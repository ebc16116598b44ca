"""Kik: accounts by username, from kik.me links or given as non-URL targets."""

from __future__ import annotations

import re

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "kik"

# Kik usernames are case-insensitive.
_USERNAME = re.compile(r"[A-Za-z0-9._]{2,32}")


def account(username: str) -> Target:
    name = username.lower()
    return make_target(PLATFORM, "account", name, f"https://kik.me/{name}")


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    if url.host.endswith("kik.me") and len(segments) == 1 and _USERNAME.fullmatch(segments[0]):
        return account(segments[0])
    return None


def from_target(type_: str, raw: str) -> Target:
    if type_ == "account":
        return account(clean_id(raw, _USERNAME, "Kik username", lower=True))
    raise unknown_type(PLATFORM, type_, ("account",))


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("kik.me",),
    type_aliases=(("user", "account"), ("username", "account"), ("handle", "account")),
)
