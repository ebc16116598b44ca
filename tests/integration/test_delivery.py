"""Delivery: routing, the gap-free feed, signed pushes with retries and a DLQ, outcomes, retractions."""

from __future__ import annotations

import base64
import json
import random
import threading
from collections import Counter
from typing import Any

import pytest
from delivery_support import deliveries, land_items, pump_until, push_platform, set_status  # type: ignore[import-not-found]
from faults import recorded  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.delivery.feed import FeedStore, InvalidCursorError, decode_cursor, encode_cursor
from flagpost.delivery.routing import owns, route
from flagpost.delivery.services import feed_store
from flagpost.local.harness import InProcessStack
from flagpost.principals.models import IssuedCredentials, Principal, Role
from flagpost.store.dynamo import StoreUnavailableError


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_BASE_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_MAX_SECONDS", "1")
    lazy.reset()


def platform(stack: InProcessStack, name: str, endpoint: str | None = None, **kw: Any) -> IssuedCredentials:
    return stack.principals().create(Role.PLATFORM, name, endpoint=endpoint, **kw)


def feed(stack: InProcessStack, key: str, cursor: str | None = None, limit: int = 100) -> Any:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    return stack.http("GET", f"/v1/feed{query}", headers={"authorization": f"Bearer {key}"})


# ------------------------------------------------------------------- routing


def _platform(**kw: Any) -> Principal:
    from datetime import UTC, datetime

    return Principal(id=kw.pop("id", "pla_1"), role=Role.PLATFORM, name="P", created_at=datetime.now(UTC), **kw)


def test_a_platform_owns_targets_by_platform_id_or_domain() -> None:
    telegram = _platform(domains=["t.me", "telegram.me"], platform_ids=["telegram"])
    assert owns(telegram, {"platform": "telegram", "canonical_url": None})
    assert owns(telegram, {"platform": "web", "canonical_url": "https://t.me/x"})
    assert owns(telegram, {"platform": "web", "canonical_url": "https://cdn.telegram.me/x"})
    assert not owns(telegram, {"platform": "web", "canonical_url": "https://nott.me/x"})
    assert not owns(telegram, {"platform": "web", "canonical_url": "https://t.me.evil.example/x"})
    other = _platform(id="pla_2", domains=["example.org"])
    revoked = _platform(id="pla_3", platform_ids=["telegram"], status="revoked")
    chosen = route({"platform": "telegram", "canonical_url": "https://t.me/x"}, ["PLA_2"], [other, telegram, revoked])
    assert [p.id for p in chosen] == ["pla_1", "pla_2"]


# ---------------------------------------------------------------------- feed


def test_cursors_round_trip_and_forgeries_are_refused() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    assert decode_cursor(None) == 0
    for forged in ["42", "fc1.!!!", "fc1." + base64.urlsafe_b64encode(b"-1").decode(), "fc1." + "A" * 80, "fc1.YWJj"]:
        with pytest.raises(InvalidCursorError):
            decode_cursor(forged)


