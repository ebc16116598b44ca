"""Facebook: pages and profiles (vanity or numeric id), posts, videos and reels, photos, groups, events."""

from __future__ import annotations

import re

from flagpost.domain.normalize.parsing import ParsedUrl, hashbang
from flagpost.domain.normalize.platforms.base import (
    SEARCH_PARAMETERS,
    Adapter,
    Outcome,
    Router,
    Unwrap,
    clean_id,
    feature,
    no_target,
    require_free,
    route,
    unknown_type,
)
from flagpost.domain.normalize.platforms.shortlinks import short_link
from flagpost.domain.normalize.platforms.web import Trackers
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "facebook"

_PATTERNS = {
    # Facebook: "periods and capitalization don't count as part of a username", so john.smith and
    # JohnSmith are one account; the id drops both.
    "name": r"[A-Za-z0-9.]{1,80}",
    "number": r"[0-9]{1,25}",
    # Old page URLs end in the page id: /Some-Page-Name-123456789012345/, /p/Name-1000645/.
    "number6": r"[0-9]{6,25}",
    # Post ids: numeric story ids, or the opaque, case-sensitive pfbid form.
    "post": r"[0-9]{1,25}|pfbid0[A-Za-z0-9]{20,80}",
    # A post as its owner's numeric id and the story id (`<owner>_<story>`, the Graph API's form).
    "owned": r"[A-Za-z0-9.]{1,80}_(?:[0-9]{1,25}|pfbid0[A-Za-z0-9]{20,80})",
    "grouped": r"[A-Za-z0-9.]{1,100}/(?:[0-9]{1,25}|pfbid0[A-Za-z0-9]{20,80})",
    "group": r"[A-Za-z0-9.]{1,100}",
    "owner": r".+",  # decoration: object ids are global
    "slug": r".+",
    "album": r"[A-Za-z0-9._-]{1,100}",
    "code": r"[A-Za-z0-9_-]{1,64}",
    "link": r".+",
}
_USERNAME = re.compile(_PATTERNS["name"])
_NUMBER = re.compile(_PATTERNS["number"])
_POST = re.compile(_PATTERNS["post"])
_OWNED_POST = re.compile(_PATTERNS["owned"])
_GROUP_POST = re.compile(_PATTERNS["grouped"])
_GROUP = re.compile(_PATTERNS["group"])
_CONTENT_SUBDOMAINS = frozenset(
    {"", "www", "m", "mbasic", "web", "touch", "mobile", "mtouch", "free", "d", "iphone", "upload", "b-m"}
)
_LOCALE = re.compile(r"[a-z]{2}-[a-z]{2}")  # de-de.facebook.com, es-la.facebook.com
# Facebook's own feature paths: pages, never an account name (also after dropping dots: "T.R" is "tr").
_FEATURES = (
    "home.php", "login", "login.php", "watch", "groups", "events", "pages", "people", "profile.php",
    "permalink.php", "story.php", "photo.php", "video.php", "share", "sharer", "sharer.php", "help",
    "policies", "policy.php", "marketplace", "gaming", "hashtag", "search", "settings", "friends",
    "messages", "notifications", "reel", "reels", "stories", "p", "photo", "media", "l.php",
    "dialog", "plugins", "privacy", "business", "ads", "pg", "photos", "videos", "legal", "about",
    "careers", "recover", "checkpoint", "bookmarks", "saved", "memories", "fundraisers", "games",
    "live", "places", "pages_reaction_units", "ufi", "ajax", "tr", "r.php", "reg", "campaign",
    "public", "directory", "find-friends", "composer", "latest", "feeds", "story", "posts",
)  # fmt: skip
# Tabs of a profile or page: /<name>/about still names the account. Anything else after the name
# (/<name>/<unknown>/...) is a page: it may name something of its own.
_ACCOUNT_TABS = (
    "about", "posts", "photos", "videos", "reels", "followers", "following", "friends", "events", "reviews",
    "community", "mentions", "groups",
)  # fmt: skip
_GROUP_TABS = ("about", "members", "media", "files", "events", "discussion", "featured", "announcements")
# On every shape (post, video, reel, photo, event ...), a parameter that names something more specific:
# a comment or a reply (`comment_id`, `reply_comment_id`), one date of a recurring event
# (`event_time_id`), one story of a multi-story post (`substory_index`). Such a link is a page.
_SPECIFIC = ("comment_id", "reply_comment_id", "event_time_id", "substory_index")
# Parameters that select one post, photo or video (`?v=`, `?fbid=`, a group's `?multi_permalinks=<post>`,
# legacy `?view=permalink&id=<post>`): a shape that does not read it names another thing (Router `ids`).
_IDS = (
    "v", "id", "fbid", "story_fbid", "post_id", "multi_permalinks", "highlighted_post_id", "photo_id", "video_id",
    "post", "story_id", "reel_id", "permalink_id",
)  # fmt: skip
# Facebook's share and navigation parameters, stripped from its pages.
TRACKERS = Trackers(
    frozenset(
        {"mibextid", "_rdr", "_rdc", "ref", "refsrc", "fref", "hc_ref", "sfnsn", "rdid", "paipv", "eav", "extid"}
    ),
    ("__cft__", "__tn__", "__xts__"),
)


