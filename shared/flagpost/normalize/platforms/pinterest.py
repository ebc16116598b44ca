"""Pinterest: pins, accounts and boards, on pinterest.com and every country domain."""

from __future__ import annotations

import re

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "pinterest"

# pinterest.com, pinterest.de, pinterest.co.uk, pinterest.com.au, with an optional www./country subdomain.
HOST = re.compile(r"(?:[a-z]{2,3}\.)?pinterest\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})")
_PIN = re.compile(r"[0-9]{1,25}")
# Newer pin URLs put a slug before the id: /pin/some-title--123456789/
_SLUGGED_PIN = re.compile(r".*--([0-9]{1,25})")
_USERNAME = re.compile(r"[A-Za-z0-9_]{3,30}")
_BOARD = re.compile(r"[A-Za-z0-9_%.-]{1,180}")
_RESERVED = frozenset(
    {
        "pin", "search", "ideas", "today", "categories", "business", "settings", "login", "explore",
        "_", "resource", "oauth", "about", "topics", "videos", "signup", "password", "help", "news",
        "shopping", "homefeed", "following", "notifications", "inbox", "logout", "feed", "discover",
        "pin-builder", "board", "create", "privacy", "terms", "jobs", "careers", "secure",
    }
)  # fmt: skip
_ACCOUNT_TABS = frozenset({"_saved", "_created", "pins", "boards", "followers", "following", "_shop"})


def pin(number: str) -> Target:
    number = str(int(number))
    return make_target(PLATFORM, "pin", number, f"https://www.pinterest.com/pin/{number}/")


def account(username: str) -> Target:
    name = username.lower()
    return make_target(PLATFORM, "account", name, f"https://www.pinterest.com/{name}/")


def board(username: str, slug: str) -> Target:
    name, slug = username.lower(), slug.lower()  # board slugs are generated lower-case
    return make_target(
        PLATFORM,
        "board",
        f"{name}/{slug}",
        f"https://www.pinterest.com/{name}/{slug}/",
        parent=("account", name),
    )


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    if first == "pin":
        if len(segments) < 2:
            return None
        if _PIN.fullmatch(segments[1]):
            return pin(segments[1])
        slugged = _SLUGGED_PIN.fullmatch(segments[1])
        return pin(slugged.group(1)) if slugged else None
    if first.lower() in _RESERVED or not _USERNAME.fullmatch(first):
        return None
    if len(segments) == 1 or segments[1] in _ACCOUNT_TABS:
        return account(first)
    return board(first, segments[1]) if _BOARD.fullmatch(segments[1]) else None


TYPES = ("pin", "account", "board")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "pin":
        return pin(clean_id(raw, _PIN, "Pinterest pin id", lower=False, strip_at=False))
    if type_ == "account":
        return account(clean_id(raw, _USERNAME, "Pinterest username", lower=True))
    if type_ == "board":
        name, _, slug = raw.strip().lstrip("@").partition("/")
        clean_id(name, _USERNAME, "Pinterest username", lower=True)
        return board(name, clean_id(slug.strip("/"), _BOARD, "Pinterest board", lower=True, strip_at=False))
    raise unknown_type(PLATFORM, type_, TYPES)


# Country domains are matched by HOST in the registry; these are the common ones for exact lookups.
ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=(
        "pinterest.com",
        "pinterest.co.uk",
        "pinterest.de",
        "pinterest.fr",
        "pinterest.ca",
        "pinterest.com.au",
        "pinterest.es",
        "pinterest.it",
        "pinterest.jp",
        "pinterest.com.mx",
    ),
    type_aliases=(("user", "account"), ("handle", "account")),
)