def test_feed_is_exact_under_concurrent_appends(local_aws: InProcessStack) -> None:
    """Eight writers race for one feed's next seq. An append that keeps losing gives up after a few
    attempts (StoreUnavailableError) and its stream batch is retried: the writers here retry the same
    change as the stream would, since how often one loses depends on how the threads are scheduled."""
    store = FeedStore(local_aws.stack.physical("FeedTable"))
    barrier = threading.Barrier(8)
    gave_up: list[str] = []

    def append_once(item_id: str) -> None:
        while True:
            try:
                store.append("pla_x", "upsert", {"item_id": item_id}, push=False)
                return
            except StoreUnavailableError:
                gave_up.append(item_id)
                assert len(gave_up) < 10_000, "appends never get through"

    def append(worker: int) -> None:
        barrier.wait()
        for n in range(500 // 8 + (1 if worker < 500 % 8 else 0)):
            append_once(f"itm_{worker}_{n}")

    threads = [threading.Thread(target=append, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def read_all(after: int, page: int = 7) -> list[int]:
        seen: list[int] = []
        while True:
            entries = store.read("pla_x", after, page)
            if not entries:
                return seen
            seen.extend(e.seq for e in entries)
            after = entries[-1].seq

    assert read_all(0) == list(range(1, 501)), "every entry once, in order, no gaps"
    rng = random.Random(3)
    for start in rng.sample(range(0, 500), 10):
        assert read_all(start) == list(range(start + 1, 501))
    items = [e.item["item_id"] for e in store.read("pla_x", 0, 1000)]
    assert len(set(items)) == 500
    print(f"appends retried after giving up: {len(gave_up)}")


def test_appending_the_same_change_twice_adds_one_entry(local_aws: InProcessStack) -> None:
    store = FeedStore(local_aws.stack.physical("FeedTable"))
    first, created = store.append("pla_y", "upsert", {"item_id": "itm_1"}, push=False)
    again, created_again = store.append("pla_y", "upsert", {"item_id": "itm_1"}, push=False)
    assert (created, created_again) == (True, False)
    assert first.seq == again.seq == 1
    assert [e.seq for e in store.read("pla_y", 0, 10)] == [1]


def test_confirmed_items_reach_the_owning_platforms_feed_and_retractions_follow(local_aws: InProcessStack) -> None:
    telegram = platform(local_aws, "Telegram", domains=["t.me"], platform_ids=["telegram"])
    youtube = platform(local_aws, "YouTube", domains=["youtube.com"])
    named = platform(local_aws, "Hash-sharing NGO platform")
    tg_item, yt_item = land_items(["https://t.me/channel_one", "https://youtu.be/dQw4w9WgXcQ"])
    set_status(local_aws, tg_item, "confirmed", platforms=[named.principal.id])
    local_aws.pump()
    tg_feed = feed(local_aws, telegram.api_key).json()
    assert [(e["seq"], e["op"], e["item"]["item_id"]) for e in tg_feed["entries"]] == [(1, "upsert", tg_item)]
    assert tg_feed["entries"][0]["item"]["status"] == "confirmed"
    assert feed(local_aws, youtube.api_key).json()["entries"] == []
    assert [e["item"]["item_id"] for e in feed(local_aws, named.api_key).json()["entries"]] == [tg_item]

    # Resuming from next_cursor shows only what came after it.
    cursor = tg_feed["next_cursor"]
    assert feed(local_aws, telegram.api_key, cursor).json()["entries"] == []
    set_status(local_aws, tg_item, "retracted")
    set_status(local_aws, yt_item, "rejected")
    local_aws.pump()
    later = feed(local_aws, telegram.api_key, cursor).json()
    assert [(e["seq"], e["op"]) for e in later["entries"]] == [(2, "retract")]
    assert [e["op"] for e in feed(local_aws, named.api_key).json()["entries"]] == ["upsert", "retract"]
    assert feed(local_aws, youtube.api_key).json()["entries"] == [], "rejections are never sent"


def test_feed_roles_and_bad_cursors(local_aws: InProcessStack) -> None:
    telegram = platform(local_aws, "Telegram")
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    assert feed(local_aws, reviewer.api_key).status == 403
    assert local_aws.http("GET", "/v1/feed").status == 401
    bad = feed(local_aws, telegram.api_key, cursor="fc1.zzz!")
    assert bad.status == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert feed(local_aws, telegram.api_key, limit=0).status == 422


# ---------------------------------------------------------------------- push


def test_a_flaky_endpoint_gets_every_entry_exactly_once(
    local_aws: InProcessStack, receiver: Any, fast_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half the attempts fail (503, or no answer at all) and two are answered only after the pusher's
    read timeout. The timeout is ample for a prompt answer on a busy machine, and the late answers
    wait for the pusher to hang up: which attempts time out never depends on the machine's speed."""
    monkeypatch.setenv("FLAGPOST_PUSH_READ_TIMEOUT_SECONDS", "5")
    creds, hook = push_platform(local_aws, receiver, fail_ratio=0.5, late=frozenset({3, 150}))
    items = land_items([f"https://example.org/flaky/{i}" for i in range(200)])
    for item_id in items:
        set_status(local_aws, item_id, "confirmed")
    pump_until(local_aws, lambda: deliveries(creds.principal.id).count("delivered") == 200, 600)
    assert hook.held == 2
    errors = Counter(a.get("error") for seq in range(1, 201) for a in feed_store().attempts(creds.principal.id, seq))
    assert errors["ReadTimeout"] == 2, errors
    assert errors["ConnectionError"] > 0, errors
    assert len(hook.received) == 200
    assert len(hook.ids) == 200, "one distinct webhook-id per entry"
    assert set(hook.ids.values()) == {1}
    assert hook.bad_signatures == 0
    assert hook.attempts > 200, "the endpoint really failed some attempts"
    assert {e["item"]["item_id"] for e in hook.received} == set(items)
    dlq = local_aws.client("sqs").receive_message(QueueUrl=local_aws.stack.physical("ForwardDeadLetterQueue"))
    assert "Messages" not in dlq, "nothing lost to the DLQ while retries remain"
    attempts = feed_store().attempts(creds.principal.id, 1)
    assert attempts
    assert all("at" in a for a in attempts)


def test_a_dead_endpoint_parks_entries_in_the_dlq_marked_failed(
    local_aws: InProcessStack, receiver: Any, fast_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLAGPOST_FORWARD_MAX_ATTEMPTS", "3")
    lazy.reset()
    creds, hook = push_platform(local_aws, receiver, always=503)
    (item_id,) = land_items(["https://example.org/dead/1"])
    set_status(local_aws, item_id, "confirmed")
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["failed"])
    assert hook.attempts == 3
    log = feed_store().attempts(creds.principal.id, 1)
    assert [a["status"] for a in log] == [503, 503, 503]
    parked = local_aws.client("sqs").receive_message(QueueUrl=local_aws.stack.physical("ForwardDeadLetterQueue"))
    assert json.loads(parked["Messages"][0]["Body"]) == {"platform_id": creds.principal.id, "seq": 1}
    from flagpost.stats.services import stats_store

    assert stats_store().counters()[f"deliveries_failed#{creds.principal.id}"] == 1, "the failure is counted"


def test_send_time_guard_refuses_an_endpoint_that_now_resolves_inside(
    local_aws: InProcessStack, receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered while loopback was allowed (as `flagpost local` allows it); deployed settings refuse it."""
    creds, hook = push_platform(local_aws, receiver)
    (item_id,) = land_items(["https://example.org/rebind/1"])
    set_status(local_aws, item_id, "confirmed")
    monkeypatch.setenv("FLAGPOST_ALLOW_LOOPBACK_ENDPOINTS", "false")
    lazy.reset()
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["failed"])
    assert hook.attempts == 0, "no byte was sent to the internal address"
    (attempt,) = feed_store().attempts(creds.principal.id, 1)
    assert "not a public address" in attempt["error"] or "https" in attempt["error"]


def test_a_4xx_is_permanent_after_one_attempt(local_aws: InProcessStack, receiver: Any, fast_retries: None) -> None:
    creds, hook = push_platform(local_aws, receiver, always=410)
    (item_id,) = land_items(["https://example.org/gone/1"])
    set_status(local_aws, item_id, "confirmed")
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["failed"])
    assert hook.attempts == 1


def test_retry_after_is_honoured(local_aws: InProcessStack, receiver: Any, fast_retries: None) -> None:
    creds, hook = push_platform(local_aws, receiver, always=429, retry_after="3")
    (item_id,) = land_items(["https://example.org/busy/1"])
    set_status(local_aws, item_id, "confirmed")
    with recorded("sqs", "ChangeMessageVisibility") as postponed:
        pump_until(local_aws, lambda: hook.attempts >= 1)
    # Not retried before Retry-After: the message is hidden for its 3 s (the backoff here would be 1 s).
    # (Timing the retry instead would measure the machine too.)
    assert postponed, "postponed"
    assert {p["VisibilityTimeout"] for p in postponed} == {3}
    hook.always = None  # the platform recovers
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered"])


# ------------------------------------------------------------------ outcomes


def test_only_platforms_an_item_went_to_may_report_outcomes(local_aws: InProcessStack) -> None:
    telegram = platform(local_aws, "Telegram", platform_ids=["telegram"])
    stranger = platform(local_aws, "Other", domains=["example.net"])
    (item_id,) = land_items(["https://t.me/outcome_channel"])
    set_status(local_aws, item_id, "confirmed")
    local_aws.pump()

    def post(key: str, item: str, body: dict[str, Any]) -> Any:
        return local_aws.http(
            "POST", f"/v1/feed/items/{item}/outcome", json_body=body, headers={"authorization": f"Bearer {key}"}
        )

    ok = post(telegram.api_key, item_id, {"outcome": "removed", "acted_at": "2026-11-22T10:00:00Z"})
    assert ok.status == 200
    assert ok.json()["outcome"] == "removed"
    assert post(stranger.api_key, item_id, {"outcome": "removed"}).status == 403
    assert post(telegram.api_key, "itm_unknown", {"outcome": "removed"}).status == 404
    assert post(telegram.api_key, item_id, {"outcome": "deleted"}).status == 422
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    assert post(reviewer.api_key, item_id, {"outcome": "removed"}).status == 403
    record = local_aws.client("dynamodb").get_item(
        TableName=local_aws.stack.physical("ItemsTable"), Key={"pk": {"S": f"ITEM#{item_id}"}, "sk": {"S": "ITEM"}}
    )["Item"]
    assert record["outcomes"]["L"][0]["M"]["outcome"]["S"] == "removed"


def test_flaggers_see_platform_outcomes_on_their_reports(local_aws: InProcessStack) -> None:
    import json as _json

    from flagpost.webhooks import sign

    flagger = local_aws.principals().create(Role.FLAGGER, "F")
    telegram = platform(local_aws, "Telegram", platform_ids=["telegram"])
    body = _json.dumps({"reports": [{"url": "https://t.me/outcome_seen", "category": "threat", "description": "d"}]})
    submitted = local_aws.http(
        "POST",
        f"/v1/flaggers/{flagger.principal.id}/reports",
        body=body.encode(),
        headers=sign(body.encode(), flagger.secret or "", "msg_outcome"),
    )
    result = submitted.json()["results"][0]
    set_status(local_aws, result["item_id"], "confirmed")
    local_aws.pump()
    local_aws.http(
        "POST",
        f"/v1/feed/items/{result['item_id']}/outcome",
        json_body={"outcome": "removed"},
        headers={"authorization": f"Bearer {telegram.api_key}"},
    )
    view = local_aws.http(
        "GET", f"/v1/reports/{result['report_id']}", headers={"authorization": f"Bearer {flagger.api_key}"}
    ).json()
    assert view["item_status"] == "confirmed"
    assert [(o["platform_id"], o["outcome"]) for o in view["outcomes"]] == [(telegram.principal.id, "removed")]
