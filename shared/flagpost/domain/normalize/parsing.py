"""Reading what flaggers paste: cleaning, defanging, splitting, and the host, path and query rules.

Longer than 300 lines on purpose: this is one grammar (cleaning, defanging, unwrapping, host, path
and query rules) whose steps feed each other in order; split by step, each piece would need the others'
private rules to be read, and the precision invariants would be spread over several files.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import KeysView
from urllib.parse import quote, unquote

from flagpost.domain.normalize.errors import NormalizeError

# Longer than any real link (browsers cap around 2-8 KiB); a bound keeps regex work predictable.
MAX_LENGTH = 8192

# Characters that ride along when a link is copied from a chat or a web page but are never part of it.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# C0, DEL and C1: a link that still holds one after trimming was mangled, or is an injection attempt.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# A cheap test that lets the common, non-defanged link skip the defang substitutions.
_DEFANG_HINT = re.compile(r"[\[({]|^h[x*]{2}p", re.IGNORECASE)
_DEFANG_TOKEN = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[:\]|\[://\]|\[/\]", re.IGNORECASE)
_DEFANG_REPLACEMENT = {
    "[.]": ".",
    "(.)": ".",
    "{.}": ".",
    "[dot]": ".",
    "(dot)": ".",
    "[:]": ":",
    "[://]": "://",
    "[/]": "/",
}
_DEFANG_SCHEME = re.compile(r"h[x*]{2}p(s?):", re.IGNORECASE)
# The scheme (with its defanged separators and slashes) of a possibly defanged link, and the end of the
# host that follows it. Defang tokens are undone in the scheme and host; in the path, query and fragment
# only when those were defanged too (`wikipedia.org/wiki/Dot_(dot)` is a real title,
# `hxxps://example[.]com/a[.]html` a defanged link).
_DEFANG_SCHEME_PART = re.compile(r"(?:[a-z][a-z0-9+.*-]*(?:\[:\]|\[://\]|:))?(?:[/\\]|\[/\])*", re.IGNORECASE)
_AUTHORITY_END = re.compile(r"[/\\?#]|\[/\]")
# Pairs a pasted link is often wrapped in: <...> from e-mail, quotes, brackets and guillemets from prose.
_WRAPPERS = {
    "<": ">", "(": ")", "[": "]", "{": "}", '"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019",
    "\u201e": "\u201c", "\u00ab": "\u00bb", "\u00bb": "\u00ab", "\u2039": "\u203a",
}  # fmt: skip
_WRAPPER_CHARS = frozenset(_WRAPPERS) | frozenset(_WRAPPERS.values())
# For each closer, the openers it closes.
_OPENERS = {closer: tuple(o for o, c in _WRAPPERS.items() if c == closer) for closer in _WRAPPERS.values()}
# Closing characters that are never the raw last character of a URL (RFC 3986 has them percent-encoded),
# so one without its opener is prose around the link. `)` and `'` are legal in paths: a `)` goes only
# when the link opened none (Wikipedia's /Foo_(bar) keeps its own); a `'` only with its pair.
_STRAY_CLOSERS = frozenset('>]}"`\u201d\u2019\u00bb\u00ab\u203a\u201c')
# Sentence punctuation glued to the end of a pasted link.
_TRAILING = ".,;:!"
_TRAILING_ALL = _TRAILING + ")]}>"
# What `_unwrap` may peel off the end of a link: sentence punctuation and closers.
_PEELED_AT_END = frozenset(_TRAILING) | _STRAY_CLOSERS | {")", "'"}
_WRAPPER_CLASS = re.compile("[" + re.escape("".join(sorted(_WRAPPER_CHARS))) + "]")
# Anything but printable ASCII (spaces, controls, non-ASCII), a defang bracket, a wrapper or hxxp:
# if absent, cleaning has nothing to do.
_SUSPECT = re.compile(r"[^\x21-\x7e]|[\[({<\"'`]|^h[x*]{2}p", re.IGNORECASE)
# A link as Markdown (`[label](url)`) or Slack (`<url|label>`) writes it: the url is the link.
_MARKDOWN = re.compile(r"\[[^\[\]]*\]\(([^\s()]+(?:\([^\s()]*\)[^\s()]*)*)\)", re.DOTALL)
_SLACK = re.compile(r"<([^<>|\s]+)\|[^<>]*>", re.DOTALL)
# A host in brackets is an IPv6 literal (at most 45 characters), not prose.
_BRACKETED_HOST = re.compile(r"\[[0-9A-Fa-f:.]{0,64}\]")

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_WITH_PORT = re.compile(r"\d+(?:[/?#]|$)")
_PARTS = re.compile(r"([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)

# LDH labels (underscore tolerated: it is common in real DNS names), and a TLD that starts with a letter.
_HOSTNAME = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")

# RFC 3986 unreserved: the only characters whose percent-encoding is pure noise.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Escapes that `_pct_match` changes: any with a lower-case hex digit, and those of unreserved characters
# (`-` `.` digits, letters, `_` `~`). Others (`%25`, `%2F` ...) are already canonical: not visited.
_PCT = re.compile(r"%([0-9A-Fa-f][a-f]|[a-f][0-9A-F]|2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])")
# Anything outside pchar (plus "/"), or a "%" that starts no escape, must be percent-encoded.
# (Runs of them, so that each run is encoded by one call.)
_PATH_UNSAFE = re.compile(r"(?:[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]|%(?![0-9A-Fa-f]{2}))+")
_QUERY_UNSAFE = re.compile(r"(?:[^A-Za-z0-9\-._~!$'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2}))+")
_FRAGMENT_UNSAFE = re.compile(r"(?:[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2}))+")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_FAST = re.compile(
    r"(https?)://([a-z0-9][a-z0-9.-]*[a-z0-9])(/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?(?:\?([^#]*))?(?:#(.*))?",
    re.DOTALL,
)
# Valid ASCII host -> its normal form. Reports name few distinct hosts (t.me, youtube.com ...), so a
# bounded memo skips the host regex for nearly every link; it only ever holds validated names.
_HOST_CACHE: dict[str, str] = {}
_HOST_CACHE_SIZE = 4096


class ParsedUrl:
    """A cleaned, split URL whose host, path and query already follow the generic rules.

    `host` is lower-case ASCII (IDNA A-labels), `path` starts with "/", has canonical percent-encoding and
    no dot segments; `query` and `fragment` are None when absent. `port` is None when default.
    """

    __slots__ = ("_pairs", "_params", "_values", "fragment", "host", "path", "port", "query", "scheme")

    def __init__(
        self, scheme: str, host: str, port: int | None, path: str, query: str | None, fragment: str | None
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.fragment = fragment
        self._pairs: list[tuple[str, str]] | None = None
        self._params: dict[str, str] | None = None
        self._values: dict[str, set[str]] | None = None

    def pairs(self) -> list[tuple[str, str]]:
        """Every (name, value) of the query in order, both percent-decoded."""
        if self._pairs is None:
            self._pairs = parse_pairs(self.query) if self.query else []
        return self._pairs

    def params(self) -> dict[str, str]:
        """First value of each query parameter, name and value percent-decoded (`%76=` is `v=`)."""
        if self._params is None:
            params: dict[str, str] = {}
            for name, value in self.pairs():
                params.setdefault(name, value)
            self._params = params
        return self._params

    def _by_name(self) -> dict[str, set[str]]:
        # Percent-decoded, lower-cased name -> every value it is given.
        if self._values is None:
            values: dict[str, set[str]] = {}
            for name, value in self.pairs():
                values.setdefault(name.lower(), set()).add(value)
            self._values = values
        return self._values

    def names(self) -> KeysView[str]:
        """The query's parameter names, percent-decoded and lower-cased: what `unless`/`only` rules test."""
        return self._by_name().keys()

    def mentions(self, names: frozenset[str]) -> bool:
        """Whether the query has a parameter named one of `names` (lower-case), percent-decoded and in
        any case (`%6Cc=`, `LC=` are `lc=`)."""
        query = self.query
        if not query:
            return False
        if "%" not in query:
            lowered = query.lower()
            if not any(name in lowered for name in names):
                return False  # not even as text: the common case, without splitting the query
        return not names.isdisjoint(self._by_name())

    def ambiguous(self, name: str) -> bool:
        """Whether parameter `name` is given twice with different values (`?v=A&v=B`, `?v=A&%76=B`,
        `?v=A&V=B`): which one a platform would read is not known, so it identifies nothing. Names are
        compared percent-decoded and in any case, as for every other query rule."""
        query = self.query
        lowered = name.lower()
        if not query or ("%" not in query and query.lower().count(lowered) < 2):
            return False  # not even twice as text
        return len(self._by_name().get(lowered, ())) > 1

    def segments(self) -> list[str]:
        """Non-empty path segments: `/a//b/` and `/a/b` name the same thing on every platform."""
        return [segment for segment in self.path.split("/") if segment]


def parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in parse_pairs(query):
        params.setdefault(name, value)
    return params


def parse_pairs(query: str) -> list[tuple[str, str]]:
    """Every (name, value) of a query in order, percent-decoded."""
    pairs: list[tuple[str, str]] = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        pairs.append((unquote(name) if "%" in name else name, unquote(value) if "%" in value else value))
    return pairs


def clean(raw: str) -> tuple[str, int]:
    """Trim, unwrap, refuse control characters and undo defanging.

    Returns `(link, tail)`: the link as typed, whose last `tail` characters are sentence punctuation
    (`.,;:!`, or a `)` the link never opened) that may be prose glued to it ("see https://t.me/x.") or
    part of it (`https://example.com/a!`). Which one is the platform rules' call (`api.normalize_url`).
    Refuses a link cut short with an ellipsis (`https://t.me/abc...`, `…`): its real target is unknown.
    """
    if not isinstance(raw, str):
        raise NormalizeError("empty", "input is not text")
    text = raw.strip()
    # Most links are printable ASCII with nothing to unwrap, defang or trim: one regex search says so.
    if text and len(text) <= MAX_LENGTH and _SUSPECT.search(text) is None and text[-1] not in _TRAILING_ALL:
        return text, 0
    return _clean_slow(text)


def _clean_slow(text: str) -> tuple[str, int]:
    text = text.strip(_INVISIBLE).strip()
    if len(text) > MAX_LENGTH:
        raise NormalizeError("too_long", f"input is longer than {MAX_LENGTH} characters")
    text, tail = _unwrap(_markup(text))
    if tail == 0 and ("[" in text or "<" in text):
        text = _markup(text)
    elif tail and "[" in text:
        core = text[:-tail]
        unmarked = _markup(core)
        if unmarked is not core:
            text, tail = unmarked, 0  # `[label](url).`: the punctuation was after the markup
    if not text:
        raise NormalizeError("empty", "input is empty")
    _check_characters(text)
    if _DEFANG_HINT.search(text):
        text, tail = _unwrap(_defang(text))
    if not text:
        raise NormalizeError("empty", "input is empty")
    if _truncated(text, tail):
        raise NormalizeError("truncated", "the link was cut short (it ends in an ellipsis): its target is unknown")
    return text, tail


