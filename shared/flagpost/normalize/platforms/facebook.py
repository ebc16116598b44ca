"""Facebook: pages and profiles (vanity or numeric id), posts, videos and reels, photos, groups, events."""

from __future__ import annotations

import re

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, Unwrap, clean_id, no_target, unknown_type
from flagpost.normalize.platforms.shortlinks import short_link
from flagpost.normalize.target import Target, make_target

PLATFORM = "facebook"

# Facebook: "periods and capitalization don't count as part of a username", so john.smith and
# JohnSmith are one account; the id drops both.
_USERNAME = re.compile(r"[A-Za-z0-9.]{1,80}")
_NUMBER = re.compile(r"[0-9]{1,25}")
# Post ids: numeric story ids, or the opaque, case-sensitive pfbid form.
_POST = re.compile(r"[0-9]{1,25}|pfbid0[A-Za-z0-9]{20,80}")
_GROUP = re.compile(r"[A-Za-z0-9.]{1,100}")
# Old page URLs end in the page id: /Some-Page-Name-123456789012345/, /p/Name-1000645/.
_TRAILING_ID = re.compile(r".*-([0-9]{6,25})")
_CONTENT_SUBDOMAINS = frozenset(
    {"", "www", "m", "mbasic", "web", "touch", "mobile", "mtouch", "free", "d", "iphone", "upload", "b-m"}
)
_LOCALE = re.compile(r"[a-z]{2}-[a-z]{2}")  # de-de.facebook.com, es-la.facebook.com
_RESERVED = frozenset(
    {
        "home.php", "login", "login.php", "watch", "groups", "events", "pages", "people", "profile.php",
        "permalink.php", "story.php", "photo.php", "video.php", "share", "sharer", "sharer.php", "help",
        "policies", "policy.php", "marketplace", "gaming", "hashtag", "search", "settings", "friends",
        "messages", "notifications", "reel", "reels", "stories", "p", "photo", "media", "l.php",
        "dialog", "plugins", "privacy", "business", "ads", "pg", "photos", "videos", "legal", "about",
        "careers", "recover", "checkpoint", "bookmarks", "saved", "memories", "fundraisers", "games",
        "live", "places", "pages_reaction_units", "ufi", "ajax", "tr", "r.php", "reg", "campaign",
        "public", "directory", "find-friends", "composer", "latest", "feeds", "story", "posts",
    }
)  # fmt: skip


def account(username: str) -> Target:
    name = username.replace(".", "").lower()
    return make_target(PLATFORM, "account", name, f"https://www.facebook.com/{name}")


def account_id(number: str) -> Target:
    number = str(int(number))
    return make_target(PLATFORM, "account_id", number, f"https://www.facebook.com/profile.php?id={number}")


def post(post_id: str) -> Target:
    if post_id.isdigit():
        post_id = str(int(post_id))
    # Facebook object ids are global, so the post id alone names the post whoever's path it was under.
    return make_target(PLATFORM, "post", post_id, f"https://www.facebook.com/permalink.php?story_fbid={post_id}")


def video(number: str) -> Target:
    number = str(int(number))
    return make_target(PLATFORM, "video", number, f"https://www.facebook.com/watch/?v={number}")


def photo(number: str) -> Target:
    number = str(int(number))
    return make_target(PLATFORM, "photo", number, f"https://www.facebook.com/photo/?fbid={number}")


def group(name: str) -> Target:
    name = str(int(name)) if name.isdigit() else name.lower()
    return make_target(PLATFORM, "group", name, f"https://www.facebook.com/groups/{name}")


def event(number: str) -> Target:
    number = str(int(number))
    return make_target(PLATFORM, "event", number, f"https://www.facebook.com/events/{number}")


def _subdomain(host: str) -> str:
    for base in ("facebook.com", "fb.com"):
        if host == base:
            return ""
        if host.endswith("." + base):
            return host[: -len(base) - 1]
    return host


def _last_number(segments: list[str]) -> str | None:
    for segment in reversed(segments):
        if _NUMBER.fullmatch(segment):
            return segment
    return None