# Builders take the router's capture names as parameter names: route("/events/{event:number}", event).
def account(name: str) -> Target:
    name = name.replace(".", "").lower()
    require_free(ROUTER, name, 0, "Facebook username")
    return make_target(PLATFORM, "account", name, f"https://www.facebook.com/{name}")


def account_id(account_id: str) -> Target:
    number = str(int(account_id))
    return make_target(PLATFORM, "account_id", number, f"https://www.facebook.com/profile.php?id={number}")


def post(post: str, owner: str | None = None) -> Target:
    """A post by its story id, scoped by the owner a link names (`<owner>_<story>`, the Graph API's form:
    story ids are not documented to be unique across owners); owner-less links give the story id."""
    if post.isdigit():
        post = str(int(post))
    if owner is None:
        return make_target(PLATFORM, "post", post, f"https://www.facebook.com/permalink.php?story_fbid={post}")
    if owner.isdigit():
        owner = str(int(owner))
        url = f"https://www.facebook.com/permalink.php?story_fbid={post}&id={owner}"
        return make_target(PLATFORM, "post", f"{owner}_{post}", url, parent=("account_id", owner))
    owner = owner.replace(".", "").lower()
    require_free(ROUTER, owner, 0, "Facebook username")
    url = f"https://www.facebook.com/{owner}/posts/{post}"
    return make_target(PLATFORM, "post", f"{owner}_{post}", url, parent=("account", owner))


def _owned(owner: str, story: str) -> Target:
    """/<owner>/posts/<id>: the owner's name (or numeric id) scopes the story id."""
    return post(story, owner.replace(".", "").lower())


def group_post(group: str, post: str) -> Target:
    """A post of a group (`/groups/<group>/posts/<id>`): kept apart per group, parent the group."""
    name = str(int(group)) if group.isdigit() else group.lower()
    require_free(ROUTER, name, 1, "Facebook group")
    if post.isdigit():
        post = str(int(post))
    url = f"https://www.facebook.com/groups/{name}/posts/{post}"
    return make_target(PLATFORM, "group_post", f"{name}/{post}", url, parent=("group", name))


def facebook_object(number: str) -> Target:
    """facebook.com/<digits>: Facebook's generic object URL (a profile, page, post, photo or group id
    all open there), so the type says no more than "an object id" and the canonical is that URL."""
    number = str(int(number))
    return make_target(PLATFORM, "object", number, f"https://www.facebook.com/{number}")


def video(video: str) -> Target:
    number = str(int(video))
    return make_target(PLATFORM, "video", number, f"https://www.facebook.com/watch/?v={number}")


def photo(photo: str) -> Target:
    number = str(int(photo))
    return make_target(PLATFORM, "photo", number, f"https://www.facebook.com/photo/?fbid={number}")


def group(group: str) -> Target:
    name = str(int(group)) if group.isdigit() else group.lower()
    require_free(ROUTER, name, 1, "Facebook group")
    return make_target(PLATFORM, "group", name, f"https://www.facebook.com/groups/{name}")


def event(event: str) -> Target:
    number = str(int(event))
    return make_target(PLATFORM, "event", number, f"https://www.facebook.com/events/{number}")


def _named(name: str) -> Outcome:
    """/<name>: a vanity name; digits alone (dots or not) are an object id; a feature word is a page."""
    bare = name.replace(".", "").lower()
    if not bare:
        return None
    return facebook_object(bare) if bare.isdigit() else account(bare)  # account() refuses "T.R" (tr)


def _tabbed(name: str) -> Outcome:
    """/<name>/<tab>: tabs exist on profiles and pages only, so digits here are an account id."""
    bare = name.replace(".", "").lower()
    if not bare:
        return None
    return account_id(bare) if bare.isdigit() else account(bare)


def _share(code: str, kind: str = "") -> Target:
    # /share/p/<code>, /share/v/<code>, /share/r/<code>, /share/<code>: redirecting codes, never followed.
    return short_link(PLATFORM, "facebook.com", ["share", kind, code] if kind else ["share", code])


def _unwrap(link: str) -> Outcome:
    return Unwrap(link)


