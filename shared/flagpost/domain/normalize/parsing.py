"""Reading what flaggers paste: cleaning, defanging, splitting, and the host, path and query rules."""

from __future__ import annotations

import ipaddress
import re
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
# Pairs a pasted link is often wrapped in: <...> from e-mail, quotes, brackets and guillemets from prose.
_WRAPPERS = {
    "<": ">", "(": ")", "[": "]", "{": "}", '"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019",
    "\u201e": "\u201c", "\u00ab": "\u00bb", "\u00bb": "\u00ab", "\u2039": "\u203a",
}  # fmt: skip
# Closing characters that are never the raw last character of a URL (RFC 3986 has them percent-encoded),
# so one without its opener is prose around the link. `)` and `'` are legal in paths: a `)` goes only
# when the link opened none (Wikipedia's /Foo_(bar) keeps its own); a `'` only with its pair.
_STRAY_CLOSERS = frozenset('>]}"`\u201d\u2019\u00bb\u00ab\u203a\u201c')
# Sentence punctuation glued to the end of a pasted link.
_TRAILING = ".,;:!"
_TRAILING_ALL = _TRAILING + ")]}>"
# Anything but printable ASCII (spaces, controls, non-ASCII), a defang bracket, a wrapper or hxxp:
# if absent, cleaning has nothing to do.
_SUSPECT = re.compile(r"[^\x21-\x7e]|[\[({<\"'`]|^h[x*]{2}p", re.IGNORECASE)

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_WITH_PORT = re.compile(r"\d+(?:[/?#]|$)")
_BRACKETED_HOST = re.compile(r"\[[0-9A-Fa-f:.]*\]")
_PARTS = re.compile(r"([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)

# LDH labels (underscore tolerated: it is common in real DNS names), and a TLD that starts with a letter.
_HOSTNAME = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")

# RFC 3986 unreserved: the only characters whose percent-encoding is pure noise.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
# Anything outside pchar (plus "/"), or a "%" that starts no escape, must be percent-encoded.
_PATH_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]|%(?![0-9A-Fa-f]{2})")
_QUERY_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})")
_FRAGMENT_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})")

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

    __slots__ = ("_params", "fragment", "host", "path", "port", "query", "scheme")

    def __init__(
        self, scheme: str, host: str, port: int | None, path: str, query: str | None, fragment: str | None
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.fragment = fragment
        self._params: dict[str, str] | None = None

    def params(self) -> dict[str, str]:
        """First value of each query parameter, percent-decoded; adapters read identity from these."""
        if self._params is None:
            self._params = parse_query(self.query) if self.query else {}
        return self._params

    def ambiguous(self, name: str) -> bool:
        """Whether parameter `name` is given twice with different values (`?v=A&v=B`): which one a
        platform would read is not known, so it identifies nothing."""
        query = self.query
        if not query or query.count(name) < 2:
            return False
        values = {value for key, value in parse_pairs(query) if key == name}
        return len(values) > 1

    def segments(self) -> list[str]:
        """Non-empty path segments: `/a//b/` and `/a/b` name the same thing on every platform."""
        return [segment for segment in self.path.split("/") if segment]


def parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in parse_pairs(query):
        if name not in params:
            params[name] = value
    return params


def parse_pairs(query: str) -> list[tuple[str, str]]:
    """Every (name, value) of a query in order, percent-decoded."""
    pairs: list[tuple[str, str]] = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        pairs.append((unquote(name) if "%" in name else name, unquote(value) if "%" in value else value))
    return pairs


def clean(raw: str) -> str:
    """Trim, unwrap, refuse control characters and undo defanging; returns the link as typed."""
    if not isinstance(raw, str):
        raise NormalizeError("empty", "input is not text")
    text = raw.strip()
    # Most links are printable ASCII with nothing to unwrap, defang or trim: one regex search says so.
    if text and len(text) <= MAX_LENGTH and _SUSPECT.search(text) is None and text[-1] not in _TRAILING_ALL:
        return text
    return _clean_slow(text)


def _clean_slow(text: str) -> str:
    text = text.strip(_INVISIBLE).strip()
    if len(text) > MAX_LENGTH:
        raise NormalizeError("too_long", f"input is longer than {MAX_LENGTH} characters")
    text = _unwrap(text)
    if not text:
        raise NormalizeError("empty", "input is empty")
    if _CONTROL.search(text):
        raise NormalizeError("control_characters", "input contains control characters")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise NormalizeError("invalid_characters", "input is not valid Unicode text") from None
    if _DEFANG_HINT.search(text):
        if "[" in text or "(" in text or "{" in text:
            text = _DEFANG_TOKEN.sub(lambda m: _DEFANG_REPLACEMENT[m.group().lower()], text)
        scheme = _DEFANG_SCHEME.match(text)
        if scheme:
            text = ("https:" if scheme.group(1) else "http:") + text[scheme.end() :]
        text = _unwrap(text)
    if not text:
        raise NormalizeError("empty", "input is empty")
    return text


def _unwrap(text: str) -> str:
    """Peel prose off a link, outside in, until nothing changes: `("https://t.me/x").` is the link.

    Each round drops sentence punctuation at the end, then one of: a pair wrapping the whole link, an
    opener whose closer never comes (`(https://t.me/x`), a closer no opener asked for (`x)`, `x]`).
    """
    while True:
        before = text
        text = text.strip().rstrip(_TRAILING).rstrip()
        if text:
            first, last = text[0], text[-1]
            closer = _WRAPPERS.get(first)
            if closer is not None and len(text) >= 2 and last == closer and _wraps(text, first, closer):
                text = text[1:-1]
            elif closer is not None and _unclosed(text, first, closer):
                text = text[1:]
            elif (last == ")" and text.count("(") < text.count(")")) or (
                last in _STRAY_CLOSERS and _unopened(text, last)
            ):
                text = text[:-1]
        if text == before:
            return text


def _wraps(text: str, opener: str, closer: str) -> bool:
    """Whether the opener at text[0] is closed by the closer at text[-1] (and not by one before it)."""
    if opener == closer:
        return True
    depth = 0
    for index, char in enumerate(text):
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False


def _unclosed(text: str, opener: str, closer: str) -> bool:
    """Whether the opener at text[0] is never closed: `(https://t.me/x` or `"https://t.me/x`."""
    if opener == closer:
        return text.count(opener) % 2 == 1
    if opener == "[" and _BRACKETED_HOST.match(text):
        return False  # [2001:db8::1]/x is an IPv6 host, not a bracket
    depth = 0
    for char in text:
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return False
    return True


def _unopened(text: str, closer: str) -> bool:
    """Whether the `closer` at the end of `text` closes nothing that `text` opened."""
    openers = [opener for opener, paired in _WRAPPERS.items() if paired == closer]
    if closer in openers:  # a quote that closes itself: unpaired when its count is odd
        return text.count(closer) % 2 == 1
    return sum(text.count(opener) for opener in openers) < text.count(closer)


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
    """Clean and split `raw`, applying every platform-independent rule."""
    text = clean(raw)
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
        if not port_text.isdigit() or not port_text.isascii() or int(port_text) > 65535:
            raise NormalizeError("illegal_port", f"port {port_text!r} is not a number from 0 to 65535")
        port = int(port_text)
        if port == _DEFAULT_PORTS[scheme]:
            port = None
    if not host:
        raise NormalizeError("missing_host", "the link names no host")
    host = normalize_host(host)

    if not path:
        path = "/"
    elif "%" in path or _PATH_UNSAFE.search(path):
        path = _canonical_percent(path, _PATH_UNSAFE)
    if "/." in path:
        path = _remove_dot_segments(path)
    return ParsedUrl(scheme, host, port, path, _fix_amp(query), fragment)


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
