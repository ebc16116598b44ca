"""Lands reports on items in DynamoDB: one item per target, race-free, in a handful of round trips.

Layout of the items table (pk, sk):
- ``ITEM#<item_id>``, ``ITEM``: the item. Its id derives from the dedup key, so "one item per
  target" is a conditional put, never a read-then-write. While it awaits review it carries
  ``queue`` and ``queue_sort`` (``<priority rank>#<due_at>#<item_id>``), the review queue's index keys.
- ``ITEM#<item_id>``, ``HIST#<at>#<n>``: the append-only history.
- ``REPORT#<report_id>``, ``REPORT``: one report's provenance; ``report_item``/``received_at`` index
  the reports of an item.
- ``REPORT#<report_id>``, ``TEXT``: the report's free text, deleted by TTL after the retention period.
- ``ITEM#<item_id>``, ``NOTE#<at>#<n>``: a reviewer's note, a retraction's reason or a platform's note,
  deleted by TTL after the retention period. Decisions and history entries refer to it by ``note_id``,
  so they stay whole (and the history unedited) when the text goes.

A submission's reports are grouped by item and written in transactions of at most 100 actions:
each item's create-or-update, with its reports, lands whole or not at all. Report ids derive from
(flagger, webhook-id, index), so a retried submission finds what already landed instead of landing
it twice. Updates of existing items are commutative (ADD count, ADD flagger to a set) and conditional
only where they depend on the item's state (raising priority, reopening a rejected item).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import Any, Literal

from botocore.exceptions import ClientError

from flagpost.adapters import aws
from flagpost.adapters.dynamo.client import StoreUnavailableError, error_code, from_item, to_item
from flagpost.config import Settings, settings
from flagpost.domain import deadlines
from flagpost.domain.ids import item_id_for
from flagpost.domain.models.item import Item, ItemStatus
from flagpost.domain.models.report import Category, Priority, ReportIn
from flagpost.domain.normalize import Target

MAX_ACTIONS_PER_TRANSACTION = 100
NOTE_PREFIX = "NOTE#"
# Reports of one item per transaction; a larger group lands over several rounds.
MAX_REPORTS_PER_GROUP = 40
MAX_ATTEMPTS = 8
RETRYABLE_CANCELLATIONS = frozenset(
    {"ConditionalCheckFailed", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)
QUEUE_DEFAULT = "default"
NEW: Literal["new"] = "new"
DUPLICATE: Literal["duplicate"] = "duplicate"
QUEUE_ESCALATED = "escalated"


class ItemNotFoundError(LookupError):
    pass


class ReportNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class IncomingReport:
    """A valid report with its canonical target, ready to land."""

    index: int
    report: ReportIn
    target: Target

    @property
    def item_id(self) -> str:
        return item_id_for(self.target.dedup_key)


@dataclass(frozen=True)
class Landed:
    index: int
    report_id: str
    item_id: str
    status: Literal["new", "duplicate"]
    item_status: ItemStatus


def report_id_for(flagger_id: str, webhook_id: str, index: int, body_sha256: str) -> str:
    """Stable across retries of one submission, distinct across flaggers and submissions.

    The body's digest is part of it: a webhook-id reused with another body once the idempotency
    window has passed is another submission, whose reports land, rather than being mistaken for
    the first one's (and answered for without being stored).
    """
    text = f"{flagger_id}\x00{webhook_id}\x00{body_sha256}\x00{index}"
    return f"rep_{blake2b(text.encode(), digest_size=10).hexdigest()}"


@dataclass(frozen=True)
class Submission:
    """Who sent a batch of reports, under which webhook-id, with which body (SHA-256, hex)."""

    flagger_id: str
    webhook_id: str
    body_sha256: str

    def report_id(self, index: int) -> str:
        return report_id_for(self.flagger_id, self.webhook_id, index, self.body_sha256)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def queue_sort(priority: Priority, due: datetime, item_id: str) -> str:
    return f"{priority.rank}#{iso(due)}#{item_id}"


@dataclass
class _Plan:
    """The transaction actions that land one group of reports on one item."""

    item_id: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    landed: list[Landed] = field(default_factory=list)
    report_ids: list[str] = field(default_factory=list)


class DynamoItemStore:
    def __init__(
        self,
        table: str | None = None,
        *,
        config: Settings | None = None,
        dynamodb: Any = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.config = config or settings()
        self.table = table or self.config.items_table
        self._dynamodb = dynamodb
        self._sleep = sleep

    @property
    def dynamodb(self) -> Any:
        return self._dynamodb or aws.client("dynamodb")

    # ----------------------------------------------------------------- ingest
    def record_reports(
        self,
        submission: Submission,
        reports: Sequence[IncomingReport],
        received_at: datetime | None = None,
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
        landed: dict[int, Landed] = {}
        pending = list(groups)
        check_reports = False
        for attempt in range(MAX_ATTEMPTS):
            try:
                items = self._get_items(pending)
                already = self._landed_reports(submission, groups, pending) if check_reports else {}
            except StoreUnavailableError:
                # A throttled read is retried like a throttled transaction: failing here could leave a
                # submission half landed (earlier chunks committed) and answered 503.
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                self._sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not security
                continue
            plans = []
            for item_id in pending:
                fresh = [r for r in groups[item_id] if r.index not in already]
                for r in groups[item_id]:
                    if r.index in already:
                        landed[r.index] = already[r.index]
                if fresh:
                    plans.append(self._plan(submission, item_id, fresh, items.get(item_id), now))
            retry: list[str] = []
            for chunk in _pack(plans):
                failed_reports = self._transact(chunk)
                if failed_reports is None:
                    for plan in chunk:
                        landed.update((entry.index, entry) for entry in plan.landed)
                else:
                    retry.extend(plan.item_id for plan in chunk)
                    check_reports = check_reports or failed_reports
            if not retry:
                return landed
            pending = retry
            # Contention on a hot item: back off with jitter so that racing writers spread out.
            self._sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not security
        raise StoreUnavailableError(f"could not land reports on {len(pending)} item(s) after {MAX_ATTEMPTS} attempts")

    def _transact(self, plans: list[_Plan]) -> bool | None:
        """Run one transaction. None when it landed; else whether a report write was the conflict."""
        actions = [a for plan in plans for a in plan.actions]
        try:
            self.dynamodb.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                if error_code(exc) in ("ThrottlingException", "ProvisionedThroughputExceededException"):
                    return False
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code", "None") for r in reasons]
            if any(c not in RETRYABLE_CANCELLATIONS and c != "None" for c in codes):
                raise
            return any(
                c == "ConditionalCheckFailed" and actions[i].get("Put", {}).get("Item", {}).get("sk") == {"S": "REPORT"}
                for i, c in enumerate(codes)
                if i < len(actions)
            )
        return None

    def _plan(
        self,
        submission: Submission,
        item_id: str,
        reports: list[IncomingReport],
        stored: dict[str, Any] | None,
        now: datetime,
    ) -> _Plan:
        plan = _Plan(item_id=item_id)
        flagger_id = submission.flagger_id
        first = reports[0]
        top = Priority.highest(*(r.report.priority for r in reports))
        new_flaggers = {flagger_id}
        if stored is None:
            status = ItemStatus.PENDING
            due = deadlines.due_at(top, now, self.config)
            item = {
                "pk": f"ITEM#{item_id}",
                "sk": "ITEM",
                "item_id": item_id,
                "dedup_key": first.target.dedup_key,
                "target": first.target.as_dict(),
                "category": first.report.category.value,
                "priority": top.value,
                "priority_rank": top.rank,
                "status": status.value,
                "report_count": len(reports),
                "flaggers": new_flaggers,
                "first_seen_at": iso(now),
                "last_seen_at": iso(now),
                "due_at": iso(due),
                "queue": QUEUE_DEFAULT,
                "queue_sort": queue_sort(top, due, item_id),
                "decisions": [],
            }
            plan.actions.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
            plan.actions.append(self._history(item_id, now, "created", flagger_id, {"priority": top.value}))
            statuses: list[Literal["new", "duplicate"]] = [NEW] + [DUPLICATE] * (len(reports) - 1)
        else:
            status, update = self._update_existing(item_id, stored, top, new_flaggers, len(reports), now)
            plan.actions.append(update)
            if status != ItemStatus(stored["status"]):
                plan.actions.append(self._history(item_id, now, "reopened", flagger_id, {"from": stored["status"]}))
            statuses = [DUPLICATE for _ in reports]

        for report, landed_status in zip(reports, statuses, strict=True):
            report_id = submission.report_id(report.index)
            plan.actions.extend(self._report_puts(report_id, item_id, submission, report, landed_status, now))
            plan.landed.append(Landed(report.index, report_id, item_id, landed_status, status))
        return plan

    def _update_existing(
        self,
        item_id: str,
        stored: dict[str, Any],
        top: Priority,
        new_flaggers: set[str],
        count: int,
        now: datetime,
    ) -> tuple[ItemStatus, dict[str, Any]]:
        status = ItemStatus(stored["status"])
        current = Priority(stored["priority"])
        sets = ["last_seen_at = :now"]
        removes: list[str] = []
        values: dict[str, Any] = {":n": count, ":f": new_flaggers, ":now": iso(now)}
        condition = "attribute_exists(pk)"
        raised = top.rank < current.rank
        independent = not new_flaggers <= set(stored.get("flaggers", []))
        new_status = status
        if status is ItemStatus.REJECTED and independent:
            # Documented rule: a rejected item returns to review only when a flagger who had not
            # reported it before reports it now. Repeats from the same flaggers are recorded only.
            new_status = ItemStatus.PENDING
            priority = Priority.highest(top, current)
            due = deadlines.due_at(priority, now, self.config)
            sets += [
                "#status = :pending",
                "priority = :p",
                "priority_rank = :pr",
                "due_at = :due",
                "#queue = :q",
                "queue_sort = :qs",
            ]
            values.update(
                {
                    ":pending": ItemStatus.PENDING.value,
                    ":p": priority.value,
                    ":pr": priority.rank,
                    ":due": iso(due),
                    ":q": QUEUE_DEFAULT,
                    ":qs": queue_sort(priority, due, item_id),
                }
            )
            removes += ["lease_id", "lease_holder", "lease_expires_at", "confirmations"]
            condition += " AND #status = :was"
            values[":was"] = status.value
        elif raised and status in (ItemStatus.PENDING, ItemStatus.IN_REVIEW, ItemStatus.ESCALATED):
            # Corroboration: the item takes the most urgent priority any report asked for, and the
            # nearer of its old deadline and the new priority's.
            due = min(datetime.fromisoformat(stored["due_at"]), deadlines.due_at(top, now, self.config))
            sets += ["priority = :p", "priority_rank = :pr", "due_at = :due"]
            values.update({":p": top.value, ":pr": top.rank, ":due": iso(due)})
            if "queue" in stored:
                sets.append("queue_sort = :qs")
                values[":qs"] = queue_sort(top, due, item_id)
            condition += " AND #status = :was AND priority_rank = :oldrank"
            values.update({":was": status.value, ":oldrank": current.rank})
        expression = "SET " + ", ".join(sets) + " ADD report_count :n, flaggers :f"
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        names = {"#status": "status"} if "#status" in expression + condition else {}
        if "#queue" in expression:
            names["#queue"] = "queue"
        update: dict[str, Any] = {
            "Update": {
                "TableName": self.table,
                "Key": to_item({"pk": f"ITEM#{item_id}", "sk": "ITEM"}),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
        }
        if names:
            update["Update"]["ExpressionAttributeNames"] = names
        return new_status, update

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
        expires = now + timedelta(days=self.config.text_retention_days)
        text = {
            "pk": f"REPORT#{report_id}",
            "sk": "TEXT",
            "description": report.description,
            "expires_at": int(expires.timestamp()),
        }
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(record),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self.table, "Item": to_item(text)}},
        ]

    def _history(self, item_id: str, at: datetime, event: str, actor: str, detail: dict[str, Any]) -> dict[str, Any]:
        return {"Put": history_put(self.table, item_id, at, event, actor, detail)}

    # ------------------------------------------------------------------ reads
    def _get_items(self, item_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = [{"pk": f"ITEM#{i}", "sk": "ITEM"} for i in dict.fromkeys(item_ids)]
        return {item["item_id"]: item for item in self._batch_get(keys)}

    def _landed_reports(
        self, submission: Submission, groups: dict[str, list[IncomingReport]], item_ids: list[str]
    ) -> dict[int, Landed]:
        wanted = {submission.report_id(r.index): r for item_id in item_ids for r in groups[item_id]}
        found = self._batch_get([{"pk": f"REPORT#{rid}", "sk": "REPORT"} for rid in wanted])
        items = self._get_items(r["report_item"] for r in found)
        landed: dict[int, Landed] = {}
        for record in found:
            status = ItemStatus(items[record["report_item"]]["status"])
            landed[int(record["index"])] = Landed(
                int(record["index"]), record["report_id"], record["report_item"], record["landed_status"], status
            )
        return landed

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.table: {"Keys": [to_item(k) for k in keys[start : start + 100]], "ConsistentRead": True}
            }
            attempt = 0
            while request:
                try:
                    got = self.dynamodb.batch_get_item(RequestItems=request)
                except ClientError as exc:
                    if error_code(exc) in ("ThrottlingException", "ProvisionedThroughputExceededException"):
                        raise StoreUnavailableError(error_code(exc)) from exc
                    raise
                found.extend(from_item(i) for i in got.get("Responses", {}).get(self.table, []))
                request = got.get("UnprocessedKeys") or {}
                if request:
                    attempt += 1
                    if attempt >= MAX_ATTEMPTS:
                        raise StoreUnavailableError("unprocessed keys after retries")
                    self._sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311
        return found

    def get_item(self, item_id: str) -> Item:
        got = self.dynamodb.get_item(
            TableName=self.table, Key=to_item({"pk": f"ITEM#{item_id}", "sk": "ITEM"}), ConsistentRead=True
        )
        if "Item" not in got:
            raise ItemNotFoundError(item_id)
        return item_from_record(from_item(got["Item"]))

    def get_record(self, item_id: str) -> dict[str, Any]:
        """The stored item as it is, with what the model leaves out (outcomes, lease, queue keys)."""
        got = self.dynamodb.get_item(
            TableName=self.table, Key=to_item({"pk": f"ITEM#{item_id}", "sk": "ITEM"}), ConsistentRead=True
        )
        if "Item" not in got:
            raise ItemNotFoundError(item_id)
        return from_item(got["Item"])

    def get_report(self, report_id: str) -> dict[str, Any]:
        got = self.dynamodb.get_item(
            TableName=self.table, Key=to_item({"pk": f"REPORT#{report_id}", "sk": "REPORT"}), ConsistentRead=True
        )
        if "Item" not in got:
            raise ReportNotFoundError(report_id)
        return from_item(got["Item"])


def lease_active(record: dict[str, Any], now: datetime) -> bool:
    """A lease holds until its expiry; an expired one is simply ignored (no clean-up job)."""
    return str(record.get("lease_expires_at", "")) > iso(now)


def history_put(
    table: str,
    item_id: str,
    at: datetime,
    event: str,
    actor: str,
    detail: dict[str, Any],
    *,
    lease_id: str | None = None,
    note_id: str | None = None,
) -> dict[str, Any]:
    """The Put of one append-only history entry, for every writer of an item's history.

    Free text never goes into the entry: it refers to a note record (`note_put`) that expires.
    """
    entry = {
        "pk": f"ITEM#{item_id}",
        # The random suffix keeps two changes within one millisecond apart; both sort by time.
        "sk": f"HIST#{iso(at)}#{random.getrandbits(32):08x}",
        "event": event,
        "actor": actor,
        "at": iso(at),
        "lease_id": lease_id,
        "note_id": note_id,
        "detail": detail,
    }
    return {"TableName": table, "Item": to_item(entry), "ConditionExpression": "attribute_not_exists(pk)"}


def new_note_id(at: datetime) -> str:
    """The sort key of a note record; decisions and history entries keep it as `note_id`."""
    return f"{NOTE_PREFIX}{iso(at)}#{random.getrandbits(32):08x}"


def note_put(table: str, item_id: str, note_id: str, text: str, at: datetime, retention_days: int) -> dict[str, Any]:
    """The Put of one free-text note; DynamoDB's TTL deletes it `retention_days` after it was written."""
    note = {
        "pk": f"ITEM#{item_id}",
        "sk": note_id,
        "text": text,
        "expires_at": int((at + timedelta(days=retention_days)).timestamp()),
    }
    return {"TableName": table, "Item": to_item(note), "ConditionExpression": "attribute_not_exists(pk)"}


