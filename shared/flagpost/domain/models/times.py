"""Times: how Flagpost writes them (`iso`), and those that come from outside (`Instant`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

EARLIEST_YEAR = 1990
LATEST_YEAR = 2100


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is not a time that can be expressed in UTC") from None
    if not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return utc


# What the contract promises to read: an RFC 3339 date-time with an offset, written out. pydantic's
# lax mode would also read a number, or a string of digits, as unix seconds ("1796017000" would be
# a time); a time given so is a caller's mistake, named instead of guessed.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})")


def _written_out(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-11-30T09:15:00Z")
    return value


# An RFC 3339 time with an offset, as UTC; 0001-01-01T00:00:00+01:00 (before year 1 in UTC) and
# 9999-12-31T23:59:59-01:00 (after 9999) are refused like any other time outside the range.
Instant = Annotated[AwareDatetime, BeforeValidator(_written_out), AfterValidator(_in_range)]


def iso(at: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and `Z`: the one form stored, so stored times compare as text."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
