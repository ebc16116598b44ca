"""TikTok: videos (and photo posts) by numeric item id, accounts by username."""

from __future__ import annotations

import re
from urllib.parse import unquote

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.platforms.shortlinks import short_link
from flagpost.normalize.target import Target, make_target

PLATFORM = "tiktok"

_ITEM = re.compile(r"[0-9]{1,25}")
_ITEM_HTML = re.compile(r"([0-9]{1,25})\.html")
# Usernames are case-insensitive.
_USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")


def video(item_id: str) -> Target:
    item_id = str(int(item_id))
    # /@/video/<id> is served for any item whatever its author, so the canonical form needs no name.
    return make_target(PLATFORM, "video", item_id, f"https://www.tiktok.com/@/video/{item_id}")


def account(username: str) -> Target:
    name = username.lower()
    return make_target(PLATFORM, "account", name, f"https://www.tiktok.com/@{name}")


def _item(segment: str) -> str | None:
    if _ITEM.fullmatch(segment):
        return segment
    html = _ITEM_HTML.fullmatch(segment)
    return html.group(1) if html else None


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    count = len(segments)
    if first[0] == "@" or first.startswith("%40"):
        name = unquote(first)[1:]
        # /@<name>/video/<id> and /@<name>/photo/<id>: photo posts share the item id space.
        if count >= 2 and segments[1] in ("video", "photo"):
            item = _item(segments[2]) if count >= 3 else None
            return video(item) if item else None  # a broken item link is not the account
        return account(name) if name and _USERNAME.fullmatch(name) else None
    if first == "t" and count >= 2:
        return short_link(PLATFORM, "tiktok.com", segments[:2])  # tiktok.com/t/<code>: a share redirect
    if first in ("embed", "v", "video", "player", "share") and count >= 2:
        # /embed/<id>, /embed/v2/<id>, /v/<id>.html, /player/v1/<id>, /share/video/<id>
        item = _item(segments[-1])
        return video(item) if item else None
    return None


TYPES = ("video", "account")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "video":
        return video(clean_id(raw, _ITEM, "TikTok video id", lower=False, strip_at=False))
    if type_ == "account":
        return account(clean_id(raw, _USERNAME, "TikTok username", lower=True))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("tiktok.com",),
    type_aliases=(("post", "video"), ("photo", "video"), ("user", "account"), ("handle", "account")),
)