def note_text(entry: dict[str, Any], notes: dict[str, str]) -> str | None:
    """The text of the note a decision or history entry refers to: None once it expired (or never was).

    Entries written before notes had records of their own carry the text inline.
    """
    found = notes.get(str(entry.get("note_id")), entry.get("note"))
    return None if found is None else str(found)


def item_from_record(record: dict[str, Any], now: datetime | None = None, notes: dict[str, str] | None = None) -> Item:
    """The stored status is where the item rests; `in_review` is derived from a live lease.

    `notes` (note_id -> text) fills in the decisions' notes; without it, or once a note expired, they are null.
    """
    now = now or datetime.now(UTC)
    notes = notes or {}
    stored = ItemStatus(record["status"])
    awaiting = stored.awaits_review
    return Item(
        item_id=record["item_id"],
        target=record["target"],
        category=Category(record["category"]),
        priority=Priority(record["priority"]),
        status=ItemStatus.IN_REVIEW if awaiting and lease_active(record, now) else stored,
        report_count=int(record["report_count"]),
        flaggers=sorted(record.get("flaggers", [])),
        first_seen_at=record["first_seen_at"],
        last_seen_at=record["last_seen_at"],
        due_at=record["due_at"],
        decisions=[{**d, "note": note_text(d, notes)} for d in record.get("decisions", [])],
        queue=record.get("queue"),
        overdue=awaiting and str(record["due_at"]) < iso(now),
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
