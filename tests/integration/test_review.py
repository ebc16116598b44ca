"""The review queue on moto: claims, leases, decisions, four eyes, retraction, listings, roles and races."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flagpost import lazy
from flagpost.adapters.dynamo.stats import QueueIndex
from flagpost.domain.errors import ConflictError
from flagpost.domain.models.item import ItemStatus
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.models.review import DecisionIn, RejectReason
from flagpost.domain.webhooks import sign
from flagpost.services.review import ReviewService
from flagpost.services.review_reads import ReviewReads
from flagpost.wiring import items_table, outcome_store, review_store, stats_store
from flagpost_local.harness import InProcessStack, Reply


class Clock:
    """A clock tests move by hand; it ticks 1 ms per reading, as time passes between two writes.

    `queued` readings are returned first (a request that saw an earlier time than the next step).
    """

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime.now(UTC)
        self.queued: list[datetime] = []
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            if self.queued:
                return self.queued.pop(0)
            self.at += timedelta(milliseconds=1)
            return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class Desk:
    stack: InProcessStack
    flaggers: list[IssuedCredentials]
    reviewers: list[IssuedCredentials]
    others: dict[str, IssuedCredentials]
    _clock: Clock | None = None

    @property
    def clock(self) -> Clock:
        """Starts at the real time of its first use, so that it runs after the items ingest created."""
        if self._clock is None:
            self._clock = Clock()
        return self._clock

    @classmethod
    def open(cls, stack: InProcessStack) -> Desk:
        principals = stack.principals()
        return cls(
            stack=stack,
            flaggers=[principals.create(Role.FLAGGER, f"Flagger {n}") for n in range(2)],
            reviewers=[principals.create(Role.REVIEWER, f"Reviewer {n}") for n in range(4)],
            others={
                role.value: principals.create(role, f"A {role.value}")
                for role in (Role.FLAGGER, Role.PLATFORM, Role.ADMIN)
            },
        )

    def submit(self, *reports: dict[str, Any], flagger: int = 0) -> list[dict[str, Any]]:
        creds = self.flaggers[flagger]
        raw = json.dumps({"reports": list(reports)}).encode()
        headers = {"content-type": "application/json", **sign(raw, creds.secret or "", f"msg_{uuid.uuid4().hex}")}
        reply = self.stack.http("POST", f"/v1/flaggers/{creds.principal.id}/reports", body=raw, headers=headers)
        assert reply.status == 202, reply.body
        results: list[dict[str, Any]] = reply.json()["results"]
        return results

    def item(self, name: str, *, priority: str = "standard", flagger: int = 0, **extra: Any) -> str:
        """Report https://example.org/<name> and return its item id."""
        (result,) = self.submit(
            {
                "url": f"https://example.org/{name}",
                "category": "incitement",
                "description": f"<b>why</b> {name}",
                "priority": priority,
                **extra,
            },
            flagger=flagger,
        )
        item_id: str = result["item_id"]
        return item_id

    def key(self, reviewer: int = 0) -> dict[str, str]:
        return {"authorization": f"Bearer {self.reviewers[reviewer].api_key}"}

    def rid(self, reviewer: int = 0) -> str:
        return self.reviewers[reviewer].principal.id

    def call(self, method: str, path: str, body: Any = None, *, reviewer: int = 0, **kw: Any) -> Reply:
        return self.stack.http(method, path, json_body=body, headers=self.key(reviewer), **kw)

    def claim(self, reviewer: int = 0, queue: str | None = None) -> Reply:
        return self.call("POST", "/v1/review/claim", {"queue": queue} if queue else {}, reviewer=reviewer)

    def decide(self, item_id: str, lease_id: str, decision: str, reviewer: int = 0, **extra: Any) -> Reply:
        body = {"lease_id": lease_id, "decision": decision, **extra}
        return self.call("POST", f"/v1/review/items/{item_id}/decision", body, reviewer=reviewer)

    def service(self, clock: Clock | None = None) -> ReviewService:
        """The review use case with this desk's clock, below the HTTP layer (for races and time travel)."""
        return ReviewService(review_store(), clock=clock or self.clock, metric=lambda name, value: None)

    def reads(self, clock: Clock | None = None) -> ReviewReads:
        """The reviewer's read views with this desk's clock."""
        return ReviewReads(
            review_store(),
            outcome_store(),
            clock=clock or self.clock,
            totals=stats_store(),
            overdue=QueueIndex(items_table()),
        )


@pytest.fixture
def desk(local_aws: InProcessStack) -> Desk:
    return Desk.open(local_aws)


def claimed_ids(desk: Desk, reviewer: int = 0, queue: str | None = None) -> list[str]:
    """Claim and reject until 204 (a reviewer holds one lease per queue); the item ids in the order
    they were handed out."""
    out = []
    while (reply := desk.claim(reviewer, queue)).status == 200:
        body = reply.json()
        assert body["already_held"] is False
        out.append(body["item"]["item_id"])
        decided = desk.decide(out[-1], body["lease"]["lease_id"], "reject", reviewer, reason="out_of_scope")
        assert decided.status == 200, decided.body
    assert reply.status == 204
    assert reply.body == b""
    return out


def history(desk: Desk, item_id: str) -> list[dict[str, Any]]:
    reply = desk.call("GET", f"/v1/review/items/{item_id}")
    assert reply.status == 200
    entries: list[dict[str, Any]] = reply.json()["history"]
    return entries


# ------------------------------------------------------------------------ roles

