"""The CloudWatch dashboard of a deployed Flagpost stack, built from template.yaml (docs/deploy.md).

Usage:
    .venv/bin/python infra/dashboard.py --stack-name flagpost-dev [--region eu-west-1] [--publish]

Without --publish it prints the dashboard body (JSON); with it, it also puts the dashboard
`<stack name>` into CloudWatch (`make deploy` does this after `sam deploy`). The widgets follow the
template: every function, queue, table, stream consumer and alarm it declares appears, so a new
resource shows up without editing this file. Physical names come from the deployed stack's resources.

Rows, top to bottom - the order an operator on call reads them in:
1. intake: reports received, new, duplicate, invalid; API requests, 4xx and 5xx;
2. review: items awaiting review and overdue (MonitorFunction's gauges), decisions, review latency;
3. delivery: pushes delivered and failed, queue depths and ages (DLQs included), stream iterator age;
4. functions: errors, throttles, p90 duration; tables: throttled requests and system errors;
5. every alarm's state.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flagpost_local.template import Template

HERE = Path(__file__).resolve().parent

NAMESPACE = "Flagpost"
WIDTH = 24

Metric = list[Any]


class Names:
    """Logical id -> physical name, as the deployed stack reports them."""

    def __init__(self, physical: Mapping[str, str], region: str, account: str) -> None:
        self.physical, self.region, self.account = dict(physical), region, account

    def __call__(self, logical_id: str) -> str:
        try:
            return self.physical[logical_id]
        except KeyError:
            raise KeyError(f"{logical_id} is in template.yaml but not in the deployed stack: deploy first") from None

    def queue_name(self, logical_id: str) -> str:
        return self(logical_id).rstrip("/").rsplit("/", 1)[-1]  # SQS's physical id is the queue URL

    def alarm_arn(self, logical_id: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:{self(logical_id)}"


def _own(metric: str, stage: str, **options: Any) -> Metric:
    line: Metric = [NAMESPACE, metric, "service", "flagpost", "stage", stage]
    return line + ([options] if options else [])


def _widget(
    title: str, metrics: list[Metric], *, stat: str = "Sum", period: int = 300, width: int = 8
) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "stacked": False,
            "metrics": metrics,
            "stat": stat,
            "period": period,
        },
    }


def body(template: Template, names: Names, stage: str) -> dict[str, Any]:
    """The dashboard body for the stack whose physical names `names` knows."""
    functions = [spec.logical_id for spec in template.functions]
    consumers = [spec.logical_id for spec in template.functions if spec.streams]
    queues = list(template.resources_of_type("AWS::SQS::Queue"))
    tables = list(template.resources_of_type("AWS::DynamoDB::Table"))
    alarms = list(template.resources_of_type("AWS::CloudWatch::Alarm"))
    apis = list(template.resources_of_type("AWS::Serverless::HttpApi"))

    def per_function(metric: str, stat: str | None = None) -> list[Metric]:
        extra = {"stat": stat} if stat else {}
        return [["AWS/Lambda", metric, "FunctionName", names(f), {"label": f, **extra}] for f in functions]

    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "width": WIDTH,
            "height": 2,
            "properties": {
                "markdown": f"## Flagpost `{stage}`\nWhat each alarm means and what to do: "
                "docs/deploy.md, section *Alarms*. Rows: intake, review, delivery, functions and tables, alarms."
            },
        },
        _widget(
            "Reports (per 5 min)",
            [_own(m, stage) for m in ("ReportsReceived", "ReportsNewItem", "ReportsDuplicate", "ReportsInvalid")],
        ),
    ]
    for api in apis:
        widgets.append(
            _widget(
                "API requests, 4xx, 5xx",
                [["AWS/ApiGateway", m, "ApiId", names(api)] for m in ("Count", "4xx", "5xx")],
            )
        )
        widgets.append(
            _widget("API latency p90 (ms)", [["AWS/ApiGateway", "Latency", "ApiId", names(api)]], stat="p90")
        )
    widgets += [
        _widget(
            "Review queue: awaiting, overdue",
            [_own("ItemsAwaitingReview", stage), _own("OverdueItems", stage, color="#d62728")],
            stat="Maximum",
            period=60,
        ),
        _widget(
            "Decisions (per 5 min)",
            [_own(m, stage) for m in ("ItemsConfirmed", "ItemsRejected", "ItemsEscalated", "ItemsRetracted")],
        ),
        _widget(
            "Review latency, first report to decision (s)",
            [_own("ReviewLatencySeconds", stage, stat="p50"), _own("ReviewLatencySeconds", stage, stat="p90")],
        ),
        _widget(
            "Pushes to platforms",
            [_own("DeliveriesOk", stage), _own("DeliveriesFailed", stage, color="#d62728")],
        ),
        _widget(
            "Queue depths (DLQs included)",
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names.queue_name(q), {"label": q}]
                for q in queues
            ],
            stat="Maximum",
            period=60,
        ),
        _widget(
            "Oldest message age (s)",
            [
                ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", names.queue_name(q), {"label": q}]
                for q in queues
            ],
            stat="Maximum",
            period=60,
        ),
    ]
    if consumers:
        widgets.append(
            _widget(
                "Stream iterator age (ms)",
                [["AWS/Lambda", "IteratorAge", "FunctionName", names(f), {"label": f}] for f in consumers],
                stat="Maximum",
                period=60,
                width=WIDTH,
            )
        )
    widgets += [
        _widget("Function errors", per_function("Errors")),
        _widget("Function throttles", per_function("Throttles")),
        _widget("Function duration p90 (ms)", per_function("Duration"), stat="p90"),
        _widget(
            "Table throttled requests",
            [["AWS/DynamoDB", "ThrottledRequests", "TableName", names(t), {"label": t}] for t in tables],
            width=12,
        ),
        _widget(
            "Table system errors",
            [["AWS/DynamoDB", "SystemErrors", "TableName", names(t), {"label": t}] for t in tables],
            width=12,
        ),
        {
            "type": "alarm",
            "width": WIDTH,
            "height": 4,
            "properties": {"title": "Alarms", "alarms": sorted(names.alarm_arn(a) for a in alarms)},
        },
    ]
    for widget in widgets:
        if widget["type"] in ("metric", "alarm"):
            widget["properties"]["region"] = names.region
    return {"start": "-PT6H", "periodOverride": "inherit", "widgets": widgets}


def stack_names(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """Logical id -> physical id of every resource of the deployed stack."""
    found: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            if "PhysicalResourceId" in resource:
                found[resource["LogicalResourceId"]] = resource["PhysicalResourceId"]
    return found


def stage_of(cloudformation: Any, stack_name: str) -> str:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    for parameter in stack.get("Parameters", []):
        if parameter["ParameterKey"] == "Stage":
            return str(parameter["ParameterValue"])
    return "dev"


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--region")
    parser.add_argument("--template", type=Path, default=HERE.parent / "template.yaml")
    parser.add_argument("--publish", action="store_true", help="put the dashboard into CloudWatch")
    args = parser.parse_args(argv)

    session = boto3.session.Session(region_name=args.region)
    cloudformation = session.client("cloudformation")
    account = session.client("sts").get_caller_identity()["Account"]
    names = Names(stack_names(cloudformation, args.stack_name), session.region_name, account)
    dashboard = body(Template.load(args.template), names, stage_of(cloudformation, args.stack_name))
    print(json.dumps(dashboard, indent=2))
    if args.publish:
        session.client("cloudwatch").put_dashboard(DashboardName=args.stack_name, DashboardBody=json.dumps(dashboard))
        print(f"published dashboard {args.stack_name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
