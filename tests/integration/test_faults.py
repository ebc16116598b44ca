"""Fault injection on moto: throttled DynamoDB, failing SQS sends, KMS down, a forwarder dying mid-batch.

Faults are injected with botocore event hooks on the product's own clients (see faults.py): product
code runs unchanged, and every fault is drawn from a seeded generator, so each run is the same run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from clocks import Clock  # type: ignore[import-not-found]
from delivery_support import deliveries, land_items, pump_until, push_platform, set_status  # type: ignore[import-not-found]
from faults import Faults, recorded, run_function_as  # type: ignore[import-not-found]
from ingest_support import Flagger  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.config import settings
from flagpost.domain.ids import report_id_for
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.models.report import Priority
from flagpost.domain.webhooks import sign
from flagpost.wiring import feed_store, principal_store, stats_store
from flagpost_local.harness import InProcessStack, Reply
from flagpost_local.receiver import Receiver

# ------------------------------------------------------------------ the sender

WEBHOOKS = int(os.environ.get("FP_WEBHOOKS", "100"))
SETTLED_STATUSES = {"new", "duplicate", "invalid"}


@dataclass
class Sent:
    """One report as the sender knows it, and where it ended up."""

    flagger_id: str
    report: dict[str, Any]
    key: str | None  # the target it names (None: deliberately invalid)
    result: dict[str, Any] | None = None


@dataclass
class Sender:
    """A well-behaved flagger client: retries a webhook (same id, same body) while the answer carries
    Retry-After, and resubmits under a new webhook-id any report answered as failed.

    It waits out a Retry-After by moving `clock`, which the ingest function's deadline and powertools
    idempotency run on: an interrupted submission stays "in progress" until the clock passes the
    deadline of the invocation that began it, however long the machine takes to get there."""

    stack: InProcessStack
    clock: Clock
    replies: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    resubmitted: int = 0
    problems: list[str] = field(default_factory=list)
    partial_5xx: int = 0  # 5xx answers given after part of the webhook had already landed
    final: dict[str, dict[str, Any]] = field(default_factory=dict)  # webhook-id -> accepted answer
    webhooks: dict[str, tuple[str, list[Sent]]] = field(default_factory=dict)

    def deliver(self, creds: IssuedCredentials, webhook_id: str, batch: list[Sent]) -> None:
        flagger_id = creds.principal.id
        raw = json.dumps({"reports": [s.report for s in batch]}).encode()
        self.webhooks[webhook_id] = (flagger_id, batch)
        for _ in range(500):
            reply = self.stack.http(
                "POST",
                f"/v1/flaggers/{flagger_id}/reports",
                body=raw,
                headers={"content-type": "application/json", **sign(raw, creds.secret or "", webhook_id)},
            )
            self.replies[reply.status] += 1
            self._check(reply, flagger_id, webhook_id, len(batch), hashlib.sha256(raw).hexdigest())
            if reply.status == 202:
                results = reply.json()["results"]
                assert len(results) == len(batch)
                self.final[webhook_id] = reply.json()
                failed = []
                for sent, result in zip(batch, results, strict=True):
                    sent.result = result
                    if result["status"] not in SETTLED_STATUSES:
                        failed.append(Sent(sent.flagger_id, sent.report, sent.key))
                if failed:
                    self.resubmitted += len(failed)
                    self.deliver(creds, f"{webhook_id}-r{self.resubmitted}", failed)
                return
            retry_after = reply.headers.get("retry-after")
            assert retry_after is not None or reply.status >= 500, f"{reply.status}: {reply.body!r}"
            self.retries += 1  # a 5xx without Retry-After is noted by _check and retried a second later
            self.clock.advance(int(retry_after or 1))
        raise AssertionError(f"{webhook_id} never went through")

    def _check(self, reply: Reply, flagger_id: str, webhook_id: str, size: int, body_sha256: str) -> None:
        if reply.status < 500:
            return
        if reply.headers.get("content-type") != "application/problem+json":
            self.problems.append(f"{reply.status} is not problem+json: {reply.body[:200]!r}")
        elif reply.json().get("status") != reply.status or "results" in reply.json():
            self.problems.append(f"{reply.status} with a body of {reply.body[:200]!r}")
        if "retry-after" not in reply.headers:
            self.problems.append(f"{reply.status} without Retry-After: {reply.body[:200]!r}")
        # What of this webhook had landed when the 5xx was given (the retry must finish it, once).
        ids = [report_id_for(flagger_id, webhook_id, i, body_sha256) for i in range(size)]
        table = self.stack.stack.physical("ItemsTable")
        keys = [{"pk": {"S": f"REPORT#{r}"}, "sk": {"S": "REPORT"}} for r in ids]
        got = self.stack.client("dynamodb").batch_get_item(
            RequestItems={table: {"Keys": keys, "ProjectionExpression": "pk"}}
        )
        if got["Responses"][table]:
            self.partial_5xx += 1


# -------------------------------------------------------------- the workload

TELEGRAM_FORMS = (
    "https://t.me/{name}",
    "t.me/{name}",
    "https://telegram.me/s/{Name}?utm_source=tw",
    "hxxps://t[.]me/{name}",
    "tg://resolve?domain={name}",
)
CATEGORIES = ("incitement", "solicitation", "recruitment", "instruction", "threat")


def workload(
    rng: random.Random, flaggers: list[IssuedCredentials], webhooks: int, size: int
) -> Iterator[tuple[IssuedCredentials, str, list[Sent]]]:
    """Webhooks of reports whose targets repeat within and across webhooks, in several URL forms."""
    pool = 6000
    for w in range(webhooks):
        creds = flaggers[w % len(flaggers)]
        batch: list[Sent] = []
        for _ in range(size):
            n = int(rng.triangular(0, pool, 0))  # a few hot targets, a long tail
            roll = rng.random()
            if roll < 0.01:
                report: dict[str, Any] = {"url": "javascript:alert(1)", "category": "threat", "description": "x"}
                key = None
            elif n % 3:
                name = f"fp_channel_{n:05d}"
                url = rng.choice(TELEGRAM_FORMS).format(name=name, Name=name.title())
                report, key = {"url": url}, f"telegram:{name}"
            else:
                report, key = {"url": f"https://example.org/articles/{n}"}, f"web:{n}"
            if key is not None:
                report |= {
                    "category": rng.choice(CATEGORIES),
                    "priority": rng.choices(["standard", "crisis", "threat_to_life"], [90, 8, 2])[0],
                    "description": f"report {w}/{len(batch)}",
                    "external_id": f"case-{w}-{len(batch)}",
                }
            batch.append(Sent(creds.principal.id, report, key))
        yield creds, f"wh_{w:04d}", batch


def stored(stack: InProcessStack, table_logical_id: str) -> list[dict[str, Any]]:
    """Every record of a table, read from the emulator's own state (a Scan through the API costs a
    second per few thousand records in moto, most of it serialising the response)."""
    from moto.dynamodb.models import dynamodb_backends

    from flagpost.adapters.dynamo.client import from_item
    from flagpost_local.runtime import ACCOUNT_ID

    backend = dynamodb_backends[ACCOUNT_ID][stack.session.region_name]
    table = backend.get_table(stack.stack.physical(table_logical_id))
    return [from_item(record.to_json()["Attributes"]) for record in table.all_items()]


# --------------------------------------------------------- the accounting test


def test_ten_thousand_reports_with_a_fifth_of_dynamodb_calls_throttled_are_each_accounted_for_once(
    local_aws: InProcessStack, idempotency_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rate limiting stays on (its UpdateItem is throttled like every call) but high enough that the
    # retries a throttled run needs do not exhaust a minute's allowance.
    monkeypatch.setenv("FLAGPOST_FLAGGER_REPORTS_PER_MINUTE", "1000000")
    lazy.reset()
    flaggers = [local_aws.principals().create(Role.FLAGGER, f"Flagger {n}") for n in range(4)]
    run_function_as(local_aws, "IngestFunction", clock=idempotency_clock)
    # The auth cache runs on the same clock: how often it reloads the flaggers (and so which calls get
    # throttled) then depends on the run's retries, not on how fast the machine is.
    monkeypatch.setattr(principal_store(), "_clock", idempotency_clock)
    sender = Sender(local_aws, idempotency_clock)
    rng = random.Random(20260101)
    started = time.perf_counter()
    with Faults(seed=7).throttle("dynamodb", rate=0.2) as faults:
        for creds, webhook_id, batch in workload(rng, flaggers, webhooks=WEBHOOKS, size=100):
            sender.deliver(creds, webhook_id, batch)
    elapsed = time.perf_counter() - started

    sent = [s for _, batch in sender.webhooks.values() for s in batch if s.result is not None]
    print(
        f"\naccounting: {len(sent)} reports in {len(sender.final)} webhooks, {elapsed:.1f} s; "
        f"replies {dict(sender.replies)}; retries {sender.retries}; 5xx after a partial landing "
        f"{sender.partial_5xx}; resubmitted {sender.resubmitted}; DynamoDB calls {faults.calls_to('dynamodb')}, "
        f"faults {dict(faults.injected)}"
    )
    calls, throttled = faults.calls_to("dynamodb"), faults.total("dynamodb")
    assert calls > WEBHOOKS * 10
    assert 0.15 < throttled / calls < 0.25, "a fifth of the calls were throttled"
    errors = Counter(
        json.loads(line).get("error_type") for line in local_aws.logs.getvalue().splitlines() if '"ERROR"' in line
    )
    assert sender.problems == [], errors
    assert set(sender.replies) <= {202, 409, 503}

    # Every report has exactly one answer: persisted (new/duplicate) or refused as invalid.
    assert len(sent) == WEBHOOKS * 100
    accepted = {s.result["report_id"]: s for s in sent if s.result and s.result["status"] in ("new", "duplicate")}
    invalid = [s for s in sent if s.result and s.result["status"] == "invalid"]
    assert len(accepted) + len(invalid) == WEBHOOKS * 100, "no report id answered twice"
    assert all(s.key is None for s in invalid)
    assert all(s.key is not None for s in accepted.values())

    checking = time.perf_counter()
    records = stored(local_aws, "ItemsTable")
    reports = [r for r in records if r["sk"] == "REPORT"]
    texts = [r for r in records if r["sk"] == "TEXT"]
    items = {r["item_id"]: r for r in records if r["sk"] == "ITEM"}
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["sk"].startswith("HIST#"):
            history[r["pk"].removeprefix("ITEM#")].append(r)

    # Persisted report records are exactly the accepted ones, each once, as answered.
    assert len(reports) == len({r["report_id"] for r in reports}) == len(accepted)
    assert {r["report_id"] for r in reports} == set(accepted)
    assert len(texts) == len(reports)
    for record in reports:
        sent_as = accepted[record["report_id"]]
        assert record["flagger_id"] == sent_as.flagger_id
        assert record["report_item"] == sent_as.result["item_id"]  # type: ignore[index]
        assert record["landed_status"] == sent_as.result["status"]  # type: ignore[index]
        assert record["url"] == sent_as.report["url"]
        assert record["dedup_key"] == items[record["report_item"]]["dedup_key"]

    # One item per distinct target, none without reports.
    keys_by_item: dict[str, set[str]] = defaultdict(set)
    for s in accepted.values():
        keys_by_item[s.result["item_id"]].add(s.key)  # type: ignore[index,arg-type]
    assert all(len(keys) == 1 for keys in keys_by_item.values()), "two targets merged into one item"
    assert len(items) == len({s.key for s in accepted.values()}) == len(keys_by_item)
    assert len({i["dedup_key"] for i in items.values()}) == len(items)

    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in reports:
        by_item[record["report_item"]].append(record)
    for item_id, item in items.items():
        mine = by_item[item_id]
        assert item["report_count"] == len(mine), item_id
        assert sorted(item["flaggers"]) == sorted({r["flagger_id"] for r in mine}), item_id
        assert [r["landed_status"] for r in mine].count("new") == 1, item_id
        assert item["priority"] == Priority.highest(*(Priority(r["priority"]) for r in mine)).value, item_id
        assert (item["status"], item["queue"]) == ("pending", "default"), "awaiting review"
        assert_history_is_created_then_raises(history[item_id], item["priority"], item_id)
    assert set(history) == set(items)

    # The answer of every webhook is still the one a replay gets (nothing re-landed meanwhile), later,
    # once every invocation's deadline has passed (a webhook whose answer was not stored is in progress
    # until then).
    idempotency_clock.advance(local_aws.template.function("IngestFunction").timeout_s + 1)
    creds_by_id = {c.principal.id: c for c in flaggers}
    for webhook_id in rng.sample(sorted(sender.final), 5):
        flagger_id, batch = sender.webhooks[webhook_id]
        raw = json.dumps({"reports": [s.report for s in batch]}).encode()
        replay = local_aws.http(
            "POST",
            f"/v1/flaggers/{flagger_id}/reports",
            body=raw,
            headers={"content-type": "application/json", **sign(raw, creds_by_id[flagger_id].secret or "", webhook_id)},
        )
        assert replay.status == 202
        assert replay.json() == sender.final[webhook_id]
    assert len(stored(local_aws, "ItemsTable")) == len(records)
    print(f"accounting: checked in {time.perf_counter() - checking:.1f} s")


def assert_history_is_created_then_raises(entries: list[dict[str, Any]], priority: str, item_id: str) -> None:
    """One `created`, then one `priority_raised` per raise, chained from the created priority up to the
    item's (a retried landing neither repeats nor loses one)."""
    events = Counter(h["event"] for h in entries)
    assert events["created"] == 1, (item_id, events)
    assert set(events) <= {"created", "priority_raised"}, (item_id, events)
    created = next(h for h in entries if h["event"] == "created")
    raises = sorted(
        (h["detail"]["priority"] for h in entries if h["event"] == "priority_raised"),
        key=lambda step: -Priority(step["from"]).rank,  # rank 0 is the most urgent
    )
    level = created["detail"]["priority"]
    for step in raises:
        assert step["from"] == level, (item_id, raises)
        assert Priority(step["to"]).rank < Priority(level).rank, (item_id, raises)
        level = step["to"]
    assert level == priority, (item_id, created, raises)


