"""Archived copies (Wayback Machine, archive.today, Internet Archive items): targets of their own."""

from __future__ import annotations

import re

from flagpost.normalize.errors import NormalizeError
from flagpost.normalize.parsing import ParsedUrl, parse_url, protect
from flagpost.normalize.platforms.base import Adapter, Outcome, no_target
from flagpost.normalize.platforms.web import id_to_url, page_id
from flagpost.normalize.target import Target, make_target

WAYBACK = "internet_archive"
ARCHIVE_TODAY = "archive_today"

# /web/<timestamp><modifier>/: id_, if_, im_ ... select a rendering of the same capture.
_WAYBACK_STAMP = re.compile(r"([0-9]{1,14})(?:[a-z]{2}_)?")
_ITEM = re.compile(r"[A-Za-z0-9._-]{1,100}")
_TODAY_ID = re.compile(r"[A-Za-z0-9]{4,12}")
_TODAY_STAMP = re.compile(r"[0-9]{4}\.[0-9]{2}\.[0-9]{2}-[0-9]{6}")
_TODAY_HOSTS = frozenset(
    {"archive.today", "archive.ph", "archive.is", "archive.li", "archive.vn", "archive.fo", "archive.md"}
)


def _archived_page(inner: str) -> str | None:
    """The generic page id of an archived URL; the platform rules do not apply to a copy."""
    try:
        return page_id(parse_url(inner))
    except NormalizeError:
        return None


def _inner_url(url: ParsedUrl, prefix_segments: int) -> str:
    # The archived URL is the rest of the path (its "//" kept) plus the query, which belongs to it.
    parts = url.path.split("/", prefix_segments + 1)
    inner = parts[-1] if len(parts) > prefix_segments + 1 else ""
    return inner + ("?" + url.query if url.query else "")


def wayback_snapshot(stamp: str, page: str) -> Target:
    identity = f"{stamp}/{page}"
    return make_target(WAYBACK, "snapshot", identity, f"https://web.archive.org/web/{stamp}/{id_to_url(page)}")


def item(identifier: str) -> Target:
    return make_target(WAYBACK, "item", identifier, f"https://archive.org/details/{identifier}")


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


def _from_wayback(url: ParsedUrl) -> Outcome:
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
    if segments[0] in ("details", "embed", "download") and len(segments) >= 2 and _ITEM.fullmatch(segments[1]):
        if segments[0] == "download" and len(segments) >= 3:
            return item_file(segments[1], "/".join(segments[2:]))
        return item(segments[1])
    return None


def _from_archive_today(url: ParsedUrl) -> Outcome:
    # archive.today and its mirror domains (.ph, .is, .li, .vn, .fo, .md) serve one store.
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    if len(segments) == 1 and _TODAY_ID.fullmatch(first):
        # Snapshot ids are case-sensitive; every mirror domain serves the same store.
        return today_snapshot(first, f"https://archive.ph/{first}")
    if first == "o" and len(segments) >= 2 and _TODAY_ID.fullmatch(segments[1]):
        return today_snapshot(segments[1], f"https://archive.ph/{segments[1]}")
    if _TODAY_STAMP.fullmatch(first) and len(segments) >= 2:
        page = _archived_page(_inner_url(url, 1))
        if page:
            return today_snapshot(f"{first}/{page}", f"https://archive.ph/{first}/{id_to_url(page)}")
    return None  # /newest/<url>, /<url>: listings, not one capture


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
