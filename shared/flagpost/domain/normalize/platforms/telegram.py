"""Telegram: public channels and groups, their posts, invites, private post links and tg:// deep links."""

from __future__ import annotations

import re

from flagpost.domain.normalize.errors import NormalizeError
from flagpost.domain.normalize.parsing import ParsedUrl
from flagpost.domain.normalize.platforms.base import (
    Adapter,
    Outcome,
    Router,
    clean_id,
    feature,
    no_target,
    query_within,
    require_free,
    route,
    unknown_type,
)
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "telegram"
_BASES = frozenset({"t.me", "telegram.me", "telegram.dog"})

# Usernames of users, bots, channels and groups share one case-insensitive namespace. Real ones have
# 4+ characters (5+ before collectible names), but any letter-first word that is not a Telegram
# feature path is read as a name: refusing a short one would only hide a target from review.
_PATTERNS = {
    "name": r"[A-Za-z][A-Za-z0-9_]{0,31}",
    # Invite hashes are base64url; they are case-sensitive and compared as typed.
    "invite": r"[A-Za-z0-9_-]{6,64}",
    "number": r"[0-9]{1,20}",
    "phone": r"[0-9]{5,15}",
}
_USERNAME = re.compile(_PATTERNS["name"])
_INVITE = re.compile(_PATTERNS["invite"])
_NUMBER = re.compile(_PATTERNS["number"])
_PHONE = re.compile(_PATTERNS["phone"])
_WEB_HANDLE = re.compile(r"@([A-Za-z][A-Za-z0-9_]{0,31})")
_WEB_OLD_HANDLE = re.compile(r"/im\?p=@([A-Za-z][A-Za-z0-9_]{0,31})")
_WEB_PRIVATE = re.compile(r"-100([0-9]{1,20})")
# Paths of the web client apps (/k/, /a/, /z/ and the old root client).
_WEB_CLIENT_PATHS = frozenset({"/", "/k", "/k/", "/a", "/a/", "/z", "/z/"})
# Web A (/a/, and Web Z before it) writes chats as the Bot API does: a channel is `#-100<id>`. Web K
# writes peer ids: a channel or a basic group is `#-<id>`, and which of the two cannot be told, so a
# Web K chat link is a page (and `#-100<id>` there would be the chat `100<id>`, not the channel <id>).
_WEB_BOT_API_IDS = frozenset({"/a", "/a/", "/z", "/z/"})

# Query parameters that do not change what a link names; any other one may (Telegram adds new ones):
# `?start=<payload>` makes a bot deliver what the payload says (file-store bots serve a different file
# per payload), `?startapp`, `?startattach`, `?game` open a mini app or a game, `?videochat`,
# `?livestream`, `?voicechat` a call, `?boost` a boost page, `?q=`/`?before=` on /s/ a search or an
# older slice of the channel. Such a link is a page (tg:// deep links with them are refused).
_CHANNEL_PARAMS = ("embed", "mode", "text")
# `?single` (one message of an album), `?thread=` (the thread the message is in), `?t=` (a media timestamp)
# leave the message what it is; `?comment=` names another message (in the discussion group).
_POST_PARAMS = ("single", "thread", "t", "embed", "mode")
_CHANNEL_ALLOWED = frozenset(_CHANNEL_PARAMS)


# Builders take the router's capture names as parameter names: route("/{name}/{number}", post).
def channel(name: str) -> Target:
    name = name.lower()
    require_free(ROUTER, name, 0, "Telegram username")
    return make_target(PLATFORM, "channel", name, f"https://t.me/{name}")


def post(name: str, number: str) -> Target:
    name = name.lower()
    require_free(ROUTER, name, 0, "Telegram username")
    number = str(int(number))  # leading zeros do not make another post
    return make_target(PLATFORM, "post", f"{name}/{number}", f"https://t.me/{name}/{number}", parent=("channel", name))


def invite(invite: str) -> Target:
    # t.me/+<digits> is a phone-number link: an all-digit invite hash opens as /joinchat/<hash>.
    link = f"https://t.me/joinchat/{invite}" if invite.isdigit() else f"https://t.me/+{invite}"
    return make_target(PLATFORM, "invite", invite, link)


def phone(phone: str) -> Target:
    return make_target(PLATFORM, "phone", phone, f"https://t.me/+{phone}")


def private_chat(chat: str) -> Target:
    chat = str(int(chat))
    return make_target(PLATFORM, "private_chat", chat, f"https://t.me/c/{chat}")


def private_post(chat: str, number: str) -> Target:
    chat, number = str(int(chat)), str(int(number))
    return make_target(
        PLATFORM,
        "private_post",
        f"{chat}/{number}",
        f"https://t.me/c/{chat}/{number}",
        parent=("private_chat", chat),
    )