REVIEW_ROUTES = [
    ("POST", "/v1/review/claim", {}),
    ("POST", "/v1/review/items/itm_0123/lease", {"lease_id": "lse_x", "action": "renew"}),
    ("POST", "/v1/review/items/itm_0123/decision", {"lease_id": "lse_x", "decision": "escalate"}),
    ("POST", "/v1/review/items/itm_0123/retract", {"reason": "x"}),
    ("GET", "/v1/review/items", None),
    ("GET", "/v1/review/items/itm_0123", None),
    ("GET", "/v1/review/queue", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REVIEW_ROUTES)
def test_only_reviewer_keys_reach_review_routes(desk: Desk, method: str, path: str, body: Any) -> None:
    for headers in ({}, {"authorization": "Bearer fpk_not_a_key"}, {"authorization": "Basic abc"}):
        reply = desk.stack.http(method, path, json_body=body, headers=headers)
        assert reply.status == 401, (headers, reply.body)
        assert reply.headers["content-type"] == "application/problem+json"
    for role, creds in desk.others.items():
        reply = desk.stack.http(method, path, json_body=body, headers={"authorization": f"Bearer {creds.api_key}"})
        assert reply.status == 403, role
        assert reply.json()["status"] == 403
    assert desk.stack.http(method, path, json_body=body, headers=desk.key()).status not in (401, 403)


# ------------------------------------------------------------------------ claim


def test_claim_hands_out_most_urgent_first_then_204(desk: Desk) -> None:
    standard = desk.item("standard")
    crisis = desk.item("crisis", priority="crisis")
    ttl = desk.item("ttl", priority="threat_to_life")
    later_standard = desk.item("standard-2")
    assert claimed_ids(desk) == [ttl, crisis, standard, later_standard]


def test_claim_reads_one_small_page_whatever_the_queue_length(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    desk.submit(
        *({"url": f"https://example.org/many/{n}", "category": "threat", "description": "x"} for n in range(60))
    )
    service = desk.service()
    pages: list[int] = []
    real = service.store.queue_page

    def counting(queue: str, limit: int, start: dict[str, Any] | None = None) -> Any:
        pages.append(limit)
        return real(queue, limit, start)

    monkeypatch.setattr(service.store, "queue_page", counting)
    for n in range(3):
        assert service.claim(f"rev_other{n}") is not None
    assert pages == [5, 5, 5], "one page of five entries per claim, never a scan"
    pages.clear()
    assert service.claim(desk.rid(1)) is not None
    assert pages == [5], "the three live leases at the head are skipped within the first page"


def within(at: datetime, earliest: datetime, latest: datetime) -> bool:
    """`at` lies between two readings of the wall clock taken around the request (to the millisecond
    the API shows): however long the request took, never a guess at how long that may be."""
    return earliest - timedelta(milliseconds=1) <= at <= latest


def test_claim_returns_item_and_exclusive_lease(desk: Desk) -> None:
    item_id = desk.item("one")
    before = datetime.now(UTC)
    reply = desk.claim()
    after = datetime.now(UTC)
    assert reply.status == 200
    body = reply.json()
    assert body["item"]["item_id"] == item_id
    assert body["item"]["status"] == "in_review"
    assert body["lease"]["lease_id"].startswith("lse_")
    expires = datetime.fromisoformat(body["lease"]["expires_at"])
    assert within(expires, before + timedelta(minutes=10), after + timedelta(minutes=10)), "ten minutes from the claim"
    assert desk.claim(1).status == 204, "one item is never leased to two reviewers"
    again = desk.claim(0)
    assert again.status == 200, "nor twice to the same one: claiming again answers with the item held"
    assert again.json()["already_held"] is True
    assert again.json()["item"]["item_id"] == item_id
    assert again.json()["lease"] == body["lease"]


def test_claim_body_is_optional_and_validated(desk: Desk) -> None:
    desk.item("x")
    assert desk.stack.http("POST", "/v1/review/claim", headers=desk.key()).status == 200
    bad = desk.call("POST", "/v1/review/claim", {"queue": "nope"})
    assert bad.status == 422
    assert bad.headers["content-type"] == "application/problem+json"
    broken = {**desk.key(), "content-type": "application/json"}
    assert desk.stack.http("POST", "/v1/review/claim", body=b"{", headers=broken).status == 400


def test_expired_lease_returns_the_item_to_the_queue_without_cleanup(desk: Desk) -> None:
    item_id = desk.item("walk-away")
    service = desk.service()
    first = service.claim(desk.rid(0))
    assert first is not None
    assert service.claim(desk.rid(1)) is None
    desk.clock.advance(seconds=601)
    second = service.claim(desk.rid(1))
    assert second is not None
    assert second.item.item_id == item_id
    assert second.lease.lease_id != first.lease.lease_id
    with pytest.raises(ConflictError):
        service.decide(desk.rid(0), item_id, DecisionIn(lease_id=first.lease.lease_id, decision="escalate"))
    events = [(h.event, h.detail.get("after_expired_lease_of")) for h in desk.reads().detail(item_id).history]
    assert events[-2:] == [("claimed", None), ("claimed", desk.rid(0))]


def test_lease_length_is_configurable(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from flagpost import lazy

    monkeypatch.setenv("FLAGPOST_LEASE_SECONDS", "42")
    lazy.reset()
    desk.item("short")
    before = datetime.now(UTC)
    lease = desk.claim().json()["lease"]
    after = datetime.now(UTC)
    expires = datetime.fromisoformat(lease["expires_at"])
    assert within(expires, before + timedelta(seconds=42), after + timedelta(seconds=42))


def test_renew_and_release(desk: Desk) -> None:
    item_id = desk.item("renew")
    service = desk.service()
    claimed = service.claim(desk.rid(0))
    assert claimed is not None
    lease_id = claimed.lease.lease_id
    desk.clock.advance(seconds=500)
    before = desk.clock.at
    renewed = service.lease(desk.rid(0), item_id, lease_id, "renew")
    assert renewed.lease is not None
    assert before + timedelta(seconds=600) < renewed.lease.expires_at <= desk.clock.at + timedelta(seconds=600)
    desk.clock.advance(seconds=500)  # past the first lease, within the renewed one
    assert service.claim(desk.rid(1)) is None
    with pytest.raises(ConflictError):
        service.lease(desk.rid(1), item_id, lease_id, "release")  # someone else's lease
    assert service.lease(desk.rid(0), item_id, lease_id, "release").lease is None
    with pytest.raises(ConflictError):
        service.lease(desk.rid(0), item_id, lease_id, "renew")  # released is gone
    desk.clock.advance(seconds=1)
    again = service.claim(desk.rid(1))
    assert again is not None
    assert again.item.item_id == item_id
    events = [h.event for h in desk.reads().detail(item_id).history]
    assert events == ["created", "claimed", "lease_renewed", "lease_released", "claimed"]


def test_lease_route_over_http(desk: Desk) -> None:
    item_id = desk.item("lease-http")
    lease = desk.claim().json()["lease"]
    path = f"/v1/review/items/{item_id}/lease"
    renewed = desk.call("POST", path, {"lease_id": lease["lease_id"], "action": "renew"})
    assert renewed.status == 200
    assert renewed.json()["lease"]["lease_id"] == lease["lease_id"]
    assert desk.call("POST", path, {"lease_id": "lse_other", "action": "renew"}).status == 409
    assert desk.call("POST", path, {"lease_id": lease["lease_id"], "action": "steal"}).status == 422
    assert desk.call("POST", path, {"lease_id": lease["lease_id"], "action": "release"}).json()["lease"] is None
    missing = desk.call("POST", "/v1/review/items/itm_00/lease", {"lease_id": "lse_x", "action": "renew"})
    assert missing.status == 404


# -------------------------------------------------------------------- decisions


def test_confirm_adjusts_category_and_platforms_and_is_final(desk: Desk) -> None:
    principals = desk.stack.principals()
    principals.create(Role.PLATFORM, "Alpha", platform_ids=["pla_a"])
    principals.create(Role.PLATFORM, "Beta", platform_ids=["pla_b"])
    item_id = desk.item("confirm")
    lease_id = desk.claim().json()["lease"]["lease_id"]
    reply = desk.decide(
        item_id, lease_id, "confirm", category="recruitment", platforms=["pla_b", "pla_a", "pla_b"], note="clear"
    )
    assert reply.status == 200, reply.body
    item = reply.json()["item"]
    assert item["status"] == "confirmed"
    assert item["category"] == "recruitment"
    assert item["queue"] is None
    (decision,) = item["decisions"]
    assert decision["decision"] == "confirm"
    assert decision["reviewer_id"] == desk.rid(0)
    assert decision["platforms"] == ["pla_a", "pla_b"]
    again = desk.decide(item_id, lease_id, "reject", reason="out_of_scope")
    assert again.status == 409
    assert "already decided" in again.json()["detail"]
    assert desk.claim(1).status == 204


def test_a_confirmation_naming_an_unknown_or_revoked_platform_is_refused(desk: Desk) -> None:
    """The platform would silently never receive the item: 422, naming what is unknown, and nothing decided."""
    principals = desk.stack.principals()
    known = principals.create(Role.PLATFORM, "Known", platform_ids=["known_platform"])
    gone = principals.create(Role.PLATFORM, "Gone")
    principals.revoke(gone.principal.id)
    lazy.reset()
    item_id = desk.item("unknown-platform")
    lease_id = desk.claim().json()["lease"]["lease_id"]
    for named in (["pla_doesnotexist"], [known.principal.id, "nonexistent-platform"], [gone.principal.id]):
        reply = desk.decide(item_id, lease_id, "confirm", platforms=named)
        assert reply.status == 422, reply.body
        bad = " ".join(e["msg"] for e in reply.json()["errors"] if e["type"] == "unknown_platform")
        assert all((name in bad) == (name != known.principal.id) for name in named), bad
    assert desk.call("GET", f"/v1/review/items/{item_id}").json()["status"] == "in_review"
    ok = desk.decide(item_id, lease_id, "confirm", platforms=[known.principal.id, "known_platform"])
    assert ok.status == 200, ok.body


def test_reject_needs_a_reason_from_the_enum(desk: Desk) -> None:
    item_id = desk.item("reject")
    lease_id = desk.claim().json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease_id, "reject").status == 422
    assert desk.decide(item_id, lease_id, "reject", reason="because").status == 422
    assert desk.decide(item_id, lease_id, "confirm", reason="out_of_scope").status == 422
    assert desk.decide(item_id, lease_id, "escalate", platforms=["pla_x"]).status == 422
    assert desk.decide(item_id, lease_id, "confirm", platforms=["<script>"]).status == 422
    reply = desk.decide(item_id, lease_id, "reject", reason="insufficient_evidence")
    assert reply.status == 200
    assert reply.json()["item"]["status"] == "rejected"
    assert reply.json()["item"]["decisions"][0]["reason"] == "insufficient_evidence"


def test_only_the_lease_holder_decides(desk: Desk) -> None:
    item_id = desk.item("holder")
    lease_id = desk.claim(0).json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease_id, "confirm", reviewer=1).status == 409
    assert desk.decide(item_id, "lse_guess", "confirm", reviewer=0).status == 409
    assert desk.decide("itm_ffff", lease_id, "confirm").status == 404
    assert desk.decide(item_id, lease_id, "confirm", reviewer=0).status == 200


def test_escalate_moves_the_item_to_the_escalated_queue(desk: Desk) -> None:
    item_id = desk.item("escalate")
    lease_id = desk.claim().json()["lease"]["lease_id"]
    reply = desk.decide(item_id, lease_id, "escalate", note="needs a linguist")
    assert reply.status == 200
    assert reply.json()["item"]["status"] == "escalated"
    assert reply.json()["item"]["queue"] == "escalated"
    assert desk.claim(1).status == 204, "the default queue no longer holds it"
    senior = desk.claim(1, "escalated").json()
    assert senior["item"]["item_id"] == item_id
    assert desk.decide(item_id, senior["lease"]["lease_id"], "escalate", reviewer=1).status == 409
    done = desk.decide(item_id, senior["lease"]["lease_id"], "confirm", reviewer=1)
    assert done.json()["item"]["status"] == "confirmed"


def test_threat_to_life_needs_two_different_reviewers(desk: Desk) -> None:
    item_id = desk.item("ttl", priority="threat_to_life")
    first = desk.claim(0).json()
    reply = desk.decide(item_id, first["lease"]["lease_id"], "confirm")
    assert reply.status == 200
    assert reply.json()["item"]["status"] == "pending", "awaits a second opinion"
    assert desk.claim(0).status == 204, "never handed back to the reviewer who confirmed it"
    second = desk.claim(1).json()
    assert second["item"]["item_id"] == item_id
    detail = desk.call("GET", f"/v1/review/items/{item_id}", reviewer=1).json()
    assert detail["confirmations"] == [desk.rid(0)]
    assert detail["confirmations_required"] == 2
    final = desk.decide(item_id, second["lease"]["lease_id"], "confirm", reviewer=1)
    assert final.json()["item"]["status"] == "confirmed"
    assert [d["reviewer_id"] for d in final.json()["item"]["decisions"]] == [desk.rid(0), desk.rid(1)]
    events = [h["event"] for h in history(desk, item_id)]
    assert events == ["created", "claimed", "first_confirmation", "claimed", "confirmed"]


@pytest.mark.parametrize("third", ["confirm", "reject"])
def test_a_rejection_of_an_item_a_colleague_confirmed_goes_to_a_third_reviewer(desk: Desk, third: str) -> None:
    """Four eyes cut both ways: after a first confirmation, one reviewer's rejection does not overturn it
    (and the confirmation is not hidden); a third reviewer decides from the escalated queue."""
    item_id = desk.item("disputed", priority="threat_to_life")
    first = desk.claim(0).json()
    assert desk.decide(item_id, first["lease"]["lease_id"], "confirm").json()["outcome"] == "first_confirmation"
    second = desk.claim(1).json()
    assert second["item"]["item_id"] == item_id
    rejection = {"reason": "not_terrorist_content", "note": "reads as news reporting"}
    reply = desk.decide(item_id, second["lease"]["lease_id"], "reject", reviewer=1, **rejection)
    assert reply.status == 200
    body = reply.json()
    assert body["outcome"] == "disputed"
    assert "third reviewer" in body["message"]
    assert (body["item"]["status"], body["item"]["queue"]) == ("escalated", "escalated")
    retry = desk.decide(item_id, second["lease"]["lease_id"], "reject", reviewer=1, **rejection).json()
    assert (retry["outcome"], retry["repeated"]) == ("disputed", True)
    detail = desk.call("GET", f"/v1/review/items/{item_id}", reviewer=2).json()
    assert detail["confirmations"] == [desk.rid(0)], "the first confirmation still counts"
    disputed = [h for h in detail["history"] if h["event"] == "disputed"]
    assert disputed[0]["detail"]["disputes"] == [desk.rid(0)]
    assert disputed[0]["detail"]["reason"] == "not_terrorist_content"
    # Neither of the two who disagree decides it: the one who confirmed, nor the one who rejected.
    assert desk.claim(0, "escalated").status == 204
    assert desk.claim(1, "escalated").status == 204
    senior = desk.claim(2, "escalated").json()
    assert senior["item"]["item_id"] == item_id
    extra = {"reason": "insufficient_evidence"} if third == "reject" else {}
    final = desk.decide(item_id, senior["lease"]["lease_id"], third, reviewer=2, **extra).json()
    assert final["outcome"] == ("confirmed" if third == "confirm" else "rejected")
    assert final["item"]["status"] == final["outcome"]
    events = [h["event"] for h in history(desk, item_id)]
    assert events == ["created", "claimed", "first_confirmation", "claimed", "disputed", "claimed", final["outcome"]]
    late = desk.decide(item_id, second["lease"]["lease_id"], "reject", reviewer=1, **rejection).json()
    assert (late["outcome"], late["repeated"]) == ("disputed", True), "a late retry still answers what it did"


def test_a_rejection_against_a_confirmation_in_the_escalated_queue_is_disputed_too(desk: Desk) -> None:
    """Escalated first, confirmed once there, then rejected: still one voice against one, not final."""
    item_id = desk.item("escalated-dispute", priority="threat_to_life")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "escalate").json()["outcome"] == "escalated"
    lease = desk.claim(1, "escalated").json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "confirm", reviewer=1).json()["outcome"] == "first_confirmation"
    lease = desk.claim(2, "escalated").json()["lease"]["lease_id"]
    reply = desk.decide(item_id, lease, "reject", reviewer=2, reason="out_of_scope").json()
    assert (reply["outcome"], reply["item"]["status"]) == ("disputed", "escalated")
    detail = desk.call("GET", f"/v1/review/items/{item_id}").json()
    assert detail["confirmations"] == [desk.rid(1)]
    # Neither the escalator, the confirmer nor the disputer breaks the tie; a fourth reviewer's rejection
    # is final (the dispute is not disputed again).
    for excluded in (0, 1, 2):
        assert desk.claim(excluded, "escalated").status == 204, excluded
    lease = desk.claim(3, "escalated").json()["lease"]["lease_id"]
    final = desk.decide(item_id, lease, "reject", reviewer=3, reason="out_of_scope").json()
    assert (final["outcome"], final["item"]["status"]) == ("rejected", "rejected")


