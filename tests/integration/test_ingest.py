"""POST /v1/flaggers/{id}/reports and GET /v1/reports/{id}, through the template's routing, on moto."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from clocks import Clock, signature_window_on  # type: ignore[import-not-found]
from ingest_support import Flagger  # type: ignore[import-not-found]
from standardwebhooks.webhooks import Webhook

from flagpost import lazy
from flagpost.adapters.dynamo.client import Table
from flagpost.domain.errors import RateLimitedError
from flagpost.domain.models.principal import Role
from flagpost.domain.webhooks import sign
from flagpost.wiring import item_store
from flagpost_local.harness import InProcessStack, Reply

TELEGRAM_FORMS = [
    "t.me/flagpost_demo_channel",
    "https://telegram.me/s/Flagpost_Demo_Channel?utm_source=tw",
    "hxxps://t[.]me/flagpost_demo_channel",
    "tg://resolve?domain=flagpost_demo_channel",
]


def report(url: str = "https://t.me/flagpost_demo_channel", **extra: Any) -> dict[str, Any]:
    return {"url": url, "category": "incitement", "description": "calls for attacks", **extra}


@pytest.fixture
def flagger(local_aws: InProcessStack) -> Flagger:
    return Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "Referral unit"))


@pytest.fixture
def other_flagger(local_aws: InProcessStack) -> Flagger:
    return Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "NGO"))


def item_record(stack: InProcessStack, item_id: str) -> dict[str, Any]:
    record = item_store().item(item_id)
    assert record is not None
    return record.to_item(datetime.now(UTC)).model_dump(mode="json")


def count_reports(stack: InProcessStack) -> int:
    table = stack.stack.physical("ItemsTable")
    items = stack.client("dynamodb").scan(
        TableName=table, FilterExpression="sk = :r", ExpressionAttributeValues={":r": {"S": "REPORT"}}
    )["Items"]
    return len(items)


# ------------------------------------------------------------------- signatures


def test_valid_submission_creates_an_item_and_answers_per_report(flagger: Flagger) -> None:
    reply = flagger.submit([report(), report("https://www.youtube.com/watch?v=dQw4w9WgXcQ", priority="crisis")])
    assert reply.status == 202
    results = reply.json()["results"]
    assert [r["status"] for r in results] == ["new", "new"]
    assert [r["index"] for r in results] == [0, 1]
    assert results[0]["target"]["platform"] == "telegram"
    assert results[0]["item_status"] == "pending"
    item = item_record(flagger.stack, results[1]["item_id"])
    assert item["priority"] == "crisis"
    assert item["report_count"] == 1
    assert item["flaggers"] == [flagger.id]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda f, now: f.submit([report()], secret="whsec_" + base64.b64encode(b"x" * 32).decode()),
            id="wrong-secret",
        ),
        pytest.param(lambda f, now: f.submit([report()], at=now - 301), id="stale"),
        pytest.param(lambda f, now: f.submit([report()], at=now + 301), id="future"),
        pytest.param(lambda f, now: f.submit([report()], headers={"webhook-signature": ""}), id="no-signature"),
        pytest.param(lambda f, now: f.submit([report()], headers={"webhook-timestamp": "soon"}), id="bad-timestamp"),
        pytest.param(lambda f, now: f.submit([report()], headers={"webhook-signature": "v1,!!!, v1"}), id="garbage"),
        pytest.param(lambda f, now: f.submit([report()], flagger_id="fla_000000000000"), id="unknown-flagger"),
    ],
)
def test_forged_stale_or_unknown_submissions_are_refused(
    flagger: Flagger, tamper: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 5-minute window is checked against a clock that stands at `now`, so that a second out is out
    # however long the request takes (a signature made at the real time is well within it).
    now = float(int(time.time()))
    signature_window_on(Clock(now), monkeypatch)
    reply = tamper(flagger, now)
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["status"] == 401
    assert count_reports(flagger.stack) == 0


def test_tampered_body_is_refused(flagger: Flagger) -> None:
    raw = json.dumps({"reports": [report()]}).encode()
    headers = sign(raw, flagger.creds.secret or "", "msg_tamper")
    tampered = raw.replace(b"incitement", b"recruitment")
    reply = flagger.stack.http("POST", f"/v1/flaggers/{flagger.id}/reports", body=tampered, headers=headers)
    assert reply.status == 401


def test_a_reviewer_cannot_submit_even_with_a_valid_looking_signature(
    local_aws: InProcessStack, flagger: Flagger
) -> None:
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    reply = flagger.submit([report()], flagger_id=reviewer.principal.id)
    assert reply.status == 401


def test_several_signatures_pass_when_one_is_valid(flagger: Flagger) -> None:
    raw = json.dumps({"reports": [report()]}).encode()
    headers = sign(raw, flagger.creds.secret or "", "msg_multi")
    bogus = "v1," + base64.b64encode(b"\0" * 32).decode()
    headers["webhook-signature"] = f"{bogus} v2,abc {headers['webhook-signature']}"
    reply = flagger.stack.http("POST", f"/v1/flaggers/{flagger.id}/reports", body=raw, headers=headers)
    assert reply.status == 202


def test_interoperates_with_the_off_the_shelf_signer_and_a_by_hand_hmac(flagger: Flagger) -> None:
    secret = flagger.creds.secret or ""
    raw = json.dumps({"reports": [report()]}).encode()
    ts = str(int(time.time()))
    # 1. The standardwebhooks reference library's own signer.

    library_sig = Webhook(secret).sign("msg_lib", datetime.fromtimestamp(int(ts), tz=UTC), raw.decode())
    reply = flagger.stack.http(
        "POST",
        f"/v1/flaggers/{flagger.id}/reports",
        body=raw,
        headers={"webhook-id": "msg_lib", "webhook-timestamp": ts, "webhook-signature": library_sig},
    )
    assert reply.status == 202
    # 2. The spec written out by hand: base64(HMAC-SHA256(base64decode(secret), "id.ts.body")).
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, b"msg_hand." + ts.encode() + b"." + raw, hashlib.sha256).digest()
    reply = flagger.stack.http(
        "POST",
        f"/v1/flaggers/{flagger.id}/reports",
        body=raw,
        headers={
            "webhook-id": "msg_hand",
            "webhook-timestamp": ts,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        },
    )
    assert reply.status == 202


def test_rotated_secret_keeps_working_during_the_overlap(local_aws: InProcessStack, flagger: Flagger) -> None:
    old_secret = flagger.creds.secret
    new = local_aws.principals().rotate(flagger.id)
    lazy.reset()  # a fresh execution environment, as after a deploy; the old secret must still pass
    assert flagger.submit([report()], secret=old_secret).status == 202
    assert flagger.submit([report()], secret=new.secret).status == 202


def test_revoked_flagger_is_refused(local_aws: InProcessStack, flagger: Flagger) -> None:
    local_aws.principals().revoke(flagger.id)
    lazy.reset()
    assert flagger.submit([report()]).status == 401


# ------------------------------------------------------------------ idempotency


def test_replayed_webhook_id_returns_the_first_answer_and_creates_nothing(flagger: Flagger) -> None:
    raw = json.dumps({"reports": [report()]}).encode()
    first = flagger.submit(body=raw, msg_id="msg_replay")
    again = flagger.submit(body=raw, msg_id="msg_replay")
    assert first.status == again.status == 202
    assert again.json() == first.json()
    assert count_reports(flagger.stack) == 1
    assert item_record(flagger.stack, first.json()["results"][0]["item_id"])["report_count"] == 1


def test_same_webhook_id_with_another_body_is_a_conflict(flagger: Flagger) -> None:
    assert flagger.submit([report()], msg_id="msg_reuse").status == 202
    reply = flagger.submit([report(priority="crisis")], msg_id="msg_reuse")
    assert reply.status == 409
    assert reply.headers["content-type"] == "application/problem+json"
    assert count_reports(flagger.stack) == 1


def test_a_webhook_id_reused_after_the_idempotency_window_lands_the_new_body(flagger: Flagger) -> None:
    """Past the 24 h window the first answer is forgotten: a new body under the old id is a new
    submission, which lands; it is never answered with the old report's id and the new target."""
    first = flagger.submit([report("https://t.me/first_target")], msg_id="msg_old").json()["results"][0]
    stack = flagger.stack
    table = stack.stack.physical("IdempotencyTable")
    dynamodb = stack.client("dynamodb")
    for record in dynamodb.scan(TableName=table)["Items"]:  # what DynamoDB's TTL does after 24 h
        dynamodb.delete_item(TableName=table, Key={"id": record["id"]})
    reply = flagger.submit([report("https://t.me/second_target")], msg_id="msg_old")
    assert reply.status == 202
    second = reply.json()["results"][0]
    assert second["status"] == "new"
    assert second["report_id"] != first["report_id"]
    assert second["item_id"] != first["item_id"]
    assert second["target"]["id"] == "second_target"
    assert count_reports(stack) == 2
    view = flagger.get_report(second["report_id"]).json()
    assert view["item_id"] == second["item_id"], "the answer names a report that was stored"
    assert flagger.get_report(first["report_id"]).json()["item_id"] == first["item_id"]


