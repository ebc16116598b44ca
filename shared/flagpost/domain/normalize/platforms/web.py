"""Generic web pages: any host no adapter claims, and the unrecognized pages of platform hosts."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from flagpost.domain.normalize.parsing import ParsedUrl, canonical_fragment, canonical_query_part, protect
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "web"


@dataclass(frozen=True, slots=True)
class Trackers:
    """Query parameters that say how a link travelled, never what it points to (matched case-insensitively).

    `names` are exact parameter names, `prefixes` whole families (`utm_`). Lower-case.
    """

    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lowered = name.lower()
        return lowered in self.names or (bool(self.prefixes) and lowered.startswith(self.prefixes))

    def __or__(self, other: Trackers) -> Trackers:
        return Trackers(self.names | other.names, self.prefixes + other.prefixes)


# The allow-list of trackers stripped on EVERY page, generic or platform: names that are unambiguous on an
# arbitrary site because an ad, analytics or mailing tool appends them to links it does not own. A name
# that a site could plausibly use for content (`ref`, `share`, `feature`, `si`, `spm`, `itm_id`, `_r`,
# `_t`, `pk_id`, `s_cid`, `at_custom1` ...) is not here: dropping it could merge two pages, keeping it
# at worst keeps two spellings of one page apart. Platform-specific trackers (`si` and `feature` on
# YouTube, `s`/`t` on X, `igsh` on Instagram ...) are declared by their adapter and stripped only there.
GENERIC_TRACKERS = Trackers(
    names=frozenset(
        {
            # ad click ids: Google, DoubleClick, Microsoft, Yandex, X, TikTok, LinkedIn, Facebook, Pinterest
            "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "gad_source", "srsltid", "msclkid",
            "yclid", "twclid", "ttclid", "li_fat_id", "epik", "rb_clickid", "wickedid",
            # mailing and marketing automation: Mailchimp, HubSpot, Marketo, Olytics, Vero
            "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "mkt_tok",
            "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv",
            # Google Analytics cross-domain linker
            "_ga", "_gl",
            # Matomo/Piwik campaign parameters (the documented names only: `pk_` alone is too common)
            "pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content", "pk_cid",
            "mtm_campaign", "mtm_kwd", "mtm_keyword", "mtm_source", "mtm_medium", "mtm_content",
            "mtm_cid", "mtm_group", "mtm_placement",
            # HubSpot ads
            "hsa_acc", "hsa_ad", "hsa_cam", "hsa_grp", "hsa_kw", "hsa_la", "hsa_mt", "hsa_net", "hsa_ol",
            "hsa_src", "hsa_tgt", "hsa_ver",
        }
    ),
    prefixes=("utm_",),
)  # fmt: skip
NO_TRACKERS = Trackers()


def is_tracking(name: str, extra: Trackers = NO_TRACKERS) -> bool:
    return name in GENERIC_TRACKERS or name in extra


def _name_key(pair: str) -> str:
    # Sorting on "name=" orders distinct names exactly as sorting whole pairs did, and keeps repeated
    # names (`a=2&a=1`) in the order they were given: for some sites that order is content. Names are
    # compared percent-decoded, so that escaping a canonical URL's last character (`?z+&z,` ends in
    # `z%2C`) cannot reorder it when it is read again.
    name = pair.partition("=")[0]
    return (unquote(name) if "%" in name else name) + "="


def canonical_query(query: str, extra: Trackers = NO_TRACKERS) -> str:
    """Trackers dropped, the rest percent-normalized and sorted by name; "" when nothing is left."""
    kept: list[str] = []
    for raw_pair in query.split("&"):
        if not raw_pair:
            continue
        pair = canonical_query_part(raw_pair)  # before the name test: utm%5Fsource is utm_source
        if is_tracking(pair.partition("=")[0], extra):
            continue
        if pair.startswith("amp;"):
            # Written after "&", a name "amp;x" would read back as HTML's `&amp;` (see parsing._fix_amp).
            pair = "amp%3B" + pair[4:]
        kept.append(pair)
    if not kept:
        return ""
    kept.sort(key=_name_key)
    return "&".join(kept)


# Hosts that carry what a link names, or the key to open it, in the fragment: MEGA (`#F!id!key`,
# `/folder/id#key/file/id`), Signal group and contact links, end-to-end encrypted paste and file
# shares. Their whole fragment is kept as written, even a text directive.
FRAGMENT_HOSTS = frozenset(
    {
        "mega.nz", "mega.co.nz", "mega.io", "mega.app", "signal.group", "signal.me", "privatebin.net",
        "0bin.net", "cryptpad.fr", "wormhole.app", "drive.proton.me", "send.vis.ee",
    }
)  # fmt: skip
# Chrome's text fragments (`#:~:text=...`) highlight a passage: never part of the identity.
_DIRECTIVE = ":~:"


def identity_fragment(fragment: str | None, *, whole: bool = False) -> str | None:
    """The part of a page's fragment that is part of its identity, canonically encoded, or None.

    A fragment is kept unless it is clearly navigation: empty, a text directive (`#:~:text=`, dropped
    from whatever precedes it) or trackers only (`#utm_source=x`). A word-like fragment cannot be told
    from an identity: `#section-2` is an anchor, but `kiwiirc.com/.../#channelA` is an IRC channel and
    a self-hosted PrivateBin, Lufi or Send instance (`/r/<id>#<key>`, `/?<id>#<key>`) carries the key
    without which its canonical URL opens nothing. No host list decides: keeping an anchor is at
    worst a missed merge (`/a#top` apart from `/a`). `whole` hosts keep even a directive.
    """
    if not fragment:
        return None
    if not whole:
        if _DIRECTIVE in fragment:
            fragment = fragment.partition(_DIRECTIVE)[0]
            if not fragment:
                return None
        if "=" in fragment and all(is_tracking(pair.partition("=")[0]) for pair in fragment.split("&")):
            return None
    return canonical_fragment(fragment)


def page_id(url: ParsedUrl, extra: Trackers = NO_TRACKERS, *, whole_fragment: bool = False) -> str:
    """Host, path, kept query and identity-bearing fragment; the scheme is not part of a page's identity.

    A leading `www.` is dropped: it serves the same site in all but pathological set-ups (but not from
    `www.com`, whose remainder `com` is no host). A trailing slash on a non-root path is dropped too
    (servers redirect one form to the other). Paths keep case. `whole_fragment` keeps any fragment (a
    client that routes on everything after `#`).
    """
    host = url.host
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    text = host if url.port is None else f"{url.scheme}:{host}:{url.port}"
    path = url.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    text += path
    query = canonical_query(url.query, extra) if url.query else ""
    if query:
        text += "?" + query
    if url.fragment:
        fragment = identity_fragment(url.fragment, whole=whole_fragment or host in FRAGMENT_HOSTS)
        if fragment:
            text += "#" + fragment
    return protect(text)


def id_to_url(page: str) -> str:
    if page.startswith(("http:", "https:")):  # explicit port: the scheme was kept in the id
        scheme, _, rest = page.partition(":")
        return f"{scheme}://{rest}"
    return "https://" + page


def page(
    url: ParsedUrl, platform: str = PLATFORM, extra: Trackers = NO_TRACKERS, *, whole_fragment: bool = False
) -> Target:
    identity = page_id(url, extra, whole_fragment=whole_fragment)
    return make_target(platform, "page", identity, id_to_url(identity))