def test_platforms_named_by_an_overruled_confirmation_do_not_outlive_the_rejection(desk: Desk) -> None:
    extra = desk.others["platform"].principal.id
    item_id = desk.item("overruled-platforms", priority="threat_to_life")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "confirm", platforms=[extra]).status == 200
    assert desk.call("GET", f"/v1/review/items/{item_id}").json()["platforms"] == [extra], "the next reviewer sees it"
    lease = desk.claim(1).json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "reject", reviewer=1, reason="out_of_scope").json()["outcome"] == "disputed"
    lease = desk.claim(2, "escalated").json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "reject", reviewer=2, reason="out_of_scope").json()["outcome"] == "rejected"
    assert desk.call("GET", f"/v1/review/items/{item_id}").json()["platforms"] == []
    record = desk.service().store.get(item_id)
    assert record is not None
    assert record.platforms == []
    # A new, independent flagger reopens it; two reviewers confirm it naming no platform: the platform
    # only the overruled confirmation named receives nothing.
    desk.submit(
        {"url": "https://example.org/overruled-platforms", "category": "incitement", "description": "again"},
        flagger=1,
    )
    for reviewer in (1, 2):
        claimed = desk.claim(reviewer).json()
        assert claimed["item"]["item_id"] == item_id
        assert desk.decide(item_id, claimed["lease"]["lease_id"], "confirm", reviewer=reviewer).status == 200
    desk.stack.pump()
    named = {"authorization": f"Bearer {desk.others['platform'].api_key}"}
    feed = desk.stack.http("GET", "/v1/feed", headers=named)
    assert feed.status == 200, feed.body
    assert feed.json()["entries"] == []