def _check_characters(text: str) -> None:
    if _CONTROL.search(text):
        raise NormalizeError("control_characters", "input contains control characters")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise NormalizeError("invalid_characters", "input is not valid Unicode text") from None


def _markup(text: str) -> str:
    """The url of a Markdown (`[label](url)`) or Slack (`<url|label>`) link; `text` itself otherwise."""
    if text.startswith("["):
        found = _MARKDOWN.fullmatch(text)
        if found:
            return found.group(1)
    elif text.startswith("<"):
        found = _SLACK.fullmatch(text)
        if found:
            return found.group(1)
    return text


def _defang(text: str) -> str:
    """Undo defanging: `hxxps`, and `[.]`, `(dot)` ... in the scheme and host (and, if those were
    defanged, in the rest of the link too; a `(dot)` in the path of a plain link is the path's own)."""
    scheme = _DEFANG_SCHEME_PART.match(text)  # matches (maybe empty) at 0
    authority_end = _AUTHORITY_END.search(text, scheme.end() if scheme else 0)
    end = (
        authority_end.end()
        if authority_end and authority_end.group() == "[/]"
        else (authority_end.start() if authority_end else len(text))
    )
    prefix, rest = text[:end], text[end:]
    undone = _DEFANG_TOKEN.sub(_defang_token, prefix) if "[" in prefix or "(" in prefix or "{" in prefix else prefix
    hxxp = _DEFANG_SCHEME.match(undone)
    if undone != prefix or hxxp:
        if "[" in rest or "(" in rest or "{" in rest:
            rest = _DEFANG_TOKEN.sub(_defang_token, rest)
        if hxxp:
            undone = ("https:" if hxxp.group(1) else "http:") + undone[hxxp.end() :]
    return undone + rest


