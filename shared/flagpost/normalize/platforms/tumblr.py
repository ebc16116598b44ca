"""Tumblr: blogs and their posts, in the old <blog>.tumblr.com and the new tumblr.com/<blog> URL styles."""

from __future__ import annotations

import re

from flagpost.normalize.errors import NormalizeError
from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "tumblr"

# Blog names are host labels, so case-insensitive.
_BLOG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")
_POST = re.compile(r"[0-9]{1,25}")
# Subdomains and first path segments of tumblr.com that are not blogs.
_RESERVED = frozenset(
    {
        "www", "assets", "media", "static", "api", "help", "dashboard", "explore", "tagged", "search",
        "settings", "login", "register", "about", "policy", "likes", "following", "inbox", "new",
        "blog", "communities", "docs", "privacy", "support", "developers", "abuse", "apps",
        "oauth", "embed", "reblog", "post", "mobile", "buttons", "logo", "jobs",
    }
)  # fmt: skip


def blog(name: str) -> Target:
    name = name.lower()
    return make_target(PLATFORM, "blog", name, f"https://www.tumblr.com/{name}")


def post(name: str, number: str) -> Target:
    name, number = name.lower(), str(int(number))
    return make_target(
        PLATFORM, "post", f"{name}/{number}", f"https://www.tumblr.com/{name}/{number}", parent=("blog", name)
    )


def _blog_or_post(name: str, rest: list[str]) -> Outcome:
    if not _BLOG.fullmatch(name):
        return None
    if not rest:
        return blog(name)
    if _POST.fullmatch(rest[0]):
        return post(name, rest[0])  # tumblr.com/<blog>/<id>/<slug>
    return None


def from_url(url: ParsedUrl) -> Outcome:
    segments = url.segments()
    label, _, base = url.host.partition(".")
    if base == "tumblr.com" and label not in _RESERVED and not label.isdigit():
        # <blog>.tumblr.com/post/<id>/<slug>, /image/<id>, or the blog itself at /
        if not segments:
            return blog(label)
        if segments[0] in ("post", "image") and len(segments) >= 2 and _POST.fullmatch(segments[1]):
            return post(label, segments[1])
        return None
    if url.host not in ("tumblr.com", "www.tumblr.com"):
        return None
    if not segments:
        raise no_target(url)
    first = segments[0]
    if first == "blog" and len(segments) >= 2:
        # tumblr.com/blog/view/<blog>/<id> and tumblr.com/blog/<blog>
        rest = segments[2:] if segments[1] == "view" else segments[1:]
        return _blog_or_post(rest[0], rest[1:]) if rest else None
    if first.lower() in _RESERVED:
        return None
    return _blog_or_post(first, segments[1:])


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
