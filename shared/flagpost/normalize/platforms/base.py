"""What a platform adapter is, and the small helpers adapters share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from flagpost.normalize.errors import NormalizeError
from flagpost.normalize.parsing import ParsedUrl
from flagpost.normalize.target import Target


@dataclass(frozen=True, slots=True)
class Unwrap:
    """The URL is a wrapper around another link (a redirect shim or embed); normalize `url` instead."""

    url: str


# None means "a page on this platform that names no target of a known type": the generic page rules apply.
Outcome = Target | Unwrap | None


@dataclass(frozen=True, slots=True)
class Adapter:
    """One platform: the hosts it owns, how it reads their URLs, and how it builds non-URL targets."""

    platform: str
    from_url: Callable[[ParsedUrl], Outcome]
    from_target: Callable[[str, str], Target] | None
    # Exact host names, and base domains whose every subdomain also belongs to the platform.
    hosts: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    # Type names flaggers may use in a `target` for a type this adapter calls otherwise.
    type_aliases: tuple[tuple[str, str], ...] = ()


def no_target(url: ParsedUrl) -> NormalizeError:
    return NormalizeError("no_target", f"https://{url.host}{url.path} names no account, post or page")


def clean_id(raw: str, pattern: re.Pattern[str], what: str, *, lower: bool, strip_at: bool = True) -> str:
    """Validate a handle or id given outside a URL; `@` prefixes and surrounding space are not identity."""
    text = raw.strip()
    if strip_at and text.startswith("@"):
        text = text[1:]
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if not pattern.fullmatch(text):
        raise NormalizeError("illegal_id", f"{raw!r} is not a valid {what}")
    return text.lower() if lower else text


def unknown_type(platform: str, type_: str, known: tuple[str, ...]) -> NormalizeError:
    return NormalizeError("unknown_type", f"{platform} targets have no type {type_!r}; use one of: {', '.join(known)}")
