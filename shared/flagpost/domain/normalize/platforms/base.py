"""What a platform adapter is, the one path matcher every adapter reads URLs with, and shared helpers.

Precision first. Merging two different targets into one item hides the second one from review, which
is far worse than keeping two spellings of one target apart. So an adapter never "reads" a path with
ad-hoc code: it declares the path shapes it knows (`/channel/{channel}`, `/embed/videoseries?list=`)
in a `Router`, and the router is the only thing that turns a path into a typed target:

- a shape matches only when EVERY path segment is accounted for: a literal feature word, a captured
  id whose pattern matches the whole segment, or a declared tail (`/@name/videos`). A path with one
  segment more, or another word where a literal stands, matches nothing;
- a word that is a literal of any shape (or a declared tail word) at some position, in any case, is
  never captured as an id or a name at that position (`/embed/videoseries` is never the video
  `videoseries`, `/reels/audio` never the reel `audio`, `t.me/K` never the channel `k`), so a keyword
  that happens to fit an id pattern cannot become an id;
- ids are taken from where the platform carries them, path or query (`?list=`, `?v=`); a feature word
  is never an id in a query position either (`watch?v=videoseries`). A query parameter that names
  something more specific than the shape (`?comment=`, `?lc=`) makes the shape not apply: declared
  once per router for every shape (`Router(specific=...)`) and per shape (`unless`), or, for shapes
  whose every parameter may name something else, as the list of the only harmless ones (`only`).
  The platform's content-id parameters (`Router(ids=...)`: `v`, `fbid`, `story_fbid` ...) make
  every shape that does not read them from the query not apply: a container (`/groups/{g}`,
  `/channel/{id}`) never absorbs the post or video a parameter selects, and an id-bearing path with a
  second id in the query (`youtu.be/ID?v=OTHER`, `/reel/1?v=2`) names two things: a page.
  Parameter names are compared percent-decoded and in any case (`%6Cc=`, `LC=` are `lc=`), and an id
  parameter given twice with different values identifies nothing;
- anything that matches no shape is, in `api.normalize_url`, a `page` of that platform whose id keeps
  the host, the whole path (case kept) and the content-bearing query.

Longer than 300 lines on purpose: the Router is the one place where paths become typed targets, and
its rules (shapes, feature words, specific parameters) are only safe read together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from flagpost.domain.normalize.errors import NormalizeError
from flagpost.domain.normalize.parsing import ParsedUrl
from flagpost.domain.normalize.platforms.web import GENERIC_TRACKERS, NO_TRACKERS, Trackers
from flagpost.domain.normalize.target import Target


@dataclass(frozen=True, slots=True)
class Unwrap:
    """The URL is a wrapper around another link (a redirect shim or embed); normalize `url` instead."""

    url: str


# None means "a page on this platform that names no target of a known type": the page rules apply.
Outcome = Target | Unwrap | None
Build = Callable[..., Outcome]

_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _field(spec: str) -> tuple[str, str]:
    """`name` or `name:kind` -> (capture name, pattern kind); `_name` captures are decoration."""
    name, _, kind = spec.partition(":")
    return name, kind or name.lstrip("_")


@dataclass(frozen=True, slots=True)
class Route:
    """One path shape: `template` such as "/{_owner}/videos/{video}", and what it names.

    - `{name}` captures a whole segment (or, inside a segment, `@{handle}`, `{item}.html`) with the
      router's pattern `name`; `{name:kind}` uses pattern `kind`. Captures starting with `_` are
      decoration: checked, then not passed to `build`.
    - `query`: parameter -> capture spec; each must be present and match its pattern entirely.
    - `tail`: the segments allowed after the template (tabs, views: "videos", "embed/captioned");
      the empty tail is always allowed. `any_tail=True` allows anything (a slug that is decoration).
    - `unless`: query parameters whose presence means the link names something more specific (besides
      the router's own `specific` list, which applies to every shape).
    - `only`: if set, every query parameter but the generic trackers must be one of these (shapes whose
      every other parameter may name something else: a bot's start payload, a mini app, a search).
    Parameter names are matched percent-decoded and in any case.
    - `build(**captures)` returns the target, None for "a page of this platform", or an Unwrap; a build
      that refuses its id with NormalizeError("illegal_id") also makes the link a page.
      `build=None` declares a known feature path: a page, and a word no id may be read as.
    """

    template: str
    build: Build | None
    query: Mapping[str, str] = field(default_factory=dict)
    tail: Iterable[str] = ()
    any_tail: bool = False
    unless: Iterable[str] = ()
    only: Iterable[str] | None = None


def route(
    template: str,
    build: Build | None,
    *,
    query: Mapping[str, str] | None = None,
    tail: Iterable[str] = (),
    any_tail: bool = False,
    unless: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> Route:
    return Route(template, build, dict(query or {}), tuple(tail), any_tail, tuple(unless), only)


def feature(*templates: str) -> list[Route]:
    """Known feature paths of a platform: pages whatever follows, and words never read as names."""
    return [Route(template, None, any_tail=True) for template in templates]


class _NoMatch:
    """A route's literals fit but a capture or the query does not: try the next route."""


NO_MATCH = _NoMatch()


class _Compiled:
    """A Route ready to match: literal checks first (cheap), then whole-segment captures."""

    __slots__ = (
        "build",
        "captures",
        "decorated",
        "extra",
        "literals",
        "needs_params",
        "only",
        "parts",
        "prefix",
        "query",
        "size",
        "tail",
        "unless",
    )

    def __init__(self, spec: Route, patterns: Mapping[str, str]) -> None:
        segments = [segment for segment in spec.template.split("/") if segment]
        self.parts: tuple[str | re.Pattern[str], ...] = tuple(_segment(s, patterns) for s in segments)
        self.size = len(self.parts)
        self.literals = tuple((i, part) for i, part in enumerate(self.parts) if isinstance(part, str))
        # The literal start of a first segment such as "+{invite}" or "@{handle}": a cheap first test.
        self.prefix = segments[0].partition("{")[0] if self.parts and not isinstance(self.parts[0], str) else ""
        # (position, pattern, words refused there): filled in by the Router, which knows every literal.
        self.captures: tuple[tuple[int, re.Pattern[str], frozenset[str]], ...] = ()
        self.decorated = "(?P<_" in "".join(p.pattern for p in self.parts if not isinstance(p, str))
        self.build = spec.build
        self.query: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
            (param, name, re.compile(patterns[kind]))
            for param, (name, kind) in ((param, _field(capture)) for param, capture in spec.query.items())
        )
        self.tail: frozenset[tuple[str, ...]] | None = (
            None if spec.any_tail else frozenset({(), *(tuple(t.split("/")) for t in spec.tail)})
        )
        self.extra = 1 << 30 if self.tail is None else max(map(len, self.tail))
        self.unless = frozenset(name.lower() for name in spec.unless)
        self.only = frozenset(name.lower() for name in spec.only) if spec.only is not None else None
        self.needs_params = bool(self.query or self.unless or self.only is not None)


def _segment(text: str, patterns: Mapping[str, str]) -> str | re.Pattern[str]:
    if "{" not in text:
        return text
    out: list[str] = []
    position = 0
    for match in _FIELD.finditer(text):
        out.append(re.escape(text[position : match.start()]))
        name, kind = _field(match.group(1) + (":" + match.group(2) if match.group(2) else ""))
        out.append(f"(?P<{name}>{patterns[kind]})")
        position = match.end()
    out.append(re.escape(text[position:]))
    return re.compile("".join(out))


# Escapes of the sentence punctuation a canonical URL escapes as its last character (parsing.protect):
# a router reads them as the characters, so that `/post/,` and its canonical `/post/%2C` fit one shape.
_SENTENCE_ESCAPE = re.compile(r"%(21|29|2[Cc]|3[AaBb])")


def _unescape_sentence(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def spellings(names: Iterable[str]) -> frozenset[str]:
    """Every spelling of declared parameter names a site's own code may use (queries compare lower-case):
    `item_id` is also `itemid`/`itemId` and `item-id`, so a camelCase id cannot slip past a declaration."""
    out: set[str] = set()
    for name in names:
        low = name.lower()
        out |= {low, low.replace("_", ""), low.replace("_", "-")}
    return frozenset(out)


class Router:
    """The declared path shapes of one host family, matched in order; the first that fits decides.

    `decode=True` percent-decodes each segment before matching (handles written `%40name`, non-ASCII
    handles); otherwise segments are matched in their canonical percent-encoded form.
    `specific`: query parameters that, on EVERY shape of the router, name something more specific than
    the shape (a comment of a video, a post or a photo): declared once, honoured everywhere.
    `ids`: the query parameters that carry a content id on some shape of the platform (`v`, `fbid`):
    on every shape that does not read that parameter itself, its presence makes the shape not apply.
    """

    __slots__ = ("_by_first", "_captures_first", "_literals", "decode", "routes", "words")

    def __init__(
        self,
        patterns: Mapping[str, str],
        routes: Sequence[Route],
        *,
        decode: bool = False,
        specific: Iterable[str] = (),
        ids: Iterable[str] = (),
    ) -> None:
        self.decode = decode
        self.routes = tuple(_Compiled(spec, patterns) for spec in routes)
        everywhere = spellings(specific)
        content_ids = spellings(ids)
        for compiled in self.routes:
            # One rule for every shape: an id parameter the shape does not read names something else.
            refused = everywhere | (content_ids - {param.lower() for param, _, _ in compiled.query})
            if refused:
                compiled.unless |= refused
                compiled.needs_params = True
        # Words that are a literal (or a declared tail word) at a position: never captured there.
        depth = max((r.size + max(map(len, r.tail or [()])) for r in self.routes), default=0) + 1
        literals: list[set[str]] = [set() for _ in range(depth)]
        for compiled in self.routes:
            for index, part in enumerate(compiled.parts):
                if isinstance(part, str):
                    literals[index].add(part.lower())
            for tail in compiled.tail or ():
                for offset, word in enumerate(tail):
                    literals[compiled.size + offset].add(word.lower())
        self._literals = tuple(frozenset(words) for words in literals)
        # The feature words of the router, at any position: never an id read from the query either
        # (`watch?v=videoseries` is not the video `videoseries`).
        self.words = frozenset(
            part.lower() for compiled in self.routes for part in compiled.parts if isinstance(part, str)
        )
        for compiled in self.routes:
            compiled.captures = tuple(
                (index, part, self._literals[index])
                for index, part in enumerate(compiled.parts)
                if not isinstance(part, str)
            )
        self._by_first: dict[str, list[_Compiled]] = {}
        self._captures_first: list[_Compiled] = []
        for compiled in self.routes:
            if compiled.size and isinstance(compiled.parts[0], str):
                self._by_first.setdefault(compiled.parts[0], []).append(compiled)
            elif compiled.size:
                self._captures_first.append(compiled)
        self._by_first[""] = [compiled for compiled in self.routes if not compiled.size]

    def reserved(self, word: str, index: int = 0) -> bool:
        """Whether `word` is a literal or tail word at path position `index` (and so never an id there).

        Builders check the id they are given against the position it takes in their canonical URL, so
        that the canonical URL reads back as the same target (`normalize_target("x", "account", "i")`
        would otherwise canonicalize to x.com/i, a feature page).
        """
        return index < len(self._literals) and word.lower() in self._literals[index]

    def feature_word(self, word: str) -> bool:
        """Whether `word` is a literal of any shape, at any position: a feature word, never an id
        (`videoseries` is no video, wherever it is written: `/embed/`, `youtu.be/`, `watch?v=`)."""
        return word.lower() in self.words

    def match(self, url: ParsedUrl, segments: list[str] | None = None) -> Outcome:
        """The target of the first shape `url` fits, or None (a page) when it fits none."""
        segs = url.segments() if segments is None else segments
        if "%" in url.path:
            if self.decode:
                segs = [unquote(s) if "%" in s else s for s in segs]
            else:
                segs = [_SENTENCE_ESCAPE.sub(_unescape_sentence, s) if "%" in s else s for s in segs]
        count = len(segs)
        candidates = (self._by_first.get(segs[0]) or self._captures_first) if count else self._by_first[""]
        for compiled in candidates:
            size = compiled.size
            if count != size:
                if count < size or count - size > compiled.extra:
                    continue
                if compiled.tail is not None and tuple(segs[size:]) not in compiled.tail:
                    continue
            if compiled.prefix and not segs[0].startswith(compiled.prefix):
                continue
            for index, word in compiled.literals:
                if segs[index] != word:
                    break
            else:
                outcome = self._captured(compiled, url, segs)
                if not isinstance(outcome, _NoMatch):
                    return outcome
        return None

    def _captured(self, compiled: _Compiled, url: ParsedUrl, segs: list[str]) -> Outcome | _NoMatch:
        """The outcome of a route whose literals fit, or NO_MATCH if a capture or the query does not."""
        captures: dict[str, str] | None = None
        for index, pattern, refused in compiled.captures:
            segment = segs[index]
            # In any case: names fold case, so `K` is the feature word `k` too.
            if refused and segment.lower() in refused:
                return NO_MATCH
            found = pattern.fullmatch(segment)
            if found is None:
                return NO_MATCH
            if captures is None:
                captures = found.groupdict()
            else:
                captures.update(found.groupdict())
        if captures is None:
            captures = {}
        # Without a query, only a shape that reads an id from it cannot fit (`only`/`unless` hold).
        if (
            compiled.needs_params
            and (url.query or compiled.query)
            and not _query_fits(compiled, url, captures, self.words)
        ):
            return NO_MATCH
        if compiled.build is None:
            return None
        if compiled.decorated:
            captures = {k: v for k, v in captures.items() if k[0] != "_"}
        try:
            return compiled.build(**captures)
        except NormalizeError as refusal:
            if refusal.reason != "illegal_id":
                raise
            return None  # the builder refuses the id (a feature word where its URL puts it): a page


# Parameters that turn a container (a channel, an account, a group, a blog, a board) into a search or
# a listing of some of its content: another thing than the container. Container shapes declare them
# in `unless` (at worst a missed merge for a container link that carries one for another reason).
SEARCH_PARAMETERS = ("q", "query", "search", "search_query", "keyword", "keywords")


def query_within(url: ParsedUrl, allowed: frozenset[str]) -> bool:
    """Whether every query parameter but the generic trackers is one of `allowed` (lower-case names)."""
    if not url.query:
        return True
    return all(name in allowed or name in GENERIC_TRACKERS for name in url.names())


def _query_fits(compiled: _Compiled, url: ParsedUrl, captures: dict[str, str], words: frozenset[str]) -> bool:
    """Whether the query has the route's parameters (captured into `captures`), each given once (or
    always with one value), none a feature word, and none it rules out."""
    if compiled.only is not None and not query_within(url, compiled.only):
        return False
    if compiled.unless and url.mentions(compiled.unless):
        return False
    if not compiled.query:
        return True
    params = url.params()
    for param, name, pattern in compiled.query:
        value = params.get(param)
        if value is None or pattern.fullmatch(value) is None or url.ambiguous(param):
            return False
        if value.lower() in words:
            return False
        captures[name] = value
    return True


@dataclass(frozen=True, slots=True)
class Adapter:
    """One platform: the hosts it owns, how it reads their URLs, and how it builds non-URL targets.

    `from_url` picks the Router for the URL's host (and may rewrite the segments, e.g. from an old
    `#!/` fragment); it returns the router's outcome. None falls through to a page of `platform`
    (see `api.normalize_url`), stripped of `trackers` besides the generic allow-list.
    """

    platform: str
    from_url: Callable[[ParsedUrl], Outcome]
    from_target: Callable[[str, str], Target] | None
    # Exact host names, and base domains whose every subdomain also belongs to the platform.
    hosts: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    # Type names flaggers may use in a `target` for a type this adapter calls otherwise.
    type_aliases: tuple[tuple[str, str], ...] = ()
    # This platform's own share and tracking parameters, stripped from its pages.
    trackers: Trackers = NO_TRACKERS
    # Hosts of client apps that route on the whole fragment (`web.telegram.org/k/#@name`).
    fragment_hosts: frozenset[str] = frozenset()
    # If set, the subdomains of `domains` that serve the platform's own pages ("" is the domain
    # itself); any other subdomain (help., ads., studio. ...) is a page without asking `from_url`.
    content_subdomains: frozenset[str] | None = None

    def serves_content(self, host: str) -> bool:
        """Whether `host` is one whose paths this adapter's shapes describe."""
        if self.content_subdomains is None or host in self.hosts:
            return True
        for domain in self.domains:
            if host == domain:
                return "" in self.content_subdomains
            if host.endswith("." + domain):
                return host[: -len(domain) - 1] in self.content_subdomains
        return False


def require_free(router: Router, word: str, index: int, what: str) -> None:
    """Refuse (`illegal_id`) an id that would sit on a feature word of `router` in its canonical URL."""
    if router.reserved(word, index):
        raise NormalizeError("illegal_id", f"{word!r} is a feature path of the platform, not a {what}")


def no_target(url: ParsedUrl) -> NormalizeError:
    return NormalizeError("no_target", f"https://{url.host}{url.path} names no account, post or page")


def clean_id(
    raw: str, pattern: re.Pattern[str], what: str, *, lower: bool, strip_at: bool = True, nfc: bool = True
) -> str:
    """Validate a handle or id given outside a URL; `@` prefixes and surrounding space are not identity.

    `nfc=False` keeps the text as typed where the URL form does not normalize it either (NFC maps the
    KELVIN SIGN to `K`: a merge the platform may not make)."""
    text = raw.strip()
    if strip_at and text.startswith("@"):
        text = text[1:]
    if nfc and not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if not pattern.fullmatch(text):
        raise NormalizeError("illegal_id", f"{raw!r} is not a valid {what}")
    return text.lower() if lower else text


def fold_case(name: str) -> str:
    """Lower case for case-insensitive names, without merging look-alikes: a non-ASCII character whose
    lower case holds an ASCII letter (KELVIN SIGN U+212A -> `k`, U+0130 -> `i` + dot) is kept as typed.
    Whether a platform folds those is not documented; keeping them apart can only miss a merge."""
    if name.isascii():
        return name.lower()
    out: list[str] = []
    for char in name:
        lower = char.lower()
        out.append(lower if char.isascii() or not _has_ascii(lower) else char)
    return "".join(out)


def _has_ascii(text: str) -> bool:
    return any(char.isascii() for char in text)


def unknown_type(platform: str, type_: str, known: tuple[str, ...]) -> NormalizeError:
    return NormalizeError("unknown_type", f"{platform} targets have no type {type_!r}; use one of: {', '.join(known)}")