def from_url(url: ParsedUrl) -> Outcome:
    subdomain = _subdomain(url.host)
    params = url.params()
    if subdomain in ("l", "lm"):
        # l.facebook.com/l.php?u=<link>: Facebook's outbound-link shim; the report is about <link>.
        return Unwrap(params["u"]) if params.get("u") else None
    if subdomain not in _CONTENT_SUBDOMAINS and not _LOCALE.fullmatch(subdomain):
        return None
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    count = len(segments)

    if first in ("profile.php", "people", "pages", "p"):
        if first == "profile.php":
            number = params.get("id", "")
        else:
            # /people/<name>/<id>, /pages/<name>/<id>, /p/<Name>-<id>
            number = _last_number(segments[1:]) or ""
            if not number and count >= 2:
                trailing = _TRAILING_ID.fullmatch(segments[1])
                number = trailing.group(1) if trailing else ""
        return account_id(number) if _NUMBER.fullmatch(number) else None
    if first in ("permalink.php", "story.php"):
        story = params.get("story_fbid", "")
        return post(story) if _POST.fullmatch(story) else None
    if first in ("photo.php", "photo"):
        number = params.get("fbid", "")
        return photo(number) if _NUMBER.fullmatch(number) else None
    if first in ("video.php", "watch"):
        number = params.get("v", "")
        return video(number) if _NUMBER.fullmatch(number) else None
    if first in ("reel", "reels") and count >= 2 and _NUMBER.fullmatch(segments[1]):
        return video(segments[1])  # reels are videos: same id, same player
    if first == "groups" and count >= 2:
        if count >= 4 and segments[2] in ("posts", "permalink") and _POST.fullmatch(segments[3]):
            return post(segments[3])
        return group(segments[1]) if _GROUP.fullmatch(segments[1]) else None
    if first == "events" and count >= 2 and _NUMBER.fullmatch(segments[1]):
        return event(segments[1])
    if first == "share":
        # /share/p/<code>, /share/v/<code>, /share/r/<code>: redirecting share codes, never followed.
        return short_link(PLATFORM, "facebook.com", segments) if count >= 2 else None
    if first in ("sharer.php", "sharer", "plugins", "l.php"):
        # Share dialogs and embed plugins carry the real link in a parameter.
        inner = params.get("u") or params.get("href")
        return Unwrap(inner) if inner else None
    if first == "pg" and count >= 2:
        first, segments, count = segments[1], segments[1:], count - 1  # legacy /pg/<name>/...
    if first.lower() in _RESERVED:
        return None

    # /<owner>/...: the owner is a vanity name or a numeric id.
    if count >= 3:
        kind = segments[1]
        if kind == "posts" and _POST.fullmatch(segments[2]):
            return post(segments[2])
        if kind in ("videos", "photos"):
            # /<owner>/videos/<slug>/<id>/, /<owner>/photos/a.<album>/<id>/: the id is the last number.
            media = _last_number(segments[2:])
            if media is None:
                return None
            return video(media) if kind == "videos" else photo(media)
        if kind in ("reel", "reels"):
            return video(segments[2]) if _NUMBER.fullmatch(segments[2]) else None
        if kind == "posts":
            return None  # a broken post link is not the account
    if _NUMBER.fullmatch(first):
        return account_id(first)
    trailing = _TRAILING_ID.fullmatch(first)
    if trailing:
        return account_id(trailing.group(1))
    name = first.replace(".", "").lower()
    # The reserved test again on the dot-less name: "T.R" would be "tr", which is a reserved path.
    if not _USERNAME.fullmatch(first) or not name or name in _RESERVED:
        return None
    # A username needs a letter; digits alone are an object id, dots or not.
    return account_id(name) if name.isdigit() else account(name)


TYPES = ("account", "account_id", "post", "video", "photo", "group", "event")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "account":
        name = clean_id(raw, _USERNAME, "Facebook username", lower=True).replace(".", "")
        return account_id(name) if name.isdigit() else account(name)
    if type_ == "group":
        return group(clean_id(raw, _GROUP, "Facebook group name or id", lower=False))
    if type_ == "post":
        return post(clean_id(raw, _POST, "Facebook post id", lower=False, strip_at=False))
    builders = {"account_id": account_id, "video": video, "photo": photo, "event": event}
    if type_ in builders:
        return builders[type_](clean_id(raw, _NUMBER, f"Facebook {type_} number", lower=False, strip_at=False))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("facebook.com", "fb.com"),
    type_aliases=(
        ("page", "account"),
        ("profile", "account"),
        ("user", "account"),
        ("handle", "account"),
        ("profile_id", "account_id"),
        ("page_id", "account_id"),
        ("reel", "video"),
    ),
)
