"""Retention: free text (descriptions, notes, retraction reasons) expires; items, decisions, history and stats stay.

DynamoDB's TTL deletes a record some time after its `expires_at` passed; moto records the setting but
never deletes. `expire` below does what TTL does, for the table's own TTL attribute (read from the
template), so the tests see what a reviewer or an auditor sees after the retention period.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flagpost.adapters import aws
from flagpost.adapters.dynamo.client import Table, from_item
from flagpost.adapters.dynamo.review import DynamoReviewStore
from flagpost.config import settings
from flagpost.domain.models.item import ItemStatus
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.review_rules import Guard, ItemChange
from flagpost.domain.webhooks import sign
from flagpost_local.harness import InProcessStack
from flagpost_local.template import Template

DESCRIPTION = "Recruitment video re-uploaded by the account named in report 7"
NOTE = "Matches the hash of the known video; Ms Example checked it"
REASON = "Wrong account: the uploader is a news outlet quoting it"
PLATFORM_NOTE = "Removed under our policy 4.2, ticket 123"


def scan(table: str) -> list[dict[str, Any]]:
    client = aws.client("dynamodb")
    pages = client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [from_item(raw) for page in pages for raw in page["Items"]]


def ttl_attribute(template: Template, logical_id: str) -> str:
    spec = template.resources[logical_id]["Properties"]["TimeToLiveSpecification"]
    assert spec["Enabled"] is True
    name: str = spec["AttributeName"]
    return name


def expire(table: str, attribute: str, now: datetime) -> int:
    """What DynamoDB's TTL does once `now` is past a record's expiry: delete it. Returns how many went."""
    client = aws.client("dynamodb")
    gone = 0
    for record in scan(table):
        if attribute in record and int(record[attribute]) <= now.timestamp():
            client.delete_item(TableName=table, Key={"pk": {"S": record["pk"]}, "sk": {"S": record["sk"]}})
            gone += 1
    return gone


def call(stack: InProcessStack, creds: IssuedCredentials, method: str, path: str, body: Any = None) -> Any:
    reply = stack.http(method, path, json_body=body, headers={"authorization": f"Bearer {creds.api_key}"})
    assert reply.status == 200, (method, path, reply.status, reply.body)
    return reply.json() if reply.body else None


def text_in(record: dict[str, Any], texts: tuple[str, ...]) -> bool:
    flat = json.dumps(record, default=str)
    return any(text in flat for text in texts)


@pytest.fixture
def decided(local_aws: InProcessStack) -> dict[str, Any]:
    """One item reported with a description, confirmed with a note, acted on with a note, then retracted."""
    stack = local_aws
    principals = stack.principals()
    flagger = principals.create(Role.FLAGGER, "Flagger")
    reviewer = principals.create(Role.REVIEWER, "Reviewer")
    platform = principals.create(Role.PLATFORM, "Example", domains=["example.org"])
    raw = json.dumps(
        {"reports": [{"url": "https://example.org/v/1", "category": "recruitment", "description": DESCRIPTION}]}
    ).encode()
    headers = {"content-type": "application/json", **sign(raw, flagger.secret or "", f"msg_{uuid.uuid4().hex}")}
    reply = stack.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=raw, headers=headers)
    assert reply.status == 202, reply.body
    item_id = reply.json()["results"][0]["item_id"]

    lease = call(stack, reviewer, "POST", "/v1/review/claim", {})["lease"]
    confirmed = call(
        stack,
        reviewer,
        "POST",
        f"/v1/review/items/{item_id}/decision",
        {"lease_id": lease["lease_id"], "decision": "confirm", "note": NOTE},
    )
    stack.pump()  # the item reaches the platform's feed, so the platform may report on it
    call(stack, platform, "POST", f"/v1/feed/items/{item_id}/outcome", {"outcome": "removed", "note": PLATFORM_NOTE})
    call(stack, reviewer, "POST", f"/v1/review/items/{item_id}/retract", {"reason": REASON})
    stack.pump()
    return {"stack": stack, "item_id": item_id, "reviewer": reviewer, "confirmed": confirmed}


def test_the_answer_to_a_decision_shows_its_note(decided: dict[str, Any]) -> None:
    assert decided["confirmed"]["item"]["decisions"][-1]["note"] == NOTE


def test_free_text_is_stored_only_in_records_that_expire(decided: dict[str, Any], template: Template) -> None:
    config = settings()
    attribute = ttl_attribute(template, "ItemsTable")
    texts = (DESCRIPTION, NOTE, REASON, PLATFORM_NOTE)
    holders = [r for r in scan(config.items_table) if text_in(r, texts)]
    # Each text sits in exactly one record, and each such record carries the table's TTL attribute.
    assert sorted(sum(text in json.dumps(r) for r in holders) for text in texts) == [1, 1, 1, 1]
    assert len(holders) == 4
    now = datetime.now(UTC)
    for record in holders:
        expires = datetime.fromtimestamp(int(record[attribute]), UTC)
        assert now + timedelta(days=399) < expires <= now + timedelta(days=400, minutes=1), record["sk"]
    # The stats hold none of it. The feed holds only what a notice must quote (DSA Art. 16(2)(a): the
    # flagger's explanation, never a note), in one record that expires when the report's own text does.
    assert not [r for r in scan(config.stats_table) if text_in(r, texts)]
    (quoted,) = [r for r in scan(config.feed_table) if text_in(r, texts)]
    assert quoted["texts"] == [DESCRIPTION]
    (original,) = [r for r in holders if DESCRIPTION in json.dumps(r)]
    assert abs(int(quoted[ttl_attribute(template, "FeedTable")]) - int(original[attribute])) <= 60


def test_after_the_retention_period_the_texts_are_gone_and_the_record_is_whole(
    decided: dict[str, Any], template: Template
) -> None:
    stack, item_id, reviewer = decided["stack"], decided["item_id"], decided["reviewer"]
    config = settings()
    before = call(stack, reviewer, "GET", f"/v1/review/items/{item_id}")
    stats_before = scan(config.stats_table)
    assert before["reports"][0]["description"] == DESCRIPTION
    notes = {h["event"]: h["note"] for h in before["history"] if h["note"]}
    assert notes == {"confirmed": NOTE, "outcome": PLATFORM_NOTE, "retracted": REASON}

    # The day before the period ends, nothing is due; the day after, exactly the four texts are.
    attribute = ttl_attribute(template, "ItemsTable")
    assert expire(config.items_table, attribute, datetime.now(UTC) + timedelta(days=399)) == 0
    assert expire(config.items_table, attribute, datetime.now(UTC) + timedelta(days=401)) == 4
    assert expire(config.feed_table, ttl_attribute(template, "FeedTable"), datetime.now(UTC) + timedelta(days=401)) == 1

    after = call(stack, reviewer, "GET", f"/v1/review/items/{item_id}")
    assert after["reports"][0]["description"] is None
    assert [h["note"] for h in after["history"]] == [None] * len(before["history"])
    assert after["decisions"][-1]["note"] is None

    # Everything else is exactly as it was: item, decisions, report provenance, history, aggregates.
    def without_text(detail: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(json.dumps(detail))
        for entry in out["history"] + out["decisions"]:
            entry.pop("note", None)
        for report in out["reports"]:
            report.pop("description", None)
        return out

    assert without_text(after) == without_text(before)
    assert scan(config.stats_table) == stats_before


def test_the_retention_period_comes_from_the_template_parameter(template: Template) -> None:
    parameter = template.body["Parameters"]["TextRetentionDays"]
    assert parameter["Default"] == 400
    env = template.body["Globals"]["Function"]["Environment"]["Variables"]
    assert env["FLAGPOST_TEXT_RETENTION_DAYS"] == {"Ref": "TextRetentionDays"}


def test_a_shorter_retention_period_is_honoured(local_aws: InProcessStack) -> None:
    table = settings().items_table
    store = DynamoReviewStore(Table(table), text_retention_days=30)
    at = datetime.now(UTC)
    aws.client("dynamodb").put_item(
        TableName=table, Item={"pk": {"S": "ITEM#itm_1"}, "sk": {"S": "ITEM"}, "status": {"S": "confirmed"}}
    )
    change = ItemChange(
        item_id="itm_1",
        event="outcome",
        actor="pla_1",
        at=at,
        guard=Guard(status=ItemStatus.CONFIRMED),
        status=ItemStatus.CONFIRMED,
        note="short-lived",
        note_id="NOTE#short",
    )
    store.apply(change)
    (note,) = [r for r in scan(table) if r["sk"].startswith("NOTE#")]
    assert int(note["expires_at"]) == int((at + timedelta(days=30)).timestamp())
    assert store.notes("itm_1") == {note["sk"]: "short-lived"}
    (entry,) = [r for r in scan(table) if r["sk"].startswith("HIST#")]
    assert entry["note_id"] == note["sk"]
    assert "short-lived" not in json.dumps(entry)
