"""Crashes on moto: a reviewer vanishing mid-lease, and functions dying between two steps of their work.

A function "dies" where a `SimulatedCrash` (faults.py) is raised from a botocore hook: before or after
one AWS call, out of reach of any `except Exception`, as a Lambda timeout or kill would stop it. The
gateway and the event-source mappings then see a failed invocation, as they would on AWS.
Concurrent claims, decisions and confirmations are tested in test_review.py and test_delivery.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clocks import Clock  # type: ignore[import-not-found]
from delivery_support import deliveries, land_items, pump_until, push_platform, set_status  # type: ignore[import-not-found]
from faults import Faults, run_function_as  # type: ignore[import-not-found]

from flagpost.domain.errors import ConflictError
from flagpost.domain.ids import report_id_for
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.models.review import DecisionIn, RejectReason
from flagpost.domain.webhooks import sign
from flagpost.services.review import ReviewService
from flagpost.services.review_reads import ReviewReads
from flagpost.wiring import feed_store, outcome_store, review_service, review_store
from flagpost_local.harness import InProcessStack, Reply
from flagpost_local.receiver import Receiver


class ReviewClock:
    """A clock the test moves by hand (1 ms per reading, as time passes between two writes)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.at += timedelta(milliseconds=1)
            return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def submit(stack: InProcessStack, flagger: IssuedCredentials, reports: list[dict[str, Any]], webhook_id: str) -> Reply:
    raw = json.dumps({"reports": reports}).encode()
    return stack.http(
        "POST",
        f"/v1/flaggers/{flagger.principal.id}/reports",
        body=raw,
        headers={"content-type": "application/json", **sign(raw, flagger.secret or "", webhook_id)},
    )


def report(name: str) -> dict[str, Any]:
    return {"url": f"https://example.org/{name}", "category": "incitement", "description": "d"}


def records(stack: InProcessStack, sk: str) -> list[dict[str, Any]]:
    from flagpost.adapters.dynamo.client import from_item

    got = stack.client("dynamodb").scan(
        TableName=stack.stack.physical("ItemsTable"),
        FilterExpression="sk = :sk",
        ExpressionAttributeValues={":sk": {"S": sk}},
    )
    return [from_item(i) for i in got["Items"]]


# ---------------------------------------------------------------------- review


def test_a_reviewer_who_vanishes_mid_lease_cannot_decide_once_another_took_over(local_aws: InProcessStack) -> None:
    principals = local_aws.principals()
    flagger = principals.create(Role.FLAGGER, "F")
    vanished, other = (principals.create(Role.REVIEWER, n).principal.id for n in ("Gone", "Stays"))
    (result,) = submit(local_aws, flagger, [report("vanish")], "wh_vanish").json()["results"]
    clock = ReviewClock()
    service = ReviewService(review_store(), clock=clock, metric=lambda name, value: None)

    claimed = service.claim(vanished)
    assert claimed is not None
    assert claimed.item.item_id == result["item_id"]
    # ... and the reviewer's browser closes. While the lease lives, nobody else gets the item.
    clock.advance(seconds=599)
    assert service.claim(other) is None
    clock.advance(seconds=2)
    taken = service.claim(other)
    assert taken is not None, "an expired lease returns the item to the queue"
    assert taken.item.item_id == result["item_id"]

    late = DecisionIn(lease_id=claimed.lease.lease_id, decision="confirm")
    with pytest.raises(ConflictError):
        service.decide(vanished, result["item_id"], late)
    for action in ("renew", "release"):
        with pytest.raises(ConflictError):
            service.lease(vanished, result["item_id"], claimed.lease.lease_id, action)
    reject = DecisionIn(lease_id=taken.lease.lease_id, decision="reject", reason=RejectReason.OUT_OF_SCOPE)
    assert service.decide(other, result["item_id"], reject).status.value == "rejected"
    with pytest.raises(ConflictError, match="already decided"):
        service.decide(vanished, result["item_id"], late)

    detail = ReviewReads(review_store(), outcome_store(), clock=clock).detail(result["item_id"])
    assert [d.reviewer_id for d in detail.decisions] == [other]
    events = [(h.event, h.actor) for h in detail.history]
    assert events[:3] == [("created", flagger.principal.id), ("claimed", vanished), ("claimed", other)]
    assert detail.history[2].detail["after_expired_lease_of"] == vanished
    assert [e for e, actor in events if actor == vanished] == ["claimed"], "nothing of the late decision landed"