def _defang_token(match: re.Match[str]) -> str:
    return _DEFANG_REPLACEMENT[match.group().lower()]


def _truncated(text: str, tail: int) -> bool:
    """Whether the link ends in an ellipsis (`...`, `..`, `…`): a display-shortened link, not a target.

    `/..` is a dot-segment (`https://example.com/a/..` is the root), not an ellipsis.
    """
    core = text[: len(text) - tail] if tail else text
    if core.endswith("\u2026"):
        return True
    if tail >= 2:
        punctuation = text[len(core) :]
        if ".." in punctuation:
            return not (punctuation == ".." and core.endswith("/"))
    return False


def _unwrap(text: str) -> tuple[str, int]:
    """Peel prose off a link, outside in, until nothing changes: `("https://t.me/x").` is the link.

    Each round drops whitespace and sentence punctuation at the end, then one of: a pair wrapping the
    whole link, an opener whose closer never comes (`(https://t.me/x`), a closer no opener asked for
    (`x)`, `x]`). Returns the link and, glued to its end, the sentence punctuation and unopened `)` that
    directly followed it (`tail` characters; 0 if none): they may be the link's own (see `clean`).

    Linear in the length of `text`: the link is a window `[lo, hi)` of it, character counts are kept up
    to date as the window shrinks, and each opener's matching closer is found once per bracket kind.
    """
    if not text:
        return text, 0
    first, last = text[0], text[-1]
    if first not in _WRAPPERS and last not in _PEELED_AT_END and not first.isspace() and not last.isspace():
        return text, 0  # nothing to peel (the common case once a link has been unwrapped or defanged)
    lo, hi = 0, len(text)
    counts: dict[str, int] = {}
    for char in _WRAPPER_CLASS.findall(text):
        counts[char] = counts.get(char, 0) + 1
    matches: dict[str, dict[int, int]] = {}  # opener -> {position of an opener: position of its closer}
    stray_parens: set[int] = set()
    while True:
        before = (lo, hi)
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and (text[hi - 1] in _TRAILING or text[hi - 1].isspace()):
            hi -= 1
        if lo < hi:
            first, last = text[lo], text[hi - 1]
            closer = _WRAPPERS.get(first)
            if closer is not None and hi - lo >= 2 and last == closer and _wraps(text, lo, hi, closer, matches):
                counts[first] -= 1
                counts[last] -= 1
                lo, hi = lo + 1, hi - 1
            elif closer is not None and _unclosed(text, lo, hi, closer, counts, matches):
                counts[first] -= 1
                lo += 1
            elif last == ")" and counts.get("(", 0) < counts[")"]:
                # A `)` the link never opened: prose, or the path's own (both are legal); like sentence
                # punctuation, the platform rules decide (see `clean`).
                stray_parens.add(hi - 1)
                counts[last] -= 1
                hi -= 1
            elif last in _STRAY_CLOSERS and _unopened(last, counts):
                counts[last] -= 1
                hi -= 1
        if (lo, hi) == before:
            break
    end = hi
    while end < len(text) and (text[end] in _TRAILING or end in stray_parens):
        end += 1
    return text[lo:end], end - hi


def _closers(text: str, opener: str, closer: str, matches: dict[str, dict[int, int]]) -> dict[int, int]:
    """Where each `opener` of `text` is closed (the first `closer` that balances it), found once."""
    found = matches.get(opener)
    if found is None:
        found = {}
        stack: list[int] = []
        for item in re.finditer("[" + re.escape(opener + closer) + "]", text):
            if item.group() == opener:
                stack.append(item.start())
            elif stack:
                found[stack.pop()] = item.start()
        matches[opener] = found
    return found