def test_whoever_escalated_or_disputed_does_not_decide_the_item(desk: Desk) -> None:
    """X confirms, Y escalates, Z disputes: Y (the escalator) and Z are both excluded afterwards."""
    item_id = desk.item("escalator-then-dispute", priority="threat_to_life")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "confirm").json()["outcome"] == "first_confirmation"
    lease = desk.claim(1).json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "escalate", reviewer=1).json()["outcome"] == "escalated"
    lease = desk.claim(2, "escalated").json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "reject", reviewer=2, reason="out_of_scope").json()["outcome"] == "disputed"
    for excluded in (0, 1, 2):
        assert desk.claim(excluded, "escalated").status == 204, excluded
    lease = desk.claim(3, "escalated").json()["lease"]["lease_id"]
    assert desk.decide(item_id, lease, "confirm", reviewer=3).json()["outcome"] == "confirmed"


def test_a_retried_retraction_answers_what_landed(desk: Desk) -> None:
    item_id = desk.item("retried-retraction")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    desk.decide(item_id, lease, "confirm")
    path = f"/v1/review/items/{item_id}/retract"
    assert desk.call("POST", path, {"reason": "appeal"}).json()["outcome"] == "retracted"
    again = desk.call("POST", path, {"reason": "appeal"}).json()
    assert (again["outcome"], again["repeated"]) == ("retracted", True)
    other = desk.call("POST", path, {"reason": "appeal"}, reviewer=1)
    assert other.status == 409
    assert other.json()["code"] == "not_confirmed"


