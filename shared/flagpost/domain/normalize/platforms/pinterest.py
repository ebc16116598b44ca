"""Pinterest: pins, accounts and boards, on pinterest.com and every country domain."""

from __future__ import annotations

import re

from flagpost.domain.normalize.parsing import ParsedUrl
from flagpost.domain.normalize.platforms.base import (
    SEARCH_PARAMETERS,
    Adapter,
    Outcome,
    Router,
    clean_id,
    feature,
    no_target,
    require_free,
    route,
    unknown_type,
)
from flagpost.domain.normalize.platforms.web import Trackers
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "pinterest"

# pinterest.com (with www. or a country subdomain: br., de. ...) and Pinterest's own country domains,
# with an optional www.: a listed set, since `pinterest.<any country code>` is not Pinterest's
# (pinterest.cc is someone else's site). Other subdomains (help., business. ...) are Pinterest's pages.
COUNTRY_DOMAINS = (
    "pinterest.at", "pinterest.ca", "pinterest.ch", "pinterest.cl", "pinterest.co.kr", "pinterest.co.uk",
    "pinterest.com.au", "pinterest.com.mx", "pinterest.de", "pinterest.dk", "pinterest.es", "pinterest.fr",
    "pinterest.ie", "pinterest.it", "pinterest.jp", "pinterest.nz", "pinterest.ph", "pinterest.pt",
    "pinterest.ru", "pinterest.se",
)  # fmt: skip
HOST = re.compile(
    r"(?:www\.|[a-z]{2}\.)?pinterest\.com|(?:www\.)?(?:"
    + "|".join(re.escape(domain) for domain in COUNTRY_DOMAINS)
    + ")"
)
_PATTERNS = {
    "pin": r"[0-9]{1,25}",
    # Newer pin URLs put a slug before the id: /pin/some-title--123456789/
    "slug": r".*",
    "name": r"[A-Za-z0-9_]{3,30}",
    # Board slugs; a second segment starting with `_` is a Pinterest feature (`_saved`, `_shop`), not a board.
    "board": r"[A-Za-z0-9%.-][A-Za-z0-9_%.-]{0,179}",
}
_PIN = re.compile(_PATTERNS["pin"])
_USERNAME = re.compile(_PATTERNS["name"])
_BOARD = re.compile(_PATTERNS["board"])
_ACCOUNT_TABS = ("_saved", "_created", "pins", "boards", "followers", "following", "_shop")
# Pinterest's share parameters, stripped from its pages.
TRACKERS = Trackers(frozenset({"nic_v1", "nic_v2", "nic_v3", "invite_code", "sender"}))


# Builders take the router's capture names as parameter names: route("/pin/{pin}", pin).
def pin(pin: str) -> Target:
    number = str(int(pin))
    return make_target(PLATFORM, "pin", number, f"https://www.pinterest.com/pin/{number}/")


def account(name: str) -> Target:
    name = name.lower()
    require_free(ROUTER, name, 0, "Pinterest username")
    return make_target(PLATFORM, "account", name, f"https://www.pinterest.com/{name}/")


def board(name: str, board: str) -> Target:
    # Board slugs are generated lower-case, but whether Pinterest folds the case of one typed otherwise
    # is not documented: the slug is kept as typed (keeping it can only miss a merge).
    name, slug = name.lower(), board
    require_free(ROUTER, name, 0, "Pinterest username")
    require_free(ROUTER, slug, 1, "Pinterest board")
    return make_target(
        PLATFORM,
        "board",
        f"{name}/{slug}",
        f"https://www.pinterest.com/{name}/{slug}/",
        parent=("account", name),
    )


ROUTER = Router(
    _PATTERNS,
    [
        # /pin/<id>/sent/ is the same pin as sent to someone (with invite_code and sender).
        route("/pin/{pin}", pin, tail=("sent",)),
        route("/pin/{_slug}--{pin}", pin, tail=("sent",)),
        route("/{name}", account, tail=_ACCOUNT_TABS, unless=SEARCH_PARAMETERS),
        # /<name>/<board>/<section> (a board section) has one segment more: a page.
        route("/{name}/{board}", board, unless=SEARCH_PARAMETERS),
        *feature(
            "/pin", "/search", "/ideas", "/today", "/categories", "/business", "/settings", "/login", "/explore",
            "/_", "/resource", "/oauth", "/about", "/topics", "/videos", "/signup", "/password", "/help",
            "/news", "/shopping", "/homefeed", "/following", "/notifications", "/inbox", "/logout", "/feed",
            "/discover", "/pin-builder", "/board", "/create", "/privacy", "/terms", "/jobs", "/careers",
            "/secure",
        ),
    ],
    ids=("pin", "pin_id"),  # a pin selected in the query is not the account or the board
)  # fmt: skip


def from_url(url: ParsedUrl) -> Outcome:
    if not HOST.fullmatch(url.host):
        return None
    segments = url.segments()
    if not segments:
        raise no_target(url)
    return ROUTER.match(url, segments)


TYPES = ("pin", "account", "board")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "pin":
        return pin(clean_id(raw, _PIN, "Pinterest pin id", lower=False, strip_at=False))
    if type_ == "account":
        return account(clean_id(raw, _USERNAME, "Pinterest username", lower=True))
    if type_ == "board":
        name, _, slug = raw.strip().lstrip("@").partition("/")
        clean_id(name, _USERNAME, "Pinterest username", lower=True)
        return board(name, clean_id(slug.strip("/"), _BOARD, "Pinterest board", lower=False, strip_at=False))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("pinterest.com", *COUNTRY_DOMAINS),
    type_aliases=(("user", "account"), ("handle", "account")),
    trackers=TRACKERS,
)
