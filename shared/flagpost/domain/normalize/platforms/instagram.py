"""Instagram: posts, reels and IGTV by shortcode (on instagram.com and its embed-fixing mirrors), accounts."""

from __future__ import annotations

import re

from flagpost.domain.normalize.errors import NormalizeError
from flagpost.domain.normalize.parsing import ParsedUrl
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

PLATFORM = "instagram"

_PATTERNS = {
    # Shortcodes are base64url and case-sensitive; posts, reels and IGTV share one shortcode space.
    "code": r"[A-Za-z0-9_-]{5,64}",
    # Usernames are case-insensitive; unlike Facebook, dots count. At least one letter or digit.
    "name": r"(?=[._]*[A-Za-z0-9])[A-Za-z0-9._]{1,30}",
    "story": r"[0-9]{1,25}",
}
_SHORTCODE = re.compile(_PATTERNS["code"])
_USERNAME = re.compile(_PATTERNS["name"])
_STORY = re.compile(r"([A-Za-z0-9._]{1,30})/([0-9]{1,25})")
# Views of one post: /p/<code>/embed/captioned/, /p/<code>/media/?size=l (its image).
_POST_VIEWS = ("embed", "embed/captioned", "captioned", "media")
# Tabs of a profile: /<name>/reels/ still names the account.
_ACCOUNT_TABS = ("reels", "tagged", "followers", "following", "guides", "feed")
_MIRRORS = (
    "instagram.com", "instagr.am", "ddinstagram.com", "kkinstagram.com", "uuinstagram.com",
    "vxinstagram.com", "instagramez.com", "ig.me",
)  # fmt: skip
# Instagram's share parameters, stripped from its pages.
TRACKERS = Trackers(frozenset({"igsh", "igshid"}))


# Builders take the router's capture names as parameter names: route("/p/{code}", post).
def post(code: str) -> Target:
    require_free(ROUTER, code, 1, "Instagram shortcode")
    return make_target(PLATFORM, "post", code, f"https://www.instagram.com/p/{code}/")


def account(name: str) -> Target:
    name = name.lower()
    require_free(ROUTER, name, 0, "Instagram username")
    return make_target(PLATFORM, "account", name, f"https://www.instagram.com/{name}/")


def story(name: str, story: str) -> Target:
    """One story of an account: the media id in its path is part of the identity, the account its parent."""
    name = name.lower()
    require_free(ROUTER, name, 1, "Instagram username")
    number = str(int(story))
    return make_target(
        PLATFORM,
        "story",
        f"{name}/{number}",
        f"https://www.instagram.com/stories/{name}/{number}/",
        parent=("account", name),
    )


ROUTER = Router(
    _PATTERNS,
    [
        route("/p/{code}", post, tail=_POST_VIEWS),
        route("/reel/{code}", post, tail=_POST_VIEWS),
        route("/reels/{code}", post, tail=_POST_VIEWS),
        route("/tv/{code}", post, tail=_POST_VIEWS),
        # /<name>/p/<code>/: the name does not change the post.
        route("/{_name}/p/{code}", post, tail=_POST_VIEWS),
        route("/{_name}/reel/{code}", post, tail=_POST_VIEWS),
        route("/{_name}/tv/{code}", post, tail=_POST_VIEWS),
        route("/_u/{name}", account, unless=SEARCH_PARAMETERS),  # the app deep-link form of a profile
        route("/stories/{name}/{story}", story),
        route("/{name}", account, tail=_ACCOUNT_TABS, unless=SEARCH_PARAMETERS),
        # Feature paths with words that fit a shortcode or a name: pages, whatever follows.
        *feature(
            "/reels/audio", "/reel/audio", "/stories/highlights", "/p", "/reel", "/reels", "/tv", "/stories",
            "/_u", "/explore", "/accounts", "/direct", "/about", "/legal", "/developer", "/web", "/emails",
            "/challenge", "/graphql", "/api", "/static", "/_n", "/s", "/oauth", "/session", "/privacy",
            "/terms", "/help", "/press", "/ar", "/topics", "/directory", "/lite", "/qr", "/create",
            "/nametag", "/invites", "/your_activity", "/threads", "/embed.js", "/audio", "/locations",
        ),
    ],
    # A comment link names the comment (Instagram writes them /p/<code>/c/<id>/; a query form is kept
    # apart all the same).
    specific=("comment_id",),
    # A media id in the query (`/<name>/?story_media_id=`) selects one story or post: not the account.
    ids=("story_media_id", "media_id", "reel_id", "highlight_id"),
)  # fmt: skip
# ig.me/m/<name> opens a chat with the account. Other ig.me paths (/j/<code> channel invites) are pages.
SHORT_ROUTER = Router(_PATTERNS, [route("/m/{name}", account)])


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    if not segments:
        raise no_target(url)
    if url.host.endswith("ig.me"):
        return SHORT_ROUTER.match(url, segments)
    return ROUTER.match(url, segments)


TYPES = ("post", "account", "story")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "post":
        return post(clean_id(raw, _SHORTCODE, "Instagram shortcode", lower=False, strip_at=False))
    if type_ == "account":
        return account(clean_id(raw, _USERNAME, "Instagram username", lower=True))
    if type_ == "story":
        found = _STORY.fullmatch(raw.strip().lstrip("@"))
        if found is None or not _USERNAME.fullmatch(found.group(1)):
            raise NormalizeError("illegal_id", f"{raw!r} is not an Instagram story (username/media id)")
        return story(found.group(1), found.group(2))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=_MIRRORS,
    type_aliases=(("reel", "post"), ("tv", "post"), ("user", "account"), ("handle", "account")),
    trackers=TRACKERS,
    # d. is ddinstagram's direct-media host; help., about., business. ... are pages.
    content_subdomains=frozenset({"", "www", "m", "d"}),
)