def test_same_webhook_id_from_two_flaggers_is_two_submissions(flagger: Flagger, other_flagger: Flagger) -> None:
    assert flagger.submit([report()], msg_id="msg_shared").status == 202
    second = other_flagger.submit([report()], msg_id="msg_shared").json()["results"][0]
    assert second["status"] == "duplicate"
    assert count_reports(flagger.stack) == 2


# ------------------------------------------------------------------- validation


def test_a_batch_of_100_with_bad_reports_still_lands_the_good_ones(flagger: Flagger) -> None:
    reports = [report(f"https://example.org/page/{i}") for i in range(100)]
    reports[3] = {"url": "https://example.org/x", "category": "propaganda", "description": "d"}
    reports[17] = {"category": "threat", "description": "no target"}
    reports[42] = report("javascript:alert(1)")
    reports[77] = report("https://example.org/y", colour="red")
    reports[99] = "not an object"  # type: ignore[call-overload]
    reply = flagger.submit(reports)
    assert reply.status == 202
    results = reply.json()["results"]
    assert len(results) == 100
    invalid = {r["index"] for r in results if r["status"] == "invalid"}
    assert invalid == {3, 17, 42, 77, 99}
    for index in invalid:
        errors = results[index]["errors"]
        assert errors
        assert all({"loc", "msg", "type"} <= set(e) for e in errors)
    assert results[3]["errors"][0]["loc"] == ["category"]
    assert results[42]["errors"][0]["type"].startswith("target.")
    assert sum(r["status"] == "new" for r in results) == 95
    assert count_reports(flagger.stack) == 95


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[]", 422),
        (b'{"reports": []}', 422),
        (b'{"reports": "x"}', 422),
        (json.dumps({"reports": [report()] * 101}).encode(), 422),
    ],
)
def test_malformed_envelopes_get_a_clear_4xx(flagger: Flagger, body: bytes, status: int) -> None:
    reply = flagger.submit(body=body)
    assert reply.status == status
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert {"status", "title", "detail"} <= set(problem)
    if status == 422:
        assert problem["errors"]
        assert all("msg" in e for e in problem["errors"])