# ------------------------------------------------------------ ingest, one fault at a time


@pytest.fixture
def flagger(local_aws: InProcessStack) -> Flagger:
    creds = local_aws.principals().create(Role.FLAGGER, "Referral unit")
    lazy.reset()  # a cold execution environment: nothing of the flagger cached yet
    return Flagger(local_aws, creds)


def reports_on(*names: str) -> list[dict[str, Any]]:
    return [{"url": f"https://example.org/{n}", "category": "incitement", "description": "d"} for n in names]


def count_records(stack: InProcessStack, sk: str) -> int:
    return sum(1 for r in stored(stack, "ItemsTable") if r["sk"] == sk)


def assert_retry_later(reply: Reply) -> None:
    assert reply.status == 503, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["retry-after"] == "1"
    problem = reply.json()
    assert problem["status"] == 503
    assert {"title", "detail"} <= set(problem)


def on_table(stack: InProcessStack, logical_id: str) -> Callable[[dict[str, Any]], bool]:
    """Matches calls on one table: single-item calls, batches, and transactions acting on it."""
    name = stack.stack.physical(logical_id)

    def matches(params: dict[str, Any]) -> bool:
        actions = [next(iter(a.values())) for a in params.get("TransactItems", [])]
        return (
            params.get("TableName") == name
            or name in params.get("RequestItems", {})
            or any(action.get("TableName") == name for action in actions)
        )

    return matches


