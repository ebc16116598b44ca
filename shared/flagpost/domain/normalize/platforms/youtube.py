"""YouTube: videos (every player, share and app form), channels by id or handle, playlists, live streams."""

from __future__ import annotations

import re
from urllib.parse import quote

from flagpost.domain.normalize.errors import NormalizeError
from flagpost.domain.normalize.parsing import ParsedUrl
from flagpost.domain.normalize.platforms.base import (
    SEARCH_PARAMETERS,
    Adapter,
    Outcome,
    Router,
    Unwrap,
    clean_id,
    fold_case,
    no_target,
    require_free,
    route,
    unknown_type,
)
from flagpost.domain.normalize.platforms.web import Trackers
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "youtube"

_PATTERNS = {
    # Video ids are exactly 11 base64url characters and case-sensitive. Feature words of the same
    # length (`videoseries`, `live_stream`) are literals of their own shapes, so never read as ids.
    "video": r"[A-Za-z0-9_-]{11}",
    "channel": r"UC[A-Za-z0-9_-]{22}",
    "playlist": r"[A-Za-z0-9_-]{10,80}",
    # Handles are case-insensitive and may use letters of any script, digits, `_`, `-` and `.`.
    "handle": r"[\w.-]{3,30}",
    "name": r"[A-Za-z0-9_.-]{1,100}",
    "inner": r"/[^/].*",
}
_VIDEO = re.compile(_PATTERNS["video"])
_CHANNEL = re.compile(_PATTERNS["channel"])
_PLAYLIST = re.compile(_PATTERNS["playlist"])
_HANDLE = re.compile(_PATTERNS["handle"])
_LEGACY_NAME = re.compile(_PATTERNS["name"])

# Tabs of a channel page: /@name/videos still names the channel. `/live` (the current live stream)
# and `/search` (results) are other things; `/community?lb=<post>` names a post, so `lb` is excluded.
_CHANNEL_TABS = (
    "featured", "videos", "shorts", "streams", "playlists", "community", "channels", "about", "podcasts",
    "releases",
)  # fmt: skip
# YouTube's own share parameters: stripped from YouTube pages (a typed target ignores the whole query).
TRACKERS = Trackers(frozenset({"si", "feature"}))
# On every shape, a parameter that names something more specific than the video or channel the path
# names: `lc=` a comment (watch, shorts, live, embed, /v/, youtu.be alike), `lb=` a community post.
_SPECIFIC = ("lc", "lb")
# The parameter that carries a video id (`watch?v=`): on any other shape it names a second video.
_IDS = ("v", "video_id")


# Builders take the router's capture names as parameter names: route("/shorts/{video}", video).
def video(video: str) -> Target:
    # `videoseries` and `live_stream` fit the id pattern; they are feature words wherever an id is read
    # (`/embed/videoseries`, `youtu.be/videoseries`, `watch?v=videoseries`), never a video.
    if ROUTER.feature_word(video):
        raise NormalizeError("illegal_id", f"{video!r} is a YouTube feature word, not a video id")
    return make_target(PLATFORM, "video", video, f"https://www.youtube.com/watch?v={video}")


def playlist(playlist: str) -> Target:
    return make_target(PLATFORM, "playlist", playlist, f"https://www.youtube.com/playlist?list={playlist}")


def channel(channel: str) -> Target:
    return make_target(PLATFORM, "channel", channel, f"https://www.youtube.com/channel/{channel}")


def live_stream(channel: str) -> Target:
    """What a channel is streaming live: not a video (it changes), not the channel page; parent: the channel."""
    return make_target(
        PLATFORM,
        "live_stream",
        channel,
        f"https://www.youtube.com/embed/live_stream?channel={channel}",
        parent=("channel", channel),
    )


def handle(handle: str) -> Target:
    name = fold_case(handle)
    return make_target(PLATFORM, "handle", name, f"https://www.youtube.com/@{quote(name, safe='')}")


def custom_url(name: str) -> Target:
    name = name.lower()
    require_free(ROUTER, name, 1, "YouTube custom URL name")
    return make_target(PLATFORM, "custom_url", name, f"https://www.youtube.com/c/{name}")


