"""Metrics: one flow through every function, its EMF output read back as CloudWatch would read it.

The local stack disables metrics (nothing would collect them); here they are switched on and the EMF
documents the handlers print are parsed. The alarms in template.yaml that watch Flagpost's own
namespace are then checked against what was really emitted, names and dimensions.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from dashboard_support import deployed_names, flagpost_metrics  # type: ignore[import-not-found]
from delivery_support import pump_until, push_platform  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.domain.models.principal import Role
from flagpost.domain.models.report import Priority
from flagpost.domain.models.times import iso
from flagpost.domain.webhooks import sign
from flagpost.wiring import feed_store
from flagpost_local.harness import InProcessStack
from flagpost_local.stack import LOCAL_PARAMETERS
from flagpost_local.template import Template


def emf_documents(output: str) -> list[dict[str, Any]]:
    docs = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            docs.append(json.loads(line))
    return docs


def metric_values(docs: list[dict[str, Any]]) -> tuple[dict[str, list[float]], dict[str, set[tuple[str, ...]]]]:
    """Metric name -> every value emitted, and name -> the dimension sets it was emitted with."""
    values: dict[str, list[float]] = defaultdict(list)
    dims: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for doc in docs:
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "Flagpost"
            for metric in directive["Metrics"]:
                raw = doc[metric["Name"]]
                values[metric["Name"]].extend(raw if isinstance(raw, list) else [raw])
                for dimension_set in directive["Dimensions"]:
                    dims[metric["Name"]].add(tuple(f"{d}={doc[d]}" for d in sorted(dimension_set)))
    return values, dims


@pytest.fixture
def emitted(
    local_aws: InProcessStack, receiver: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, list[float]], dict[str, set[tuple[str, ...]]]]:
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_BASE_SECONDS", "1")
    lazy.reset()
    stack = local_aws
    principals = stack.principals()
    flagger = principals.create(Role.FLAGGER, "Flagger")
    reviewer = principals.create(Role.REVIEWER, "Reviewer")
    push_platform(stack, receiver)  # example.org: accepts every push
    refusing, _ = push_platform(stack, receiver, domains=["example.net"], always=400)  # refuses: failed for good

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    reports = [
        {"url": "https://example.org/a", "category": "incitement", "description": "x"},
        {"url": "https://EXAMPLE.org/a?utm_source=again", "category": "incitement", "description": "x"},
        {"url": "https://example.net/b", "category": "incitement", "description": "x"},
        {"url": "https://example.com/c", "category": "incitement", "description": "x"},
        {"url": "https://example.com/d", "category": "incitement", "description": "x"},
        {"url": "not a link", "category": "incitement", "description": "x"},
    ]
    raw = json.dumps({"reports": reports}).encode()
    headers = {"content-type": "application/json", **sign(raw, flagger.secret or "", f"msg_{uuid.uuid4().hex}")}
    reply = stack.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=raw, headers=headers)
    assert reply.status == 202, reply.body
    items = {r["index"]: r.get("item_id") for r in reply.json()["results"]}

    auth = {"authorization": f"Bearer {reviewer.api_key}"}
    verdicts = {items[0]: {"decision": "confirm"}, items[2]: {"decision": "confirm"}}
    verdicts[items[3]] = {"decision": "reject", "reason": "out_of_scope"}
    verdicts[items[4]] = {"decision": "escalate"}
    while verdicts:
        claimed = stack.http("POST", "/v1/review/claim", json_body={}, headers=auth).json()
        item_id = claimed["item"]["item_id"]
        body = verdicts.pop(item_id)
        path = f"/v1/review/items/{item_id}/decision"
        decided = stack.http("POST", path, json_body={"lease_id": claimed["lease"]["lease_id"], **body}, headers=auth)
        assert decided.status == 200, decided.body
    retracted = stack.http("POST", f"/v1/review/items/{items[0]}/retract", json_body={"reason": "r"}, headers=auth)
    assert retracted.status == 200, retracted.body

    # d waits past its deadline: what MonitorFunction reports and the OverdueItems alarm watches.
    past = datetime.now(UTC) - timedelta(hours=2)
    stack.client("dynamodb").update_item(
        TableName=stack.stack.physical("ItemsTable"),
        Key={"pk": {"S": f"ITEM#{items[4]}"}, "sk": {"S": "ITEM"}},
        UpdateExpression="SET due_at = :d, queue_sort = :q",
        ExpressionAttributeValues={
            ":d": {"S": iso(past)},
            ":q": {"S": f"{Priority.STANDARD.rank}#{iso(past)}#{items[4]}"},
        },
    )
    pump_until(stack, lambda: [e.delivery for e in feed_store().read(refusing.principal.id, 0, 10)] == ["failed"])
    stack.pump()
    assert stack.fire_schedules()["MonitorFunction"]["OverdueItems"] == 1
    return metric_values(emf_documents(capsys.readouterr().out))


def test_the_issue_s_metrics_are_emitted_with_their_values(
    emitted: tuple[dict[str, list[float]], dict[str, set[tuple[str, ...]]]],
) -> None:
    values, _ = emitted
    assert sum(values["ReportsReceived"]) == 6
    assert sum(values["ReportsNewItem"]) == 4
    assert sum(values["ReportsDuplicate"]) == 1
    assert sum(values["ReportsInvalid"]) == 1
    assert sum(values["ItemsConfirmed"]) == 2
    assert sum(values["ItemsRejected"]) == 1
    assert sum(values["ItemsEscalated"]) == 1
    assert sum(values["ItemsRetracted"]) == 1
    assert len(values["ReviewLatencySeconds"]) == 3, "one latency per final decision"
    assert all(0 <= v < 60 for v in values["ReviewLatencySeconds"])
    assert sum(values["DeliveriesOk"]) == 2, "a's confirmation and its retraction"
    assert sum(values["DeliveriesFailed"]) == 1
    assert values["OverdueItems"] == [1]
    assert values["ItemsAwaitingReview"] == [1], "d, escalated"


def test_every_metric_carries_the_service_and_the_stage(
    emitted: tuple[dict[str, list[float]], dict[str, set[tuple[str, ...]]]],
) -> None:
    _, dims = emitted
    expected = {("service=flagpost", f"stage={LOCAL_PARAMETERS['Stage']}")}
    assert dims
    assert {name: d for name, d in dims.items() if d != expected} == {}


def test_alarms_on_flagpost_metrics_watch_metrics_that_exist(
    emitted: tuple[dict[str, list[float]], dict[str, set[tuple[str, ...]]]], template: Template
) -> None:
    values, dims = emitted
    watched = {
        name: alarm["Properties"]
        for name, alarm in template.resources_of_type("AWS::CloudWatch::Alarm").items()
        if alarm["Properties"].get("Namespace") == "Flagpost"
    }
    assert {p["MetricName"] for p in watched.values()} >= {"OverdueItems", "DeliveriesFailed"}
    for name, props in watched.items():
        assert props["MetricName"] in values, f"{name} watches a metric nothing emits"
        dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert dimensions == {"service": "flagpost", "stage": {"Ref": "Stage"}}, name
        stage = LOCAL_PARAMETERS["Stage"]
        assert ("service=flagpost", f"stage={stage}") in dims[props["MetricName"]], name


def test_the_dashboard_shows_only_metrics_that_are_emitted(
    emitted: tuple[dict[str, list[float]], dict[str, set[tuple[str, ...]]]],
    local_aws: InProcessStack,
    load_script: Callable[[str], ModuleType],
) -> None:
    dashboard = load_script("infra/dashboard.py")
    values, _ = emitted
    body = dashboard.body(local_aws.template, deployed_names(dashboard, local_aws), LOCAL_PARAMETERS["Stage"])
    shown = flagpost_metrics(body)
    assert shown
    assert shown - set(values) == set()