@pytest.mark.parametrize(
    "errors",
    [
        pytest.param((("KMSInternalException", 500),), id="internal"),
        pytest.param((("DependencyTimeoutException", 503),), id="dependency-timeout"),
        pytest.param((("ThrottlingException", 400),), id="throttled"),
        pytest.param(None, id="unreachable"),
    ],
)
def test_kms_unavailable_while_verifying_a_signature_is_a_503_never_a_401_or_500(
    flagger: Flagger, errors: tuple[tuple[str, int], ...] | None
) -> None:
    reports = reports_on("kms-down")
    faults = Faults().unavailable("kms", operations=["Decrypt"], errors=errors or (), connection_error=errors is None)
    with faults:
        reply = flagger.submit(reports, msg_id="wh_kms")
    assert faults.total("kms.Decrypt") == 1
    assert_retry_later(reply)
    assert count_records(flagger.stack, "REPORT") == 0
    # KMS is back: the flagger's retry of the same webhook lands it, once.
    again = flagger.submit(reports, msg_id="wh_kms")
    assert again.status == 202
    assert again.json()["results"][0]["status"] == "new"
    assert count_records(flagger.stack, "REPORT") == 1


def test_a_forged_signature_is_still_a_401_when_kms_is_up(flagger: Flagger) -> None:
    """The 503 above is KMS's, not the signature's: the same request with a wrong secret is refused."""
    flagger.creds = flagger.creds.model_copy(update={"secret": "whsec_" + "A" * 43 + "="})
    assert flagger.submit(reports_on("forged"), msg_id="wh_forged").status == 401


