"""YouTube: videos (every player, share and app form), channels by id, handle or legacy name, playlists."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from flagpost.normalize.parsing import ParsedUrl, parse_query
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "youtube"

# Video ids are exactly 11 base64url characters and case-sensitive.
_VIDEO = re.compile(r"[A-Za-z0-9_-]{11}")
_CHANNEL = re.compile(r"UC[A-Za-z0-9_-]{22}")
_PLAYLIST = re.compile(r"[A-Za-z0-9_-]{10,80}")
# Handles are case-insensitive and may use letters of any script, digits, `_`, `-` and `.`.
_HANDLE = re.compile(r"[\w.-]{3,30}")
_LEGACY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# /<segment>/<video id> paths that all mean "this video".
_VIDEO_PATHS = frozenset({"shorts", "embed", "live", "v", "e", "watch", "vi"})
_RESERVED = frozenset(
    {
        "watch", "shorts", "embed", "live", "v", "e", "vi", "channel", "c", "user", "playlist", "feed",
        "results", "redirect", "attribution_link", "premium", "account", "about", "t", "hashtag",
        "gaming", "kids", "signin", "logout", "upload", "post", "source", "howyoutubeworks", "ads",
        "creators", "yt", "s", "oembed", "iframe_api", "watch_videos", "youtubei", "api", "music",
        "trending", "subscriptions", "library", "history", "playlists", "reporthistory",
        "supported_browsers", "new", "channels", "store", "movies", "sw.js", "favicon.ico", "robots.txt",
    }
)  # fmt: skip


def video(video_id: str) -> Target:
    return make_target(PLATFORM, "video", video_id, f"https://www.youtube.com/watch?v={video_id}")


def playlist(list_id: str) -> Target:
    return make_target(PLATFORM, "playlist", list_id, f"https://www.youtube.com/playlist?list={list_id}")


def channel(channel_id: str) -> Target:
    return make_target(PLATFORM, "channel", channel_id, f"https://www.youtube.com/channel/{channel_id}")


def handle(name: str) -> Target:
    name = name.lower()
    return make_target(PLATFORM, "handle", name, f"https://www.youtube.com/@{quote(name, safe='')}")


def custom_url(name: str) -> Target:
    name = name.lower()
    return make_target(PLATFORM, "custom_url", name, f"https://www.youtube.com/c/{name}")


def user(name: str) -> Target:
    name = name.lower()
    return make_target(PLATFORM, "user", name, f"https://www.youtube.com/user/{name}")


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if url.host.endswith("youtu.be"):
        if segments and _VIDEO.fullmatch(segments[0]):
            return video(segments[0])
        if not segments:
            raise no_target(url)
        return None
    if not segments:
        raise no_target(url)
    first = segments[0]
    params = url.params()
    if first in ("watch", "attribution_link"):
        if first == "attribution_link":
            # attribution_link?u=/watch%3Fv%3D<id>%26feature%3Dshare: the video is in the inner query.
            inner = params.get("u", "")
            params = parse_query(inner.partition("?")[2]) if "?" in inner else {}
        video_id = params.get("v", "")
        if _VIDEO.fullmatch(video_id):
            return video(video_id)
        if len(segments) > 1 and _VIDEO.fullmatch(segments[1]):
            return video(segments[1])  # the old /watch/<id> form
        return None
    if first in _VIDEO_PATHS:
        if len(segments) > 1 and _VIDEO.fullmatch(segments[1]):
            return video(segments[1])
        return None
    if first == "playlist":
        list_id = params.get("list", "")
        return playlist(list_id) if _PLAYLIST.fullmatch(list_id) else None
    if first[0] == "@":
        # /@handle and its tabs (/@handle/videos, /@handle/live, ...) all name the channel.
        name = unquote(first[1:]) if "%" in first else first[1:]
        return handle(name) if _HANDLE.fullmatch(name) else None
    if len(segments) >= 2:
        if first == "channel":
            return channel(segments[1]) if _CHANNEL.fullmatch(segments[1]) else None
        if first == "c":
            return custom_url(segments[1]) if _LEGACY_NAME.fullmatch(segments[1]) else None
        if first == "user":
            return user(segments[1]) if _LEGACY_NAME.fullmatch(segments[1]) else None
    if first.lower() not in _RESERVED and _LEGACY_NAME.fullmatch(first):
        # youtube.com/<name> is the legacy short form of /c/<name>.
        return custom_url(first)
    return None


TYPES = ("video", "playlist", "channel", "handle", "custom_url", "user")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "video":
        return video(clean_id(raw, _VIDEO, "YouTube video id", lower=False, strip_at=False))
    if type_ == "playlist":
        return playlist(clean_id(raw, _PLAYLIST, "YouTube playlist id", lower=False, strip_at=False))
    if type_ == "channel":
        return channel(clean_id(raw, _CHANNEL, "YouTube channel id (UC...)", lower=False, strip_at=False))
    if type_ == "handle":
        return handle(clean_id(raw, _HANDLE, "YouTube handle", lower=True))
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
    type_aliases=(("short", "video"), ("account", "handle"), ("channel_id", "channel")),
)