def test_a_body_that_is_not_utf8_cannot_carry_a_valid_signature(flagger: Flagger) -> None:
    headers = {"webhook-id": "m", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"}
    reply = flagger.stack.http("POST", f"/v1/flaggers/{flagger.id}/reports", body=b"\xff\xfe", headers=headers)
    assert reply.status == 401


def test_bodies_over_256_kib_get_413(flagger: Flagger) -> None:
    padding = "x" * 3990
    big = json.dumps({"reports": [report(description=padding)] * 70}).encode()
    assert len(big) > 256 * 1024
    reply = flagger.submit(body=big)
    assert reply.status == 413
    assert reply.headers["content-type"] == "application/problem+json"


# ------------------------------------------------------------------------ dedup


def test_cross_flagger_dedup_across_url_forms(flagger: Flagger, other_flagger: Flagger) -> None:
    first = flagger.submit([report(TELEGRAM_FORMS[0]), report(TELEGRAM_FORMS[1])]).json()["results"]
    second = other_flagger.submit([report(u) for u in TELEGRAM_FORMS[2:]]).json()["results"]
    assert [r["status"] for r in first + second] == ["new", "duplicate", "duplicate", "duplicate"]
    assert len({r["item_id"] for r in first + second}) == 1
    item = item_record(flagger.stack, first[0]["item_id"])
    assert item["report_count"] == 4
    assert item["flaggers"] == sorted([flagger.id, other_flagger.id])


def test_twenty_flaggers_reporting_one_target_at_once_make_one_item(local_aws: InProcessStack) -> None:
    flaggers = [Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, f"F{i}")) for i in range(20)]
    barrier = threading.Barrier(len(flaggers))
    replies: list[Reply] = []

    def go(i: int, f: Flagger) -> None:
        barrier.wait()
        replies.append(f.submit([report(TELEGRAM_FORMS[i % len(TELEGRAM_FORMS)])]))

    threads = [threading.Thread(target=go, args=(i, f)) for i, f in enumerate(flaggers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in replies] == [202] * 20
    results = [r.json()["results"][0] for r in replies]
    assert sorted(r["status"] for r in results) == ["duplicate"] * 19 + ["new"]
    (item_id,) = {r["item_id"] for r in results}
    item = item_record(local_aws, item_id)
    assert item["report_count"] == 20
    assert len(item["flaggers"]) == 20
    table = local_aws.stack.physical("ItemsTable")
    items = local_aws.client("dynamodb").scan(
        TableName=table, FilterExpression="sk = :i", ExpressionAttributeValues={":i": {"S": "ITEM"}}
    )["Items"]
    assert len(items) == 1


def test_one_submission_naming_a_target_twice_counts_both_reports(flagger: Flagger) -> None:
    results = flagger.submit([report(TELEGRAM_FORMS[0]), report(TELEGRAM_FORMS[2])]).json()["results"]
    assert [r["status"] for r in results] == ["new", "duplicate"]
    assert item_record(flagger.stack, results[0]["item_id"])["report_count"] == 2


def test_corroboration_raises_priority_and_pulls_the_deadline_in(flagger: Flagger, other_flagger: Flagger) -> None:
    first = flagger.submit([report()]).json()["results"][0]
    before = item_record(flagger.stack, first["item_id"])
    other_flagger.submit([report(priority="threat_to_life")])
    after = item_record(flagger.stack, first["item_id"])
    assert (before["priority"], after["priority"]) == ("standard", "threat_to_life")
    assert after["due_at"] < before["due_at"]
    flagger.submit([report(priority="crisis")])
    assert item_record(flagger.stack, first["item_id"])["priority"] == "threat_to_life", "never lowered"


def test_a_later_report_that_raises_the_priority_is_in_the_history(flagger: Flagger, other_flagger: Flagger) -> None:
    """Reviewers see why an item became urgent: who raised it, from what to what, and the new deadline."""
    item_id = flagger.submit([report()]).json()["results"][0]["item_id"]
    other_flagger.submit([report(priority="crisis")])
    flagger.submit([report(priority="standard")])  # no raise: nothing to tell
    got = flagger.stack.client("dynamodb").query(
        TableName=flagger.stack.stack.physical("ItemsTable"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        ExpressionAttributeValues={":pk": {"S": f"ITEM#{item_id}"}, ":h": {"S": "HIST#"}},
    )
    events = [(h["event"]["S"], h["actor"]["S"]) for h in got["Items"]]
    assert sorted(events) == sorted([("created", flagger.id), ("priority_raised", other_flagger.id)]), events
    raised = next(h for h in got["Items"] if h["event"]["S"] == "priority_raised")
    text = json.dumps(raised["detail"])
    assert '"standard"' in text
    assert '"crisis"' in text
    assert item_record(flagger.stack, item_id)["due_at"][:19] in text, "the new deadline"


def _set_status(stack: InProcessStack, item_id: str, status: str) -> None:
    stack.client("dynamodb").update_item(
        TableName=stack.stack.physical("ItemsTable"),
        Key={"pk": {"S": f"ITEM#{item_id}"}, "sk": {"S": "ITEM"}},
        UpdateExpression="SET #s = :s REMOVE #q, queue_sort",
        ExpressionAttributeNames={"#s": "status", "#q": "queue"},
        ExpressionAttributeValues={":s": {"S": status}},
    )


def test_rejected_items_reopen_only_for_new_independent_flaggers(flagger: Flagger, other_flagger: Flagger) -> None:
    item_id = flagger.submit([report()]).json()["results"][0]["item_id"]
    _set_status(flagger.stack, item_id, "rejected")
    again = flagger.submit([report()]).json()["results"][0]
    assert (again["status"], again["item_status"]) == ("duplicate", "rejected")
    fresh = other_flagger.submit([report()]).json()["results"][0]
    assert fresh["item_status"] == "pending"
    assert item_record(flagger.stack, item_id)["status"] == "pending"


def test_reports_on_confirmed_items_are_recorded_without_reopening(flagger: Flagger, other_flagger: Flagger) -> None:
    item_id = flagger.submit([report()]).json()["results"][0]["item_id"]
    _set_status(flagger.stack, item_id, "confirmed")
    result = other_flagger.submit([report(priority="threat_to_life")]).json()["results"][0]
    assert result["item_status"] == "confirmed"
    item = item_record(flagger.stack, item_id)
    assert (item["status"], item["report_count"], item["priority"]) == ("confirmed", 2, "standard")


# ------------------------------------------------------------------ rate limit


def test_rate_limit_answers_429_with_retry_after(
    local_aws: InProcessStack, flagger: Flagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLAGPOST_FLAGGER_REPORTS_PER_MINUTE", "3")
    lazy.reset()
    from flagpost.adapters.dynamo.ratelimit import RateLimiter
    from flagpost.wiring import ingest_service

    # The route's limiter as configured, on a clock that keeps both submissions in one window (the wall
    # clock could cross into the next minute between them).
    service = ingest_service()  # the instance the route uses until a reset
    limiter = RateLimiter(Table(local_aws.stack.physical("PrincipalsTable")), 3, clock=lambda: 630.0)
    monkeypatch.setattr(service, "limiter", limiter)
    assert flagger.submit([report(f"https://example.org/{i}") for i in range(2)]).status == 202
    limited = flagger.submit([report(f"https://example.org/x{i}") for i in range(2)])
    assert limited.status == 429
    assert limited.headers["retry-after"] == "30"
    assert limited.headers["content-type"] == "application/problem+json"


def test_a_webhook_retried_within_the_minute_is_charged_once(local_aws: InProcessStack) -> None:
    """A flagger retrying after a 503 (same webhook-id) must not use up its own limit."""
    from flagpost.adapters.dynamo.ratelimit import RateLimiter

    now = [600.0]
    limiter = RateLimiter(Table(local_aws.stack.physical("PrincipalsTable")), 3, clock=lambda: now[0])
    limiter.take("fla_1", 2, charge_id="msg_a")
    limiter.take("fla_1", 2, charge_id="msg_a")  # the retry: free
    limiter.take("fla_1", 2, charge_id="msg_a")
    with pytest.raises(RateLimitedError):
        limiter.take("fla_1", 2, charge_id="msg_b")  # a new webhook: 2 + 2 > 3
    limiter.take("fla_2", 3, charge_id="msg_a")  # another flagger's window and markers
    now[0] = 660.0  # the next minute: a new window, and the same webhook is charged again there
    limiter.take("fla_1", 2, charge_id="msg_a")
    with pytest.raises(RateLimitedError):
        limiter.take("fla_1", 2, charge_id="msg_c")
    without_ids = RateLimiter(Table(local_aws.stack.physical("PrincipalsTable")), 3, clock=lambda: 1200.0)
    without_ids.take("fla_1", 2)
    with pytest.raises(RateLimitedError):
        without_ids.take("fla_1", 2)


# ------------------------------------------------------------------ read back


def test_flaggers_read_their_own_reports_only(
    local_aws: InProcessStack, flagger: Flagger, other_flagger: Flagger
) -> None:
    result = flagger.submit([report(external_id="case-7")]).json()["results"][0]
    mine = flagger.get_report(result["report_id"])
    assert mine.status == 200
    view = mine.json()
    assert view["report_id"] == result["report_id"]
    assert view["item_id"] == result["item_id"]
    assert (view["status"], view["item_status"], view["external_id"]) == ("new", "pending", "case-7")
    assert other_flagger.get_report(result["report_id"]).status == 404
    assert flagger.get_report("rep_doesnotexist").status == 404
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    assert flagger.get_report(result["report_id"], key=reviewer.api_key).status == 403
    anonymous = local_aws.http("GET", f"/v1/reports/{result['report_id']}")
    assert anonymous.status == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")


def test_store_lands_twenty_simultaneous_flaggers_on_one_item_without_races(local_aws: InProcessStack) -> None:
    """Below the HTTP layer (which runs one request at a time in-process), with real thread races."""
    from flagpost.domain.ids import Submission
    from flagpost.domain.intake import IncomingReport
    from flagpost.domain.models.report import ReportIn
    from flagpost.domain.normalize import normalize_url

    store = item_store()
    barrier = threading.Barrier(20)
    landed: list[Any] = []

    def go(i: int) -> None:
        url = TELEGRAM_FORMS[i % len(TELEGRAM_FORMS)]
        incoming = IncomingReport(0, ReportIn.model_validate(report(url)), normalize_url(url))
        barrier.wait()
        landed.extend(store.record_reports(Submission(f"fla_{i:02d}", f"msg_{i}", "0" * 64), [incoming]))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(entry.status for entry in landed) == ["duplicate"] * 19 + ["new"]
    (item_id,) = {entry.item_id for entry in landed}
    item = store.item(item_id)
    assert item is not None
    assert item.report_count == 20
    assert len(item.flaggers) == 20
    assert len({entry.report_id for entry in landed}) == 20
