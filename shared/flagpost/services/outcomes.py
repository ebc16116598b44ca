"""What platforms did with confirmed items: the latest outcome per (item, platform) stands and counts once.

An outcome is one record per (item, platform) beside the item, replaced when the platform reports
again: the item record never grows with outcomes, a repeat of the same outcome writes nothing, and
the statistics count the difference between the record's old and new image (a change from
`no_action` to `removed` moves one count, it does not add one). Platforms may answer in the DSA
statement-of-reasons vocabulary they already file in; it maps onto Flagpost's four outcomes
(`flagpost.domain.models.dsa.REMOVING`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flagpost.domain.errors import ConflictError, InvalidInputError, NotFoundError, WriteConflictError
from flagpost.domain.models.outcome import DSA_FIELDS, OutcomeIn, OutcomeOut, OutcomeRecord, implied_outcome
from flagpost.domain.models.records import ItemRecord
from flagpost.domain.models.times import iso
from flagpost.services.ports import Feed, OutcomeStore

_WRITE_ATTEMPTS = 3
_NOT_SENT = "No such item among those sent to you."
# Clocks differ a little: an action stamped a few minutes ahead of ours is taken as now.
_CLOCK_SKEW = timedelta(minutes=5)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _note_digest(note: str | None) -> str | None:
    return hashlib.sha256(note.encode()).hexdigest()[:32] if note else None


def _same(current: OutcomeRecord, wanted: OutcomeRecord) -> bool:
    fields = ("outcome", "acted_at", "note_digest", *DSA_FIELDS)
    return all(getattr(current, k) == getattr(wanted, k) for k in fields)


class OutcomeService:
    def __init__(self, store: OutcomeStore, feed: Feed, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
        self.feed = feed
        self.clock = clock

    def record(self, platform_id: str, item_id: str, body: OutcomeIn) -> OutcomeOut:
        """Store the platform's latest outcome; a repeat is a no-op. 404 for an item not sent to it."""
        item = self.store.item(item_id)
        # An item not sent to this platform is indistinguishable from an unknown one: a platform key
        # must not tell which targets were reported.
        if item is None or platform_id not in self.feed.routed_platforms(item_id):
            raise NotFoundError(_NOT_SENT)
        if body.acted_at is not None:
            _check_acted_at(body.acted_at, item, self.clock())
        for _ in range(_WRITE_ATTEMPTS):
            at = self.clock()
            current = self.store.outcome(item_id, platform_id)
            wanted = _wanted(item, platform_id, body, current, at)
            if current is not None and _same(current, wanted):
                return OutcomeOut.of(current.model_dump())  # the same outcome again: idempotent, counted once
            given = body.model_dump(mode="json", exclude_none=True)
            detail = {
                "outcome": wanted.outcome,
                "acted_at": wanted.acted_at,
                **({"previous": current.outcome} if current else {}),
                **{k: given[k] for k in DSA_FIELDS if k in given},
            }
            try:
                stored = self.store.put(wanted, at=at, note=body.note, detail=detail)
            except WriteConflictError:
                continue  # the platform reported twice at once: decide against what is stored now
            return OutcomeOut.of(stored.model_dump())
        raise ConflictError("The outcome changed while it was being recorded; send it again.", retry_after=1)


def _wanted(
    item: ItemRecord, platform_id: str, body: OutcomeIn, current: OutcomeRecord | None, at: datetime
) -> OutcomeRecord:
    given = body.model_dump(mode="json", exclude_none=True)
    outcome = body.outcome or implied_outcome(given)
    same_act = current is not None and current.outcome == outcome
    # Without acted_at, a repeat of the same outcome keeps the time first reported: it is the same act.
    if body.acted_at is not None:
        acted = iso(body.acted_at)
    elif current is not None and same_act:
        acted = current.acted_at
    else:
        acted = iso(at)
    # A repeat without a note keeps the note the same outcome was reported with.
    kept_note = current.note_digest if current is not None and same_act else None
    return OutcomeRecord.model_validate(
        {
            "item_id": item.item_id,
            "platform_id": platform_id,
            "outcome": outcome,
            "acted_at": acted,
            "recorded_at": iso(at),
            "confirmed_at": item.last_confirmation_at(),
            "received_at": item.first_seen_at,
            "note_digest": _note_digest(body.note) or kept_note,
            "revision": current.revision if current is not None else 0,
            **{k: given[k] for k in DSA_FIELDS if k in given},
        }
    )


def _check_acted_at(acted: datetime, item: ItemRecord, now: datetime) -> None:
    """An action cannot precede the item's first report nor lie in the future: such a time would move
    the outcome into another year's transparency report or give a negative time to action."""
    first_seen = datetime.fromisoformat(item.first_seen_at)
    problem = None
    if acted > now + _CLOCK_SKEW:
        problem = "is in the future"
    elif acted < first_seen:
        problem = f"is before the item was first reported ({iso(first_seen)})"
    if problem:
        raise InvalidInputError(
            f"acted_at {problem}.", errors=[{"loc": ["body", "acted_at"], "msg": problem, "type": "acted_at_range"}]
        )