def test_what_two_reviewers_confirmed_two_reviewers_retract(desk: Desk) -> None:
    item_id = desk.item("two-to-retract", priority="threat_to_life")
    for reviewer in (0, 1):
        lease = desk.claim(reviewer).json()["lease"]["lease_id"]
        assert desk.decide(item_id, lease, "confirm", reviewer=reviewer).status == 200
    path = f"/v1/review/items/{item_id}/retract"
    first = desk.call("POST", path, {"reason": "appeal"}, reviewer=2)
    assert first.status == 200
    assert (first.json()["outcome"], first.json()["item"]["status"]) == ("retraction_requested", "confirmed")
    again = desk.call("POST", path, {"reason": "appeal, again"}, reviewer=2)
    assert again.status == 409
    assert again.json()["code"] == "retraction_requested_by_you"
    detail = desk.call("GET", f"/v1/review/items/{item_id}").json()
    assert (detail["status"], detail["retraction_requests"]) == ("confirmed", [desk.rid(2)])
    second = desk.call("POST", path, {"reason": "agreed"}, reviewer=0).json()
    assert (second["outcome"], second["item"]["status"]) == ("retracted", "retracted")
    events = [h["event"] for h in history(desk, item_id)]
    assert events[-2:] == ["retraction_requested", "retracted"]


