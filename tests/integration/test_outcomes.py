"""Outcomes: the latest per (item, platform) stands and counts once; DSA statement-of-reasons keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from delivery_support import land_items, set_status  # type: ignore[import-not-found]

from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.models.times import iso
from flagpost_local.harness import InProcessStack, Reply


@pytest.fixture
def confirmed(local_aws: InProcessStack) -> tuple[IssuedCredentials, str, IssuedCredentials]:
    """A platform owning t.me, one confirmed item routed to it, and an admin."""
    platform = local_aws.principals().create(Role.PLATFORM, "Telegram", platform_ids=["telegram"])
    (item_id,) = land_items(["https://t.me/outcomes_once"])
    set_status(local_aws, item_id, "confirmed")
    local_aws.pump()
    admin = local_aws.principals().create(Role.ADMIN, "Admin")
    return platform, item_id, admin


def post(stack: InProcessStack, key: str, item_id: str, body: dict[str, Any]) -> Reply:
    return stack.http(
        "POST", f"/v1/feed/items/{item_id}/outcome", json_body=body, headers={"authorization": f"Bearer {key}"}
    )


def platform_stats(stack: InProcessStack, admin: IssuedCredentials, platform_id: str, year: int | None = None) -> Any:
    stack.pump()
    query = f"?year={year}" if year else ""
    reply = stack.http("GET", f"/v1/stats{query}", headers={"authorization": f"Bearer {admin.api_key}"})
    assert reply.status == 200, reply.body
    return reply.json() if year else reply.json()["platforms"][platform_id]


def outcome_records(stack: InProcessStack, item_id: str) -> list[dict[str, Any]]:
    got = stack.client("dynamodb").query(
        TableName=stack.stack.physical("ItemsTable"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :o)",
        ExpressionAttributeValues={":pk": {"S": f"ITEM#{item_id}"}, ":o": {"S": "OUTCOME#"}},
    )
    return list(got["Items"])


def test_the_same_outcome_posted_three_times_counts_once(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    platform, item_id, admin = confirmed
    body = {"outcome": "removed", "acted_at": iso(datetime.now(UTC))}
    answers = [post(local_aws, platform.api_key, item_id, body) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert len({a.json()["recorded_at"] for a in answers}) == 1, "a repeat answers with the outcome already stored"
    stats = platform_stats(local_aws, admin, platform.principal.id)
    assert stats["outcomes"] == 1
    assert stats["outcomes_by_type"] == {"removed": 1}
    yearly = platform_stats(local_aws, admin, platform.principal.id, year=datetime.now(UTC).year)
    assert yearly["actions_by_platform"][platform.principal.id] == {"removed": 1}
    assert yearly["time_to_action"]["count"] == 1


def test_a_repeat_without_acted_at_is_the_same_act(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    platform, item_id, admin = confirmed
    first = post(local_aws, platform.api_key, item_id, {"outcome": "restricted"}).json()
    again = post(local_aws, platform.api_key, item_id, {"outcome": "restricted"}).json()
    assert again["acted_at"] == first["acted_at"]
    assert platform_stats(local_aws, admin, platform.principal.id)["outcomes"] == 1


def test_the_latest_outcome_stands_and_moves_the_count(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    platform, item_id, admin = confirmed
    assert post(local_aws, platform.api_key, item_id, {"outcome": "no_action"}).status == 200
    assert platform_stats(local_aws, admin, platform.principal.id)["removal_rate"] == 0.0
    assert post(local_aws, platform.api_key, item_id, {"outcome": "removed"}).status == 200
    stats = platform_stats(local_aws, admin, platform.principal.id)
    assert stats["outcomes"] == 1
    assert stats["outcomes_by_type"] == {"removed": 1}
    assert stats["removal_rate"] == 1.0
    overall = local_aws.http("GET", "/v1/stats", headers={"authorization": f"Bearer {admin.api_key}"}).json()
    assert overall["time_to_outcome"]["count"] == 1


def test_the_item_record_does_not_grow_with_outcomes(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    platform, item_id, _ = confirmed
    for n in range(30):
        outcome = ("removed", "no_action", "restricted")[n % 3]
        assert post(local_aws, platform.api_key, item_id, {"outcome": outcome}).status == 200
    item = local_aws.client("dynamodb").get_item(
        TableName=local_aws.stack.physical("ItemsTable"), Key={"pk": {"S": f"ITEM#{item_id}"}, "sk": {"S": "ITEM"}}
    )["Item"]
    assert "outcomes" not in item
    (record,) = outcome_records(local_aws, item_id)
    assert record["outcome"]["S"] == "restricted"


def test_dsa_decision_keys_are_validated_mapped_stored_and_shown(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    platform, item_id, admin = confirmed
    key = platform.api_key
    refused: dict[str, dict[str, Any]] = {
        "unknown visibility": {"decision_visibility": ["DECISION_VISIBILITY_GONE"]},
        "visibility not a list": {"decision_visibility": "DECISION_VISIBILITY_CONTENT_REMOVED"},
        "unknown account decision": {"decision_account": "DECISION_ACCOUNT_BANNED"},
        "bad puid": {"outcome": "removed", "puid": "has space"},
        "contradiction": {"outcome": "no_action", "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]},
        "nothing said": {"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"},
        "unknown field": {"outcome": "removed", "decision_visibilty": ["DECISION_VISIBILITY_CONTENT_REMOVED"]},
    }
    for why, body in refused.items():
        reply = post(local_aws, key, item_id, body)
        assert reply.status == 422, why
        assert reply.headers["content-type"] == "application/problem+json"
    unknown = post(local_aws, key, item_id, refused["unknown field"]).json()
    assert any("decision_visibilty" in e["msg"] for e in unknown["errors"])

    body = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_DISABLED"],
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "puid": "sor-2026_000123",
    }
    stored = post(local_aws, key, item_id, body)
    assert stored.status == 200, stored.body
    assert stored.json()["outcome"] == "removed", "disabling access removes the content from view"
    restricted = post(local_aws, key, item_id, {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"]})
    assert restricted.json()["outcome"] == "restricted"
    post(local_aws, key, item_id, body)

    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    detail = local_aws.http(
        "GET", f"/v1/review/items/{item_id}", headers={"authorization": f"Bearer {reviewer.api_key}"}
    ).json()
    (shown,) = detail["outcomes"]
    assert shown["puid"] == "sor-2026_000123"
    assert shown["decision_visibility"] == sorted(body["decision_visibility"])
    stats = platform_stats(local_aws, admin, platform.principal.id)
    assert stats["outcomes"] == 1
    assert stats["outcomes_by_type"] == {"removed": 1}


def test_a_platform_cannot_learn_which_targets_were_reported(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    """An item reported but not sent to this platform answers exactly like one never reported."""
    _, item_id, _ = confirmed
    other = local_aws.principals().create(Role.PLATFORM, "Elsewhere", domains=["example.net"])
    (pending,) = land_items(["https://t.me/reported_but_not_confirmed"])
    unknown = post(local_aws, other.api_key, "itm_000000000000000000000000", {"outcome": "removed"})
    for reply in (post(local_aws, other.api_key, item_id, {"outcome": "removed"}),
                  post(local_aws, other.api_key, pending, {"outcome": "removed"})):  # fmt: skip
        assert reply.status == unknown.status == 404
        assert reply.json()["detail"] == unknown.json()["detail"]


def test_acted_at_must_fall_between_the_first_report_and_now(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    platform, item_id, admin = confirmed
    now = datetime.now(UTC)
    for when in ("1970-01-01T00:00:00Z", iso(now - timedelta(days=3)), iso(now + timedelta(days=40)),
                 "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):  # fmt: skip
        reply = post(local_aws, platform.api_key, item_id, {"outcome": "removed", "acted_at": when})
        assert reply.status == 422, (when, reply.body)
    assert post(local_aws, platform.api_key, item_id, {"outcome": "removed", "acted_at": iso(now)}).status == 200
    assert platform_stats(local_aws, admin, platform.principal.id)["outcomes"] == 1


def test_acted_at_must_be_written_out_not_unix_seconds(
    local_aws: InProcessStack, confirmed: tuple[IssuedCredentials, str, IssuedCredentials]
) -> None:
    platform, item_id, admin = confirmed
    seconds = int(datetime.now(UTC).timestamp())
    for when in (seconds, str(seconds), float(seconds), "2026-11-30", "2026-11-30T09:15:00", True):
        reply = post(local_aws, platform.api_key, item_id, {"outcome": "removed", "acted_at": when})
        assert reply.status == 422, (when, reply.body)
        assert b"RFC 3339" in reply.body, reply.body
    assert platform_stats(local_aws, admin, platform.principal.id)["outcomes"] == 0


def test_an_outcome_that_keeps_conflicting_says_when_to_send_it_again(
    local_aws: InProcessStack,
    confirmed: tuple[IssuedCredentials, str, IssuedCredentials],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flagpost.adapters.dynamo.outcomes import DynamoOutcomeStore
    from flagpost.domain.errors import WriteConflictError

    def always_raced(*args: Any, **kwargs: Any) -> Any:
        raise WriteConflictError(["ConditionalCheckFailed"])

    monkeypatch.setattr(DynamoOutcomeStore, "put", always_raced)
    platform, item_id, _ = confirmed
    reply = post(local_aws, platform.api_key, item_id, {"outcome": "removed"})
    assert reply.status == 409, reply.body
    assert reply.headers.get("retry-after") == "1", reply.headers
