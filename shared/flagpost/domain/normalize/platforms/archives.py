"""Archived copies (Wayback Machine, archive.today, Internet Archive items): targets of their own."""

from __future__ import annotations

import re

from flagpost.domain.normalize.errors import NormalizeError
from flagpost.domain.normalize.parsing import ParsedUrl, parse_link, protect
from flagpost.domain.normalize.platforms.base import (
    Adapter,
    Outcome,
    Router,
    feature,
    no_target,
    query_within,
    require_free,
    route,
)
from flagpost.domain.normalize.platforms.web import id_to_url, page_id
from flagpost.domain.normalize.target import Target, make_target

WAYBACK = "internet_archive"
ARCHIVE_TODAY = "archive_today"

_PATTERNS = {
    # /web/<timestamp><modifier>/: id_, if_, im_ ... select a rendering of the same capture.
    "stamp": r"[0-9]{1,14}",
    "modifier": r"(?:[a-z]{2}_)?",
    "item": r"[A-Za-z0-9._-]{1,100}",
    # archive.today snapshot ids are case-sensitive; every mirror domain serves the same store.
    "snapshot": r"[A-Za-z0-9]{4,12}",
    "today_stamp": r"[0-9]{4}\.[0-9]{2}\.[0-9]{2}-[0-9]{6}",
}
_TODAY_HOSTS = frozenset(
    {"archive.today", "archive.ph", "archive.is", "archive.li", "archive.vn", "archive.fo", "archive.md"}
)


def _archived_page(inner: str) -> str | None:
    """The generic page id of an archived URL; the platform rules do not apply to a copy. The archived
    URL is part of a path, not prose: it is read exactly (no punctuation stripped, nothing defanged)."""
    try:
        return page_id(parse_link(inner))
    except NormalizeError:
        return None


def _inner_url(url: ParsedUrl, prefix_segments: int) -> str:
    # The archived URL is the rest of the path (its "//" kept) plus the query and the fragment, which
    # belong to it (the archive's player routes `#/route` and `#F!id!key` to the archived page).
    parts = url.path.split("/", prefix_segments + 1)
    inner = parts[-1] if len(parts) > prefix_segments + 1 else ""
    return inner + ("?" + url.query if url.query else "") + ("#" + url.fragment if url.fragment else "")


def wayback_snapshot(stamp: str, page: str) -> Target:
    identity = f"{stamp}/{page}"
    return make_target(WAYBACK, "snapshot", identity, f"https://web.archive.org/web/{stamp}/{id_to_url(page)}")


def item(item: str) -> Target:
    return make_target(WAYBACK, "item", item, f"https://archive.org/details/{item}")


def item_file(identifier: str, name: str) -> Target:
    name = protect(name)
    return make_target(
        WAYBACK,
        "file",
        f"{identifier}/{name}",
        f"https://archive.org/download/{identifier}/{name}",
        parent=("item", identifier),
    )


def today_snapshot(identity: str, canonical: str) -> Target:
    return make_target(ARCHIVE_TODAY, "snapshot", identity, canonical)


def _today(snapshot: str) -> Target:
    require_free(TODAY, snapshot, 0, "archive.today snapshot id")
    return today_snapshot(snapshot, f"https://archive.ph/{snapshot}")


# archive.org/details/<id>, /embed/<id>, /download/<id>[/<file path>]. /details/<id>/<more> (a file,
# a book page, a search in the item) and every other path are pages.
# An item is also a collection: a query narrows it to a search or a listing of its members
# (`?query=`, `?q=`, `and[]=`, `sort=`, `tab=`), another thing than the whole item, so any parameter
# but a generic tracker makes the link a page.
ARCHIVE_ORG = Router(
    _PATTERNS,
    [
        route("/details/{item}", item, only=()),
        route("/embed/{item}", item, only=()),
        route("/download/{item}", item, only=()),
        *feature("/details", "/embed"),
    ],
)
TODAY = Router(
    _PATTERNS,
    [
        route("/{snapshot}", _today, only=()),
        route("/o/{snapshot}", _today, only=()),  # the "original" rendering of the same snapshot
        # Listings, searches and tools, not one capture (`newest`, `search`, `latest` fit a snapshot id).
        *feature(
            "/o", "/newest", "/oldest", "/latest", "/timegate", "/timemap", "/submit", "/wip", "/faq",
            "/donate", "/search", "/about", "/help", "/blog", "/login", "/logout", "/register", "/robots",
            "/sitemap", "/index", "/feed", "/rss", "/api", "/static", "/images", "/archive",
        ),
    ],
)  # fmt: skip
_WAYBACK_STAMP = re.compile(f"({_PATTERNS['stamp']}){_PATTERNS['modifier']}")
_ITEM = re.compile(_PATTERNS["item"])
_TODAY_STAMP = re.compile(_PATTERNS["today_stamp"])


def _from_wayback(url: ParsedUrl) -> Outcome:
    # web.archive.org/web/<stamp>/<archived url>: the archived url (its "//" and query kept) is read by
    # the generic rules only, so the rest of the path is the identity rather than a shape to match.
    segments = url.segments()
    if not segments:
        raise no_target(url)
    if segments[0] == "web" and len(segments) >= 3:
        stamp = _WAYBACK_STAMP.fullmatch(segments[1])
        if stamp:
            page = _archived_page(_inner_url(url, 2))
            return wayback_snapshot(stamp.group(1), page) if page else None
    return None


def _from_archive_org(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    if segments[0] == "download" and len(segments) >= 3 and _ITEM.fullmatch(segments[1]):
        if not query_within(url, frozenset()):
            return None  # as an item: a query (trackers aside) may select something else: a page
        return item_file(segments[1], "/".join(segments[2:]))  # the whole file path is the file's name
    return ARCHIVE_ORG.match(url, segments)


def _from_archive_today(url: ParsedUrl) -> Outcome:
    # archive.today and its mirror domains (.ph, .is, .li, .vn, .fo, .md) serve one store.
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    if _TODAY_STAMP.fullmatch(first) and len(segments) >= 2:
        # archive.ph/<yyyy.mm.dd-hhmmss>/<url>: the capture of that url at that time.
        page = _archived_page(_inner_url(url, 1))
        if page:
            return today_snapshot(f"{first}/{page}", f"https://archive.ph/{first}/{id_to_url(page)}")
        return None
    return TODAY.match(url, segments)


def from_url(url: ParsedUrl) -> Outcome:
    host = url.host[4:] if url.host.startswith("www.") else url.host
    if host == "archive.org":
        return _from_archive_org(url)
    return _from_wayback(url)


ADAPTER = Adapter(
    platform=WAYBACK,
    from_url=from_url,
    from_target=None,
    hosts=("web.archive.org", "wayback.archive.org", "archive.org", "www.archive.org"),
)
TODAY_ADAPTER = Adapter(
    platform=ARCHIVE_TODAY,
    from_url=_from_archive_today,
    from_target=None,
    hosts=(*_TODAY_HOSTS, *("www." + host for host in _TODAY_HOSTS)),
)
