"""justpaste.it: pasted pages by id (case kept: whether ids are case-insensitive is not documented)."""

from __future__ import annotations

import re

from flagpost.domain.normalize.parsing import ParsedUrl
from flagpost.domain.normalize.platforms.base import (
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
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "justpaste"

_PATTERNS = {"page": r"[A-Za-z0-9_-]{1,100}"}
_PAGE = re.compile(_PATTERNS["page"])
# Views of one page: /<id>/pdf, /<id>/print, /<id>/amp
_VIEWS = ("pdf", "print", "amp", "embed")


def paste(page: str) -> Target:
    require_free(ROUTER, page, 0, "justpaste.it page id")
    return make_target(PLATFORM, "paste", page, f"https://justpaste.it/{page}")


ROUTER = Router(
    _PATTERNS,
    [
        # A paste link carries no parameter: one that does (`/tags?x=a`) may be a listing or a search.
        route("/{page}", paste, tail=_VIEWS, only=()),
        *feature(
            "/edit", "/login", "/register", "/premium", "/faq", "/terms", "/privacy", "/contact", "/redirect",
            "/search", "/user", "/u", "/api", "/static", "/img", "/css", "/js", "/new", "/about", "/help",
            "/account", "/logout", "/dashboard", "/blog", "/report", "/abuse", "/dmca", "/tags", "/tag",
            "/explore", "/latest", "/trending", "/popular", "/signup", "/settings", "/profile", "/users",
            "/notifications", "/pricing", "/features", "/cookies",
        ),
    ],
)  # fmt: skip


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    return ROUTER.match(url, segments)


def from_target(type_: str, raw: str) -> Target:
    if type_ == "paste":
        return paste(clean_id(raw, _PAGE, "justpaste.it page id", lower=False, strip_at=False))
    raise unknown_type(PLATFORM, type_, ("paste",))


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("justpaste.it",),
    content_subdomains=frozenset({"", "www"}),
    type_aliases=(("page", "paste"),),
)
