"""Tumblr: blogs and their posts, in the old <blog>.tumblr.com and the new tumblr.com/<blog> URL styles."""

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
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "tumblr"
_SEARCH = frozenset(SEARCH_PARAMETERS)
# A post selected in the query (`<blog>.tumblr.com/?post=1`, `/<blog>?id=1`) is not the blog: a page.
_IDS = ("post", "id", "post_id")
_ID_SET = frozenset(_IDS)

_PATTERNS = {
    # Blog names are host labels, so case-insensitive.
    "blog": r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?",
    "post": r"[0-9]{1,25}",
    "slug": r".+",
}
_BLOG = re.compile(_PATTERNS["blog"])
_POST = re.compile(_PATTERNS["post"])
# Subdomains of tumblr.com that are Tumblr's own services, not blogs.
_SERVICE_SUBDOMAINS = frozenset(
    {
        "www", "assets", "media", "static", "api", "help", "embed", "developers", "docs", "support", "abuse",
        "mobile", "apps", "jobs", "privacy", "policy", "login", "register", "oauth", "about", "staffmail",
        "dashboard", "explore", "tagged", "search", "settings", "likes", "following", "inbox", "new", "blog",
        "communities", "reblog", "post", "buttons", "logo",
    }
)  # fmt: skip


# Builders take the router's capture names as parameter names: route("/{blog}/{post}", post).
def blog(blog: str) -> Target:
    name = blog.lower()
    require_free(SITE, name, 0, "Tumblr blog name")
    return make_target(PLATFORM, "blog", name, f"https://www.tumblr.com/{name}")


def post(blog: str, post: str) -> Target:
    name, number = blog.lower(), str(int(post))
    require_free(SITE, name, 0, "Tumblr blog name")
    return make_target(
        PLATFORM, "post", f"{name}/{number}", f"https://www.tumblr.com/{name}/{number}", parent=("blog", name)
    )


# tumblr.com/<blog>/<id>/<slug>: the one slug segment after a post id is decoration (Tumblr redirects
# any slug); a path with more segments is a page.
SITE = Router(
    _PATTERNS,
    [
        route("/blog/view/{blog}/{post}", post),
        route("/blog/view/{blog}/{post}/{_slug}", post),
        route("/blog/view/{blog}", blog, unless=SEARCH_PARAMETERS),
        route("/blog/{blog}", blog, unless=SEARCH_PARAMETERS),
        route("/{blog}", blog, unless=SEARCH_PARAMETERS),
        route("/{blog}/{post}", post),
        route("/{blog}/{post}/{_slug}", post),
        *feature(
            "/blog", "/dashboard", "/explore", "/tagged", "/search", "/settings", "/login", "/register", "/about",
            "/policy", "/likes", "/following", "/inbox", "/new", "/communities", "/docs", "/privacy", "/support",
            "/developers", "/abuse", "/apps", "/oauth", "/embed", "/reblog", "/post", "/mobile", "/buttons",
            "/logo", "/jobs", "/help", "/api", "/media", "/static", "/assets", "/www", "/reply", "/share",
            "/widgets", "/live", "/tv", "/activity", "/messaging", "/tags", "/change_theme", "/customize",
        ),
    ],
    ids=_IDS,
)  # fmt: skip
# <blog>.tumblr.com/post/<id>/<slug> and /image/<id>, matched as /<blog>/post/<id>...; every other
# path of a blog site is a page.
BLOG_SITE = Router(
    _PATTERNS,
    [
        route("/{blog}/post/{post}", post),
        route("/{blog}/post/{post}/{_slug}", post),
        route("/{blog}/image/{post}", post),
    ],
    ids=_IDS,
)


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    label, _, base = url.host.partition(".")
    if base == "tumblr.com" and label not in _SERVICE_SUBDOMAINS and _BLOG.fullmatch(label) and not label.isdigit():
        if not segments:
            return None if SITE.reserved(label) or url.mentions(_SEARCH | _ID_SET) else blog(label)
        return BLOG_SITE.match(url, [label, *segments])
    if url.host not in ("tumblr.com", "www.tumblr.com"):
        return None
    if not segments:
        raise no_target(url)
    return SITE.match(url, segments)


TYPES = ("blog", "post")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "blog":
        return blog(clean_id(raw, _BLOG, "Tumblr blog name", lower=True))
    if type_ == "post":
        name, _, number = raw.strip().partition("/")
        if not _BLOG.fullmatch(name) or not _POST.fullmatch(number):
            raise NormalizeError("illegal_id", f"{raw!r} is not a Tumblr post (blog/number)")
        return post(name, number)
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    domains=("tumblr.com",),
    type_aliases=(("account", "blog"), ("user", "blog")),
)
