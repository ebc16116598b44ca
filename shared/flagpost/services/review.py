"""The review rules: exclusive leases, most-urgent-first claims, decide once, four eyes, retraction, listings.

How claiming works (docs/review.md explains the choice): an item awaiting review sits in the sparse
``review-queue`` index (one partition per queue, sorted by priority rank, then due_at) for as long as
it awaits review, leased or not. The index projects the lease expiry and the confirmations, so a
claim reads one small page of the head, skips what is leased (or what this reviewer already
confirmed) and takes the first free entry with a conditional write pinned to what it read. An expired
lease is simply no longer live: the item is claimable again without any write or clean-up job.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from flagpost.adapters.dynamo.items import QUEUE_ESCALATED, iso, item_from_record, lease_active, new_note_id, note_text
from flagpost.adapters.dynamo.review import BadStartKeyError, DynamoReviewStore, ItemWrite, LostRaceError
from flagpost.adapters.http.problems import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    ServiceUnavailableError,
    UnprocessableError,
)
from flagpost.config import Settings, settings
from flagpost.domain import jsonsafe
from flagpost.domain.models.item import Decision, Item, ItemStatus
from flagpost.domain.models.outcome import OutcomeOut
from flagpost.domain.models.principal import Principal
from flagpost.domain.models.report import Priority
from flagpost.domain.models.review import (
    Claimed,
    DecisionIn,
    HistoryEntry,
    ItemDetail,
    ItemList,
    Lease,
    LeaseOut,
    LeaseView,
    QueueCount,
    QueueCounts,
    QueueName,
    ReportSummary,
)
from flagpost.lazy import lazy
from flagpost.observability import logger, metrics

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
DETAIL_REPORTS = 200
QUEUES: tuple[QueueName, ...] = ("default", "escalated")
AWAITING = (ItemStatus.PENDING.value, ItemStatus.ESCALATED.value)
LEASE_ATTRS = "lease_id, lease_holder, lease_expires_at"
ITEM_KEY_PATTERN = r"^ITEM#itm_[0-9a-f]{1,64}$"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _emit(name: str, value: float) -> None:
    metrics.add_metric(name=name, unit="Seconds" if name.endswith("Seconds") else "Count", value=value)


def confirmations_required(priority: Priority) -> int:
    """Threat-to-life items need two reviewers to confirm (four eyes); others one."""
    return 2 if priority is Priority.THREAT_TO_LIFE else 1


class _StatusKey(BaseModel):
    """The only ExclusiveStartKey a list cursor may carry: anything else is a forged cursor."""

    model_config = ConfigDict(extra="forbid", strict=True)

    pk: str
    sk: Literal["ITEM"]
    status: str
    due_at: str


class _Cursor(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    v: Literal[1]
    status: str
    part: int  # which stored status the listing is in (in_review spans pending and escalated)
    key: _StatusKey | None


@dataclass
class _Plan:
    """The parts of one decision's update expression, filled in by the rule that applies."""

    values: dict[str, Any]
    condition: str
    detail: dict[str, Any]
    event: str = ""
    sets: list[str] = field(default_factory=lambda: ["decisions = list_append(if_not_exists(decisions, :none), :d)"])
    adds: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=lambda: [LEASE_ATTRS])

    def expression(self) -> str:
        out = "SET " + ", ".join(self.sets)
        if self.adds:
            out += " ADD " + ", ".join(self.adds)
        return out + " REMOVE " + ", ".join(self.removes)