def user(name: str) -> Target:
    name = name.lower()
    require_free(ROUTER, name, 1, "YouTube user name")
    return make_target(PLATFORM, "user", name, f"https://www.youtube.com/user/{name}")


def _attribution(inner: str) -> Outcome:
    # attribution_link?u=/watch%3Fv%3D<id>%26feature%3Dshare redirects to that path on YouTube itself.
    return Unwrap("https://www.youtube.com" + inner)


ROUTER = Router(
    _PATTERNS,
    [
        route("/watch", video, query={"v": "video"}),
        # The old /watch/<id> form; a `v=` besides names a video too, maybe another one: a page (the
        # router's `ids` rule, the same on every shape: youtu.be/ID?v=, /shorts/ID?v=, /channel/UC..?v=).
        route("/watch/{video}", video),
        route("/shorts/{video}", video),
        route("/live/{video}", video),
        route("/embed/videoseries", playlist, query={"list": "playlist"}),
        route("/embed/live_stream", live_stream, query={"channel": "channel"}),
        route("/embed/{video}", video),
        route("/v/{video}", video),
        route("/e/{video}", video),
        route("/playlist", playlist, query={"list": "playlist"}),
        route("/attribution_link", _attribution, query={"u": "inner"}),
        route("/channel/{channel}/live", live_stream),
        route("/channel/{channel}", channel, tail=_CHANNEL_TABS, unless=SEARCH_PARAMETERS),
        route("/@{handle}", handle, tail=_CHANNEL_TABS, unless=SEARCH_PARAMETERS),
        route("/c/{name}", custom_url, tail=_CHANNEL_TABS, unless=SEARCH_PARAMETERS),
        route("/user/{name}", user, tail=_CHANNEL_TABS, unless=SEARCH_PARAMETERS),
        # youtube.com/<name> is NOT read as a channel: the legacy short form was resolved by YouTube to
        # a /user/ or a /c/ name (two namespaces), and any feature path (/clip, /playables, /show,
        # /podcasts, /feed ...) has the same shape. Such links are pages, whole path kept.
    ],
    decode=True,
    specific=_SPECIFIC,
    ids=_IDS,
)
SHORT_ROUTER = Router(_PATTERNS, [route("/{video}", video)], specific=_SPECIFIC, ids=_IDS)


def from_url(url: ParsedUrl) -> Outcome:
    host = url.host
    segments = url.segments()
    if host in ("youtu.be", "www.youtu.be"):
        if not segments:
            raise no_target(url)
        return SHORT_ROUTER.match(url, segments)
    if not segments:
        raise no_target(url)
    return ROUTER.match(url, segments)


TYPES = ("video", "playlist", "channel", "live_stream", "handle", "custom_url", "user")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "video":
        return video(clean_id(raw, _VIDEO, "YouTube video id", lower=False, strip_at=False))
    if type_ == "playlist":
        return playlist(clean_id(raw, _PLAYLIST, "YouTube playlist id", lower=False, strip_at=False))
    if type_ == "channel":
        return channel(clean_id(raw, _CHANNEL, "YouTube channel id (UC...)", lower=False, strip_at=False))
    if type_ == "live_stream":
        return live_stream(clean_id(raw, _CHANNEL, "YouTube channel id (UC...)", lower=False, strip_at=False))
    if type_ == "handle":
        return handle(clean_id(raw, _HANDLE, "YouTube handle", lower=False, nfc=False))
    if type_ == "custom_url":
        return custom_url(clean_id(raw, _LEGACY_NAME, "YouTube custom URL name", lower=True))
    if type_ == "user":
        return user(clean_id(raw, _LEGACY_NAME, "YouTube user name", lower=True))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    hosts=("youtu.be", "www.youtu.be", "youtube.googleapis.com"),
    domains=("youtube.com", "youtube-nocookie.com"),
    type_aliases=(("short", "video"), ("account", "handle"), ("channel_id", "channel"), ("live", "live_stream")),
    trackers=TRACKERS,
    # The public site; studio., tv., accounts., gaming. and the rest are pages.
    content_subdomains=frozenset({"", "www", "m", "music"}),
)
