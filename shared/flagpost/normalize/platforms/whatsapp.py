"""WhatsApp: group invites, channels, and click-to-chat phone links."""

from __future__ import annotations

import re

from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.platforms.base import Adapter, Outcome, clean_id, no_target, unknown_type
from flagpost.normalize.platforms.shortlinks import short_link
from flagpost.normalize.target import Target, make_target

PLATFORM = "whatsapp"

# Invite codes and channel ids are case-sensitive.
_INVITE = re.compile(r"[A-Za-z0-9]{10,40}")
_CHANNEL = re.compile(r"[A-Za-z0-9]{10,40}")
_PHONE = re.compile(r"[0-9]{5,15}")
_PHONE_NOISE = re.compile(r"[\s().+-]")


def group_invite(code: str) -> Target:
    return make_target(PLATFORM, "group_invite", code, f"https://chat.whatsapp.com/{code}")


def channel(channel_id: str) -> Target:
    return make_target(PLATFORM, "channel", channel_id, f"https://whatsapp.com/channel/{channel_id}")


def phone(number: str) -> Target:
    return make_target(PLATFORM, "phone", number, f"https://wa.me/{number}")


def from_url(url: ParsedUrl) -> Outcome:
    host = url.host
    segments = url.segments()
    if host == "chat.whatsapp.com":
        # chat.whatsapp.com/<code> and the older chat.whatsapp.com/invite/<code>
        code = segments[-1] if segments and (len(segments) == 1 or segments[0] == "invite") else ""
        if not segments:
            raise no_target(url)
        return group_invite(code) if _INVITE.fullmatch(code) else None
    if host == "wa.me":
        if not segments:
            raise no_target(url)
        if segments[0] == "message" and len(segments) >= 2:
            return short_link(PLATFORM, "wa.me", segments[:2])  # QR-code message links redirect
        if segments[0] == "channel" and len(segments) >= 2 and _CHANNEL.fullmatch(segments[1]):
            return channel(segments[1])
        number = segments[0].lstrip("+")
        return phone(number) if _PHONE.fullmatch(number) else None
    if segments and segments[0] == "channel":
        if len(segments) >= 2 and _CHANNEL.fullmatch(segments[1]):
            return channel(segments[1])
        return None
    if segments and segments[0] in ("send", "send.php"):
        # api.whatsapp.com/send?phone=<n>, web.whatsapp.com/send?phone=<n>
        number = _PHONE_NOISE.sub("", url.params().get("phone", ""))
        return phone(number) if _PHONE.fullmatch(number) else None
    return None


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
    type_aliases=(("group", "group_invite"), ("invite", "group_invite"), ("number", "phone")),
)
