"""Working the review queue: claim the most urgent item, renew or release the lease, decide, retract.

How claiming works (docs/review.md explains the choice): an item awaiting review sits in the sparse
``review-queue`` index (one partition per queue, sorted by priority rank, then due_at) for as long as
it awaits review, leased or not. The index projects the lease expiry and the confirmations, so a
claim reads one small page of the head, skips what is leased (or what this reviewer already
confirmed) and takes the first free entry with a change guarded by what it read. An expired lease is
simply no longer live: the item is claimable again without any write or clean-up job.
The rules themselves are `flagpost.domain.review_rules`; this module reads, applies and retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from flagpost.domain.errors import ConflictError, InvalidInputError, NotFoundError, UnavailableError, WriteConflictError
from flagpost.domain.ids import new_lease_id, new_note_id
from flagpost.domain.models.item import Item
from flagpost.domain.models.principal import Principal
from flagpost.domain.models.records import ItemRecord, QueueEntry
from flagpost.domain.models.review import Claimed, DecisionIn, Lease, LeaseOut, QueueName
from flagpost.domain.models.times import iso
from flagpost.domain.review_rules import ItemChange, plan_claim, plan_decision, plan_lease, plan_retract, require_lease
from flagpost.observability import logger
from flagpost.services.ports import ReviewStore

Clock = Callable[[], datetime]
MetricSink = Callable[[str, float], None]

# A claim reads the queue's head: first a few entries (usually the first free one is among them), then
# larger pages. Entries it must skip are live leases and items this reviewer already confirmed, both
# bounded by the number of reviewers, not by the queue's length.
CLAIM_FIRST_PAGE = 5
CLAIM_PAGE = 50
CLAIM_MAX_PAGES = 20
# A decision re-reads and retries when something other than its lease moved (e.g. ingest raised the
# priority between the read and the write).
DECIDE_ATTEMPTS = 3


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _no_metric(name: str, value: float) -> None:
    del name, value


class ReviewService:
    def __init__(
        self,
        store: ReviewStore,
        *,
        lease_seconds: int = 600,
        clock: Clock = _utcnow,
        metric: MetricSink = _no_metric,
        platforms: Callable[[], list[Principal]] = list,
    ) -> None:
        self.store = store
        self.lease_length = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.metric = metric
        self.platforms = platforms

    # ------------------------------------------------------------------ claim
    def claim(self, reviewer_id: str, queue: QueueName = "default") -> Claimed | None:
        """Lease the most urgent free item of `queue` to the reviewer; None when nothing awaits them."""
        start = None
        for page_no in range(CLAIM_MAX_PAGES):
            entries, start = self.store.queue_page(queue, CLAIM_PAGE if page_no else CLAIM_FIRST_PAGE, start)
            for entry in entries:
                claimed = self._try_claim(reviewer_id, entry)
                if claimed is not None:
                    return claimed
            if start is None:
                return None
        logger.warning("claim gave up past the queue head", extra={"queue": queue, "pages": CLAIM_MAX_PAGES})
        return None

    def _try_claim(self, reviewer_id: str, entry: QueueEntry) -> Claimed | None:
        now = self.clock()
        change = plan_claim(entry, reviewer_id, new_lease_id(), now, self.lease_length)
        if change is None or change.lease is None:
            return None
        try:
            self.store.apply(change)
        except WriteConflictError:
            return None  # another reviewer took it, or it moved; the next entry is as good
        record = self.store.get(entry.item_id)
        if record is None:  # cannot happen: items are never deleted
            raise UnavailableError("The claimed item vanished; claim again.")
        item = record.to_item(now)
        self.metric("ItemsClaimed", 1)
        if item.overdue:
            self.metric("OverdueItemsClaimed", 1)
        expires = datetime.fromisoformat(str(change.lease.expires_at))
        return Claimed(item=item, lease=Lease(lease_id=str(change.lease.lease_id), expires_at=expires))

    def _write(self, change: ItemChange) -> None:
        """Write a change made under a lease: the lease must still be live when the write is made, not
        only when the item was read (a decision that takes longer than the lease has left loses it)."""
        self.store.apply(replace(change, guard=replace(change.guard, lease_live_at=iso(self.clock()))))

    # ----------------------------------------------------------------- leases
    def lease(self, reviewer_id: str, item_id: str, lease_id: str, action: Literal["renew", "release"]) -> LeaseOut:
        now = self.clock()
        change = plan_lease(self._record(item_id), reviewer_id, lease_id, action, now, self.lease_length)
        try:
            self._write(change)
        except WriteConflictError:
            self._explain_conflict(item_id, reviewer_id, lease_id)
        renewed = change.lease.expires_at if change.lease and action == "renew" else None
        return LeaseOut(
            item_id=item_id,
            action=action,
            lease=Lease(lease_id=lease_id, expires_at=datetime.fromisoformat(renewed)) if renewed else None,
        )

    def _explain_conflict(self, item_id: str, reviewer_id: str, lease_id: str) -> None:
        """Turn a failed guard into the 409 that says why (re-read after the write lost)."""
        require_lease(self._record(item_id), reviewer_id, lease_id, self.clock())
        raise ConflictError("The item changed while you were deciding; reload it and decide again.")

    # -------------------------------------------------------------- decisions
    def decide(self, reviewer_id: str, item_id: str, decision: DecisionIn) -> Item:
        if decision.platforms:
            self._check_platforms(decision.platforms)
        for _ in range(DECIDE_ATTEMPTS):
            now = self.clock()
            record = self._record(item_id)
            change = plan_decision(record, reviewer_id, decision, now, new_note_id(now) if decision.note else None)
            try:
                self._write(change)
            except WriteConflictError:
                # Only a lost lease is final; anything else (a raised priority, a new flagger) is
                # re-read and decided on the item as it is now.
                continue
            self._count_decision(change.event, record, now)
            return self.item_with_notes(item_id, now)
        self._explain_conflict(item_id, reviewer_id, decision.lease_id)
        raise AssertionError("unreachable")  # pragma: no cover - _explain_conflict always raises

    def _check_platforms(self, named: list[str]) -> None:
        """Every platform a confirmation names must exist and be active (by principal id or platform
        name): an unknown one would silently receive nothing."""
        known: set[str] = set()
        for platform in self.platforms():
            known.add(platform.id.lower())
            known.update(platform.platform_ids)
        unknown = [(n, name) for n, name in enumerate(named) if name.lower() not in known]
        if unknown:
            raise InvalidInputError(
                f"No active platform is called {', '.join(repr(name) for _, name in unknown)}.",
                errors=[
                    {
                        "loc": ["body", "platforms", n],
                        "msg": f"no active platform is {name!r}",
                        "type": "unknown_platform",
                    }
                    for n, name in unknown
                ],
            )

    def _count_decision(self, event: str, record: ItemRecord, now: datetime) -> None:
        self.metric(f"Items{event.title().replace('_', '')}", 1)
        if event in ("confirmed", "rejected"):
            # Review latency as regulators count it: from the first report to the final decision.
            first = datetime.fromisoformat(record.first_seen_at)
            self.metric("ReviewLatencySeconds", max(0.0, (now - first).total_seconds()))
        if record.due_at < iso(now):
            self.metric("OverdueDecisions", 1)

    # ---------------------------------------------------------------- retract
    def retract(self, reviewer_id: str, item_id: str, reason: str) -> Item:
        now = self.clock()
        change = plan_retract(self._record(item_id), reviewer_id, reason, now, new_note_id(now))
        try:
            self._write(change)
        except WriteConflictError:
            raise ConflictError("The item is no longer confirmed (retracted already?).") from None
        self.metric("ItemsRetracted", 1)
        return self.item_with_notes(item_id, now)

    # ------------------------------------------------------------------ reads
    def _record(self, item_id: str) -> ItemRecord:
        record = self.store.get(item_id)
        if record is None:
            raise NotFoundError(f"No item {item_id!r}.")
        return record

    def item_with_notes(self, item_id: str, now: datetime) -> Item:
        return self._record(item_id).to_item(now, self.store.notes(item_id))