def test_one_reviewer_retracts_what_one_confirmed(desk: Desk) -> None:
    item_id = desk.item("one-to-retract")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    desk.decide(item_id, lease, "confirm")
    reply = desk.call("POST", f"/v1/review/items/{item_id}/retract", {"reason": "appeal"}, reviewer=1).json()
    assert (reply["outcome"], reply["item"]["status"]) == ("retracted", "retracted")


UNREADABLE = ["\u200b", "\x00", "why\x07", "\u202eevil", "\u2028", "\u0301", "\u2800", "\u3164", "\ufe0f", "\u034f"]


@pytest.mark.parametrize("note", [text for text in UNREADABLE if text.strip()])  # blank notes are no note
def test_a_decision_note_must_be_readable(desk: Desk, note: str) -> None:
    item_id = desk.item(f"unreadable-note-{ord(note[-1])}")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    reply = desk.decide(item_id, lease, "escalate", note=note)
    assert reply.status == 422, reply.body
    assert desk.decide(item_id, lease, "escalate", note="needs a linguist \u0645\u0631\u062d\u0628\u0627").status == 200


@pytest.mark.parametrize("reason", UNREADABLE)
def test_a_retraction_reason_must_be_readable(desk: Desk, reason: str) -> None:
    item_id = desk.item(f"unreadable-{len(reason)}-{ord(reason[-1])}")
    lease = desk.claim(0).json()["lease"]["lease_id"]
    desk.decide(item_id, lease, "confirm")
    reply = desk.call("POST", f"/v1/review/items/{item_id}/retract", {"reason": reason})
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"].startswith("application/problem+json")


def test_the_flagger_sees_only_a_final_decision(desk: Desk) -> None:
    (result,) = desk.submit(
        {
            "url": "https://example.org/flagger-view",
            "category": "threat",
            "description": "x",
            "priority": "threat_to_life",
        }
    )
    item_id, report_id = result["item_id"], result["report_id"]

    def view() -> dict[str, Any]:
        headers = {"authorization": f"Bearer {desk.flaggers[0].api_key}"}
        reply = desk.stack.http("GET", f"/v1/reports/{report_id}", headers=headers)
        assert reply.status == 200, reply.body
        body: dict[str, Any] = reply.json()
        return body

    lease = desk.claim(0).json()["lease"]["lease_id"]
    desk.decide(item_id, lease, "confirm")
    assert (view()["item_status"], view().get("decision")) == ("pending", None), "one of two is not a decision"
    lease = desk.claim(1).json()["lease"]["lease_id"]
    desk.decide(item_id, lease, "reject", reviewer=1, reason="not_terrorist_content")
    assert (view()["item_status"], view().get("decision")) == ("escalated", None), "a disputed rejection is not one"
    lease = desk.claim(2, "escalated").json()["lease"]["lease_id"]
    desk.decide(item_id, lease, "confirm", reviewer=2)
    final = view()
    assert final["item_status"] == "confirmed"
    assert final["decision"]["decision"] == "confirm"
    assert "reviewer_id" not in final["decision"]


def test_a_rejection_without_a_prior_confirmation_is_final(desk: Desk) -> None:
    item_id = desk.item("plain-reject", priority="threat_to_life")
    lease_id = desk.claim(0).json()["lease"]["lease_id"]
    reply = desk.decide(item_id, lease_id, "reject", reason="out_of_scope").json()
    assert (reply["outcome"], reply["item"]["status"]) == ("rejected", "rejected")


def test_priority_raised_to_threat_to_life_under_a_lease_needs_four_eyes(desk: Desk) -> None:
    item_id = desk.item("raised")
    lease_id = desk.claim(0).json()["lease"]["lease_id"]
    desk.submit(
        {"url": "https://example.org/raised", "category": "threat", "description": "now", "priority": "threat_to_life"},
        flagger=1,
    )
    reply = desk.decide(item_id, lease_id, "confirm")
    assert reply.status == 200
    assert reply.json()["item"]["status"] == "pending"
    assert reply.json()["item"]["priority"] == "threat_to_life"


def test_retract_only_confirmed_items(desk: Desk) -> None:
    item_id = desk.item("retract")
    path = f"/v1/review/items/{item_id}/retract"
    assert desk.call("POST", path, {"reason": "mistake"}).status == 409
    lease_id = desk.claim().json()["lease"]["lease_id"]
    desk.decide(item_id, lease_id, "confirm")
    assert desk.call("POST", path, {"reason": ""}).status == 422
    reply = desk.call("POST", path, {"reason": "the court said so"}, reviewer=1)
    assert reply.status == 200
    assert reply.json()["item"]["status"] == "retracted"
    assert desk.call("POST", path, {"reason": "twice"}).status == 409
    last = history(desk, item_id)[-1]
    assert (last["event"], last["actor"], last["note"]) == ("retracted", desk.rid(1), "the court said so")


# ------------------------------------------------------------------------ reads


