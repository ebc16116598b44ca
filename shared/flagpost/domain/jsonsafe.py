"""Parsing JSON from callers: bounded depth and number size, so no body can make the parser itself fail.

Python's `json` recurses once per nesting level (RecursionError somewhere near 1,000 levels) and
refuses integers of more than 4,300 digits with a ValueError; both would surface as a 500. Every
JSON document that comes from outside (request bodies, cursors) is read through `loads`, which
turns each of these into the same `json.JSONDecodeError` a syntax error raises, before anything
deep is built. It also refuses what RFC 8259 does not allow but Python accepts (NaN and Infinity),
and objects that name a key twice, which readers disagree on (Python keeps the last).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Flagpost's deepest document (a report's target inside the envelope) is 4 levels deep.
MAX_DEPTH = 32
# More digits than any identifier or count Flagpost reads; far below Python's own limit.
MAX_NUMBER_CHARS = 64

# One token at a time: a string (its closing quote optional, so an unterminated one is consumed once
# and never rescanned) or a bracket. Every character is read once: linear whatever the input.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (strings skipped); one linear pass."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return min(MAX_DEPTH, text.count("[") + text.count("{"))  # cannot be deeper than the brackets
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth -= 1
    return deepest


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: with `{"url": A, "url": B}` no reader agrees on the URL."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return document


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of more than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of more than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number too large to represent")
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(document: str | bytes | bytearray) -> Any:
    """`json.loads` for untrusted input; every refusal is a `json.JSONDecodeError`."""
    text = document.decode("utf-8") if isinstance(document, bytes | bytearray) else document
    if nesting_depth(text) > MAX_DEPTH:
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0)
    try:
        return json.loads(
            text, parse_int=_int, parse_float=_float, parse_constant=_constant, object_pairs_hook=_unique_keys
        )
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from None
