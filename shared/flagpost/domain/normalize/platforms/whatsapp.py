"""WhatsApp: group invites, channels, and click-to-chat phone links."""

from __future__ import annotations

import re

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
from flagpost.domain.normalize.platforms.shortlinks import short_link
from flagpost.domain.normalize.platforms.web import canonical_query
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "whatsapp"

_PATTERNS = {
    # Invite codes and channel ids are case-sensitive.
    "invite": r"[A-Za-z0-9]{10,40}",
    "channel": r"[A-Za-z0-9]{10,40}",
    "phone": r"[0-9]{5,15}",
    "code": r"[A-Za-z0-9_-]{1,64}",
    "any": r".*",
}
_INVITE = re.compile(_PATTERNS["invite"])
_CHANNEL = re.compile(_PATTERNS["channel"])
_PHONE = re.compile(_PATTERNS["phone"])
_PHONE_NOISE = re.compile(r"[\s().+-]")


# Builders take the router's capture names as parameter names: route("/{invite}", group_invite).
def group_invite(invite: str) -> Target:
    require_free(INVITES, invite, 0, "WhatsApp invite code")
    return make_target(PLATFORM, "group_invite", invite, f"https://chat.whatsapp.com/{invite}")


def channel(channel: str) -> Target:
    return make_target(PLATFORM, "channel", channel, f"https://whatsapp.com/channel/{channel}")


def phone(phone: str) -> Target:
    return make_target(PLATFORM, "phone", phone, f"https://wa.me/{phone}")


def _typed_phone(typed: str) -> Outcome:
    # send?phone=+1 415 555 2671: spaces, dots, brackets, dashes and `+` are how people write numbers.
    number = _PHONE_NOISE.sub("", typed)
    return phone(number) if _PHONE.fullmatch(number) else None


def _message(code: str) -> Target:
    return short_link(PLATFORM, "wa.me", ["message", code])  # QR-code message links redirect


INVITES = Router(_PATTERNS, [route("/{invite}", group_invite), route("/invite/{invite}", group_invite)])
WA_ME = Router(
    _PATTERNS,
    [
        route("/message/{code}", _message),
        route("/channel/{channel}", channel, unless=SEARCH_PARAMETERS),
        route("/{phone}", phone),
        route("/+{phone}", phone),
        *feature("/message", "/channel", "/qr"),
    ],
)
SITE = Router(
    _PATTERNS,
    [
        route("/channel/{channel}", channel, unless=SEARCH_PARAMETERS),
        # api.whatsapp.com/send?phone=<n>, web.whatsapp.com/send?phone=<n>
        route("/send", _typed_phone, query={"phone": "typed:any"}),
        route("/send.php", _typed_phone, query={"phone": "typed:any"}),
    ],
)


def from_url(url: ParsedUrl) -> Outcome:
    host = url.host
    segments = url.segments()
    if host == "chat.whatsapp.com":
        if not segments:
            raise no_target(url)
        return INVITES.match(url, segments)
    if host in ("wa.me", "www.wa.me"):
        if not segments:
            raise no_target(url)
        outcome = WA_ME.match(url, segments)
        query = canonical_query(url.query) if url.query and outcome is not None else ""
        if query and isinstance(outcome, Target) and outcome.type == "short_link":
            # As every short link: the query is kept (trackers aside), two links differing in it apart.
            return short_link(PLATFORM, "wa.me", segments, query)
        return outcome
    return SITE.match(url, segments)


TYPES = ("group_invite", "channel", "phone")


def from_target(type_: str, raw: str) -> Target:
    if type_ == "group_invite":
        return group_invite(clean_id(raw, _INVITE, "WhatsApp invite code", lower=False, strip_at=False))
    if type_ == "channel":
        return channel(clean_id(raw, _CHANNEL, "WhatsApp channel id", lower=False, strip_at=False))
    if type_ == "phone":
        number = _PHONE_NOISE.sub("", raw)
        return phone(clean_id(number, _PHONE, "phone number", lower=False, strip_at=False))
    raise unknown_type(PLATFORM, type_, TYPES)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=from_target,
    hosts=("wa.me", "www.wa.me"),
    domains=("whatsapp.com",),
    content_subdomains=frozenset({"", "www", "api", "web", "chat"}),  # faq., business. ... are pages
    type_aliases=(("group", "group_invite"), ("invite", "group_invite"), ("number", "phone")),
)