def _wraps(text: str, lo: int, hi: int, closer: str, matches: dict[str, dict[int, int]]) -> bool:
    """Whether the opener at `lo` is closed by the closer at `hi - 1` (and not by one before it)."""
    opener = text[lo]
    if opener == closer:
        return True
    return _closers(text, opener, closer, matches).get(lo) == hi - 1


def _unclosed(
    text: str, lo: int, hi: int, closer: str, counts: dict[str, int], matches: dict[str, dict[int, int]]
) -> bool:
    """Whether the opener at `lo` is never closed before `hi`: `(https://t.me/x` or `"https://t.me/x`."""
    opener = text[lo]
    if opener == closer:
        return counts.get(opener, 0) % 2 == 1
    if opener == "[" and _BRACKETED_HOST.match(text, lo, hi):
        return False  # [2001:db8::1]/x is an IPv6 host, not a bracket
    closed_at = _closers(text, opener, closer, matches).get(lo)
    return closed_at is None or closed_at >= hi


def _unopened(closer: str, counts: dict[str, int]) -> bool:
    """Whether the `closer` at the end of the link closes nothing that the link opened."""
    openers = _OPENERS[closer]
    if closer in openers:  # a quote that closes itself: unpaired when its count is odd
        return counts.get(closer, 0) % 2 == 1
    return sum(counts.get(opener, 0) for opener in openers) < counts.get(closer, 0)


def split(text: str) -> tuple[str, str]:
    """Return (scheme, rest after the scheme and its slashes). Scheme-less links are https."""
    match = _SCHEME.match(text)
    if match is None:
        return "https", text[2:] if text.startswith("//") else text
    scheme = match.group(1).lower()
    rest = text[match.end() :]
    if scheme in ("http", "https", "tg"):
        # Browsers accept any number of slashes (and backslashes) after a special scheme.
        return scheme, rest.lstrip("/\\")
    if "." in scheme and _HOST_WITH_PORT.match(rest):
        return "https", text  # `example.com:8080/x` is a scheme-less link with a port, not a scheme
    raise NormalizeError("unsupported_scheme", f"scheme {scheme!r} is not http, https or tg")


def parse_url(raw: str) -> ParsedUrl:
    """Clean and split `raw` (keeping any sentence punctuation at its end), applying every
    platform-independent rule."""
    return split_url(clean(raw)[0])


def parse_link(text: str) -> ParsedUrl:
    """Split a link that is not prose: a URL inside another one (an archived URL, a redirect shim's
    parameter). Nothing is peeled, stripped or defanged; it is only checked and split."""
    text = text.strip()
    if not text:
        raise NormalizeError("empty", "input is empty")
    if len(text) > MAX_LENGTH:
        raise NormalizeError("too_long", f"input is longer than {MAX_LENGTH} characters")
    _check_characters(text)
    return split_url(text)