def test_over_http_a_vanished_reviewers_late_decision_is_a_409(
    local_aws: InProcessStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through the API, with the review function's service on a clock the test moves."""
    clock = ReviewClock()
    monkeypatch.setattr(review_service(), "clock", clock)  # the instance the review routes use until a reset
    principals = local_aws.principals()
    flagger = principals.create(Role.FLAGGER, "F")
    vanished, other = (principals.create(Role.REVIEWER, n).api_key for n in ("Gone", "Stays"))

    def call(key: str, path: str, body: dict[str, Any]) -> Reply:
        return local_aws.http("POST", path, json_body=body, headers={"authorization": f"Bearer {key}"})

    (result,) = submit(local_aws, flagger, [report("vanish-http")], "wh_vanish_http").json()["results"]
    first = call(vanished, "/v1/review/claim", {})
    assert first.status == 200
    assert call(other, "/v1/review/claim", {}).status == 204
    clock.advance(seconds=review_service().lease_length.total_seconds() - 1)
    assert call(other, "/v1/review/claim", {}).status == 204, "the lease still holds"
    clock.advance(seconds=2)
    second = call(other, "/v1/review/claim", {})
    assert second.status == 200
    assert second.json()["item"]["item_id"] == result["item_id"]
    decision = f"/v1/review/items/{result['item_id']}/decision"
    late = call(vanished, decision, {"lease_id": first.json()["lease"]["lease_id"], "decision": "confirm"})
    assert late.status == 409
    assert late.headers["content-type"] == "application/problem+json"
    lease_id = second.json()["lease"]["lease_id"]
    assert call(other, decision, {"lease_id": lease_id, "decision": "escalate"}).status == 200
    item = local_aws.http(
        "GET", f"/v1/review/items/{result['item_id']}", headers={"authorization": f"Bearer {other}"}
    ).json()
    assert item["status"] == "escalated"
    assert len(item["decisions"]) == 1


# ---------------------------------------------------------------------- ingest


@pytest.mark.parametrize(
    "crash",
    [
        pytest.param("after-landing", id="dies-just-after-the-landing-transaction"),
        pytest.param("before-answer", id="dies-before-storing-its-answer"),
    ],
)
def test_ingest_dying_after_its_write_still_queues_the_item_and_a_retry_gives_the_same_answer(
    local_aws: InProcessStack, idempotency_clock: Clock, crash: str
) -> None:
    """The function times out after DynamoDB took the reports but before it answered the flagger.

    There is no queue send to lose: the review queue is the items table's `review-queue` index, whose
    keys (`queue`, `queue_sort`) are written in the same transaction as the item and its reports.
    """
    flagger = local_aws.principals().create(Role.FLAGGER, "F")
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    # A crashed invocation leaves the submission "in progress" until its deadline (the function's
    # timeout after it began): on a clock that moves only when the test moves it.
    run_function_as(local_aws, "IngestFunction", clock=idempotency_clock)
    timeout_s = local_aws.template.function("IngestFunction").timeout_s
    reports = [report("crash/1"), report("crash/2"), report("crash/1")]
    faults = Faults()
    if crash == "after-landing":
        items = local_aws.stack.physical("ItemsTable")

        def lands_reports(params: dict[str, Any]) -> bool:  # not the rate window's transaction
            return any(next(iter(a.values()))["TableName"] == items for a in params["TransactItems"])

        faults.crash("dynamodb", ["TransactWriteItems"], nth=[1], when="after", match=lands_reports)
    else:
        idempotency = local_aws.stack.physical("IdempotencyTable")
        faults.crash("dynamodb", ["UpdateItem"], nth=[1], match=lambda p: p.get("TableName") == idempotency)
    with faults:
        died = submit(local_aws, flagger, reports, "wh_crash")
    assert faults.total() == 1
    assert died.status >= 500, "the flagger got no answer"
    assert len(records(local_aws, "REPORT")) == 3, "the write took place"

    # The flagger retries: until the dead invocation's deadline the submission is still in progress
    # (409 and Retry-After) ...
    busy = submit(local_aws, flagger, reports, "wh_crash")
    assert busy.status == 409
    assert busy.headers["retry-after"] == "1"
    idempotency_clock.advance(timeout_s - 0.01)
    assert submit(local_aws, flagger, reports, "wh_crash").status == 409, "in progress until the deadline"
    # ... and after it gets the answer it should have had, landed once.
    idempotency_clock.advance(0.02)
    retried = submit(local_aws, flagger, reports, "wh_crash")
    assert retried.status == 202
    results = retried.json()["results"]
    assert [r["status"] for r in results] == ["new", "new", "duplicate"], "its own reports are not duplicates"
    digest = hashlib.sha256(json.dumps({"reports": reports}).encode()).hexdigest()
    expected = [report_id_for(flagger.principal.id, "wh_crash", i, digest) for i in range(3)]
    assert [r["report_id"] for r in results] == expected
    assert len(records(local_aws, "REPORT")) == 3
    assert sorted(int(i["report_count"]) for i in records(local_aws, "ITEM")) == [1, 2]
    assert submit(local_aws, flagger, reports, "wh_crash").json() == retried.json(), "now stored for replays"

    # The items reached review: the queue hands both out (each decided before the next claim: a
    # reviewer holds one lease per queue).
    claimed = []
    auth = {"authorization": f"Bearer {reviewer.api_key}"}
    for _ in range(3):
        reply = local_aws.http("POST", "/v1/review/claim", json_body={}, headers=auth)
        if reply.status == 204:
            break
        body = reply.json()
        claimed.append(body["item"]["item_id"])
        decision = {"lease_id": body["lease"]["lease_id"], "decision": "reject", "reason": "out_of_scope"}
        path = f"/v1/review/items/{claimed[-1]}/decision"
        assert local_aws.http("POST", path, json_body=decision, headers=auth).status == 200
    assert sorted(claimed) == sorted({r["item_id"] for r in results})


# -------------------------------------------------------------------- delivery


@pytest.mark.parametrize("when", ["before", "after"], ids=["dies-before-the-queue-send", "dies-after-the-queue-send"])
def test_dispatch_dying_between_the_feed_write_and_the_queue_send_still_pushes_once(
    local_aws: InProcessStack, receiver: Callable[..., Receiver], when: str
) -> None:
    """Dispatch appends the feed entry, then sends the push job. It dies between the two (or right
    after the send, before its invocation ends): the stream redelivers the batch, the append finds its
    entry, and the job is sent (again). The platform gets the entry once."""
    creds, hook = push_platform(local_aws, receiver)
    items = land_items([f"https://example.org/dispatch-crash/{n}" for n in range(3)])
    for item_id in items:
        set_status(local_aws, item_id, "confirmed")
    run_function_as(local_aws, "DispatchFunction")
    queue = local_aws.stack.physical("ForwardQueue")
    # The batch's three jobs go in one SendMessageBatch: the invocation dies at it.
    faults = Faults().crash("sqs", ["SendMessageBatch"], nth=[1], when=when, match=lambda p: p.get("QueueUrl") == queue)
    with faults:
        pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered"] * 3)
    assert faults.total("sqs.SendMessageBatch:crash") == 1
    entries = feed_store().read(creds.principal.id, 0, 100)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert sorted(e.item["item_id"] for e in entries) == sorted(items), "no entry appended twice"
    assert sorted(hook.ids.values()) == [1, 1, 1], "each entry pushed once"


def test_forwarder_dying_mid_batch_redelivers_the_rest_and_receivers_deduplicate_by_webhook_id(
    local_aws: InProcessStack, receiver: Callable[..., Receiver]
) -> None:
    """The forwarder dies twice: once after pushing an entry but before logging it as delivered, once
    after logging the first entry of a batch. SQS hands the unsettled messages back after the
    visibility timeout (1 s here); each entry reaches the platform at least once, always with the same
    webhook-id, so a receiver that deduplicates by webhook-id sees each exactly once."""
    sqs = local_aws.client("sqs")
    queue = local_aws.stack.physical("ForwardQueue")
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "1"})
    creds, hook = push_platform(local_aws, receiver)
    items = land_items([f"https://example.org/forward-crash/{n}" for n in range(6)])
    for item_id in items:
        set_status(local_aws, item_id, "confirmed")
    run_function_as(local_aws, "ForwardFunction")

    def logs_a_delivery(params: dict[str, Any]) -> bool:
        puts = [a.get("Put", {}).get("Item", {}).get("pk", {}).get("S", "") for a in params.get("TransactItems", [])]
        return any(pk.startswith("DELIVERY#") for pk in puts)

    faults = (
        Faults()
        .crash("dynamodb", ["TransactWriteItems"], nth=[2], when="before", match=logs_a_delivery)
        .crash("dynamodb", ["TransactWriteItems"], nth=[4], when="after", match=logs_a_delivery)
    )
    with faults:
        pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered"] * 6)
    assert faults.total("dynamodb.TransactWriteItems:crash") == 2
    entries = feed_store().read(creds.principal.id, 0, 100)
    assert [e.seq for e in entries] == list(range(1, 7)), "no entry appended twice"
    webhook_ids = {e.webhook_id() for e in entries}
    assert set(hook.ids) == webhook_ids, "every entry reached the platform"
    assert sorted(hook.ids.values()) == [1, 1, 1, 1, 1, 2], "the entry pushed but not logged was pushed again"
    assert len({(r["seq"], r["item"]["item_id"]) for r in hook.received}) == 6, "deduplicated: six entries"
    dlq = sqs.receive_message(QueueUrl=local_aws.stack.physical("ForwardDeadLetterQueue"))
    assert "Messages" not in dlq
