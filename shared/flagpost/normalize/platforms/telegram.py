"""Telegram: public channels and groups, their posts, invites, private post links and tg:// deep links."""

from __future__ import annotations

import re

from flagpost.normalize.errors import NormalizeError
from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.target import Target, make_target

PLATFORM = "telegram"
_BASES = frozenset({"t.me", "telegram.me", "telegram.dog"})

# Usernames of users, bots, channels and groups share one case-insensitive namespace. Real ones have
# 4+ characters (5+ before collectible names), but any letter-first word that is not a Telegram
# feature path is read as a name: refusing a short one would only hide a target from review.
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
# Invite hashes are base64url; they are case-sensitive and compared as typed.
_INVITE = re.compile(r"[A-Za-z0-9_-]{6,64}")
_NUMBER = re.compile(r"[0-9]{1,20}")
_PHONE = re.compile(r"[0-9]{5,15}")
# First path segments that are Telegram features, not usernames.
_RESERVED = frozenset(
    {
        "s", "c", "joinchat", "addstickers", "addemoji", "addtheme", "addlist", "share", "proxy",
        "socks", "setlanguage", "iv", "login", "bg", "invoice", "confirmphone", "contact", "boost",
        "giftcode", "m", "a", "k", "z", "dl", "apps", "blog", "faq", "privacy", "tos", "api",
    }
)  # fmt: skip
_WEB_HANDLE = re.compile(r"@([A-Za-z][A-Za-z0-9_]{0,31})(?![A-Za-z0-9_])")
_WEB_PRIVATE = re.compile(r"-100([0-9]{1,20})(?![0-9])")


def channel(username: str) -> Target:
    name = username.lower()
    return make_target(PLATFORM, "channel", name, f"https://t.me/{name}")


def post(username: str, number: str) -> Target:
    name = username.lower()
    number = str(int(number))  # leading zeros do not make another post
    return make_target(PLATFORM, "post", f"{name}/{number}", f"https://t.me/{name}/{number}", parent=("channel", name))


def invite(code: str) -> Target:
    return make_target(PLATFORM, "invite", code, f"https://t.me/+{code}")


def phone(number: str) -> Target:
    return make_target(PLATFORM, "phone", number, f"https://t.me/+{number}")


def private_chat(chat_id: str) -> Target:
    chat_id = str(int(chat_id))
    return make_target(PLATFORM, "private_chat", chat_id, f"https://t.me/c/{chat_id}")


def private_post(chat_id: str, number: str) -> Target:
    chat_id, number = str(int(chat_id)), str(int(number))
    return make_target(
        PLATFORM,
        "private_post",
        f"{chat_id}/{number}",
        f"https://t.me/c/{chat_id}/{number}",
        parent=("private_chat", chat_id),
    )


def from_url(url: ParsedUrl) -> Outcome:
    if url.scheme == "tg":
        return _from_deep_link(url)
    host = url.host
    if host == "web.telegram.org":
        return _from_web_client(url)
    if host.startswith("www."):
        host = host[4:]
    if host not in _BASES:
        # username.t.me is the subdomain form of t.me/username.
        label, _, base = host.partition(".")
        if base in _BASES and _USERNAME.fullmatch(label):
            return channel(label)
        return None
    segments = url.segments()
    if not segments:
        raise no_target(url)
    first = segments[0]
    if first == "s":  # the web preview of a public channel
        segments = segments[1:]
        if not segments:
            raise no_target(url)
        first = segments[0]
    elif first[0] == "+":
        code = first[1:]
        if _PHONE.fullmatch(code):
            return phone(code)
        return invite(code) if _INVITE.fullmatch(code) else None
    elif first == "joinchat":
        if len(segments) == 2 and _INVITE.fullmatch(segments[1]):
            return invite(segments[1])
        return None
    elif first == "c":
        # /c/<chat>/<post> and, in forum groups, /c/<chat>/<topic>/<post>.
        if 2 <= len(segments) <= 4 and all(_NUMBER.fullmatch(s) for s in segments[1:]):
            return private_chat(segments[1]) if len(segments) == 2 else private_post(segments[1], segments[-1])
        return None
    if first.lower() in _RESERVED or not _USERNAME.fullmatch(first):
        return None
    if len(segments) == 1:
        return channel(first)
    # /<name>/<post> and, in forum groups, /<name>/<topic>/<post>: message numbers are per chat.
    if len(segments) <= 3 and all(_NUMBER.fullmatch(s) for s in segments[1:]):
        return post(first, segments[-1])
    return None


def _from_deep_link(url: ParsedUrl) -> Target:
    params = url.params()
    action = url.host or url.path.strip("/").lower()
    if action == "resolve":
        domain = params.get("domain", "")
        if _USERNAME.fullmatch(domain):
            number = params.get("post", "")
            return post(domain, number) if _NUMBER.fullmatch(number) else channel(domain)
        if _PHONE.fullmatch(params.get("phone", "")):
            return phone(params["phone"])
    elif action == "join":
        code = params.get("invite", "")
        if _INVITE.fullmatch(code):
            return invite(code)
    elif action == "privatepost":
        chat_id, number = params.get("channel", ""), params.get("post", "")
        if _NUMBER.fullmatch(chat_id) and _NUMBER.fullmatch(number):
            return private_post(chat_id, number)
    raise NormalizeError("no_target", f"tg://{action} names no channel, post or invite")


def _from_web_client(url: ParsedUrl) -> Outcome:
    # web.telegram.org/k/#@name, /a/#@name and the old /#/im?p=@name; /k/#-100<id> for private chats.
    fragment = url.fragment or ""
    handle = _WEB_HANDLE.search(fragment)
    if handle:
        return channel(handle.group(1))
    private = _WEB_PRIVATE.match(fragment)
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
)
