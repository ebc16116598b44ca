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
from flagpost.adapters.dynamo.client import Table
from flagpost.adapters.dynamo.feed import FeedStore
from flagpost.domain.errors import UnavailableError
from flagpost.domain.models.feed import InvalidCursorError, decode_cursor, encode_cursor
from flagpost.domain.models.principal import IssuedCredentials, Principal, Role
from flagpost.domain.routing import owns, route
from flagpost.wiring import feed_store
from flagpost_local.harness import InProcessStack


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_BASE_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_MAX_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_BREAKER_COOLDOWN_SECONDS", "1")
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
    """16 appenders (as 16 stream shards would) on one platform's feed: no failure, no gap, no repeat."""
    store = FeedStore(Table(local_aws.stack.physical("FeedTable")))
    workers, batches, per_batch = 16, 3, 10
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []
    gave_up: list[int] = []

    def append(worker: int) -> None:
        barrier.wait()
        try:
            for batch in range(batches):
                changes = [("upsert", {"item_id": f"itm_{worker}_{batch}_{n}"}) for n in range(per_batch)]
                # A batch that keeps losing the race gives up (UnavailableError) and the stream hands it
                # over again: retried here as the stream would, since how often one loses depends on
                # how the threads are scheduled.
                while True:
                    try:
                        store.append_batch("pla_x", changes)  # type: ignore[arg-type]
                        break
                    except UnavailableError:
                        gave_up.append(worker)
                        assert len(gave_up) < 10_000, "appends never get through"
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    total = workers * batches * per_batch

    def read_all(after: int, page: int = 7) -> list[int]:
        seen: list[int] = []
        while True:
            entries = store.read("pla_x", after, page)
            if not entries:
                return seen
            seen.extend(e.seq for e in entries)
            after = entries[-1].seq

    assert read_all(0) == list(range(1, total + 1)), "every entry once, in order, no gaps"
    rng = random.Random(3)
    for start in rng.sample(range(0, total), 10):
        assert read_all(start) == list(range(start + 1, total + 1))
    entries = store.read("pla_x", 0, 1000)
    assert len({e.item["item_id"] for e in entries}) == total
    # A batch's entries are consecutive: the counter moved once per batch, not once per entry.
    by_batch: dict[str, list[int]] = {}
    for e in entries:
        by_batch.setdefault(e.item["item_id"].rsplit("_", 1)[0], []).append(e.seq)
    assert all(seqs == list(range(seqs[0], seqs[0] + per_batch)) for seqs in by_batch.values())


def test_a_batch_that_repeats_appended_changes_adds_only_the_new_ones(local_aws: InProcessStack) -> None:
    store = FeedStore(Table(local_aws.stack.physical("FeedTable")))
    store.append_batch("pla_z", [("upsert", {"item_id": "itm_a"}), ("upsert", {"item_id": "itm_b"})])
    again = store.append_batch(
        "pla_z",
        [("upsert", {"item_id": "itm_b"}), ("upsert", {"item_id": "itm_c"}), ("retract", {"item_id": "itm_a"})],
        channels=(),
    )
    assert [(e.seq, created) for e, created in again] == [(2, False), (3, True), (4, True)]
    assert [e.item["item_id"] for e in store.read("pla_z", 0, 10)] == ["itm_a", "itm_b", "itm_c", "itm_a"]


def test_appending_the_same_change_twice_adds_one_entry(local_aws: InProcessStack) -> None:
    store = FeedStore(Table(local_aws.stack.physical("FeedTable")))
    first, created = store.append("pla_y", "upsert", {"item_id": "itm_1"})
    again, created_again = store.append("pla_y", "upsert", {"item_id": "itm_1"})
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
    assert json.loads(parked["Messages"][0]["Body"]) == {"platform_id": creds.principal.id, "seq": 1, "parked": True}
    from flagpost.wiring import stats_store

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

    ok = post(telegram.api_key, item_id, {"outcome": "removed"})
    assert ok.status == 200
    assert ok.json()["outcome"] == "removed"
    assert (
        post(stranger.api_key, item_id, {"outcome": "removed"}).status == 404
    )  # never sent to it: as unknown as an unknown item
    assert post(telegram.api_key, "itm_unknown", {"outcome": "removed"}).status == 404
    assert post(telegram.api_key, item_id, {"outcome": "deleted"}).status == 422
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    assert post(reviewer.api_key, item_id, {"outcome": "removed"}).status == 403
    record = local_aws.client("dynamodb").get_item(
        TableName=local_aws.stack.physical("ItemsTable"),
        Key={"pk": {"S": f"ITEM#{item_id}"}, "sk": {"S": f"OUTCOME#{telegram.principal.id}"}},
    )["Item"]
    assert record["outcome"]["S"] == "removed"


def test_flaggers_see_platform_outcomes_on_their_reports(local_aws: InProcessStack) -> None:
    import json as _json

    from flagpost.domain.webhooks import sign

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


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_permanent_on_the_first_attempt(
    local_aws: InProcessStack, receiver: Any, fast_retries: None, status: int
) -> None:
    creds, hook = push_platform(local_aws, receiver, always=status, location="https://example.net/elsewhere")
    (item_id,) = land_items([f"https://example.org/moved/{status}"])
    set_status(local_aws, item_id, "confirmed")
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["failed"], 30)
    local_aws.pump()
    assert hook.attempts == 1, "a redirect is never retried, nor followed"
    (attempt,) = feed_store().attempts(creds.principal.id, 1)
    assert attempt["status"] == status