def test_idempotency_table_throttled_before_landing_is_a_503_and_lands_nothing(flagger: Flagger) -> None:
    reports = reports_on("a", "b", "a")
    table = on_table(flagger.stack, "IdempotencyTable")
    with Faults().throttle("dynamodb", 1.0, ["PutItem"], match=table):
        assert_retry_later(flagger.submit(reports, msg_id="wh_inprogress"))
    assert count_records(flagger.stack, "REPORT") == 0
    again = flagger.submit(reports, msg_id="wh_inprogress")
    assert [r["status"] for r in again.json()["results"]] == ["new", "new", "duplicate"]


def test_answer_not_stored_for_replays_still_answers_202_and_a_replay_gets_the_same(
    flagger: Flagger, idempotency_clock: Clock
) -> None:
    """Every report landed; only saving the answer in the idempotency table failed."""
    run_function_as(flagger.stack, "IngestFunction", clock=idempotency_clock)
    timeout_s = flagger.stack.template.function("IngestFunction").timeout_s
    reports = reports_on("c", "d", "c")
    table = on_table(flagger.stack, "IdempotencyTable")
    with Faults().throttle("dynamodb", 1.0, ["UpdateItem"], match=table) as faults:
        first = flagger.submit(reports, msg_id="wh_unsaved")
    assert faults.total("dynamodb.UpdateItem") == 1, "powertools saves the answer with UpdateItem"
    assert first.status == 202
    assert [r["status"] for r in first.json()["results"]] == ["new", "new", "duplicate"]
    # Until the mark expires a replay is told to come back; then it gets the same answer, recomputed.
    busy = flagger.submit(reports, msg_id="wh_unsaved")
    assert busy.status == 409
    assert busy.headers["retry-after"] == "1"
    idempotency_clock.advance(timeout_s - 0.01)
    assert flagger.submit(reports, msg_id="wh_unsaved").status == 409, "marked until the invocation's deadline"
    idempotency_clock.advance(0.02)
    replay = flagger.submit(reports, msg_id="wh_unsaved")
    assert replay.status == 202
    assert replay.json() == first.json()
    assert count_records(flagger.stack, "REPORT") == 3
    item = flagger.stack.client("dynamodb").get_item(
        TableName=flagger.stack.stack.physical("ItemsTable"),
        Key={"pk": {"S": f"ITEM#{first.json()['results'][0]['item_id']}"}, "sk": {"S": "ITEM"}},
    )["Item"]
    assert item["report_count"]["N"] == "2"


