"""Lands reports on items in DynamoDB: one item per target, race-free, in a handful of round trips.

Layout of the items table: see `flagpost.adapters.dynamo.item_records`. An item's id derives from
its dedup key, so "one item per target" is a conditional put, never a read-then-write; while it
awaits review it carries ``queue`` and ``queue_sort`` (``<priority rank>#<due_at>#<item_id>``), the
review queue's index keys, written in the same transaction as the item and its reports.

A submission's reports are grouped by item and written in transactions of at most 100 actions:
each item's create-or-update, with its reports, lands whole or not at all. Report ids derive from
the submission (flagger, webhook-id, body digest, index), so a retried submission finds what already
landed instead of landing it twice. Updates of existing items are commutative (ADD count, ADD
flagger to a set) and guarded only where the domain's rule depended on the item's state
(`flagpost.domain.intake`): raising priority, reopening a rejected item.

Just over 300 lines on purpose: landing is one algorithm (read, plan, pack into transactions,
resolve conflicts and read back) whose retry invariants hold only across all of its steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from flagpost.adapters.dynamo.client import Table, jitter, to_item
from flagpost.adapters.dynamo.item_records import CREATE_ONLY, history_put, item_key
from flagpost.domain.deadlines import Deadlines
from flagpost.domain.errors import UnavailableError, WriteConflictError
from flagpost.domain.ids import Submission
from flagpost.domain.intake import IncomingReport, ItemUpdate, Landed, new_item, plan_update
from flagpost.domain.models.item import ItemStatus
from flagpost.domain.models.records import ItemRecord, ReportRecord
from flagpost.domain.models.report import Priority
from flagpost.domain.models.times import iso

MAX_ACTIONS_PER_TRANSACTION = 100
# Reports of one item per transaction; a larger group lands over several rounds.
MAX_REPORTS_PER_GROUP = 40
MAX_ATTEMPTS = 8
NEW: Literal["new"] = "new"
DUPLICATE: Literal["duplicate"] = "duplicate"
# A new item holds no lease, confirmations or platforms yet: those attributes are absent, not empty
# (the review rules test for their absence, and ADD needs a set, not an empty list).
_NEW_ITEM_FIELDS = {
    "item_id", "dedup_key", "target", "category", "priority", "status", "report_count",
    "first_seen_at", "last_seen_at", "due_at", "queue", "queue_sort",
}  # fmt: skip


@dataclass
class _Plan:
    """The transaction actions that land one group of reports on one item."""

    item_id: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    landed: list[Landed] = field(default_factory=list)


class DynamoItemStore:
    def __init__(
        self,
        table: Table,
        *,
        deadlines: Deadlines,
        text_retention_days: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table = table
        self.deadlines = deadlines
        self.text_retention_days = text_retention_days
        self._sleep = sleep

    # ------------------------------------------------------------------ reads
    def item(self, item_id: str) -> ItemRecord | None:
        found = self.table.get(item_key(item_id))
        return ItemRecord.model_validate(found) if found else None

    def report(self, report_id: str) -> ReportRecord | None:
        found = self.table.get({"pk": f"REPORT#{report_id}", "sk": "REPORT"})
        return ReportRecord.model_validate(found) if found else None

    # ---------------------------------------------------------------- landing
    def record_reports(
        self, submission: Submission, reports: Sequence[IncomingReport], received_at: datetime | None = None
    ) -> list[Landed]:
        """Land every report; return one Landed per report, in input order."""
        now = received_at or datetime.now(UTC)
        groups: dict[str, list[IncomingReport]] = {}
        for report in reports:
            groups.setdefault(report.item_id, []).append(report)
        landed: dict[int, Landed] = {}
        rounds = max((len(g) + MAX_REPORTS_PER_GROUP - 1) // MAX_REPORTS_PER_GROUP for g in groups.values())
        for round_no in range(rounds):
            batch = {
                item_id: group[round_no * MAX_REPORTS_PER_GROUP : (round_no + 1) * MAX_REPORTS_PER_GROUP]
                for item_id, group in groups.items()
                if len(group) > round_no * MAX_REPORTS_PER_GROUP
            }
            landed.update(self._land_round(submission, batch, now))
        return [landed[r.index] for r in reports]

    def _land_round(
        self, submission: Submission, groups: dict[str, list[IncomingReport]], now: datetime
    ) -> dict[int, Landed]:
        """Plan against the items as read, write in chunks, and on a conflict or a busy table read again
        (with jittered backoff) and plan what is left: a submission is never left half landed by a
        passing conflict, and a report that landed meanwhile is found, not landed twice."""
        landed: dict[int, Landed] = {}
        pending = list(groups)
        check_reports = False
        for attempt in range(MAX_ATTEMPTS):
            try:
                items = {record.item_id: record for record in self._items(pending)}
                already = self._landed_reports(submission, groups, pending) if check_reports else {}
                plans = []
                for item_id in pending:
                    landed.update((r.index, already[r.index]) for r in groups[item_id] if r.index in already)
                    fresh = [r for r in groups[item_id] if r.index not in already]
                    if fresh:
                        plans.append(self._plan(submission, item_id, fresh, items.get(item_id), now))
                retry: list[str] = []
                for chunk in _pack(plans):
                    try:
                        self.table.transact([a for plan in chunk for a in plan.actions])
                    except (WriteConflictError, UnavailableError) as exc:
                        retry.extend(plan.item_id for plan in chunk)
                        check_reports = check_reports or _a_report_conflicted(exc, chunk)
                        continue
                    for plan in chunk:
                        landed.update((entry.index, entry) for entry in plan.landed)
            except UnavailableError:
                # A throttled read is retried like a throttled transaction: failing here could leave a
                # submission half landed (earlier chunks committed) and answered 503.
                retry = pending
            if not retry:
                return landed
            pending = retry
            # Contention on a hot item: back off with jitter so that racing writers spread out.
            self._sleep(jitter(attempt))
        raise UnavailableError("Storage is busy; retry shortly.")

    def _plan(
        self,
        submission: Submission,
        item_id: str,
        reports: list[IncomingReport],
        stored: ItemRecord | None,
        now: datetime,
    ) -> _Plan:
        plan = _Plan(item_id=item_id)
        flagger_id = submission.flagger_id
        top = Priority.highest(*(r.report.priority for r in reports))
        if stored is None:
            first = reports[0]
            record = new_item(
                item_id,
                first.target.as_dict(),
                first.report.category,
                top,
                len(reports),
                flagger_id,
                now,
                self.deadlines,
            )
            item = record.model_dump(mode="json", include=_NEW_ITEM_FIELDS) | {"decisions": []}
            item |= {"pk": f"ITEM#{item_id}", "sk": "ITEM", "priority_rank": top.rank, "flaggers": {flagger_id}}
            plan.actions.append(
                {"Put": {"TableName": self.table.name, "Item": to_item(item), "ConditionExpression": CREATE_ONLY}}
            )
            plan.actions.append(self._history(item_id, now, "created", flagger_id, {"priority": top.value}))
            status = ItemStatus.PENDING
            statuses: list[Literal["new", "duplicate"]] = [NEW, *[DUPLICATE] * (len(reports) - 1)]
        else:
            update = plan_update(stored, top, flagger_id, len(reports), now, self.deadlines)
            plan.actions.append({"Update": self._update(item_id, update)})
            if update.reopened_from is not None:
                detail = {"from": update.reopened_from.value}
                plan.actions.append(self._history(item_id, now, "reopened", flagger_id, detail))
            elif update.priority is not None:
                # A later report made it more urgent: reviewers see who raised it, from what, and the new deadline.
                raised = {
                    "priority": {"from": stored.priority.value, "to": update.priority.value},
                    "due_at": update.due_at,
                }
                plan.actions.append(self._history(item_id, now, "priority_raised", flagger_id, raised))
            status = update.status or stored.status
            statuses = [DUPLICATE] * len(reports)
        for report, landed_status in zip(reports, statuses, strict=True):
            report_id = submission.report_id(report.index)
            plan.actions.extend(self._report_puts(report_id, item_id, submission, report, landed_status, now))
            plan.landed.append(Landed(report.index, report_id, item_id, landed_status, status))
        return plan

    def _update(self, item_id: str, update: ItemUpdate) -> dict[str, Any]:
        sets = ["last_seen_at = :now"]
        values: dict[str, Any] = {":n": update.count, ":f": set(update.flaggers), ":now": update.last_seen_at}
        conditions = ["attribute_exists(pk)"]
        if update.status is not None:
            sets.append("#status = :status")
            values[":status"] = update.status.value
        if update.priority is not None:
            sets += ["priority = :p", "priority_rank = :pr", "due_at = :due"]
            values |= {":p": update.priority.value, ":pr": update.priority.rank, ":due": update.due_at}
        if update.queue is not None:
            sets.append("#queue = :q")
            values[":q"] = update.queue
        if update.queue_sort is not None:
            sets.append("queue_sort = :qs")
            values[":qs"] = update.queue_sort
        if update.expect_status is not None:
            conditions.append("#status = :was")
            values[":was"] = update.expect_status.value
        if update.expect_priority is not None:
            conditions.append("priority_rank = :oldrank")
            values[":oldrank"] = update.expect_priority.rank
        expression = "SET " + ", ".join(sets) + " ADD report_count :n, flaggers :f"
        if update.clear_review:
            # A reopened item starts a new round: no lease, confirmations, dispute or named platforms.
            expression += (
                " REMOVE lease_id, lease_holder, lease_expires_at, confirmations, disputed_by, platforms,"
                " escalated_by, escalators"
            )
        request: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": to_item(item_key(item_id)),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeValues": to_item(values),
        }
        text = expression + " ".join(conditions)
        names = {name: attr for name, attr in (("#status", "status"), ("#queue", "queue")) if name in text}
        if names:
            request["ExpressionAttributeNames"] = names
        return request

    def _report_puts(
        self,
        report_id: str,
        item_id: str,
        submission: Submission,
        incoming: IncomingReport,
        landed_status: str,
        now: datetime,
    ) -> list[dict[str, Any]]:
        report = incoming.report
        record = {
            "pk": f"REPORT#{report_id}",
            "sk": "REPORT",
            "report_id": report_id,
            "report_item": item_id,
            "received_at": iso(now),
            "flagger_id": submission.flagger_id,
            "webhook_id": submission.webhook_id,
            "body_sha256": submission.body_sha256,
            "index": incoming.index,
            "landed_status": landed_status,
            "category": report.category.value,
            "priority": report.priority.value,
            "url": report.url,
            "target_input": report.target.model_dump() if report.target else None,
            "dedup_key": incoming.target.dedup_key,
            "entity": report.entity,
            "language": report.language,
            "observed_at": iso(report.observed_at) if report.observed_at else None,
            "external_id": report.external_id,
            "evidence": report.evidence.model_dump(exclude_none=True) if report.evidence else None,
        }
        expires = now + timedelta(days=self.text_retention_days)
        text = {
            "pk": f"REPORT#{report_id}",
            "sk": "TEXT",
            "description": report.description,
            "expires_at": int(expires.timestamp()),
        }
        return [
            {"Put": {"TableName": self.table.name, "Item": to_item(record), "ConditionExpression": CREATE_ONLY}},
            {"Put": {"TableName": self.table.name, "Item": to_item(text)}},
        ]

    def _history(self, item_id: str, at: datetime, event: str, actor: str, detail: dict[str, Any]) -> dict[str, Any]:
        return {"Put": history_put(self.table.name, item_id, at, event, actor, detail)}

    def _items(self, item_ids: Iterable[str]) -> list[ItemRecord]:
        keys = [item_key(i) for i in dict.fromkeys(item_ids)]
        return [ItemRecord.model_validate(found) for found in self.table.batch_get(keys)]

    def _landed_reports(
        self, submission: Submission, groups: dict[str, list[IncomingReport]], item_ids: list[str]
    ) -> dict[int, Landed]:
        wanted = [submission.report_id(r.index) for item_id in item_ids for r in groups[item_id]]
        found = [
            ReportRecord.model_validate(r)
            for r in self.table.batch_get([{"pk": f"REPORT#{rid}", "sk": "REPORT"} for rid in wanted])
        ]
        statuses = {record.item_id: record.status for record in self._items(r.report_item for r in found)}
        return {
            r.index: Landed(r.index, r.report_id, r.report_item, r.landed_status, statuses[r.report_item])  # type: ignore[arg-type]
            for r in found
        }


def _a_report_conflicted(exc: Exception, chunk: list[_Plan]) -> bool:
    """Whether one of the chunk's report Puts was the conflict: the report landed meanwhile (a retry
    of this very submission), so the next round must look up what already landed."""
    reasons = exc.reasons if isinstance(exc, WriteConflictError) else []
    actions = [a for plan in chunk for a in plan.actions]
    return any(
        code == "ConditionalCheckFailed" and actions[i].get("Put", {}).get("Item", {}).get("sk") == {"S": "REPORT"}
        for i, code in enumerate(reasons)
        if i < len(actions)
    )


def _pack(plans: list[_Plan]) -> list[list[_Plan]]:
    """Fill transactions up to the action limit without splitting one item's plan."""
    chunks: list[list[_Plan]] = []
    size = 0
    for plan in plans:
        if not chunks or size + len(plan.actions) > MAX_ACTIONS_PER_TRANSACTION:
            chunks.append([])
            size = 0
        chunks[-1].append(plan)
        size += len(plan.actions)
    return chunks