def test_platforms_never_see_reviewers_flaggers_or_notes(local_aws: InProcessStack, receiver: Any) -> None:
    """Confirmed through the review API with a note: the pull feed and the push carry the platform's view."""
    creds, hook = push_platform(local_aws, receiver)
    flagger = local_aws.principals().create(Role.FLAGGER, "F")
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    body = json.dumps(
        {"reports": [{"url": "https://example.org/view/1", "category": "threat", "description": "why"}]}
    ).encode()
    from flagpost.domain.webhooks import sign

    signed = sign(body, flagger.secret or "", "m1")
    reply = local_aws.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=body, headers=signed)
    item_id = reply.json()["results"][0]["item_id"]
    auth = {"authorization": f"Bearer {reviewer.api_key}"}
    lease = local_aws.http("POST", "/v1/review/claim", json_body={}, headers=auth).json()["lease"]["lease_id"]
    decided = local_aws.http(
        "POST",
        f"/v1/review/items/{item_id}/decision",
        json_body={"lease_id": lease, "decision": "confirm", "note": "staff-only remark"},
        headers=auth,
    )
    assert decided.status == 200
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered"], 60)
    pulled = feed(local_aws, creds.api_key).json()["entries"]
    for seen in (pulled[0], hook.received[0]):
        text = json.dumps(seen)
        assert reviewer.principal.id not in text
        assert flagger.principal.id not in text
        assert "staff-only remark" not in text
        assert {"decisions", "flaggers", "lease_holder", "confirmations"}.isdisjoint(seen["item"])
        assert seen["item"]["item_id"] == item_id
        assert seen["item"]["status"] == "confirmed"
        assert seen["item"]["confirmed_at"]


class RawEndpoint:
    """A platform endpoint on 127.0.0.1 that answers with raw bytes, as a broken or hostile server would."""

    def __init__(self, head: bytes, drip: bytes = b"", every_s: float = 0.2) -> None:
        import socket

        self.head, self.drip, self.every_s = head, drip, every_s
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.stopped = threading.Event()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: Any) -> None:
        try:
            conn.recv(65536)
            conn.sendall(self.head)
            while self.drip and not self.stopped.is_set():
                conn.sendall(self.drip)
                self.stopped.wait(self.every_s)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.server.close()


def raw_platform(stack: InProcessStack, endpoint: RawEndpoint) -> IssuedCredentials:
    creds = stack.principals().create(Role.PLATFORM, "Raw", endpoint=endpoint.url, domains=["example.org"])
    lazy.reset()
    return creds


@pytest.mark.timeout(300)
def test_an_endpoint_that_drips_its_answer_is_abandoned_as_a_timeout(
    local_aws: InProcessStack, fast_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each byte arrives within the read timeout, so only a bound on the push as a whole ends it."""
    monkeypatch.setenv("FLAGPOST_PUSH_READ_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("FLAGPOST_PUSH_TOTAL_TIMEOUT_SECONDS", "1")
    lazy.reset()
    endpoint = RawEndpoint(b"HTTP/1.1 200 OK\r\n", drip=b"X-Slow: a\r\n", every_s=0.2)
    try:
        creds = raw_platform(local_aws, endpoint)
        (item_id,) = land_items(["https://example.org/drip/1"])
        set_status(local_aws, item_id, "confirmed")
        pump_until(local_aws, lambda: len(feed_store().attempts(creds.principal.id, 1)) >= 2, 240)
        attempts = feed_store().attempts(creds.principal.id, 1)
        assert all(a.get("error") in ("Timeout", "ReadTimeout") for a in attempts), attempts
        assert deliveries(creds.principal.id) == ["pending"], "retried later, not given up on"
    finally:
        endpoint.stop()


@pytest.mark.timeout(300)
def test_a_huge_answer_body_is_never_read(local_aws: InProcessStack, fast_retries: None) -> None:
    """200 with a 2 GB body announced (and trickled): the status is the answer; the body is closed unread."""
    endpoint = RawEndpoint(b"HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\n", drip=b"x" * 65536, every_s=0.05)
    try:
        creds = raw_platform(local_aws, endpoint)
        (item_id,) = land_items(["https://example.org/huge/1"])
        set_status(local_aws, item_id, "confirmed")
        pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered"], 240)
        (attempt,) = feed_store().attempts(creds.principal.id, 1)
        assert attempt["status"] == 200
    finally:
        endpoint.stop()


def test_pushes_are_signed_with_every_live_secret_during_a_rotation(local_aws: InProcessStack, receiver: Any) -> None:
    """A receiver that still verifies with the old secret accepts pushes made after the rotation."""
    creds, hook = push_platform(local_aws, receiver)  # the receiver holds the first secret
    local_aws.principals().rotate(creds.principal.id)
    lazy.reset()
    (item_id,) = land_items(["https://example.org/rotated/1"])
    set_status(local_aws, item_id, "confirmed")
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered"], 60)
    assert hook.bad_signatures == 0
    assert len(hook.received) == 1