@pytest.mark.parametrize(
    ("limit", "status"),
    [pytest.param("1", 429, id="refused-by-the-rate-limit"), pytest.param("1000", 503, id="landing-throttled")],
)
def test_a_failed_clean_up_keeps_the_answer_of_what_failed(
    flagger: Flagger, monkeypatch: pytest.MonkeyPatch, limit: str, status: int
) -> None:
    """The landing raised, and powertools could not delete the in-progress mark either."""
    monkeypatch.setenv("FLAGPOST_FLAGGER_REPORTS_PER_MINUTE", limit)
    lazy.reset()
    faults = Faults().throttle("dynamodb", 1.0, ["DeleteItem"], match=on_table(flagger.stack, "IdempotencyTable"))
    if status == 503:
        faults.throttle("dynamodb", 1.0, ["BatchGetItem"], match=on_table(flagger.stack, "ItemsTable"))
    with faults:
        reply = flagger.submit(reports_on("e", "f"), msg_id="wh_cleanup")
    assert faults.total("dynamodb.DeleteItem") == 1
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert "retry-after" in reply.headers
    assert count_records(flagger.stack, "REPORT") == 0


def test_a_throttled_read_between_two_landed_transactions_does_not_fail_the_submission(flagger: Flagger) -> None:
    """100 new targets land in four transactions. The second is throttled, and so is the read that
    precedes its retry: the first, third and fourth have committed by then. Answering 503 here would
    leave the submission half landed; the store retries the read as it retries a throttled write."""
    items = on_table(flagger.stack, "ItemsTable")
    faults = (
        Faults()
        .throttle("dynamodb", 0, ["TransactWriteItems"], match=items, nth=[2])
        .throttle("dynamodb", 0, ["BatchGetItem"], match=items, nth=[2])
    )
    reports = reports_on(*(f"half/{n}" for n in range(100)))
    with faults:
        reply = flagger.submit(reports, msg_id="wh_half")
    assert faults.total() == 2
    assert reply.status == 202, reply.body
    assert [r["status"] for r in reply.json()["results"]] == ["new"] * 100
    assert count_records(flagger.stack, "REPORT") == 100
    assert count_records(flagger.stack, "ITEM") == 100