def split_url(text: str) -> ParsedUrl:
    """Split a cleaned link, applying every platform-independent rule."""
    fast = _FAST.fullmatch(text)
    if fast is not None:
        # The common shape (http(s), lower-case host, no port or credentials, plain path) skips the
        # general split; it must give exactly what the general path would.
        scheme, host, path, query, fragment = fast.groups()
        host = _HOST_CACHE.get(host) or normalize_host(host)
        if not path:
            path = "/"
        elif "%" in path:
            path = _canonical_percent(path, _PATH_UNSAFE)
        if "/." in path:
            path = _remove_dot_segments(path)
        return ParsedUrl(scheme, host, None, path, _fix_amp(query), fragment)
    scheme, rest = split(text)
    if "\\" in rest:
        # Browsers read a backslash before the query as a slash (`https://t.me\x`).
        ends = [index for index in (rest.find("?"), rest.find("#")) if index >= 0]
        cut = min(ends) if ends else len(rest)
        rest = rest[:cut].replace("\\", "/") + rest[cut:]
    match = _PARTS.match(rest)
    assert match is not None  # every group is optional, so the pattern matches any text
    authority, path, query, fragment = match.groups()
    if scheme == "tg":
        # tg://resolve?domain=x: the "host" is an action name; Telegram's adapter reads the query.
        return ParsedUrl("tg", authority.lower(), None, path or "/", _fix_amp(query), fragment)

    host_port = authority[authority.rfind("@") + 1 :]  # user:password@ never identifies a target
    port: int | None = None
    if host_port.startswith("["):
        end = host_port.find("]")
        host, port_text = (host_port, "") if end < 0 else (host_port[: end + 1], host_port[end + 1 :])
        if port_text and not port_text.startswith(":"):
            raise NormalizeError("illegal_host", "unexpected text after an IPv6 address")
        port_text = port_text[1:]
    else:
        host, _, port_text = host_port.partition(":")
    if port_text:
        port = _port(port_text)
        if port == _DEFAULT_PORTS[scheme]:
            port = None
    if not host:
        raise NormalizeError("missing_host", "the link names no host")
    host = normalize_host(host)
    return ParsedUrl(scheme, host, port, canonical_path(path), _fix_amp(query), fragment)


def _port(text: str) -> int:
    # Leading zeros are allowed (browsers read `:0443` as 443); the length is checked before int(),
    # which refuses (ValueError) numbers of more than 4300 digits.
    digits = text.lstrip("0") or "0"
    if not text.isascii() or not text.isdigit() or len(digits) > 5 or int(digits) > 65535:
        raise NormalizeError("illegal_port", f"port {text[:20]!r} is not a number from 0 to 65535")
    return int(digits)


def canonical_path(path: str) -> str:
    """Percent-encoding made canonical and dot-segments removed; "/" for an empty path."""
    if not path:
        return "/"
    if "%" in path or _PATH_UNSAFE.search(path):
        path = _canonical_percent(path, _PATH_UNSAFE)
    if "/." in path:
        path = _remove_dot_segments(path)
    return path if path.startswith("/") else "/" + path


def hashbang(url: ParsedUrl) -> ParsedUrl | None:
    """The route of a 2010-era hash-bang link on a site's root (`twitter.com/#!/jack`,
    `facebook.com/#!/profile.php?id=4`), read as the path and query it stands for; None otherwise."""
    fragment = url.fragment
    if not fragment or not fragment.startswith("!/") or url.path != "/":
        return None
    route = fragment[1:].partition("#")[0]
    path, _, query = route.partition("?")
    return ParsedUrl(url.scheme, url.host, url.port, canonical_path(path), _fix_amp(query), None)


def _fix_amp(query: str | None) -> str | None:
    # Links copied out of HTML source keep `&amp;` between parameters.
    if query and "&amp;" in query:
        return query.replace("&amp;", "&")
    return query or None


def normalize_host(host: str) -> str:
    """Lower-case ASCII host (UTS-46 mapped, IDNA A-labels), without a trailing dot; refuses nonsense."""
    if "%" in host:
        host = unquote(host)  # browsers decode percent-escapes in hosts before anything else
    if host.startswith("["):
        if "%" in host:
            # An IPv6 zone id (`fe80::1%eth0`) names an interface of the reporter's machine: no
            # reportable target, and browsers (WHATWG) refuse it too.
            raise NormalizeError("illegal_host", f"{host!r} has a zone id: not a reachable address")
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1] if host.endswith("]") else "x").compressed + "]"
        except ValueError:
            raise NormalizeError("illegal_host", f"{host!r} is not an IPv6 address") from None
    if host.isascii():
        host = host.lower()
        if host.endswith("."):
            host = host[:-1]
        if "xn--" in host:
            host = _idna(host)
    else:
        host = _idna(host)
    if _ends_in_number(host):
        address = _parse_ipv4(host)
    elif len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise NormalizeError("illegal_host", f"{host!r} is not a valid host name")
    else:
        address = host
    if len(_HOST_CACHE) >= _HOST_CACHE_SIZE:
        _HOST_CACHE.clear()
    _HOST_CACHE[host] = address
    return address