ROUTER = Router(
    _PATTERNS,
    [
        route("/s/{name}", channel, only=_CHANNEL_PARAMS),  # the web preview of a public channel
        route("/s/{name}/{number}", post, only=_POST_PARAMS),
        # `+` followed by digits only is a phone link, not an invite
        route("/+{phone}", phone, only=("text",)),
        route("/+{invite}", invite, only=()),
        route("/joinchat/{invite}", invite, only=()),
        route("/c/{chat:number}", private_chat, only=()),
        route("/c/{chat:number}/{number}", private_post, only=_POST_PARAMS),
        route("/c/{chat:number}/{_topic:number}/{number}", private_post, only=_POST_PARAMS),
        route("/{name}", channel, only=_CHANNEL_PARAMS),
        # Message numbers are per chat; in forum groups /<name>/<topic>/<post> puts the topic first.
        # `?comment=<n>` names a comment in the discussion group, another message: a page.
        route("/{name}/{number}", post, only=_POST_PARAMS),
        route("/{name}/{_topic:number}/{number}", post, only=_POST_PARAMS),
        # Telegram's feature paths: pages, never a username, whatever follows them.
        *feature(
            "/s", "/c", "/joinchat", "/addstickers", "/addemoji", "/addtheme", "/addlist", "/share", "/proxy",
            "/socks", "/setlanguage", "/iv", "/login", "/bg", "/invoice", "/confirmphone", "/contact", "/boost",
            "/giftcode", "/m", "/a", "/k", "/z", "/dl", "/apps", "/blog", "/faq", "/privacy", "/tos", "/api",
            "/nft", "/premium", "/stars",
        ),
    ],
)  # fmt: skip
# tg:// deep links: the "host" is the action. A parameter this table does not know could name something
# else (a mini app, a story, a live stream), so `resolve` as a channel accepts only the harmless ones.
DEEP_LINKS = Router(
    _PATTERNS,
    [
        route("/resolve", post, query={"domain": "name", "post": "number"}, only=("domain", "post", *_POST_PARAMS)),
        route("/resolve", channel, query={"domain": "name"}, only=("domain", *_CHANNEL_PARAMS)),
        route("/resolve", phone, query={"phone": "phone"}, only=("phone", "text")),
        route("/join", invite, query={"invite": "invite"}, only=("invite",)),
        route(
            "/privatepost",
            private_post,
            query={"channel": "chat:number", "post": "number"},
            only=("channel", "post", *_POST_PARAMS),
        ),
    ],
)


def from_url(url: ParsedUrl) -> Outcome:
    if url.scheme == "tg":
        action = url.host or url.path.strip("/").lower()
        outcome = DEEP_LINKS.match(url, [action] if action else [])
        if outcome is None:
            raise NormalizeError("no_target", f"tg://{action} names no channel, post or invite")
        return outcome
    host = url.host
    if host == "web.telegram.org":
        return _from_web_client(url)
    if host.startswith("www."):
        host = host[4:]
    segments = url.segments()
    if host not in _BASES:
        # username.t.me is the subdomain form of t.me/username; its other paths are pages.
        label, _, base = host.partition(".")
        if (
            base in _BASES
            and _USERNAME.fullmatch(label)
            and not segments
            and not ROUTER.reserved(label)
            and query_within(url, _CHANNEL_ALLOWED)
        ):
            return channel(label)
        return None
    if not segments or segments == ["s"]:
        raise no_target(url)
    return ROUTER.match(url, segments)


def _from_web_client(url: ParsedUrl) -> Outcome:
    # web.telegram.org/k/#@name, /a/#@name and the old /#/im?p=@name; /a/#-100<id> for private chats.
    # The whole fragment must be one of these shapes; any other fragment is a page that keeps it.
    fragment = url.fragment or ""
    if url.path not in _WEB_CLIENT_PATHS or url.query:
        return None
    handle = _WEB_HANDLE.fullmatch(fragment) or _WEB_OLD_HANDLE.fullmatch(fragment)
    if handle:
        return None if ROUTER.reserved(handle.group(1)) else channel(handle.group(1))
    private = _WEB_PRIVATE.fullmatch(fragment) if url.path in _WEB_BOT_API_IDS else None
    return private_chat(private.group(1)) if private else None


TYPES = ("channel", "post", "invite", "phone", "private_chat", "private_post")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "channel":
        return channel(clean_id(raw, _USERNAME, "Telegram username", lower=True))
    if type_ == "post":
        name, _, number = raw.strip().lstrip("@").partition("/")
        if not _USERNAME.fullmatch(name) or not _NUMBER.fullmatch(number):
            raise NormalizeError("illegal_id", f"{raw!r} is not a Telegram post (username/number)")
        return post(name, number)
    if type_ == "invite":
        code = raw.strip().removeprefix("+").removeprefix("joinchat/")
        return invite(clean_id(code, _INVITE, "Telegram invite code", lower=False, strip_at=False))
    if type_ == "phone":
        digits = re.sub(r"[\s().+-]", "", raw)
        return phone(clean_id(digits, _PHONE, "phone number", lower=False, strip_at=False))
    if type_ == "private_chat":
        # The Bot API writes channel ids as -100<id>; t.me/c links use the bare <id>.
        chat_id = raw.strip().removeprefix("-100")
        return private_chat(clean_id(chat_id, _NUMBER, "Telegram chat id", lower=False, strip_at=False))
    if type_ == "private_post":
        chat_id, _, number = raw.strip().removeprefix("-100").partition("/")
        if not _NUMBER.fullmatch(chat_id) or not _NUMBER.fullmatch(number):
            raise NormalizeError("illegal_id", f"{raw!r} is not a private post (chat id/number)")
        return private_post(chat_id, number)
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    hosts=("t.me", "telegram.me", "telegram.dog", "web.telegram.org"),
    domains=("t.me", "telegram.me", "telegram.dog"),
    type_aliases=(
        ("group", "channel"),
        ("supergroup", "channel"),
        ("user", "channel"),
        ("bot", "channel"),
        ("account", "channel"),
        ("handle", "channel"),
        ("username", "channel"),
        ("message", "post"),
    ),
    fragment_hosts=frozenset({"web.telegram.org"}),
)
