"""Accounts on apps without web links (Surespot, Wickr, PlayStation Network, any other named app)."""

from __future__ import annotations

import re
import unicodedata

from flagpost.domain.normalize.errors import NormalizeError
from flagpost.domain.normalize.platforms.base import clean_id, unknown_type
from flagpost.domain.normalize.target import Target, make_target

# platform -> (handle pattern, case-insensitive?). Case is folded only where the app treats names
# so; for Surespot that is not documented, so names are kept as typed (never merge two people).
_APPS: dict[str, tuple[re.Pattern[str], bool]] = {
    "surespot": (re.compile(r"[A-Za-z0-9._-]{1,64}"), False),
    "wickr": (re.compile(r"[A-Za-z0-9._@-]{1,64}"), True),
    # PSN Online IDs: 3-16 characters, letter first; unique regardless of case.
    "psn": (re.compile(r"[A-Za-z][A-Za-z0-9_-]{2,15}"), True),
}
APP_PLATFORMS = frozenset(_APPS)
_ACCOUNT_ALIASES = frozenset({"account", "user", "username", "handle", "id", "online_id", "profile"})
_OTHER_PLATFORM = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
_OTHER_TYPE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def app_account(platform: str, type_: str, raw: str) -> Target:
    if type_ not in _ACCOUNT_ALIASES:
        raise unknown_type(platform, type_, ("account",))
    pattern, fold = _APPS[platform]
    name = clean_id(raw, pattern, f"{platform} account name", lower=fold)
    return make_target(platform, "account", name, None)


def other_app(platform: str, type_: str, raw: str) -> Target:
    """An app Flagpost has no rules for: the id is kept exactly (trimmed, NFC), so only equal text merges."""
    if not _OTHER_PLATFORM.fullmatch(platform):
        raise NormalizeError("unknown_platform", f"{platform!r} is not a platform name")
    if not _OTHER_TYPE.fullmatch(type_):
        raise NormalizeError("unknown_type", f"{type_!r} is not a target type name")
    text = unicodedata.normalize("NFC", raw.strip())
    if not text:
        raise NormalizeError("empty", "the target id is empty")
    if len(text) > 200 or _CONTROL.search(text):
        raise NormalizeError("illegal_id", "the target id is too long or holds control characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NormalizeError("invalid_characters", "the target id is not valid Unicode text") from None
    return make_target(platform, type_, text, None)
