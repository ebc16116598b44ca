"""justpaste.it: pasted pages by id (case kept: whether ids are case-insensitive is not documented)."""

from __future__ import annotations

import re

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "justpaste"

_PAGE = re.compile(r"[A-Za-z0-9_-]{1,100}")
_RESERVED = frozenset(
    {
        "edit", "login", "register", "premium", "faq", "terms", "privacy", "contact", "redirect",
        "search", "user", "u", "api", "static", "img", "css", "js", "new", "about", "help", "account",
        "logout", "dashboard", "blog", "report", "abuse", "dmca",
    }
)  # fmt: skip
# Views of one page: /<id>/pdf, /<id>/print, /<id>/amp
_VIEWS = frozenset({"pdf", "print", "amp", "embed"})


def paste(page_id: str) -> Target:
    return make_target(PLATFORM, "paste", page_id, f"https://justpaste.it/{page_id}")


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    if first.lower() in _RESERVED or not _PAGE.fullmatch(first):
        return None
    if len(segments) == 1 or (len(segments) == 2 and segments[1] in _VIEWS):
        return paste(first)
    return None


def from_target(type_: str, raw: str) -> Target:
    if type_ == "paste":
        return paste(clean_id(raw, _PAGE, "justpaste.it page id", lower=False, strip_at=False))
    raise unknown_type(PLATFORM, type_, ("paste",))


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("justpaste.it",),
    type_aliases=(("page", "paste"),),
)
