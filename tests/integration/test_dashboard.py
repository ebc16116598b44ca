"""The CloudWatch dashboard (infra/dashboard.py): built from the template, published through CloudWatch's API."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from flagpost.local.harness import InProcessStack
from flagpost.local.stack import LOCAL_PARAMETERS
from flagpost.local.template import Template

ROOT = Path(__file__).resolve().parents[2]


def load_dashboard() -> Any:
    spec = importlib.util.spec_from_file_location("flagpost_infra_dashboard", ROOT / "infra" / "dashboard.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dashboard = load_dashboard()


def deployed_names(stack: InProcessStack) -> Any:
    """The local stack's physical ids, plus made-up names for what moto's CloudFormation does not create."""
    template = stack.template
    physical = dict(stack.stack.physical_ids)
    for logical_id in [f.logical_id for f in template.functions] + list(
        template.resources_of_type("AWS::CloudWatch::Alarm", "AWS::Serverless::HttpApi")
    ):
        physical.setdefault(logical_id, f"flagpost-local-{logical_id}")
    return dashboard.Names(physical, stack.session.region_name, "123456789012")


def metrics_of(body: dict[str, Any], title: str) -> list[list[Any]]:
    (widget,) = [w for w in body["widgets"] if w["properties"].get("title") == title]
    lines: list[list[Any]] = widget["properties"]["metrics"]
    return lines


def flagpost_metrics(body: dict[str, Any]) -> set[str]:
    return {
        line[1]
        for w in body["widgets"]
        if w["type"] == "metric"
        for line in w["properties"]["metrics"]
        if line[0] == "Flagpost"
    }


@pytest.fixture
def body(local_aws: InProcessStack) -> dict[str, Any]:
    built: dict[str, Any] = dashboard.body(local_aws.template, deployed_names(local_aws), LOCAL_PARAMETERS["Stage"])
    return built


def test_every_resource_of_the_template_is_on_the_dashboard(
    body: dict[str, Any], local_aws: InProcessStack, template: Template
) -> None:
    names = deployed_names(local_aws)
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


def test_physical_names_come_from_the_stack_and_the_dashboard_publishes(local_aws: InProcessStack) -> None:
    cfn = local_aws.client("cloudformation")
    found = dashboard.stack_names(cfn, local_aws.stack.name)
    assert found == {k: v for k, v in local_aws.stack.physical_ids.items() if k in found}
    assert {"ItemsTable", "ForwardQueue", "ForwardDeadLetterQueue"} <= set(found)
    assert dashboard.stage_of(cfn, local_aws.stack.name) == LOCAL_PARAMETERS["Stage"]

    built = dashboard.body(local_aws.template, deployed_names(local_aws), "local")
    cloudwatch = local_aws.client("cloudwatch")
    cloudwatch.put_dashboard(DashboardName=local_aws.stack.name, DashboardBody=json.dumps(built))
    got = cloudwatch.get_dashboard(DashboardName=local_aws.stack.name)
    assert json.loads(got["DashboardBody"]) == built


def test_a_resource_missing_from_the_stack_is_named(local_aws: InProcessStack) -> None:
    names = dashboard.Names({}, "eu-west-1", "123456789012")
    with pytest.raises(KeyError, match=r"HttpApi is in template\.yaml but not in the deployed stack"):
        dashboard.body(local_aws.template, names, "dev")
