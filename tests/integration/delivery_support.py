"""Helpers for delivery tests: items landed through the item store, and confirmations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from waiting import HANG_S, wait_until  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.domain.ids import Submission
from flagpost.domain.intake import IncomingReport
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.models.report import ReportIn
from flagpost.domain.normalize import normalize_url
from flagpost.wiring import feed_store, item_store
from flagpost_local.harness import InProcessStack
from flagpost_local.receiver import Receiver


def land_items(urls: list[str], flagger_id: str = "fla_test") -> list[str]:
    store = item_store()
    item_ids: list[str] = []
    for start in range(0, len(urls), 100):
        chunk = urls[start : start + 100]
        incoming = [
            IncomingReport(i, ReportIn(url=u, category="incitement", description="d"), normalize_url(u))
            for i, u in enumerate(chunk)
        ]
        submission = Submission(flagger_id, f"w{start}", "0" * 64)
        item_ids.extend(entry.item_id for entry in store.record_reports(submission, incoming))
    return item_ids


def set_status(stack: InProcessStack, item_id: str, status: str, platforms: list[str] | None = None) -> None:
    """What a decision (or a retraction) leaves on the item, written directly: the review API has its own tests."""
    kind = {"confirmed": "confirm", "rejected": "reject", "escalated": "escalate"}.get(status)
    update = "SET #s = :s REMOVE #q, queue_sort"
    values: dict[str, Any] = {":s": {"S": status}}
    if kind:
        decision = {
            "decision": {"S": kind},
            "reviewer_id": {"S": "rev_test"},
            "at": {"S": datetime.now(UTC).isoformat()},
            "platforms": {"L": [{"S": p} for p in platforms or []]},
        }
        update = "SET #s = :s, decisions = list_append(decisions, :d) REMOVE #q, queue_sort"
        values[":d"] = {"L": [{"M": decision}]}
        if platforms:  # a confirmation adds the platforms it names to the item's set, which routing reads
            update += " ADD platforms :p"
            values[":p"] = {"SS": sorted(set(platforms))}
    stack.client("dynamodb").update_item(
        TableName=stack.stack.physical("ItemsTable"),
        Key={"pk": {"S": f"ITEM#{item_id}"}, "sk": {"S": "ITEM"}},
        UpdateExpression=update,
        ExpressionAttributeNames={"#s": "status", "#q": "queue"},
        ExpressionAttributeValues=values,
    )


def push_platform(stack: InProcessStack, receiver: Any, **behaviour: Any) -> tuple[IssuedCredentials, Receiver]:
    """A platform owning example.org whose endpoint is a Receiver on 127.0.0.1 (made by `receiver(**kw)`)."""
    domains = behaviour.pop("domains", ["example.org"])
    creds = stack.principals().create(
        Role.PLATFORM, "Pushed", endpoint="http://127.0.0.1:1/placeholder", domains=domains
    )
    hook = receiver(secret=creds.secret, **behaviour).start()
    # The receiver verifies with the platform's secret, which exists only once the platform does.
    stack.client("dynamodb").update_item(
        TableName=stack.stack.physical("PrincipalsTable"),
        Key={"pk": {"S": f"P#{creds.principal.id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET endpoint = :e",
        ExpressionAttributeValues={":e": {"S": hook.url}},
    )
    lazy.reset()
    return creds, hook


def pump_until(stack: InProcessStack, done: Callable[[], bool], timeout_s: float = HANG_S) -> None:
    """Run the event sources until `done()`; `timeout_s` only bounds a hang."""
    wait_until(done, timeout_s=timeout_s, step=stack.pump, interval_s=0.1, what="the event sources' work")


def deliveries(platform_id: str) -> list[str]:
    """The delivery state of each of the platform's feed entries, in seq order."""
    return [e.delivery for e in feed_store().read(platform_id, 0, 1000)]
