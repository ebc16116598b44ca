"""`flagpost normalize [URL ...]`: print the Target (or the refusal) of each link, one JSON object a line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any

from flagpost.domain.normalize import NormalizeError, normalize_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "normalize",
        help="print the canonical target and dedup key of each URL",
        description=(
            'Print one JSON object per input: the Target fields plus "input", or '
            '{"input", "error", "reason"} for a link that names no target. With no URL arguments, '
            "read one link per line from standard input (a blank line gives an `empty` error object, "
            "so output line N always answers input line N). Never fetches anything. Exit status is 0 "
            "even when some inputs are invalid."
        ),
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="links as flaggers paste them")
    parser.set_defaults(func=run)


def describe(raw: str) -> dict[str, Any]:
    """The contract's output object for one input."""
    try:
        target = normalize_url(raw)
    except NormalizeError as error:
        return {"input": raw, "error": str(error), "reason": error.reason}
    return {"input": raw, **target.as_dict()}


def _lines(stream: Iterable[str]) -> Iterable[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    if args.urls:
        inputs: Iterable[str] = args.urls
    else:
        # A line of broken UTF-8 must give an error object, not end the run with a traceback.
        reconfigure = getattr(sys.stdin, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
        inputs = _lines(sys.stdin)
    out = sys.stdout
    for raw in inputs:
        # ensure_ascii keeps the output valid even for undecodable bytes smuggled in as surrogates.
        out.write(json.dumps(describe(raw)) + "\n")
    out.flush()
    return 0
