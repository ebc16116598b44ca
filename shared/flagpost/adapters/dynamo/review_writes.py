"""Review changes as DynamoDB writes: the item's conditional Update built from an `ItemChange` and its
`Guard`, and the reviewer's lease marker (`HOLD#<queue>` / `<reviewer_id>`) moved with it.

Markers live in the items table so that a claim writes the lease and the marker in one transaction:
a reviewer holds at most one lease per queue, whatever races. They carry no `queue` or `status`
attribute, so no index lists them, and they are never deleted (a cleared marker keeps its key).
"""

from __future__ import annotations

from typing import Any

from flagpost.adapters.dynamo.client import to_item
from flagpost.adapters.dynamo.item_records import item_key
from flagpost.domain.item_changes import HoldChange, ItemChange
from flagpost.domain.models.times import iso

LEASE_ATTRS = ("lease_id", "lease_holder", "lease_expires_at")
HOLD_PREFIX = "HOLD#"


def hold_key(queue: str, reviewer_id: str) -> dict[str, str]:
    return {"pk": f"{HOLD_PREFIX}{queue}", "sk": reviewer_id}


class Update:
    """An UpdateExpression and its ConditionExpression, built clause by clause with named values."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.adds: list[str] = []
        self.removes: list[str] = []
        self.conditions: list[str] = []
        self.values: dict[str, Any] = {}
        self.names = {"#s": "status", "#q": "queue"}

    def value(self, value: Any) -> str:
        name = f":v{len(self.values)}"
        self.values[name] = value
        return name

    def request(self, table: str, item_id: str) -> dict[str, Any]:
        clauses = [f"SET {', '.join(self.sets)}" if self.sets else ""]
        clauses += [
            f"ADD {', '.join(self.adds)}" if self.adds else "",
            f"REMOVE {', '.join(self.removes)}" if self.removes else "",
        ]
        expression = " ".join(c for c in clauses if c)
        text = f"{expression} {' '.join(self.conditions)}"
        request: dict[str, Any] = {
            "TableName": table,
            "Key": to_item(item_key(item_id)),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(self.conditions) or "attribute_exists(pk)",
            "ExpressionAttributeValues": to_item(self.values),
        }
        names = {k: v for k, v in self.names.items() if k in text}
        if names:
            request["ExpressionAttributeNames"] = names
        return request


def guarded(change: ItemChange, update: Update) -> None:
    guard, c = change.guard, update.conditions
    if guard.status is not None:
        c.append(f"#s = {update.value(guard.status.value)}")
    if guard.lease_id is not None:
        # The lease must still be live when the write arrives: one that ran out while the request was
        # on its way no longer counts, whatever the earlier read saw.
        c.append(f"lease_id = {update.value(guard.lease_id)} AND lease_holder = {update.value(guard.holder)}")
        c.append(f"lease_expires_at > {update.value(guard.lease_live_at or iso(change.at))}")
    if guard.priority is not None:
        c.append(f"priority = {update.value(guard.priority.value)}")
    _set_guard(update, "confirmations", guard.confirmation_count, guard.not_confirmed_by)
    if guard.queue is not None:
        c.append(f"#q = {update.value(guard.queue)} AND queue_sort = {update.value(guard.queue_sort)}")
    if guard.no_lease:
        c.append("attribute_not_exists(lease_expires_at)")
    elif guard.expired_lease_seen is not None:
        c.append(f"lease_expires_at = {update.value(guard.expired_lease_seen)}")
    if guard.not_escalated_by is not None:
        who = update.value(guard.not_escalated_by)
        c.append(f"(attribute_not_exists(escalated_by) OR escalated_by <> {who})")
        c.append(f"NOT contains(escalators, {who})")
    _set_guard(update, "retraction_requests", guard.retraction_request_count, guard.not_requested_by)


def _set_guard(update: Update, attr: str, count: int | None, not_member: str | None) -> None:
    """A string set of reviewers (confirmations, retraction requests): exactly `count` members so far
    (0: the set does not exist), none of them `not_member`."""
    if count == 0:
        update.conditions.append(f"attribute_not_exists({attr})")
    elif count is not None:
        update.conditions.append(f"size({attr}) = {update.value(count)}")
    if not_member is not None:
        update.conditions.append(f"NOT contains({attr}, {update.value(not_member)})")


def effects(change: ItemChange, update: Update) -> None:
    s, a, r = update.sets, update.adds, update.removes
    if change.decision is not None:
        s.append(
            f"decisions = list_append(if_not_exists(decisions, {update.value([])}), {update.value([change.decision])})"
        )
    if change.status is not None:
        s.append(f"#s = {update.value(change.status.value)}")
    if change.queue is not None:
        s.append(f"#q = {update.value(change.queue)}")
    if change.leave_queue:
        r.extend(["#q", "queue_sort"])
    if change.category is not None:
        s.append(f"category = {update.value(change.category.value)}")
    if change.decided_at is not None:
        s.append(f"decided_at = {update.value(change.decided_at)}")
    if change.add_confirmation is not None:
        a.append(f"confirmations {update.value({change.add_confirmation})}")
    if change.clear_confirmations:
        r.append("confirmations")
    if change.add_platforms:
        a.append(f"platforms {update.value(set(change.add_platforms))}")
    if change.clear_platforms:
        r.append("platforms")
    if change.add_retraction_request is not None:
        a.append(f"retraction_requests {update.value({change.add_retraction_request})}")
    if change.retraction is not None:
        s.append(
            f"retracted_at = {update.value(change.retraction['at'])}, retraction = {update.value(change.retraction)}"
        )
    lease = change.lease
    if lease is not None and lease.release:
        r.extend(LEASE_ATTRS)
    elif lease is not None and lease.grant_to is not None:
        s.append(
            f"lease_id = {update.value(lease.lease_id)}, lease_holder = {update.value(lease.grant_to)}, "
            f"lease_expires_at = {update.value(lease.expires_at)}"
        )
    elif lease is not None and lease.expires_at is not None:
        s.append(f"lease_expires_at = {update.value(lease.expires_at)}")
    if change.escalated_by is not None:
        s.append(f"escalated_by = {update.value(change.escalated_by)}")
        a.append(f"escalators {update.value({change.escalated_by})}")
    if change.disputed_by is not None:
        s.append(f"disputed_by = {update.value(change.disputed_by)}")
    if change.claimed_at is not None:
        s.append(f"claimed_at = if_not_exists(claimed_at, {update.value(change.claimed_at)})")


def hold_update(table: str, change: HoldChange, at: str) -> dict[str, Any]:
    """The marker's conditional Update: taken only while free (no live lease, or the stale one seen);
    renewed or cleared only while it names this lease or none (a lease granted before markers existed)."""
    values: dict[str, Any] = {":l": change.lease_id}
    if change.action == "take":
        condition = "attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now"
        values[":now"] = at
        if change.stale_lease_seen:
            condition += " OR lease_id = :stale"
            values[":stale"] = change.stale_lease_seen
    else:
        condition = "attribute_not_exists(lease_id) OR lease_id = :l"
    if change.action == "clear":
        expression = "REMOVE item_id, lease_id, lease_expires_at"
        values = {":l": change.lease_id}
    else:
        expression = "SET item_id = :i, lease_id = :l, lease_expires_at = :e"
        values |= {":i": change.item_id, ":e": change.expires_at}
    return {
        "TableName": table,
        "Key": to_item(hold_key(change.queue, change.reviewer_id)),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": to_item(values),
    }


def item_update(table: str, change: ItemChange) -> dict[str, Any]:
    update = Update()
    guarded(change, update)
    effects(change, update)
    return update.request(table, change.item_id)