class ReviewService:
    def __init__(
        self,
        store: DynamoReviewStore,
        *,
        config: Settings | None = None,
        clock: Clock = _utcnow,
        metric: MetricSink = _emit,
        platforms: Callable[[], list[Principal]] = list,
    ) -> None:
        self.store = store
        self.platforms = platforms
        self.config = config or settings()
        self.clock = clock
        self.metric = metric

    @property
    def lease_length(self) -> timedelta:
        return timedelta(seconds=self.config.lease_seconds)

    # ------------------------------------------------------------------ claim
    def claim(self, reviewer_id: str, queue: QueueName = "default") -> Claimed | None:
        """Lease the most urgent free item of `queue` to the reviewer; None when nothing awaits them."""
        start: dict[str, Any] | None = None
        for page_no in range(CLAIM_MAX_PAGES):
            page = self.store.queue_page(queue, CLAIM_PAGE if page_no else CLAIM_FIRST_PAGE, start)
            for entry in page.records:
                claimed = self._try_claim(reviewer_id, queue, entry)
                if claimed is not None:
                    return claimed
            if page.last_key is None:
                return None
            start = page.last_key
        logger.warning("claim gave up past the queue head", extra={"queue": queue, "pages": CLAIM_MAX_PAGES})
        return None

    def _try_claim(self, reviewer_id: str, queue: str, entry: dict[str, Any]) -> Claimed | None:
        now = self.clock()
        if lease_active(entry, now) or reviewer_id in entry.get("confirmations", []):
            return None
        item_id = entry["pk"].removeprefix("ITEM#")
        lease_id = "lse_" + secrets.token_hex(12)
        expires = now + self.lease_length
        values: dict[str, Any] = {
            ":q": queue,
            ":qs": entry["queue_sort"],
            ":lid": lease_id,
            ":me": reviewer_id,
            ":exp": iso(expires),
        }
        # Pinned to what the index showed: no lease, or exactly the expired one we saw. The base table
        # decides, so a stale index entry only costs a failed condition, never a double lease.
        if "lease_expires_at" in entry:
            lease_condition = "lease_expires_at = :seen"
            values[":seen"] = entry["lease_expires_at"]
        else:
            lease_condition = "attribute_not_exists(lease_expires_at)"
        change = ItemWrite(
            item_id=item_id,
            update="SET lease_id = :lid, lease_holder = :me, lease_expires_at = :exp",
            condition=f"#q = :q AND queue_sort = :qs AND {lease_condition} AND NOT contains(confirmations, :me)",
            values=values,
            names={"#q": "queue"},
            event="claimed",
            actor=reviewer_id,
            at=now,
            lease_id=lease_id,
            detail={"queue": queue, "expires_at": iso(expires)}
            | ({"after_expired_lease_of": entry["lease_holder"]} if "lease_holder" in entry else {}),
        )
        try:
            self.store.write(change)
        except LostRaceError:
            return None  # another reviewer took it, or it moved; the next entry is as good
        record = self.store.get(item_id)
        if record is None:  # cannot happen: items are never deleted
            raise ServiceUnavailableError("The claimed item vanished; claim again.")
        item = item_from_record(record, now)
        self.metric("ItemsClaimed", 1)
        if item.overdue:
            self.metric("OverdueItemsClaimed", 1)
        return Claimed(item=item, lease=Lease(lease_id=lease_id, expires_at=expires))

    # ----------------------------------------------------------------- leases
    def lease(self, reviewer_id: str, item_id: str, lease_id: str, action: Literal["renew", "release"]) -> LeaseOut:
        now = self.clock()
        record = self._record(item_id)
        self._require_lease(record, reviewer_id, lease_id, now)
        expires = now + self.lease_length
        if action == "renew":
            update = "SET lease_expires_at = :exp"
            values = {":exp": iso(expires)}
        else:
            update = f"REMOVE {LEASE_ATTRS}"
            values = {}
        change = ItemWrite(
            item_id=item_id,
            update=update,
            condition=self._lease_condition(),
            values={**values, **self._lease_values(reviewer_id, lease_id, record["status"])},
            names={"#s": "status"},
            event={"renew": "lease_renewed", "release": "lease_released"}[action],
            actor=reviewer_id,
            at=now,
            lease_id=lease_id,
            detail={"expires_at": iso(expires)} if action == "renew" else {},
        )
        try:
            self.store.write(change)
        except LostRaceError:
            self._explain_conflict(item_id, reviewer_id, lease_id)
        return LeaseOut(
            item_id=item_id,
            action=action,
            lease=Lease(lease_id=lease_id, expires_at=expires) if action == "renew" else None,
        )

    def _lease_condition(self) -> str:
        # `:now` is read just before the write: a lease that ran out while the request was on its way
        # no longer counts, whatever the earlier check saw.
        return "lease_id = :lid AND lease_holder = :me AND lease_expires_at > :now AND #s = :rest"

    def _lease_values(self, reviewer_id: str, lease_id: str, rest: str) -> dict[str, Any]:
        return {":lid": lease_id, ":me": reviewer_id, ":now": iso(self.clock()), ":rest": rest}

    def _require_lease(self, record: dict[str, Any], reviewer_id: str, lease_id: str, now: datetime) -> None:
        status = record["status"]
        if status not in AWAITING:
            raise ConflictError(f"The item was already decided: it is {status}.")
        if record.get("lease_id") != lease_id or record.get("lease_holder") != reviewer_id:
            raise ConflictError("You do not hold this lease: it was released, expired or is someone else's.")
        if not lease_active(record, now):
            raise ConflictError("Your lease on this item has expired; claim it again.")

    def _explain_conflict(self, item_id: str, reviewer_id: str, lease_id: str) -> None:
        """Turn a failed condition into the 409 that says why (re-read after the write lost)."""
        record = self._record(item_id)
        self._require_lease(record, reviewer_id, lease_id, self.clock())
        raise ConflictError("The item changed while you were deciding; reload it and decide again.")

    # -------------------------------------------------------------- decisions
    def decide(self, reviewer_id: str, item_id: str, decision: DecisionIn) -> Item:
        if decision.platforms:
            self._check_platforms(decision.platforms)
        for _ in range(DECIDE_ATTEMPTS):
            now = self.clock()
            record = self._record(item_id)
            self._require_lease(record, reviewer_id, decision.lease_id, now)
            change = self._plan_decision(record, reviewer_id, decision, now)
            try:
                self.store.write(change)
            except LostRaceError:
                # Only a lost lease is final; anything else (a raised priority, a new flagger) is
                # re-read and decided on the item as it is now.
                continue
            self._count_decision(change.event, record, now)
            return self._item_with_notes(item_id, now)
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
            raise UnprocessableError(
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

    def _plan_decision(
        self, record: dict[str, Any], reviewer_id: str, decision: DecisionIn, now: datetime
    ) -> ItemWrite:
        priority = Priority(record["priority"])
        prior = set(record.get("confirmations", []))
        note_id = new_note_id(now) if decision.note else None
        entry = Decision(
            decision=decision.decision,
            reviewer_id=reviewer_id,
            at=now,
            category=decision.category,
            reason=decision.reason.value if decision.reason else None,
            platforms=decision.platforms or [],
        )
        # The decision keeps a reference to its note; the text lives in a record that expires.
        stored = entry.model_dump(mode="json", exclude_none=True) | ({"note_id": note_id} if note_id else {})
        plan = _Plan(
            values={
                **self._lease_values(reviewer_id, decision.lease_id, record["status"]),
                ":p": priority.value,
                ":d": [stored],
                ":none": [],
                ":at": iso(now),
            },
            # Pinning priority and confirmations: the rule applied must be the rule for the item as stored.
            condition=self._lease_condition() + " AND priority = :p",
            detail={"from": record["status"]},
        )
        if prior:
            plan.condition += " AND size(confirmations) = :n AND NOT contains(confirmations, :me)"
            plan.values[":n"] = len(prior)
        else:
            plan.condition += " AND attribute_not_exists(confirmations)"
        if decision.decision == "confirm":
            self._plan_confirm(plan, record, reviewer_id, decision, prior)
        elif decision.decision == "reject":
            plan.sets += ["#s = :rejected", "decided_at = :at"]
            plan.values[":rejected"] = ItemStatus.REJECTED.value
            plan.removes += ["#q", "queue_sort", "confirmations"]
            plan.detail["reason"] = decision.reason.value if decision.reason else None
            plan.event = "rejected"
        else:
            if record.get("queue") == QUEUE_ESCALATED:
                raise ConflictError("The item is already in the escalated queue; confirm or reject it.")
            plan.sets += ["#s = :escalated", "#q = :eq"]
            plan.values |= {":escalated": ItemStatus.ESCALATED.value, ":eq": QUEUE_ESCALATED}
            plan.event = "escalated"
        return ItemWrite(
            item_id=record["item_id"],
            update=plan.expression(),
            condition=plan.condition,
            values=plan.values,
            names={"#s": "status", "#q": "queue"},
            event=plan.event,
            actor=reviewer_id,
            at=now,
            lease_id=decision.lease_id,
            note=decision.note,
            note_id=note_id,
            detail=plan.detail,
        )

    def _plan_confirm(
        self, plan: _Plan, record: dict[str, Any], reviewer_id: str, decision: DecisionIn, prior: set[str]
    ) -> None:
        if reviewer_id in prior:
            raise ConflictError("You already confirmed this item; a second reviewer must confirm it.")
        required = confirmations_required(Priority(record["priority"]))
        plan.adds.append("confirmations :meset")
        plan.values[":meset"] = {reviewer_id}
        if decision.category is not None:
            plan.sets.append("category = :c")
            plan.values[":c"] = decision.category.value
            plan.detail["category"] = {"from": record["category"], "to": decision.category.value}
        if decision.platforms:
            plan.adds.append("platforms :pl")
            plan.values[":pl"] = set(decision.platforms)
            plan.detail["platforms"] = decision.platforms
        plan.detail |= {"confirmations": len(prior) + 1, "required": required}
        if len(prior) + 1 >= required:
            plan.sets += ["#s = :confirmed", "decided_at = :at"]
            plan.values[":confirmed"] = ItemStatus.CONFIRMED.value
            plan.removes += ["#q", "queue_sort"]
            plan.event = "confirmed"
        else:
            # Four eyes: the item goes back to its queue, where claims skip this reviewer.
            plan.event = "first_confirmation"

    def _count_decision(self, event: str, record: dict[str, Any], now: datetime) -> None:
        self.metric(f"Items{event.title().replace('_', '')}", 1)
        if event in ("confirmed", "rejected"):
            # Review latency as regulators count it: from the first report to the final decision.
            first = datetime.fromisoformat(str(record["first_seen_at"]))
            self.metric("ReviewLatencySeconds", max(0.0, (now - first).total_seconds()))
        if str(record["due_at"]) < iso(now):
            self.metric("OverdueDecisions", 1)

    # ---------------------------------------------------------------- retract
    def retract(self, reviewer_id: str, item_id: str, reason: str) -> Item:
        now = self.clock()
        record = self._record(item_id)
        if record["status"] != ItemStatus.CONFIRMED.value:
            raise ConflictError(f"Only a confirmed item can be retracted; this one is {record['status']}.")
        note_id = new_note_id(now)  # the reason is free text: it expires with the notes
        change = ItemWrite(
            item_id=item_id,
            update="SET #s = :retracted, retracted_at = :at, retraction = :r",
            condition="#s = :confirmed",
            values={
                ":retracted": ItemStatus.RETRACTED.value,
                ":confirmed": ItemStatus.CONFIRMED.value,
                ":at": iso(now),
                ":r": {"reviewer_id": reviewer_id, "at": iso(now), "note_id": note_id},
            },
            names={"#s": "status"},
            event="retracted",
            actor=reviewer_id,
            at=now,
            note=reason,
            note_id=note_id,
        )
        try:
            self.store.write(change)
        except LostRaceError:
            raise ConflictError("The item is no longer confirmed (retracted already?).") from None
        self.metric("ItemsRetracted", 1)
        return self._item_with_notes(item_id, now)

    # ------------------------------------------------------------------ reads
    def _record(self, item_id: str) -> dict[str, Any]:
        record = self.store.get(item_id) if re.fullmatch(r"itm_[0-9a-f]{1,64}", item_id) else None
        if record is None:
            raise NotFoundError(f"No item {item_id!r}.")
        return record

    def _item_with_notes(self, item_id: str, now: datetime) -> Item:
        return item_from_record(self._record(item_id), now, self.store.notes(item_id))

    def detail(self, item_id: str) -> ItemDetail:
        now = self.clock()
        record = self._record(item_id)
        notes = self.store.notes(item_id)
        reports, truncated = self.store.reports(item_id, DETAIL_REPORTS)
        texts = self.store.descriptions([r["report_id"] for r in reports])
        lease = (
            LeaseView(holder=record["lease_holder"], expires_at=record["lease_expires_at"])
            if record["status"] in AWAITING and lease_active(record, now)
            else None
        )
        return ItemDetail(
            **item_from_record(record, now, notes).model_dump(),
            reports=[
                ReportSummary.model_validate(
                    {k: v for k, v in r.items() if k in ReportSummary.model_fields}
                    | {"description": texts.get(r["report_id"])}
                )
                for r in reports
            ],
            reports_truncated=truncated,
            history=[
                HistoryEntry.model_validate(
                    {k: v for k, v in h.items() if k in HistoryEntry.model_fields} | {"note": note_text(h, notes)}
                )
                for h in self.store.history(item_id)
            ],
            lease=lease,
            confirmations=sorted(record.get("confirmations", [])),
            confirmations_required=confirmations_required(Priority(record["priority"])),
            outcomes=[OutcomeOut.of(o) for o in self.store.outcomes(item_id)],
        )

    def list_items(self, status: ItemStatus, limit: int, cursor: str | None) -> ItemList:
        """One status, oldest due_at first; `in_review` is pending or escalated items under a live lease."""
        now = self.clock()
        parts = list(AWAITING) if status in (ItemStatus.IN_REVIEW,) else [status.value]
        part, start = 0, None
        if cursor:
            decoded = _decode_cursor(cursor, status)
            part = decoded.part
            start = decoded.key.model_dump() if decoded.key else None
            if part >= len(parts) or (decoded.key is not None and decoded.key.status != parts[part]):
                raise BadRequestError("The cursor is not valid for this listing.")
        live = {":now": iso(now)}
        if status is ItemStatus.IN_REVIEW:
            condition: str | None = "lease_expires_at > :now"
        elif status.awaits_review:
            condition = "attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now"
        else:
            condition = None
        items: list[Item] = []
        while part < len(parts):
            try:
                page = self.store.by_status(
                    parts[part],
                    limit - len(items),
                    start,
                    filter_expression=condition,
                    filter_values=live if condition else None,
                )
            except BadStartKeyError:
                raise BadRequestError("The cursor is not valid for this listing.") from None
            items.extend(item_from_record(r, now) for r in page.records)
            start = page.last_key
            if start is None:
                part += 1
            if len(items) >= limit:
                break
        next_cursor = None
        if part < len(parts):
            next_cursor = _encode_cursor(_Cursor(v=1, status=status.value, part=part, key=_key(start)))
        return ItemList(items=items, next_cursor=next_cursor)

    def counts(self) -> QueueCounts:
        """How many items wait, are leased and are overdue per queue (reads whole partitions: not for claims)."""
        now = self.clock()
        stamp = iso(now)
        out: list[QueueCount] = []
        for queue in QUEUES:
            waiting = leased = overdue = 0
            for entry in self.store.queue_entries(queue):
                if lease_active(entry, now):
                    leased += 1
                else:
                    waiting += 1
                # queue_sort is <rank>#<due_at>#<item_id>: the deadline without reading the item.
                if entry["queue_sort"].split("#")[1] < stamp:
                    overdue += 1
            out.append(QueueCount(queue=queue, waiting=waiting, leased=leased, overdue=overdue))
        return QueueCounts(queues=out, at=now)


def _key(start: dict[str, Any] | None) -> _StatusKey | None:
    if start is None:
        return None
    return _StatusKey.model_validate({k: start[k] for k in ("pk", "sk", "status", "due_at")})


def _encode_cursor(cursor: _Cursor) -> str:
    return base64.urlsafe_b64encode(cursor.model_dump_json().encode()).decode().rstrip("=")


def _decode_cursor(raw: str, status: ItemStatus) -> _Cursor:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        cursor = _Cursor.model_validate(jsonsafe.loads(base64.urlsafe_b64decode(padded.encode("ascii"))))
    except (ValueError, UnicodeError, binascii.Error, ValidationError):
        raise BadRequestError("The cursor is not valid for this listing.") from None
    key = cursor.key
    if cursor.status != status.value or cursor.part < 0:
        raise BadRequestError("The cursor belongs to another listing.")
    if key is not None and not (re.fullmatch(ITEM_KEY_PATTERN, key.pk) and _is_time(key.due_at)):
        raise BadRequestError("The cursor is not valid for this listing.")
    return cursor


def _is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@lazy
def review_service() -> ReviewService:
    config = settings()
    config.require("items_table")
    from flagpost.adapters.http.auth import principal_store

    principals = principal_store()
    return ReviewService(DynamoReviewStore(config=config), config=config, platforms=principals.active_platforms)
