"""The two entry points ingest calls: `normalize_url` for links and `normalize_target` for app accounts."""

from __future__ import annotations

from flagpost.domain.normalize.errors import NormalizeError
from flagpost.domain.normalize.parsing import ParsedUrl, clean, parse_link, split_url
from flagpost.domain.normalize.platforms import BY_PLATFORM, adapter_for
from flagpost.domain.normalize.platforms.apps import APP_PLATFORMS, app_account, other_app
from flagpost.domain.normalize.platforms.base import Unwrap
from flagpost.domain.normalize.platforms.web import page
from flagpost.domain.normalize.target import Target

# Wrappers inside wrappers (a share dialog around a link shim) are followed this deep, no deeper.
_MAX_UNWRAP = 3

_TELEGRAM = BY_PLATFORM["telegram"]

# Names flaggers use for a platform -> Flagpost's platform id.
PLATFORM_ALIASES: dict[str, str] = {
    "tg": "telegram",
    "yt": "youtube",
    "twitter": "x",
    "x.com": "x",
    "twitter.com": "x",
    "fb": "facebook",
    "ig": "instagram",
    "wa": "whatsapp",
    "justpaste.it": "justpaste",
    "wickr_me": "wickr",
    "wickrme": "wickr",
    "playstation": "psn",
    "playstation_network": "psn",
    "kik_messenger": "kik",
}


def normalize_url(raw: str) -> Target:
    """The Target a pasted link names. Raises NormalizeError (only) when it names none.

    Pure string work: nothing here, nor in any adapter, ever requests the URL.
    """
    text, tail = clean(raw)
    if not tail:
        return _resolve(split_url(text))
    # The link ends in sentence punctuation (`.,;:!`, or a `)` it never opened): prose glued to it ("see
    # https://t.me/x.") or the link's own last characters (`https://example.com/a!`). They are the
    # link's own unless they cannot be: read with them, the link is a page; read without them, a typed
    # target (t.me/x is a channel, `x.` is no Telegram name). Precision first: two pages are never
    # merged by dropping a character.
    kept, refusal = _attempt(text)
    if kept is not None and kept.type != "page":
        return kept
    stripped, _ = _attempt(text[:-tail])
    if stripped is not None and stripped.type != "page":
        return stripped
    if kept is not None:
        return kept
    if stripped is not None:
        return stripped
    assert refusal is not None
    raise refusal


def _attempt(text: str) -> tuple[Target | None, NormalizeError | None]:
    try:
        return _resolve(split_url(text)), None
    except NormalizeError as refusal:
        return None, refusal


def _resolve(url: ParsedUrl) -> Target:
    for _ in range(_MAX_UNWRAP + 1):
        adapter = adapter_for(url.host) if url.scheme != "tg" else _TELEGRAM
        if adapter is None or url.port is not None:
            # A platform host on a non-default port (`t.me:8443`) is not the platform's site: whatever
            # answers there is a generic page, its port kept in the identity.
            return page(url)
        outcome = adapter.from_url(url) if url.scheme == "tg" or adapter.serves_content(url.host) else None
        if outcome is None:
            # Precision first: a link on a platform host that fits none of the adapter's declared
            # shapes is a page of that platform, identified by its whole path and content-bearing
            # query. Nothing in it is guessed to be an account, a video or a post.
            return page(url, adapter.platform, adapter.trackers, whole_fragment=url.host in adapter.fragment_hosts)
        if not isinstance(outcome, Unwrap):
            return outcome
        inner = outcome.url
        if url.fragment and "#" not in inner:
            # A redirect keeps the fragment of the link it answers when its target has none (RFC 9110
            # 10.2.2): l.php?u=https://mega.nz/#F!id!key opens the MEGA folder.
            inner += "#" + url.fragment
        # The wrapped link is a parameter's value, not prose: it is read exactly, never cleaned again.
        url = parse_link(inner)
    raise NormalizeError("no_target", "the link wraps links too deeply to name one target")


def normalize_target(platform: str, type: str, id: str) -> Target:
    """The Target for a thing reported without a URL, by the same rules and keys as its URL forms.

    `normalize_target("telegram", "channel", "@X")` and `normalize_url("t.me/x")` give one dedup_key.
    """
    if not isinstance(platform, str) or not isinstance(type, str) or not isinstance(id, str):
        raise NormalizeError("empty", "platform, type and id must be text")
    platform_name = platform.strip().lower().replace(" ", "_").replace("-", "_")
    platform_name = PLATFORM_ALIASES.get(platform_name, platform_name)
    type_name = type.strip().lower().replace(" ", "_").replace("-", "_")
    if not platform_name:
        raise NormalizeError("unknown_platform", "the target names no platform")
    if not id.strip():
        raise NormalizeError("empty", "the target id is empty")
    if platform_name in APP_PLATFORMS:
        return app_account(platform_name, type_name, id)
    adapter = BY_PLATFORM.get(platform_name)
    if adapter is None or adapter.from_target is None:
        if platform_name in ("web", "internet_archive", "archive_today"):
            raise NormalizeError("unknown_platform", f"report {platform_name} targets by their url")
        return other_app(platform_name, type_name, id)
    type_name = dict(adapter.type_aliases).get(type_name, type_name)
    return adapter.from_target(type_name, id)