def test_item_detail_shows_reports_descriptions_and_full_history(desk: Desk) -> None:
    item_id = desk.item("detail", external_id="ref-1")
    desk.item("detail", flagger=1, priority="crisis")
    lease_id = desk.claim().json()["lease"]["lease_id"]
    desk.decide(item_id, lease_id, "reject", reason="out_of_scope", note="not ours")
    detail = desk.call("GET", f"/v1/review/items/{item_id}").json()
    assert detail["report_count"] == 2
    assert [r["flagger_id"] for r in detail["reports"]] == [f.principal.id for f in desk.flaggers]
    assert detail["reports"][0]["description"] == "<b>why</b> detail"
    assert detail["reports"][0]["external_id"] == "ref-1"
    assert detail["reports"][0]["url"] == "https://example.org/detail"
    # The second report (crisis) raised the priority: the history says so, by whom and from what.
    assert [h["event"] for h in detail["history"]] == ["created", "priority_raised", "claimed", "rejected"]
    rejected = detail["history"][-1]
    assert rejected["lease_id"] == lease_id
    assert rejected["note"] == "not ours"
    assert rejected["detail"]["reason"] == "out_of_scope"
    assert detail["lease"] is None
    assert desk.call("GET", "/v1/review/items/itm_abc").status == 404
    assert desk.call("GET", "/v1/review/items/..%2F..").status in (404, 422)


def test_list_by_status_pages_with_an_opaque_cursor(desk: Desk) -> None:
    ids = {desk.item(f"list-{n}") for n in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        query = "status=pending&limit=2" + (f"&cursor={cursor}" if cursor else "")
        reply = desk.call("GET", f"/v1/review/items?{query}")
        assert reply.status == 200
        page = reply.json()
        assert len(page["items"]) <= 2
        seen += [i["item_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_list_splits_pending_from_in_review(desk: Desk) -> None:
    leased = desk.item("leased")
    waiting = desk.item("waiting")
    desk.claim()
    pending = desk.call("GET", "/v1/review/items?status=pending").json()["items"]
    in_review = desk.call("GET", "/v1/review/items?status=in_review").json()["items"]
    assert [i["item_id"] for i in pending] == [waiting]
    assert [i["item_id"] for i in in_review] == [leased]
    assert desk.call("GET", "/v1/review/items?status=confirmed").json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        base64.urlsafe_b64encode(b"[]").decode(),
        base64.urlsafe_b64encode(b'{"v": 1}').decode(),
        base64.urlsafe_b64encode(
            json.dumps(
                {
                    "v": 1,
                    "status": "pending",
                    "part": 0,
                    "key": {"pk": "REPORT#x", "sk": "ITEM", "status": "pending", "due_at": "x"},
                }
            ).encode()
        ).decode(),
        base64.urlsafe_b64encode(json.dumps({"v": 1, "status": "pending", "part": 7, "key": None}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"v": 1, "status": "rejected", "part": 0, "key": None}).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps(
                {
                    "v": 1,
                    "status": "pending",
                    "part": 0,
                    "key": {"pk": "ITEM#itm_00", "sk": "ITEM", "status": "confirmed", "due_at": "2020-01-01T00:00:00Z"},
                }
            ).encode()
        ).decode(),
        "\u0000",
        "A" * 3000,
    ],
)
def test_forged_cursor_is_a_400_never_a_5xx(desk: Desk, cursor: str) -> None:
    from urllib.parse import quote

    desk.item("forged")
    reply = desk.call("GET", f"/v1/review/items?status=pending&cursor={quote(cursor)}")
    assert reply.status in (400, 422), reply.body
    assert reply.headers["content-type"] == "application/problem+json"


def test_bad_list_parameters_are_422(desk: Desk) -> None:
    for query in ("status=lost", "limit=0", "limit=101", "limit=many"):
        reply = desk.call("GET", f"/v1/review/items?{query}")
        assert reply.status == 422, query


def test_overdue_items_are_flagged_in_the_list_and_counted(desk: Desk) -> None:
    desk.item("late-ttl", priority="threat_to_life")
    desk.item("late-standard")
    service = desk.reads()
    now = service.list_items(ItemStatus.PENDING, 50, None)
    assert [i.overdue for i in now.items] == [False, False]
    desk.clock.advance(hours=2)  # past threat_to_life's one hour, within standard's 24
    desk.stack.pump()  # the queue counters follow the items table's stream
    later = service.list_items(ItemStatus.PENDING, 50, None)
    assert [(i.priority.value, i.overdue) for i in later.items] == [("threat_to_life", True), ("standard", False)]
    counts = {c.queue: c for c in service.counts().queues}
    assert (counts["default"].waiting, counts["default"].leased, counts["default"].overdue) == (2, 0, 1)


def test_queue_counts_route(desk: Desk) -> None:
    desk.item("a")
    desk.item("b")
    desk.claim()
    desk.stack.pump()  # the counters follow the items table's stream
    reply = desk.call("GET", "/v1/review/queue")
    assert reply.status == 200
    counts = {c["queue"]: c for c in reply.json()["queues"]}
    assert counts["default"] == {"queue": "default", "waiting": 1, "leased": 1, "overdue": 0}
    assert counts["escalated"]["waiting"] == 0


# ----------------------------------------------------------------- concurrency


def test_sixteen_reviewers_claiming_at_once_never_share_an_item(desk: Desk) -> None:
    """Below the HTTP layer (which runs one request at a time in-process), with real thread races."""
    items = {desk.item(f"race-{n}", priority=("threat_to_life", "crisis", "standard")[n % 3]) for n in range(12)}
    service = desk.service(Clock())
    threads_n = 20
    barrier = threading.Barrier(threads_n)
    got: list[str | None] = []
    lock = threading.Lock()

    def reviewer(n: int) -> None:
        barrier.wait()
        claimed = service.claim(f"rev_{n:02d}")
        with lock:
            got.append(claimed.item.item_id if claimed else None)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handed = [g for g in got if g is not None]
    assert Counter(handed).most_common(1)[0][1] == 1, "an item was leased twice"
    assert set(handed) == items
    assert got.count(None) == threads_n - len(items)


