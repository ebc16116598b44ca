"""X/Twitter: posts by numeric id on every host and mirror, and accounts by screen name or user id."""

from __future__ import annotations

import re

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "x"

# Screen names are case-insensitive: twitter.com/Foo and x.com/foo are one account.
_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")
_ID = re.compile(r"[0-9]{1,25}")
# Subdomains that serve the same content as the apex (d. is fxtwitter's direct-media form).
_CONTENT_SUBDOMAINS = frozenset({"", "www", "mobile", "m", "d", "g", "c"})
# Account tabs: /<name>/<tab> still names the account.
_ACCOUNT_TABS = frozenset(
    {
        "with_replies", "media", "likes", "highlights", "followers", "following", "verified_followers",
        "followers_you_follow", "photo", "header_photo", "lists", "articles", "superfollows", "affiliates",
        "creator-subscriptions",
    }
)  # fmt: skip
_RESERVED = frozenset(
    {
        "i", "home", "explore", "search", "settings", "notifications", "messages", "compose", "login",
        "logout", "signup", "tos", "privacy", "intent", "share", "hashtag", "about", "download", "jobs",
        "account", "statuses", "status", "embed", "widgets", "oauth", "403", "404", "en", "rules",
        "welcome", "who_to_follow", "bookmarks", "lists", "topics", "communities", "premium",
    }
)  # fmt: skip
_BASES = (
    "twitter.com", "x.com", "fxtwitter.com", "vxtwitter.com", "fixupx.com", "fixvx.com", "twittpr.com",
    "fxtwitter.net", "xcancel.com", "nitter.net", "nitter.poast.org", "nitter.privacydev.net",
    "nitter.space", "twiiit.com",
)  # fmt: skip
_BASE_SET = frozenset(_BASES)


def post(status_id: str) -> Target:
    status_id = str(int(status_id))
    return make_target(PLATFORM, "post", status_id, f"https://x.com/i/status/{status_id}")


def account(screen_name: str) -> Target:
    name = screen_name.lower()
    return make_target(PLATFORM, "account", name, f"https://x.com/{name}")


def account_id(user_id: str) -> Target:
    user_id = str(int(user_id))
    return make_target(PLATFORM, "account_id", user_id, f"https://x.com/i/user/{user_id}")


def _subdomain(host: str) -> str | None:
    """ "" for the apex (or a nitter instance), the label for a direct subdomain, None otherwise."""
    if host in _BASE_SET or host.startswith("nitter."):
        return ""
    label, _, base = host.partition(".")
    return label if base in _BASE_SET else None


def from_url(url: ParsedUrl) -> Outcome:
    subdomain = _subdomain(url.host)
    params = url.params()
    if subdomain == "platform":
        # platform.twitter.com/embed/Tweet.html?id=<id>, the embedded-tweet iframe.
        status_id = params.get("id", "")
        return post(status_id) if _ID.fullmatch(status_id) else None
    if subdomain not in _CONTENT_SUBDOMAINS:
        return None
    segments = url.segments()
    if not segments and url.fragment and url.fragment.startswith("!/"):
        segments = [s for s in url.fragment[2:].partition("?")[0].split("/") if s]  # 2010-era #!/ links
    if not segments:
        raise no_target(url)
    first = segments[0]
    count = len(segments)
    if first == "i":
        # /i/web/status/<id>, /i/status/<id>, /i/user/<id>
        rest = segments[2:] if count > 2 and segments[1] == "web" else segments[1:]
        if len(rest) >= 2 and _ID.fullmatch(rest[1]):
            if rest[0] == "status":
                return post(rest[1])
            if rest[0] == "user":
                return account_id(rest[1])
        return None
    if first == "intent" and count >= 2:
        if segments[1] == "user":
            if _SCREEN_NAME.fullmatch(params.get("screen_name", "")):
                return account(params["screen_name"])
            if _ID.fullmatch(params.get("user_id", "")):
                return account_id(params["user_id"])
        elif _ID.fullmatch(params.get("tweet_id", "")):  # intent/retweet, intent/like
            return post(params["tweet_id"])
        return None
    if first == "statuses" and count >= 2 and _ID.fullmatch(segments[1]):
        return post(segments[1])
    if count >= 3 and segments[1] in ("status", "statuses") and _ID.fullmatch(segments[2]):
        # The name in /<name>/status/<id> is decoration: X serves the post under any name.
        return post(segments[2])
    if first.lower() in _RESERVED or not _SCREEN_NAME.fullmatch(first):
        return None
    if count == 1 or (count == 2 and segments[1] in _ACCOUNT_TABS):
        return account(first)
    return None


TYPES = ("post", "account", "account_id")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "post":
        return post(clean_id(raw, _ID, "X post id", lower=False, strip_at=False))
    if type_ == "account":
        return account(clean_id(raw, _SCREEN_NAME, "X screen name", lower=True))
    if type_ == "account_id":
        return account_id(clean_id(raw, _ID, "X user id", lower=False, strip_at=False))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=_BASES,
    type_aliases=(
        ("status", "post"),
        ("tweet", "post"),
        ("user", "account"),
        ("handle", "account"),
        ("screen_name", "account"),
        ("user_id", "account_id"),
    ),
)
