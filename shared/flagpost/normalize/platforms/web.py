"""Generic web pages: any host no adapter claims, and the unrecognized pages of platform hosts."""

from __future__ import annotations

from flagpost.normalize.parsing import ParsedUrl, canonical_fragment, canonical_query_part, protect
from flagpost.normalize.target import Target, make_target

PLATFORM = "web"

# Parameters that say how a link travelled, never what it points to. Matched case-insensitively.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "li_fat_id", "igshid", "igsh", "si", "feature", "ref", "ref_src", "ref_url",
        "referrer", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "wickedid", "rb_clickid", "s_cid", "mibextid", "sfnsn", "rdid",
        "share_url", "share", "shared", "sharing", "share_id", "share_app_id", "share_link_id",
        "__cft__", "__tn__", "_rdr", "is_from_webapp", "sender_device", "_r", "_t", "ocid", "cmpid",
        "spm", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "itm_")


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonical_query(query: str) -> str:
    """Tracking parameters dropped, the rest percent-normalized and sorted; "" when nothing is left."""
    kept: list[str] = []
    for raw_pair in query.split("&"):
        if not raw_pair:
            continue
        pair = canonical_query_part(raw_pair)  # before the name test: utm%5Fsource is utm_source
        if is_tracking(pair.partition("=")[0]):
            continue
        kept.append(pair)
    if not kept:
        return ""
    kept.sort()
    return "&".join(kept)


def page_id(url: ParsedUrl) -> str:
    """Host, path, kept query and identity-bearing fragment; the scheme is not part of a page's identity.

    A leading `www.` is dropped: it serves the same site in all but pathological set-ups. A trailing
    slash on a non-root path is dropped too (servers redirect one form to the other). Paths keep case.
    """
    host = url.host[4:] if url.host.startswith("www.") else url.host
    text = host if url.port is None else f"{url.scheme}:{host}:{url.port}"
    path = url.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    text += path
    if url.query:
        query = canonical_query(url.query)
        if query:
            text += "?" + query
    fragment = url.fragment
    # Fragments are client-side, except hash-bang and hash-routed single-page apps (`#!/x`, `#/x`).
    if fragment and fragment[0] in "!/":
        text += "#" + canonical_fragment(fragment)
    return protect(text)


def id_to_url(page: str) -> str:
    if page.startswith(("http:", "https:")):  # explicit port: the scheme was kept in the id
        scheme, _, rest = page.partition(":")
        return f"{scheme}://{rest}"
    return "https://" + page


def page(url: ParsedUrl, platform: str = PLATFORM) -> Target:
    identity = page_id(url)
    return make_target(platform, "page", identity, id_to_url(identity))