def race(*contenders: Any) -> list[str]:
    """Run the callables at the same instant; each one's outcome: "won" or "409"."""
    barrier = threading.Barrier(len(contenders))
    outcomes: list[str] = ["?"] * len(contenders)

    def run(n: int) -> None:
        barrier.wait()
        try:
            contenders[n]()
            outcomes[n] = "won"
        except ConflictError:
            outcomes[n] = "409"

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(contenders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_reviewers_deciding_one_item_exactly_one_wins(desk: Desk) -> None:
    service = desk.service()
    for round_no in range(5):
        item_id = desk.item(f"duel-{round_no}")
        first = service.claim(desk.rid(0))
        assert first is not None
        desk.clock.advance(seconds=601)  # the first lease lapses; the second reviewer claims
        second = service.claim(desk.rid(1))
        assert second is not None
        assert second.item.item_id == item_id
        confirm = DecisionIn(lease_id=first.lease.lease_id, decision="confirm")
        reject = DecisionIn(lease_id=second.lease.lease_id, decision="reject", reason=RejectReason.OUT_OF_SCOPE)
        outcomes = race(
            lambda c=confirm, i=item_id: service.decide(desk.rid(0), i, c),
            lambda r=reject, i=item_id: service.decide(desk.rid(1), i, r),
        )
        assert outcomes == ["409", "won"]
        assert desk.reads().detail(item_id).status is ItemStatus.REJECTED


def test_same_lease_deciding_twice_at_once_lands_one_decision(desk: Desk) -> None:
    item_id = desk.item("double-click")
    service = desk.service()
    claimed = service.claim(desk.rid(0))
    assert claimed is not None
    lease_id = claimed.lease.lease_id
    verdicts = [
        DecisionIn(lease_id=lease_id, decision="confirm"),
        DecisionIn(lease_id=lease_id, decision="reject", reason=RejectReason.NOT_TERRORIST_CONTENT),
    ] * 4
    outcomes = race(*(lambda v=v: service.decide(desk.rid(0), item_id, v) for v in verdicts))
    # The four copies of the decision that landed are one decision retried: each answers what landed;
    # the four different ones are 409s.
    assert sorted(outcomes) == ["409"] * 4 + ["won"] * 4
    detail = desk.reads().detail(item_id)
    assert len(detail.decisions) == 1
    landed = detail.decisions[0].decision
    assert [o for o, v in zip(outcomes, verdicts, strict=True) if v.decision == landed] == ["won"] * 4
    assert [h.event for h in detail.history][:2] == ["created", "claimed"]
    assert len(detail.history) == 3


def test_lease_expiring_mid_decision_is_a_409_not_a_silent_overwrite(desk: Desk) -> None:
    item_id = desk.item("mid-decision")
    service = desk.service()
    claimed = service.claim(desk.rid(0))
    assert claimed is not None
    desk.clock.advance(seconds=599)
    # The check at the start of the decision still sees the lease; by the write it has run out.
    desk.clock.queued = [desk.clock.at]
    desk.clock.advance(seconds=2)
    with pytest.raises(ConflictError, match="expired"):
        service.decide(desk.rid(0), item_id, DecisionIn(lease_id=claimed.lease.lease_id, decision="confirm"))
    record = desk.reads().detail(item_id)
    assert record.status.value == "pending"
    assert record.decisions == []
    assert [h.event for h in record.history] == ["created", "claimed"]


# ---------------------------------------------------------------------- history


def test_no_api_route_can_rewrite_history(desk: Desk) -> None:
    item_id = desk.item("ledger")
    lease_id = desk.claim().json()["lease"]["lease_id"]
    desk.decide(item_id, lease_id, "confirm")
    before = history(desk, item_id)
    assert [h["event"] for h in before] == ["created", "claimed", "confirmed"]
    bodies: list[Any] = [
        None,
        {},
        {"history": []},
        {"lease_id": lease_id, "decision": "reject", "reason": "out_of_scope"},
    ]
    for spec in desk.stack.template.functions:
        for route in spec.routes:
            path = route.path.replace("{item_id}", item_id).replace("{proxy+}", f"v1/review/items/{item_id}/history")
            path = path.replace("{flagger_id}", "fla_x").replace("{report_id}", "rep_x")
            methods = ["GET", "POST", "PUT", "PATCH", "DELETE"] if route.method == "ANY" else [route.method]
            for method in methods:
                for body in bodies:
                    for reviewer in (0, 1):
                        reply = desk.call(method, path, body, reviewer=reviewer)
                        assert reply.status < 500, (method, path, reply.body)
    after = history(desk, item_id)
    assert after[: len(before)] == before, "existing entries never change"
    assert [h["event"] for h in after[len(before) :]] == ["retracted"] * (len(after) - len(before))


def test_no_function_may_delete_from_the_items_table(desk: Desk) -> None:
    resources = desk.stack.template.resources
    roles = {name: res for name, res in resources.items() if res.get("Type") == "AWS::IAM::Role"}
    assert roles, "every function has its own role"
    statements = [
        statement
        for role in roles.values()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "dynamodb:DeleteItem" in actions or "dynamodb:*" in actions:
            assert "ItemsTable" not in json.dumps(statement["Resource"]), statement
