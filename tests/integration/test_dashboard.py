"""The CloudWatch dashboard (infra/dashboard.py): built from the template, published through CloudWatch's API."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from dashboard_support import deployed_names, flagpost_metrics  # type: ignore[import-not-found]

from flagpost_local.harness import InProcessStack
from flagpost_local.stack import LOCAL_PARAMETERS
from flagpost_local.template import Template


@pytest.fixture(scope="module")
def dashboard(load_script: Callable[[str], ModuleType]) -> ModuleType:
    return load_script("infra/dashboard.py")


@pytest.fixture
def names(dashboard: ModuleType, local_aws: InProcessStack) -> Any:
    return deployed_names(dashboard, local_aws)


def metrics_of(body: dict[str, Any], title: str) -> list[list[Any]]:
    (widget,) = [w for w in body["widgets"] if w["properties"].get("title") == title]
    lines: list[list[Any]] = widget["properties"]["metrics"]
    return lines


@pytest.fixture
def body(dashboard: ModuleType, names: Any, local_aws: InProcessStack) -> dict[str, Any]:
    built: dict[str, Any] = dashboard.body(local_aws.template, names, LOCAL_PARAMETERS["Stage"])
    return built


def test_every_resource_of_the_template_is_on_the_dashboard(
    body: dict[str, Any], names: Any, template: Template
) -> None:
    functions = {names(f.logical_id) for f in template.functions}
    for title in ("Function errors", "Function throttles", "Function duration p90 (ms)"):
        assert {line[3] for line in metrics_of(body, title)} == functions, title
    queues = {names.queue_name(q) for q in template.resources_of_type("AWS::SQS::Queue")}
    assert {line[3] for line in metrics_of(body, "Queue depths (DLQs included)")} == queues
    assert any("DeadLetter" in q for q in queues)
    tables = {names(t) for t in template.resources_of_type("AWS::DynamoDB::Table")}
    assert {line[3] for line in metrics_of(body, "Table throttled requests")} == tables
    consumers = {names(f.logical_id) for f in template.functions if f.streams}
    assert {line[3] for line in metrics_of(body, "Stream iterator age (ms)")} == consumers
    (alarms,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(alarms["properties"]["alarms"]) == len(template.resources_of_type("AWS::CloudWatch::Alarm"))


def test_flagpost_metrics_on_the_dashboard_carry_the_emitted_dimensions(body: dict[str, Any]) -> None:
    stage = LOCAL_PARAMETERS["Stage"]
    wanted = {"ReportsReceived", "ReportsDuplicate", "ReportsInvalid", "ItemsConfirmed", "ItemsRejected"}
    wanted |= {"ReviewLatencySeconds", "OverdueItems", "DeliveriesOk", "DeliveriesFailed"}
    assert flagpost_metrics(body) >= wanted
    for widget in body["widgets"]:
        for line in widget["properties"].get("metrics", []):
            if line[0] == "Flagpost":
                assert line[2:6] == ["service", "flagpost", "stage", stage], line


def test_every_widget_is_well_formed(body: dict[str, Any], local_aws: InProcessStack) -> None:
    assert sum(w["width"] for w in body["widgets"]) % 24 == 0, "rows are full"
    for widget in body["widgets"]:
        assert 1 <= widget["width"] <= 24
        if widget["type"] == "metric":
            props = widget["properties"]
            assert props["region"] == local_aws.session.region_name
            assert 1 <= len(props["metrics"]) <= 500
            for line in props["metrics"]:
                dims = [x for x in line if not isinstance(x, dict)][2:]
                assert len(dims) % 2 == 0, line
                assert all(isinstance(x, str) and x for x in dims), line
    assert len(json.dumps(body)) < 1_000_000


def test_physical_names_come_from_the_stack_and_the_dashboard_publishes(
    dashboard: ModuleType, names: Any, local_aws: InProcessStack
) -> None:
    cfn = local_aws.client("cloudformation")
    found = dashboard.stack_names(cfn, local_aws.stack.name)
    assert found == {k: v for k, v in local_aws.stack.physical_ids.items() if k in found}
    assert {"ItemsTable", "ForwardQueue", "ForwardDeadLetterQueue"} <= set(found)
    assert dashboard.stage_of(cfn, local_aws.stack.name) == LOCAL_PARAMETERS["Stage"]

    built = dashboard.body(local_aws.template, names, "local")
    cloudwatch = local_aws.client("cloudwatch")
    cloudwatch.put_dashboard(DashboardName=local_aws.stack.name, DashboardBody=json.dumps(built))
    got = cloudwatch.get_dashboard(DashboardName=local_aws.stack.name)
    assert json.loads(got["DashboardBody"]) == built


def test_a_resource_missing_from_the_stack_is_named(dashboard: ModuleType, local_aws: InProcessStack) -> None:
    names = dashboard.Names({}, "eu-west-1", "123456789012")
    with pytest.raises(KeyError, match=r"HttpApi is in template\.yaml but not in the deployed stack"):
        dashboard.body(local_aws.template, names, "dev")