ROUTER = Router(
    _PATTERNS,
    [
        route("/profile.php", account_id, query={"id": "account_id:number"}),
        route("/people/{_slug}/{account_id:number}", account_id),
        route("/pages/{_slug}/{account_id:number}", account_id),
        route("/p/{_slug}-{account_id:number6}", account_id),
        # With the owner's id (`id=`), the post is kept apart per owner; an `id` that is no number (or
        # is given twice) makes a page rather than being dropped.
        route("/permalink.php", post, query={"story_fbid": "post", "id": "owner:number"}),
        route("/story.php", post, query={"story_fbid": "post", "id": "owner:number"}),
        route("/permalink.php", post, query={"story_fbid": "post"}, unless=("id",)),
        route("/story.php", post, query={"story_fbid": "post"}, unless=("id",)),
        route("/photo.php", photo, query={"fbid": "photo:number"}),
        route("/photo", photo, query={"fbid": "photo:number"}),
        route("/video.php", video, query={"v": "video:number"}),
        route("/watch", video, query={"v": "video:number"}),
        route("/watch/live", video, query={"v": "video:number"}),
        route("/reel/{video:number}", video),  # reels are videos: same id, same player
        route("/reels/{video:number}", video),
        route("/groups/{group}/posts/{post}", group_post),
        route("/groups/{group}/permalink/{post}", group_post),
        route("/groups/{group}", group, tail=_GROUP_TABS, unless=SEARCH_PARAMETERS),
        route("/events/{event:number}", event),
        route("/share/{code}", _share),
        route("/share/{kind:code}/{code}", _share),
        # Share dialogs, embed plugins and the link shim carry the real link in a parameter.
        route("/sharer.php", _unwrap, query={"u": "link"}),
        route("/sharer/sharer.php", _unwrap, query={"u": "link"}),
        route("/plugins/post.php", _unwrap, query={"href": "link"}),
        route("/plugins/video.php", _unwrap, query={"href": "link"}),
        route("/l.php", _unwrap, query={"u": "link"}),
        route("/pg/{name}", _named, tail=_ACCOUNT_TABS, unless=SEARCH_PARAMETERS),  # legacy /pg/<name>/...
        # /<owner>/...: the owner is decoration (object ids are global).
        route("/{owner:name}/posts/{story:post}", _owned),  # the owner scopes the story id
        route("/{_owner}/videos/{video:number}", video),
        route("/{_owner}/videos/{_slug}/{video:number}", video),
        route("/{_owner}/photos/{photo:number}", photo),
        route("/{_owner}/photos/{_album}/{photo:number}", photo),
        route("/{_owner}/reel/{video:number}", video),
        route("/{number}", facebook_object, unless=SEARCH_PARAMETERS),
        route("/{account_id:number}", account_id, tail=_ACCOUNT_TABS, unless=SEARCH_PARAMETERS),
        route("/{_slug}-{account_id:number6}", account_id, tail=_ACCOUNT_TABS, unless=SEARCH_PARAMETERS),
        route("/{name}", _named, unless=SEARCH_PARAMETERS),
        route("/{name}", _tabbed, tail=_ACCOUNT_TABS, unless=SEARCH_PARAMETERS),
        *feature(*("/" + word for word in _FEATURES)),
    ],
    specific=_SPECIFIC,
    ids=_IDS,
)
SHIM_ROUTER = Router(_PATTERNS, [route("/l.php", _unwrap, query={"u": "link"})])


def _subdomain(host: str) -> str:
    for base in ("facebook.com", "fb.com"):
        if host == base:
            return ""
        if host.endswith("." + base):
            return host[: -len(base) - 1]
    return host


def from_url(url: ParsedUrl) -> Outcome:
    subdomain = _subdomain(url.host)
    if subdomain in ("l", "lm"):
        # l.facebook.com/l.php?u=<link>: Facebook's outbound-link shim; the report is about <link>.
        return SHIM_ROUTER.match(url)
    if subdomain not in _CONTENT_SUBDOMAINS and not _LOCALE.fullmatch(subdomain):
        return None
    route_url = hashbang(url)  # 2010-era facebook.com/#!/name, /#!/profile.php?id=4
    if route_url is not None:
        url = route_url
    segments = url.segments()
    if not segments:
        raise no_target(url)
    return ROUTER.match(url, segments)


TYPES = ("account", "account_id", "object", "post", "group_post", "video", "photo", "group", "event")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "account":
        name = clean_id(raw, _USERNAME, "Facebook username", lower=True).replace(".", "")
        return account_id(name) if name.isdigit() else account(name)
    if type_ == "group":
        return group(clean_id(raw, _GROUP, "Facebook group name or id", lower=False))
    if type_ == "post":
        text = raw.strip()
        if _OWNED_POST.fullmatch(text):
            owner, _, story = text.partition("_")
            return post(story, owner)
        return post(clean_id(raw, _POST, "Facebook post id", lower=False, strip_at=False))
    if type_ == "group_post":
        group_name, _, story = clean_id(
            raw, _GROUP_POST, "Facebook group post (<group>/<post id>)", lower=False
        ).partition("/")
        return group_post(group_name, story)
    builders = {"account_id": account_id, "object": facebook_object, "video": video, "photo": photo, "event": event}
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
    trackers=TRACKERS,
)
