"""The desk under a real backlog (issue 15 §1): one lease per reviewer and queue, retried decisions,
banners that say which case it is, four eyes said in words, escalations decided by someone else."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import pytest
from test_review import Clock, Desk, history  # type: ignore[import-not-found]

from flagpost.domain.errors import ConflictError
from flagpost.domain.models.review import DecisionIn
from flagpost.wiring import review_store
from flagpost_local.harness import InProcessStack


@pytest.fixture
def desk(local_aws: InProcessStack) -> Desk:
    return Desk.open(local_aws)


def test_claiming_while_holding_answers_with_the_item_held(desk: Desk) -> None:
    first_id = desk.item("first")
    desk.item("second")
    first = desk.claim().json()
    assert first["already_held"] is False
    again = desk.claim().json()
    assert again["already_held"] is True
    assert again["item"]["item_id"] == first_id
    assert again["lease"]["lease_id"] == first["lease"]["lease_id"]
    assert [h["event"] for h in history(desk, first_id)] == ["created", "claimed"], "no second claim recorded"
    held = desk.call("GET", "/v1/review/leases").json()["leases"]
    assert [(h["item"]["item_id"], h["lease"]["lease_id"]) for h in held] == [(first_id, first["lease"]["lease_id"])]
    assert desk.call("GET", "/v1/review/leases", reviewer=1).json()["leases"] == []
    # Once released, the next claim leases afresh (the most urgent again: the same item).
    released = desk.call(
        "POST", f"/v1/review/items/{first_id}/lease", {"lease_id": first["lease"]["lease_id"], "action": "release"}
    )
    assert released.status == 200
    fresh = desk.claim().json()
    assert fresh["already_held"] is False
    assert fresh["lease"]["lease_id"] != first["lease"]["lease_id"]


def test_one_lease_per_queue_not_per_reviewer(desk: Desk) -> None:
    escalated = desk.item("esc")
    lease = desk.claim(1).json()["lease"]["lease_id"]
    assert desk.decide(escalated, lease, "escalate", reviewer=1).status == 200
    plain = desk.item("plain")
    assert desk.claim(0).json()["item"]["item_id"] == plain
    assert desk.claim(0, "escalated").json()["item"]["item_id"] == escalated, "a lease in each queue"
    assert len(desk.call("GET", "/v1/review/leases").json()["leases"]) == 2


def test_an_expired_hold_does_not_block_the_next_claim(desk: Desk) -> None:
    service = desk.service()
    first_id = desk.item("a")
    desk.item("b")
    first = service.claim(desk.rid(0))
    assert first is not None
    desk.clock.advance(seconds=601)
    second = service.claim(desk.rid(0))
    assert second is not None
    assert not second.already_held
    assert second.item.item_id == first_id, "the expired item is the most urgent one again"
    assert second.lease.lease_id != first.lease.lease_id


def test_two_claims_at_once_by_one_reviewer_lease_one_item(desk: Desk) -> None:
    for n in range(6):
        desk.item(f"tabs-{n}")
    service = desk.service(Clock())
    barrier = threading.Barrier(4)
    got: list[tuple[str, str]] = []
    lock = threading.Lock()

    def tab() -> None:
        barrier.wait()
        claimed = service.claim(desk.rid(0))
        assert claimed is not None
        with lock:
            got.append((claimed.item.item_id, claimed.lease.lease_id))

    threads = [threading.Thread(target=tab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1, f"one reviewer leased several items at once: {got}"
    listed = desk.call("GET", "/v1/review/items?status=in_review").json()["items"]
    assert [i["item_id"] for i in listed] == [got[0][0]]


def test_a_retried_decision_answers_what_landed_once(desk: Desk) -> None:
    item_id = desk.item("retry", priority="threat_to_life")
    lease = desk.claim().json()["lease"]["lease_id"]
    first = desk.decide(item_id, lease, "confirm", note="first try", category="threat")
    assert first.status == 200
    body = first.json()
    assert body["outcome"] == "first_confirmation"
    assert body["message"].startswith("Confirmed once, waiting for a second reviewer")
    assert body["repeated"] is False
    retry = desk.decide(item_id, lease, "confirm", note="first try", category="threat")
    assert retry.status == 200, retry.body
    assert retry.json()["repeated"] is True
    assert retry.json()["outcome"] == "first_confirmation"
    assert retry.json()["item"] == body["item"]
    detail = desk.call("GET", f"/v1/review/items/{item_id}", reviewer=1).json()
    assert detail["confirmations"] == [desk.rid(0)], "counted once"
    assert [h["event"] for h in detail["history"]] == ["created", "claimed", "first_confirmation"]
    other = desk.decide(item_id, lease, "reject", reason="out_of_scope")
    assert other.status == 409
    assert other.json()["code"] == "already_decided"


def test_a_retried_final_decision_is_idempotent(desk: Desk) -> None:
    item_id = desk.item("retry-final")
    lease = desk.claim().json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "confirm").json()["outcome"] == "confirmed"
    retry = desk.decide(item_id, lease, "confirm")
    assert retry.status == 200
    assert (retry.json()["outcome"], retry.json()["repeated"]) == ("confirmed", True)
    assert len(retry.json()["item"]["decisions"]) == 1
    assert [h["event"] for h in history(desk, item_id)] == ["created", "claimed", "confirmed"]


def test_lease_taken_by_another_is_not_your_lease_expired(desk: Desk) -> None:
    item_id = desk.item("taken")
    service = desk.service()
    mine = service.claim(desk.rid(0))
    assert mine is not None
    desk.clock.advance(seconds=601)
    with pytest.raises(ConflictError) as expired:
        service.decide(desk.rid(0), item_id, DecisionIn(lease_id=mine.lease.lease_id, decision="escalate"))
    assert expired.value.code == "lease_expired"
    assert "expired" in expired.value.detail
    theirs = service.claim(desk.rid(1))
    assert theirs is not None
    with pytest.raises(ConflictError) as taken:
        service.decide(desk.rid(0), item_id, DecisionIn(lease_id=mine.lease.lease_id, decision="escalate"))
    assert taken.value.code == "lease_taken"
    assert "Another reviewer" in taken.value.detail


def test_lease_conflicts_are_typed_problems_over_http(desk: Desk) -> None:
    item_id = desk.item("typed")
    lease = desk.claim().json()["lease"]["lease_id"]
    released = desk.call("POST", f"/v1/review/items/{item_id}/lease", {"lease_id": lease, "action": "release"})
    assert released.status == 200
    reply = desk.decide(item_id, lease, "escalate")
    assert reply.status == 409
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert (problem["code"], problem["type"]) == ("lease_released", "urn:flagpost:problem:lease_released")


def test_an_escalated_item_is_decided_by_someone_else(desk: Desk) -> None:
    item_id = desk.item("escalate-me")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    escalated = desk.decide(item_id, lease, "escalate").json()
    assert (escalated["outcome"], escalated["message"]) == (
        "escalated",
        "Escalated: another reviewer decides it from the escalated queue.",
    )
    assert desk.claim(0, "escalated").status == 204, "not handed back to the reviewer who escalated it"
    other = desk.claim(1, "escalated").json()
    assert other["item"]["item_id"] == item_id
    assert desk.decide(item_id, other["lease"]["lease_id"], "confirm", reviewer=1).json()["outcome"] == "confirmed"


def test_queue_counts_come_from_counters_not_the_queue(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    store = review_store()

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("queue counts read the queue")

    monkeypatch.setattr(store, "queue_entries", never)
    monkeypatch.setattr(store, "queue_page", never)
    ids = [desk.item(f"count-{n}") for n in range(3)]
    desk.stack.pump()

    def counts() -> dict[str, tuple[int, int, int]]:
        reply = desk.call("GET", "/v1/review/queue")
        assert reply.status == 200
        return {c["queue"]: (c["waiting"], c["leased"], c["overdue"]) for c in reply.json()["queues"]}

    assert counts() == {"default": (3, 0, 0), "escalated": (0, 0, 0)}
    monkeypatch.undo()
    first = desk.claim().json()
    desk.stack.pump()
    assert counts() == {"default": (2, 1, 0), "escalated": (0, 0, 0)}
    desk.decide(first["item"]["item_id"], first["lease"]["lease_id"], "escalate")
    second = desk.claim(1).json()
    lease = second["lease"]["lease_id"]
    assert desk.decide(second["item"]["item_id"], lease, "reject", reviewer=1, reason="out_of_scope").status == 200
    # A retried decision counts nothing twice.
    assert desk.decide(second["item"]["item_id"], lease, "reject", reviewer=1, reason="out_of_scope").status == 200
    desk.stack.pump()
    desk.stack.pump()
    assert counts() == {"default": (1, 0, 0), "escalated": (1, 0, 0)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    "spelling",
    [
        "https://example.org/find-me",
        "HTTPS://Example.ORG/find-me",
        "http://www.example.org/find-me#",
        "https://example.org/find-me#:~:text=abc",  # a text directive; a word fragment (#top) is another page
        "https://example.org/find-me?utm_source=x",
        "hxxps://example[.]org/find-me",
    ],
)
def test_search_by_any_spelling_of_the_url(desk: Desk, spelling: str) -> None:
    item_id = desk.item("find-me")
    found = desk.call("GET", f"/v1/review/items?url={quote(spelling, safe='')}")
    assert found.status == 200, found.body
    assert [i["item_id"] for i in found.json()["items"]] == [item_id]
    missing = desk.call("GET", f"/v1/review/items?url={quote('https://example.org/never', safe='')}")
    assert missing.json()["items"] == []
    bad = desk.call("GET", "/v1/review/items?url=not%20a%20url")
    assert bad.status == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_details_name_people_and_give_the_flaggers_track_record(desk: Desk) -> None:
    decided = desk.item("earlier")
    lease = desk.claim().json()["lease"]["lease_id"]
    assert desk.decide(decided, lease, "confirm").status == 200
    item_id = desk.item("named")
    desk.claim()
    desk.stack.pump()
    detail = desk.call("GET", f"/v1/review/items/{item_id}").json()
    (report,) = detail["reports"]
    assert report["flagger_name"] == "Flagger 0"
    assert report["flagger_record"] == {"reports": 2, "decided": 1, "confirmed": 1, "precision": 1.0}
    assert [h["actor_name"] for h in detail["history"]] == ["Flagger 0", "Reviewer 0"]
    assert detail["names"] == {desk.flaggers[0].principal.id: "Flagger 0", desk.rid(0): "Reviewer 0"}


def test_the_platform_picker_lists_active_platforms_and_unknown_ones_are_422(desk: Desk) -> None:
    platform = desk.others["platform"].principal
    listed = desk.call("GET", "/v1/review/platforms").json()["platforms"]
    assert {"id": platform.id, "name": platform.name, "platform_ids": platform.platform_ids} in listed
    item_id = desk.item("picker")
    lease = desk.claim().json()["lease"]["lease_id"]
    refused = desk.decide(item_id, lease, "confirm", platforms=["pla_doesnotexist"])
    assert refused.status == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert desk.decide(item_id, lease, "confirm", platforms=[platform.id]).json()["item"]["decisions"][0][
        "platforms"
    ] == [platform.id]
