"""Working the review queue: claim the most urgent item, renew or release the lease, decide, retract.

How claiming works (docs/review.md explains the choice): an item awaiting review sits in the sparse
``review-queue`` index (one partition per queue, sorted by priority rank, then due_at) for as long as
it awaits review, leased or not. The index projects the lease expiry and the confirmations, so a
claim reads one small page of the head, skips what is leased (or what this reviewer already
confirmed) and takes the first free entry with a change guarded by what it read. An expired lease is
simply no longer live: the item is claimable again without any write or clean-up job.

A reviewer holds at most one lease per queue: a claim first reads the reviewer's marker for the queue
and answers with the item already held; the marker is taken in the claim's own transaction, so two
claims at once (two tabs, a double click) lease one item, and the loser answers with the winner's.
A decision repeated under the same lease (a retry after a lost answer) answers what landed.
The rules themselves are `flagpost.domain.review_rules`; this module reads, applies and retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from flagpost.domain.errors import ConflictError, NotFoundError, UnavailableError, WriteConflictError
from flagpost.domain.ids import new_lease_id, new_note_id
from flagpost.domain.models.item import Item, ItemStatus
from flagpost.domain.models.principal import Principal
from flagpost.domain.models.records import Hold, ItemRecord, QueueEntry
from flagpost.domain.models.review import (
    Claimed,
    DecisionIn,
    DecisionOut,
    DecisionOutcome,
    Lease,
    LeaseOut,
    PlatformList,
    PlatformOption,
    QueueName,
)
from flagpost.domain.models.times import iso
from flagpost.domain.review_rules import (
    ItemChange,
    confirmations_required,
    plan_claim,
    plan_decision,
    plan_lease,
    plan_retract,
    require_lease,
    same_decision,
)
from flagpost.domain.routing import check_named_platforms
from flagpost.observability import logger
from flagpost.services.ports import ReviewStore

Clock = Callable[[], datetime]
MetricSink = Callable[[str, float], None]

# A claim reads the queue's head: first a few entries (usually the first free one is among them), then
# larger pages. Entries it must skip are live leases and items this reviewer already confirmed, both
# bounded by the number of reviewers, not by the queue's length.
QUEUES: tuple[QueueName, ...] = ("default", "escalated")
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
        """Lease the most urgent free item of `queue` to the reviewer, or answer with the one they hold
        there already; None when nothing awaits them."""
        held, stale = self.held(reviewer_id, queue)
        if held is not None:
            return held
        start = None
        for page_no in range(CLAIM_MAX_PAGES):
            entries, start = self.store.queue_page(queue, CLAIM_PAGE if page_no else CLAIM_FIRST_PAGE, start)
            for entry in entries:
                claimed, held = self._try_claim(reviewer_id, queue, entry, stale)
                if held is not None:
                    return held  # another claim of this reviewer's landed first
                if claimed is not None:
                    return claimed
            if start is None:
                return None
        logger.warning("claim gave up past the queue head", extra={"queue": queue, "pages": CLAIM_MAX_PAGES})
        return None

    def held(self, reviewer_id: str, queue: QueueName) -> tuple[Claimed | None, str | None]:
        """The item the reviewer holds a live lease on in `queue`, and the lease id of a stale marker (one
        whose item no longer agrees: a claim may replace it)."""
        now = self.clock()
        hold = self.store.hold(queue, reviewer_id)
        if hold is None or not hold.live(now):
            return None, None
        record = self.store.get(str(hold.item_id))
        if record is None or not record.held_by(reviewer_id, str(hold.lease_id), now):
            return None, hold.lease_id
        return self._claimed(record, hold, now, already_held=True), None

    def holdings(self, reviewer_id: str) -> list[Claimed]:
        """Every live lease the reviewer holds (at most one per queue)."""
        out = []
        for queue in QUEUES:
            held, _ = self.held(reviewer_id, queue)
            if held is not None:
                out.append(held)
        return out

    @staticmethod
    def _claimed(record: ItemRecord, hold: Hold, now: datetime, *, already_held: bool) -> Claimed:
        lease = Lease(lease_id=str(hold.lease_id), expires_at=datetime.fromisoformat(str(record.lease_expires_at)))
        return Claimed(item=record.to_item(now), lease=lease, already_held=already_held)

    def _try_claim(
        self, reviewer_id: str, queue: QueueName, entry: QueueEntry, stale: str | None
    ) -> tuple[Claimed | None, Claimed | None]:
        """(what this claim leased, what the reviewer turned out to hold already)."""
        now = self.clock()
        change = plan_claim(entry, reviewer_id, new_lease_id(), now, self.lease_length, stale)
        if change is None or change.lease is None:
            return None, None
        try:
            self.store.apply(change)
        except WriteConflictError:
            # Another reviewer took the entry, or it moved (the next entry is as good), or this
            # reviewer's own claim in another tab took the marker first (answer with its item).
            held, _ = self.held(reviewer_id, queue)
            return None, held
        record = self.store.get(entry.item_id)
        if record is None:  # cannot happen: items are never deleted
            raise UnavailableError("The claimed item vanished; claim again.")
        item = record.to_item(now)
        self.metric("ItemsClaimed", 1)
        if item.overdue:
            self.metric("OverdueItemsClaimed", 1)
        expires = datetime.fromisoformat(str(change.lease.expires_at))
        return Claimed(item=item, lease=Lease(lease_id=str(change.lease.lease_id), expires_at=expires)), None

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
        raise ConflictError("The item changed while you were deciding; reload it and decide again.", code="changed")

    # -------------------------------------------------------------- decisions
    def decide(self, reviewer_id: str, item_id: str, decision: DecisionIn) -> Item:
        return self.decide_out(reviewer_id, item_id, decision).item

    def decide_out(self, reviewer_id: str, item_id: str, decision: DecisionIn) -> DecisionOut:
        """Decide, and say what the decision did (a retry of one that landed answers what landed)."""
        if decision.platforms:
            self._check_platforms(decision.platforms)
        for _ in range(DECIDE_ATTEMPTS):
            now = self.clock()
            record = self._record(item_id)
            if self._repeated(record, reviewer_id, decision):
                return self._repeat_answer(record, reviewer_id, decision, now)
            change = plan_decision(record, reviewer_id, decision, now, new_note_id(now) if decision.note else None)
            try:
                self._write(change)
            except WriteConflictError:
                # Only a lost lease is final; anything else (a raised priority, a new flagger) is
                # re-read and decided on the item as it is now.
                continue
            self._count_decision(change.event, record, now)
            return DecisionOut.of(self.item_with_notes(item_id, now), change.event)  # type: ignore[arg-type]
        record = self._record(item_id)
        if self._repeated(record, reviewer_id, decision):
            return self._repeat_answer(record, reviewer_id, decision, self.clock())
        self._explain_conflict(item_id, reviewer_id, decision.lease_id)
        raise AssertionError("unreachable")  # pragma: no cover - _explain_conflict always raises

    def _repeat_answer(self, record: ItemRecord, reviewer_id: str, decision: DecisionIn, now: datetime) -> DecisionOut:
        item = self.item_with_notes(record.item_id, now)
        outcome: DecisionOutcome = {"reject": "rejected", "escalate": "escalated"}.get(  # type: ignore[assignment]
            decision.decision, "first_confirmation"
        )
        if decision.decision == "reject" and record.disputed_by == reviewer_id:
            outcome = "disputed"  # the rejection landed as a dispute of a colleague's confirmation
        if decision.decision == "confirm":
            confirms = [d for d in record.decisions if d.get("decision") == "confirm"]
            final = not record.awaits_review and confirms and confirms[-1].get("lease_id") == decision.lease_id
            outcome = "confirmed" if final or confirmations_required(record.priority) == 1 else outcome
        return DecisionOut.of(item, outcome, repeated=True)

    @staticmethod
    def _repeated(record: ItemRecord, reviewer_id: str, decision: DecisionIn) -> bool:
        """Whether this decision already landed under this lease (a retry: answer what landed); a
        different decision under a lease that already carried one is a 409."""
        landed = record.decision_under(decision.lease_id, reviewer_id)
        if landed is None:
            return False
        if same_decision(landed, decision):
            return True
        raise ConflictError(
            f"You already decided this item under this lease ({landed.get('decision')}); a lease carries one decision.",
            code="already_decided",
        )

    def platform_options(self) -> PlatformList:
        """The active platforms a confirmation may name (the console's "Extra platforms" picker)."""
        found = sorted(self.platforms(), key=lambda p: p.name.lower())
        return PlatformList(
            platforms=[PlatformOption(id=p.id, name=p.name, platform_ids=list(p.platform_ids)) for p in found]
        )

    def _check_platforms(self, named: list[str]) -> None:
        check_named_platforms(named, self.platforms())

    def _count_decision(self, event: str, record: ItemRecord, now: datetime) -> None:
        self.metric(f"Items{event.title().replace('_', '')}", 1)
        if event in ("confirmed", "rejected"):
            # Review latency as regulators count it: from the first report to the final decision.
            first = datetime.fromisoformat(record.first_seen_at)
            self.metric("ReviewLatencySeconds", max(0.0, (now - first).total_seconds()))
        if record.due_at < iso(now):
            self.metric("OverdueDecisions", 1)

    # ---------------------------------------------------------------- retract
    def retract_out(self, reviewer_id: str, item_id: str, reason: str) -> DecisionOut:
        """Retract, or ask to (what two reviewers confirmed, two retract), and say which it was."""
        for _ in range(DECIDE_ATTEMPTS):
            now = self.clock()
            record = self._record(item_id)
            if record.status is ItemStatus.RETRACTED and (record.retraction or {}).get("reviewer_id") == reviewer_id:
                # A retry of the retraction that landed (its answer was lost): answer what landed.
                return DecisionOut.of(self.item_with_notes(item_id, now), "retracted", repeated=True)
            change = plan_retract(record, reviewer_id, reason, now, new_note_id(now))
            try:
                self._write(change)
            except WriteConflictError:
                continue  # another reviewer asked or retracted meanwhile: plan again on the item as it is
            self.metric("ItemsRetracted" if change.event == "retracted" else "RetractionsRequested", 1)
            return DecisionOut.of(self.item_with_notes(item_id, now), change.event)  # type: ignore[arg-type]
        raise ConflictError("The item changed while you were retracting it; reload it and try again.", code="changed")

    # ------------------------------------------------------------------ reads
    def _record(self, item_id: str) -> ItemRecord:
        record = self.store.get(item_id)
        if record is None:
            raise NotFoundError(f"No item {item_id!r}.")
        return record

    def item_with_notes(self, item_id: str, now: datetime) -> Item:
        return self._record(item_id).to_item(now, self.store.notes(item_id))
