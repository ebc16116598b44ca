"""Short links: redirecting codes that are never followed, so each stays a `short_link` target of its own."""

from __future__ import annotations

from flagpost.domain.normalize.parsing import ParsedUrl, protect
from flagpost.domain.normalize.platforms.base import Adapter, Outcome, no_target
from flagpost.domain.normalize.platforms.web import NO_TRACKERS, Trackers, canonical_query
from flagpost.domain.normalize.target import Target, make_target

PLATFORM = "web"

# host -> (platform that owns the code space, canonical host). Aliases share one code space
# (bitly.com/x and j.mp/x are bit.ly/x), so they map to one host and merge.
SHORTENERS: dict[str, tuple[str, str]] = {
    "bit.ly": ("web", "bit.ly"),
    "bitly.com": ("web", "bit.ly"),
    "j.mp": ("web", "bit.ly"),
    "t.co": ("x", "t.co"),
    "vm.tiktok.com": ("tiktok", "vm.tiktok.com"),
    "vt.tiktok.com": ("tiktok", "vt.tiktok.com"),
    "fb.me": ("facebook", "fb.me"),
    "fb.watch": ("facebook", "fb.watch"),
    "pin.it": ("pinterest", "pin.it"),
    "tmblr.co": ("tumblr", "tmblr.co"),
    "jpst.it": ("justpaste", "jpst.it"),
    "redd.it": ("web", "redd.it"),
    "lnkd.in": ("web", "lnkd.in"),
    "amzn.to": ("web", "amzn.to"),
    "wa.link": ("web", "wa.link"),
    "tinyurl.com": ("web", "tinyurl.com"),
    "goo.gl": ("web", "goo.gl"),
    "ow.ly": ("web", "ow.ly"),
    "buff.ly": ("web", "buff.ly"),
    "is.gd": ("web", "is.gd"),
    "v.gd": ("web", "v.gd"),
    "rb.gy": ("web", "rb.gy"),
    "cutt.ly": ("web", "cutt.ly"),
    "shorturl.at": ("web", "shorturl.at"),
    "tiny.cc": ("web", "tiny.cc"),
    "tiny.one": ("web", "tiny.one"),
    "t.ly": ("web", "t.ly"),
    "s.id": ("web", "s.id"),
    "rebrand.ly": ("web", "rebrand.ly"),
    "bl.ink": ("web", "bl.ink"),
    "x.gd": ("web", "x.gd"),
    "dlvr.it": ("web", "dlvr.it"),
    "ift.tt": ("web", "ift.tt"),
    "trib.al": ("web", "trib.al"),
    "clck.ru": ("web", "clck.ru"),
    "surl.li": ("web", "surl.li"),
    "bit.do": ("web", "bit.do"),
    "shorte.st": ("web", "shorte.st"),
    "ouo.io": ("web", "ouo.io"),
    "cutt.us": ("web", "cutt.us"),
    "urlz.fr": ("web", "urlz.fr"),
    "t2m.io": ("web", "t2m.io"),
    "soo.gd": ("web", "soo.gd"),
    "qr.ae": ("web", "qr.ae"),
}


def short_link(platform: str, host: str, segments: list[str], query: str = "") -> Target:
    """Codes are case-sensitive and kept as typed, and so is a content-bearing query."""
    code = "/".join(segments)
    identity = protect(f"{host}/{code}" + (f"?{query}" if query else ""))
    return make_target(platform, "short_link", identity, f"https://{identity}")


def _trackers(platform: str) -> Trackers:
    from flagpost.domain.normalize.platforms import BY_PLATFORM  # the registry imports this module

    adapter = BY_PLATFORM.get(platform)
    return adapter.trackers if adapter is not None else NO_TRACKERS


def from_url(url: ParsedUrl) -> Outcome:
    host = url.host[4:] if url.host.startswith("www.") else url.host
    platform, canonical_host = SHORTENERS[host]
    segments = url.segments()
    if segments and segments[-1].endswith("+"):
        # bit.ly/<code>+ is the statistics page of the same link. A code that still ends in `+` after
        # that (`<code>++`) keeps it escaped, so that its canonical URL does not lose it once more.
        code = segments[-1][:-1]
        segments[-1] = code[:-1] + "%2B" if code.endswith("+") else code
    query = canonical_query(url.query, _trackers(platform)) if url.query else ""
    if not segments or not segments[-1]:
        if query and segments == []:
            return None  # the shortener's own page with a query (clck.ru/?url=<link>): a page, kept whole
        raise no_target(url)
    # The query is kept (trackers aside): some shorteners carry the code in it (`tinyurl.com/preview.php
    # ?num=<code>`, `is.gd/forward.php?shorturl=<code>`, `clck.ru/?url=`), others pass it on to the
    # destination. Two links that differ in it are kept apart.
    return short_link(platform, canonical_host, segments, query)


ADAPTER = Adapter(
    platform=PLATFORM,
    from_url=from_url,
    from_target=None,
    hosts=tuple(SHORTENERS) + tuple("www." + host for host in SHORTENERS),
)