def test_a_transaction_that_committed_but_answered_500_is_not_landed_twice(flagger: Flagger) -> None:
    """The ambiguous failure: DynamoDB applied the write, the answer was lost. The store reads again,
    finds the reports it wrote and answers for them; the flagger's own retry changes nothing."""
    reports = reports_on("g", "h", "g", "i")
    landing = on_table(flagger.stack, "ItemsTable")  # not the rate window's transaction before it
    with Faults().unavailable("dynamodb", 0, ["TransactWriteItems"], when="after", nth=[1], match=landing) as faults:
        first = flagger.submit(reports, msg_id="wh_ambiguous")
        assert faults.total() == 1
    assert first.status == 202, first.body
    assert [r["status"] for r in first.json()["results"]] == ["new", "new", "duplicate", "new"]
    again = flagger.submit(reports, msg_id="wh_ambiguous")
    assert again.status == 202
    assert again.json()["results"] == first.json()["results"]
    assert count_records(flagger.stack, "REPORT") == 4
    counts = sorted(int(r["report_count"]) for r in stored(flagger.stack, "ItemsTable") if r["sk"] == "ITEM")
    assert counts == [1, 1, 2]


# ------------------------------------------------------------------------ delivery


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_BASE_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_MAX_SECONDS", "1")
    lazy.reset()


def dlq_is_empty(stack: InProcessStack) -> bool:
    got = stack.client("sqs").receive_message(QueueUrl=stack.stack.physical("ForwardDeadLetterQueue"))
    return "Messages" not in got


@pytest.mark.parametrize("when", ["before", "after"])
def test_failing_queue_sends_in_the_dispatcher_retry_the_stream_and_lose_or_double_nothing(
    local_aws: InProcessStack, receiver: Callable[..., Receiver], fast_retries: None, when: str
) -> None:
    """SendMessageBatch to the forward queue fails twice: before reaching SQS, or after SQS took
    the message (the answer was lost). The stream batch is retried from the failed record."""
    creds, hook = push_platform(local_aws, receiver)
    items = land_items([f"https://example.org/sqs-{when}/{n}" for n in range(30)])
    for item_id in items:
        set_status(local_aws, item_id, "confirmed")
    queue = local_aws.stack.physical("ForwardQueue")
    faults = Faults(seed=3)
    # The dispatcher sends a batch's jobs ten to a SendMessageBatch: the first and third sends fail.
    on_queue = frozenset({1, 3})
    if when == "before":
        faults.throttle("sqs", 0, ["SendMessageBatch"], nth=on_queue, match=lambda p: p.get("QueueUrl") == queue)
    else:
        faults.unavailable(
            "sqs", 0, ["SendMessageBatch"], when="after", nth=on_queue, match=lambda p: p.get("QueueUrl") == queue
        )
    with faults:
        pump_until(local_aws, lambda: deliveries(creds.principal.id).count("delivered") == 30)
    assert faults.total("sqs.SendMessageBatch") == 2, faults.injected
    entries = feed_store().read(creds.principal.id, 0, 1000)
    assert [e.seq for e in entries] == list(range(1, 31)), "one entry per item, gap-free"
    assert sorted(e.item["item_id"] for e in entries) == sorted(items)
    assert len(hook.received) == 30, "each pushed exactly once"
    assert set(hook.ids.values()) == {1}
    assert dlq_is_empty(local_aws)
    assert stats_store().counters()[f"platform_items#{creds.principal.id}"] == 30, "routed items counted once"


@pytest.mark.parametrize("unreachable", [False, True], ids=["kms-error", "kms-unreachable"])
def test_kms_unavailable_when_signing_a_push_retries_later_and_parks_nothing(
    local_aws: InProcessStack, receiver: Callable[..., Receiver], fast_retries: None, unreachable: bool
) -> None:
    creds, hook = push_platform(local_aws, receiver)
    (item_id,) = land_items(["https://example.org/kms-push/1"])
    set_status(local_aws, item_id, "confirmed")
    faults = Faults().unavailable("kms", operations=["Decrypt"], connection_error=unreachable)
    with faults, recorded("sqs", "ChangeMessageVisibility") as postponed:
        pump_until(local_aws, lambda: faults.total("kms.Decrypt") >= 3)
        assert deliveries(creds.principal.id) == ["pending"], "not given up on"
        assert dlq_is_empty(local_aws), "not parked at once"
        assert hook.attempts == 0
    # Retried on the backoff (at most 1 s here), not after the queue's 180 s visibility timeout.
    assert len(postponed) >= 3, postponed
    assert all(p["VisibilityTimeout"] <= settings().forward_backoff_max_seconds for p in postponed), postponed
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered"])
    assert len(hook.received) == 1
    assert set(hook.ids.values()) == {1}
