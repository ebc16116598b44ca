"""A validation problem with one field, in the contract's `{loc, msg, type}` shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


def validation_issue(err: Mapping[str, Any], prefix: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """One pydantic or powertools validation error as the contract's `{loc, msg, type}`.

    An unknown field is named in the message, not only in `loc`: a misspelt optional field must be
    impossible to overlook.
    """
    loc = [*prefix, *(p if isinstance(p, int) else str(p) for p in err.get("loc", ()))]
    kind = str(err.get("type", "value_error"))
    msg = str(err.get("msg") or kind)
    if kind == "extra_forbidden" and loc:
        msg = f"unknown field {loc[-1]!r}: not part of this request's schema"
    return {"loc": loc, "msg": msg, "type": kind}
