"""What platforms did with confirmed items: the latest outcome per (item, platform) stands and counts once.

An outcome is one record per (item, platform) beside the item (`ITEM#<id>` / `OUTCOME#<platform>`),
replaced when the platform reports again: the item record never grows with outcomes, a repeat of
the same outcome writes nothing, and the statistics count the difference between the record's old
and new image (a change from `no_action` to `removed` moves one count, it does not add one).
Platforms may answer in the DSA statement-of-reasons vocabulary they already file in; it maps onto
Flagpost's four outcomes (`flagpost.domain.models.dsa.REMOVING`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from flagpost.adapters.dynamo.feed import FeedStore
from flagpost.adapters.dynamo.items import iso
from flagpost.adapters.dynamo.review import DynamoReviewStore, LostRaceError
from flagpost.adapters.http.problems import ConflictError, NotFoundError, UnprocessableError
from flagpost.domain.models.outcome import DSA_FIELDS, OutcomeIn, OutcomeOut, implied_outcome

_WRITE_ATTEMPTS = 3
_NOT_SENT = "No such item among those sent to you."


def _note_digest(note: str | None) -> str | None:
    return hashlib.sha256(note.encode()).hexdigest()[:32] if note else None


def _kept_note(current: dict[str, Any] | None, outcome: str | None) -> str | None:
    """A repeat without a note keeps the note the same outcome was reported with."""
    return current.get("note_digest") if current is not None and current.get("outcome") == outcome else None


def _same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(current.get(k) == wanted.get(k) for k in ("outcome", "acted_at", "note_digest", *DSA_FIELDS))


def record_outcome(
    items: DynamoReviewStore,
    feed: FeedStore,
    platform_id: str,
    item_id: str,
    body: OutcomeIn,
    now: datetime | None = None,
) -> OutcomeOut:
    """Store the platform's latest outcome; a repeat is a no-op. 404 unknown item, 403 not sent to it."""
    record = items.get(item_id)
    if record is None:
        raise NotFoundError(_NOT_SENT)
    if platform_id not in feed.routed_platforms(item_id):
        # Indistinguishable from an unknown item: a platform key must not tell which targets were reported.
        raise NotFoundError(_NOT_SENT)
    if body.acted_at is not None:
        _check_acted_at(body.acted_at, record, now or datetime.now(UTC))
    confirmed_at = _last_confirmation_at(record)
    given = body.model_dump(mode="json", exclude_none=True)
    for _ in range(_WRITE_ATTEMPTS):
        at = now or datetime.now(UTC)
        current = items.outcome(item_id, platform_id)
        outcome = body.outcome or implied_outcome(given)
        # Without acted_at, a repeat of the same outcome keeps the time first reported: it is the same act.
        if body.acted_at is not None:
            acted = iso(body.acted_at)
        elif current is not None and current.get("outcome") == outcome:
            acted = str(current["acted_at"])
        else:
            acted = iso(at)
        wanted: dict[str, Any] = {
            "item_id": item_id,
            "platform_id": platform_id,
            "outcome": outcome,
            "acted_at": acted,
            "recorded_at": iso(at),
            "confirmed_at": confirmed_at,
            "note_digest": _note_digest(body.note) or _kept_note(current, outcome),
            **{k: given[k] for k in DSA_FIELDS if k in given},
        }
        if current is not None and _same(current, wanted):
            return OutcomeOut.of(current)  # the same outcome again: idempotent, counted once
        detail = {
            "outcome": outcome,
            "acted_at": acted,
            **({"previous": current["outcome"]} if current else {}),
            **{k: given[k] for k in DSA_FIELDS if k in given},
        }
        try:
            items.put_outcome(
                wanted,
                revision=int(current["revision"]) if current else None,
                at=at,
                note=body.note,
                detail=detail,
            )
        except LostRaceError:
            continue  # the platform reported twice at once: decide against what is stored now
        return OutcomeOut.of(wanted)
    raise ConflictError("The outcome changed while it was being recorded; send it again.")


def _last_confirmation_at(record: dict[str, Any]) -> str | None:
    times = [str(d["at"]) for d in record.get("decisions") or [] if d.get("decision") == "confirm" and d.get("at")]
    return times[-1] if times else None


# Clocks differ a little: an action stamped a few minutes ahead of ours is taken as now.
_CLOCK_SKEW = timedelta(minutes=5)


def _check_acted_at(acted: datetime, record: dict[str, Any], now: datetime) -> None:
    """An action cannot precede the item's first report nor lie in the future: such a time would move
    the outcome into another year's transparency report or give a negative time to action."""
    first_seen = datetime.fromisoformat(str(record["first_seen_at"]))
    problem = None
    if acted > now + _CLOCK_SKEW:
        problem = "is in the future"
    elif acted < first_seen:
        problem = f"is before the item was first reported ({iso(first_seen)})"
    if problem:
        raise UnprocessableError(
            f"acted_at {problem}.", errors=[{"loc": ["body", "acted_at"], "msg": problem, "type": "acted_at_range"}]
        )
