"""The opaque cursor of a status listing: which stored status it is in and where DynamoDB stopped.

A cursor comes back from callers, so it is read as untrusted input: only a start key of the status
index's own shape is accepted; anything else is a forged cursor (400), never a DynamoDB error.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from flagpost.domain import jsonsafe
from flagpost.domain.errors import MalformedInputError

_ITEM_PK = re.compile(r"^ITEM#itm_[0-9a-f]{1,64}$")
BAD_CURSOR = "The cursor is not valid for this listing."


class StatusKey(BaseModel):
    """The only ExclusiveStartKey a list cursor may carry: anything else is a forged cursor."""

    model_config = ConfigDict(extra="forbid", strict=True)

    pk: str
    sk: Literal["ITEM"]
    status: str
    due_at: str


class ListCursor(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    v: Literal[1]
    status: str
    part: int  # which stored status the listing is in (in_review spans pending and escalated)
    key: StatusKey | None


def status_key(start: dict[str, Any] | None) -> StatusKey | None:
    if start is None:
        return None
    return StatusKey.model_validate({k: start[k] for k in ("pk", "sk", "status", "due_at")})


def encode_cursor(cursor: ListCursor) -> str:
    return base64.urlsafe_b64encode(cursor.model_dump_json().encode()).decode().rstrip("=")


def decode_cursor(raw: str, listing: str) -> ListCursor:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        cursor = ListCursor.model_validate(jsonsafe.loads(base64.urlsafe_b64decode(padded.encode("ascii"))))
    except (ValueError, UnicodeError, binascii.Error, ValidationError):
        raise MalformedInputError(BAD_CURSOR) from None
    if cursor.status != listing or cursor.part < 0:
        raise MalformedInputError("The cursor belongs to another listing.")
    key = cursor.key
    if key is not None and not (_ITEM_PK.fullmatch(key.pk) and _is_time(key.due_at)):
        raise MalformedInputError(BAD_CURSOR)
    return cursor


def _is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
