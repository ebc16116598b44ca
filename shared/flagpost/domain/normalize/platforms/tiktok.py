"""TikTok: videos (and photo posts) by numeric item id, accounts by username."""

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
from flagpost.domain.normalize.platforms.shortlinks import short_link
from flagpost.domain.normalize.platforms.web import Trackers
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "tiktok"

_PATTERNS = {
    "item": r"[0-9]{1,25}",
    # Usernames are case-insensitive. In /@<name>/video/<id> the name may be empty (/@/video/<id>).
    "name": r"[A-Za-z0-9._]{1,30}",
    "anyname": r"[A-Za-z0-9._]{0,30}",
    "code": r"[A-Za-z0-9_-]{1,64}",
}
_ITEM = re.compile(_PATTERNS["item"])
_USERNAME = re.compile(_PATTERNS["name"])
# TikTok's share and app parameters, stripped from its pages (a typed target ignores the whole query).
TRACKERS = Trackers(
    frozenset(
        {
            "is_from_webapp", "sender_device", "sender_web_id", "web_id", "_r", "_t", "_d", "is_copy_url",
            "u_code", "preview_pb", "share_app_id", "share_link_id", "social_sharing",
            "timestamp", "tt_from", "checksum", "enter_from", "enter_method",
        }
    )
)  # fmt: skip


# Builders take the router's capture names as parameter names: route("/embed/{item}", video).
def video(item: str) -> Target:
    item_id = str(int(item))
    # The username is not part of a video's identity, so the canonical URL must not need one. The
    # embed player URL (the iframe TikTok's own oEmbed and embed code load) opens any public video by
    # id alone; `/@/video/<id>` with an empty name is not a documented form.
    return make_target(PLATFORM, "video", item_id, f"https://www.tiktok.com/embed/v2/{item_id}")


def account(name: str) -> Target:
    name = name.lower()
    return make_target(PLATFORM, "account", name, f"https://www.tiktok.com/@{name}")


def _short(code: str) -> Target:
    return short_link(PLATFORM, "tiktok.com", ["t", code])  # tiktok.com/t/<code>: a share redirect


ROUTER = Router(
    _PATTERNS,
    [
        route("/@{name}", account, unless=SEARCH_PARAMETERS),
        # Photo posts share the item id space with videos.
        route("/@{_name:anyname}/video/{item}", video),
        route("/@{_name:anyname}/photo/{item}", video),
        route("/embed/v2/{item}", video),
        route("/embed/{item}", video),
        route("/v/{item}.html", video),
        route("/v/{item}", video),
        route("/share/video/{item}", video),
        route("/player/v1/{item}", video),
        route("/t/{code}", _short),
    ],
    decode=True,  # /%40name is /@name
    # A comment link names the comment, not the video (at worst, a missed merge).
    specific=("comment_id",),
    # An item id in the query (`/@name?item_id=`, share links' `video_id=`) selects one video: a page.
    ids=("item_id", "video_id", "aweme_id", "modal_id", "share_item_id", "share_video_id"),
)


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    return ROUTER.match(url, segments)


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
    trackers=TRACKERS,
    content_subdomains=frozenset({"", "www", "m"}),  # support., ads., seller., newsroom. ... are pages
)
