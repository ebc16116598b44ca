"""Instagram: posts, reels and IGTV by shortcode (on instagram.com and its embed-fixing mirrors), accounts."""

from __future__ import annotations

import re

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "instagram"

# Shortcodes are base64url and case-sensitive; posts, reels and IGTV share one shortcode space.
_SHORTCODE = re.compile(r"[A-Za-z0-9_-]{5,64}")
# Usernames are case-insensitive; unlike Facebook, dots count.
_USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")
_MEDIA_KINDS = frozenset({"p", "reel", "reels", "tv"})
_RESERVED = frozenset(
    {
        "p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct", "about", "legal",
        "developer", "web", "emails", "challenge", "graphql", "api", "static", "_n", "s", "oauth",
        "session", "privacy", "terms", "help", "press", "ar", "topics", "directory", "lite", "qr",
        "create", "nametag", "invites", "your_activity", "threads", "embed.js",
    }
)  # fmt: skip
_MIRRORS = (
    "instagram.com", "instagr.am", "ddinstagram.com", "kkinstagram.com", "uuinstagram.com",
    "vxinstagram.com", "instagramez.com", "ig.me",
)  # fmt: skip


def post(shortcode: str) -> Target:
    return make_target(PLATFORM, "post", shortcode, f"https://www.instagram.com/p/{shortcode}/")


def account(username: str) -> Target:
    name = username.lower()
    return make_target(PLATFORM, "account", name, f"https://www.instagram.com/{name}/")


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    count = len(segments)
    if url.host.endswith("ig.me"):
        # ig.me/m/<name> opens a chat with the account; ig.me/<name> its profile.
        name = segments[1] if first == "m" and count >= 2 else first
        return account(name) if _USERNAME.fullmatch(name) else None
    if first in _MEDIA_KINDS:
        # /p/<code>/, /p/<code>/embed/captioned/, /reel/<code>/?igsh=...
        return post(segments[1]) if count >= 2 and _SHORTCODE.fullmatch(segments[1]) else None
    if count >= 3 and segments[1] in _MEDIA_KINDS:
        # /<name>/p/<code>/: the name does not change the post; a broken code is not the account.
        return post(segments[2]) if _SHORTCODE.fullmatch(segments[2]) else None
    if first == "_u" and count >= 2:
        first = segments[1]  # instagram.com/_u/<name>: the app deep-link form of a profile
    elif first == "stories" and count >= 2:
        # /stories/<name>/<media id>: stories expire; the account is the lasting target.
        first = segments[1]
        if first == "highlights":
            return None
    if first.lower() in _RESERVED or not _USERNAME.fullmatch(first) or first.strip("._") == "":
        return None
    return account(first)


TYPES = ("post", "account")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "post":
        return post(clean_id(raw, _SHORTCODE, "Instagram shortcode", lower=False, strip_at=False))
    if type_ == "account":
        return account(clean_id(raw, _USERNAME, "Instagram username", lower=True))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=_MIRRORS,
    type_aliases=(("reel", "post"), ("tv", "post"), ("user", "account"), ("handle", "account")),
)
