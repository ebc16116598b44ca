"""X/Twitter: posts by numeric id on every host and mirror, and accounts by screen name or user id."""

from __future__ import annotations

import re

from flagpost.domain.normalize.parsing import ParsedUrl, hashbang
from flagpost.domain.normalize.platforms.base import (
    SEARCH_PARAMETERS,
    Adapter,
    Outcome,
    Router,
    clean_id,
    feature,
    no_target,
    require_free,
    route,
    unknown_type,
)
from flagpost.domain.normalize.platforms.web import Trackers
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "x"

_PATTERNS = {
    # Screen names are case-insensitive: twitter.com/Foo and x.com/foo are one account.
    "name": r"[A-Za-z0-9_]{1,15}",
    "id": r"[0-9]{1,25}",
}
_SCREEN_NAME = re.compile(_PATTERNS["name"])
_ID = re.compile(_PATTERNS["id"])
# Subdomains that serve the same content as the apex (d. is fxtwitter's direct-media form).
_CONTENT_SUBDOMAINS = frozenset({"", "www", "mobile", "m", "d", "g", "c"})
# Account tabs: /<name>/<tab> still names the account.
_ACCOUNT_TABS = (
    "with_replies", "media", "likes", "highlights", "followers", "following", "verified_followers",
    "followers_you_follow", "photo", "header_photo", "lists", "articles", "superfollows", "affiliates",
    "creator-subscriptions",
)  # fmt: skip
# Views of one post: its media viewer, its edit history, who reposted, quoted or liked it.
_POST_VIEWS = (
    "photo/1", "photo/2", "photo/3", "photo/4", "video/1", "video/2", "video/3", "video/4", "history",
    "quotes", "retweets", "retweets/with_comments", "reposts", "likes", "analytics",
)  # fmt: skip
# Share flags on X links; every query of a typed target is ignored anyway (a post is its id).
TRACKERS = Trackers(frozenset({"s", "t", "ref_src", "ref_url"}))
_BASES = (
    "twitter.com", "x.com", "fxtwitter.com", "vxtwitter.com", "fixupx.com", "fixvx.com", "twittpr.com",
    "fxtwitter.net", "xcancel.com", "twiiit.com",
    # Known Nitter instances, by exact name: any host can call itself `nitter.<anything>`.
    "nitter.net", "nitter.poast.org", "nitter.privacydev.net", "nitter.space", "nitter.it",
    "nitter.kavin.rocks", "nitter.unixfox.eu", "nitter.moomoo.me", "nitter.fdn.fr", "nitter.1d4.us",
    "nitter.lacontrevoie.fr", "nitter.pussthecat.org", "nitter.nixnet.services", "nitter.42l.fr",
    "nitter.cz", "nitter.tiekoetter.com", "nitter.d420.de", "nitter.privacyredirect.com",
)  # fmt: skip
_BASE_SET = frozenset(_BASES)


# Builders take the router's capture names as parameter names: route("/i/status/{post}", post).
def post(post: str) -> Target:
    status_id = str(int(post))
    return make_target(PLATFORM, "post", status_id, f"https://x.com/i/status/{status_id}")


def account(name: str) -> Target:
    name = name.lower()
    require_free(ROUTER, name, 0, "X screen name")
    return make_target(PLATFORM, "account", name, f"https://x.com/{name}")


def account_id(account_id: str) -> Target:
    user_id = str(int(account_id))
    return make_target(PLATFORM, "account_id", user_id, f"https://x.com/i/user/{user_id}")


def _subdomain(host: str) -> str | None:
    """ "" for the apex (or a known Nitter instance), the label for a direct subdomain, None otherwise."""
    if host in _BASE_SET:
        return ""
    label, _, base = host.partition(".")
    return label if base in _BASE_SET else None


ROUTER = Router(
    _PATTERNS,
    [
        route("/i/web/status/{post:id}", post, tail=_POST_VIEWS),
        route("/i/status/{post:id}", post, tail=_POST_VIEWS),
        route("/i/user/{account_id:id}", account_id),
        # Both a name and a user id: which one X reads is not known, and they may disagree: a page.
        route("/intent/user", account, query={"screen_name": "name"}, unless=("user_id",)),
        route("/intent/user", account_id, query={"user_id": "account_id:id"}, unless=("screen_name",)),
        route("/intent/retweet", post, query={"tweet_id": "post:id"}),
        route("/intent/like", post, query={"tweet_id": "post:id"}),
        route("/intent/favorite", post, query={"tweet_id": "post:id"}),
        route("/statuses/{post:id}", post, tail=_POST_VIEWS),
        # The name in /<name>/status/<id> is decoration: X serves the post under any name.
        route("/{_name}/status/{post:id}", post, tail=_POST_VIEWS),
        route("/{_name}/statuses/{post:id}", post, tail=_POST_VIEWS),
        route("/{name}", account, tail=_ACCOUNT_TABS, unless=SEARCH_PARAMETERS),
        *feature(
            "/i", "/intent", "/statuses", "/home", "/explore", "/search", "/settings", "/notifications",
            "/messages", "/compose", "/login", "/logout", "/signup", "/tos", "/privacy", "/share", "/hashtag",
            "/about", "/download", "/jobs", "/account", "/status", "/embed", "/widgets", "/oauth", "/403",
            "/404", "/en", "/rules", "/welcome", "/who_to_follow", "/bookmarks", "/lists", "/topics",
            "/communities", "/premium", "/grok", "/verified-choose",
        ),
    ],
    # A status id in the query (intents read `tweet_id`) is another target than the shape: a page.
    ids=("tweet_id", "status_id", "status", "focal_tweet_id"),
)  # fmt: skip
# platform.twitter.com/embed/Tweet.html?id=<id>, the embedded-tweet iframe.
EMBED_ROUTER = Router(_PATTERNS, [route("/embed/Tweet.html", post, query={"id": "post:id"})])


def from_url(url: ParsedUrl) -> Outcome:
    subdomain = _subdomain(url.host)
    if subdomain == "platform":
        return EMBED_ROUTER.match(url)
    if subdomain not in _CONTENT_SUBDOMAINS:
        return None
    route_url = hashbang(url)  # 2010-era twitter.com/#!/name/status/<id>
    if route_url is not None:
        url = route_url
    segments = url.segments()
    if not segments:
        raise no_target(url)
    return ROUTER.match(url, segments)


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
    trackers=TRACKERS,
)