# IPv4 hosts are read as the WHATWG URL Standard (every browser) reads them, so that a host names the
# machine a browser would contact: `010.8.8.8` is octal for 8.8.8.8 (not 10.8.8.8), `0x7f.1` and
# `2130706433` are 127.0.0.1. A host whose last label is a number must be such an address.
_DIGITS = {10: frozenset("0123456789"), 8: frozenset("01234567"), 16: frozenset("0123456789abcdef")}


def _ipv4_number(part: str) -> int | None:
    """WHATWG "IPv4 number parser": decimal, 0x-hex or 0-octal; None on failure."""
    radix = 10
    if part[:2] == "0x":
        part, radix = part[2:], 16
    elif len(part) >= 2 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    if not _DIGITS[radix].issuperset(part):
        return None
    if len(part) > 40:
        return 1 << 160  # a number, and too large for any address (int() refuses 4300+ digits)
    return int(part, radix)


def _ends_in_number(host: str) -> bool:
    """WHATWG "ends in a number checker" (on a lower-case host without a trailing dot)."""
    last = host[host.rfind(".") + 1 :]
    if not last:
        return False
    return _DIGITS[10].issuperset(last) or _ipv4_number(last) is not None


def _parse_ipv4(host: str) -> str:
    """WHATWG "IPv4 parser": 1 to 4 numbers, the last filling the remaining bytes; dotted decimal out."""
    parts = host.split(".")
    numbers = [_ipv4_number(part) if part else None for part in parts]
    if len(parts) > 4 or None in numbers:
        raise NormalizeError("illegal_host", f"{host!r} is not a valid IPv4 address")
    values = [number for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise NormalizeError("illegal_host", f"{host!r} is not a valid IPv4 address")
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(address))


def _idna(host: str) -> str:
    import idna  # deferred: its Unicode tables cost ~15 ms at cold start and most hosts are ASCII

    try:
        # UTS-46 non-transitional, as browsers do: maps full-width and upper-case letters, keeps ß.
        encoded = idna.encode(host.rstrip(".").rstrip("\u3002\uff0e\uff61"), uts46=True, transitional=False)
        return encoded.decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise NormalizeError("illegal_host", f"{host!r} is not a valid internationalized host") from None


def _quote_match(match: re.Match[str]) -> str:
    return quote(match.group(), safe="")


def _pct_match(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _canonical_percent(text: str, unsafe: re.Pattern[str]) -> str:
    """Encode what must be encoded, decode what needs no encoding, upper-case the hex."""
    text = unsafe.sub(_quote_match, text)
    return _PCT.sub(_pct_match, text) if "%" in text else text


def canonical_query_part(text: str) -> str:
    if "%" in text or _QUERY_UNSAFE.search(text):
        return _canonical_percent(text, _QUERY_UNSAFE)
    return text


def canonical_fragment(text: str) -> str:
    if "%" in text or _FRAGMENT_UNSAFE.search(text):
        return _canonical_percent(text, _FRAGMENT_UNSAFE)
    return text


_PAREN_DEFANG = re.compile(r"\((?=\.\)|dot\))", re.IGNORECASE)


def protect(text: str) -> str:
    """Escape what `clean` would strip or defang, so that re-reading a canonical URL changes nothing.

    A canonical URL can end in sentence punctuation (`/a./` loses its slash) or hold `(.)` made of a
    decoded `%2E`; its first reading must then be its last. Escaping these is the only way to keep
    `normalize_url(t.canonical_url) == t` without refusing real links.
    """
    if "(" in text and _PAREN_DEFANG.search(text):
        text = _PAREN_DEFANG.sub("%28", text)
    if text and text[-1] in _TRAILING_ALL and (text[-1] != ")" or text.count("(") < text.count(")")):
        text = text[:-1] + f"%{ord(text[-1]):02X}"
    return text


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 section 5.2.4, on segments rather than on a moving buffer.
    segments = path.split("/")[1:]
    last = len(segments) - 1
    out: list[str] = []
    for index, segment in enumerate(segments):
        if segment == ".":
            if index == last:
                out.append("")
        elif segment == "..":
            if out:
                out.pop()
            if index == last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)
