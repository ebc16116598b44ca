"""Reading template.yaml: globals merge as SAM merges them; routes and event sources are found."""

from __future__ import annotations

from pathlib import Path

import pytest

from flagpost_local.template import Template

BODY = {
    "Globals": {
        "Function": {
            "Timeout": 10,
            "MemorySize": 512,
            "Environment": {"Variables": {"A": "global", "B": {"Ref": "Stage"}}},
        }
    },
    "Resources": {
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/fn/",
                "Handler": "handler.lambda_handler",
                "Timeout": 30,
                "Environment": {"Variables": {"A": "mine", "C": "extra"}},
                "Events": {
                    "Get": {"Type": "HttpApi", "Properties": {"Method": "get", "Path": "/v1/x/{id}"}},
                    "Q": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": {"Fn::GetAtt": ["Q", "Arn"]},
                            "BatchSize": 25,
                            "MaximumBatchingWindowInSeconds": 2,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        },
                    },
                    "S": {"Type": "DynamoDB", "Properties": {"Stream": "arn", "StartingPosition": "TRIM_HORIZON"}},
                },
            },
        },
        "T": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    },
}


def test_function_properties_override_globals_and_maps_merge() -> None:
    spec = Template.from_dict(BODY, root=Path("/repo")).function("Fn")
    assert spec.timeout_s == 30
    assert spec.memory_mb == 512
    assert spec.environment == {"A": "mine", "B": {"Ref": "Stage"}, "C": "extra"}
    assert spec.handler_file == "functions/fn/handler.py"
    assert spec.handler_function == "lambda_handler"


def test_events_become_routes_queue_and_stream_sources() -> None:
    spec = Template.from_dict(BODY, root=Path("/repo")).function("Fn")
    assert [r.route_key for r in spec.routes] == ["GET /v1/x/{id}"]
    (queue,) = spec.queues
    assert (queue.batch_size, queue.max_batching_window_s, queue.report_batch_item_failures) == (25, 2, True)
    (stream,) = spec.streams
    assert (stream.batch_size, stream.starting_position, stream.report_batch_item_failures) == (
        100,
        "TRIM_HORIZON",
        False,
    )
    assert stream.max_retry_attempts == -1


def _with_event(event: dict[str, object]) -> dict[str, object]:
    return {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "x", "Handler": "h.f", "Events": {"E": event}},
            }
        }
    }


def test_unsupported_event_types_are_refused_loudly() -> None:
    with pytest.raises(ValueError, match="does not emulate S3"):
        Template.from_dict(_with_event({"Type": "S3"}), root=Path())


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("rate(1 day)", 86400)],
)
def test_rate_schedules_are_read(expression: str, seconds: int) -> None:
    body = _with_event({"Type": "Schedule", "Properties": {"Schedule": expression}})
    (schedule,) = Template.from_dict(body, root=Path()).function("Fn").schedules
    assert (schedule.name, schedule.expression, schedule.every_s) == ("E", expression, seconds)


@pytest.mark.parametrize("expression", ["cron(0 * * * ? *)", "rate(0 minutes)", "rate(1 fortnight)", "every minute"])
def test_schedules_the_local_stack_cannot_keep_are_refused(expression: str) -> None:
    body = _with_event({"Type": "Schedule", "Properties": {"Schedule": expression}})
    with pytest.raises(ValueError, match=r"rate\(\.\.\.\) schedules only|never runs"):
        Template.from_dict(body, root=Path())


def test_a_disabled_schedule_is_not_run() -> None:
    for disabled in ({"Enabled": False}, {"State": "DISABLED"}):
        body = _with_event({"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)", **disabled}})
        assert Template.from_dict(body, root=Path()).function("Fn").schedules == ()


def test_a_route_declared_twice_is_an_error() -> None:
    route = {"Type": "HttpApi", "Properties": {"Method": "GET", "Path": "/a"}}
    fn = {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "x", "Handler": "h.f", "Events": {"R": route}}}
    template = Template.from_dict({"Resources": {"A": fn, "B": fn}}, root=Path())
    with pytest.raises(ValueError, match="declared twice"):
        _ = template.routes


def test_the_product_template_parses_and_every_handler_file_exists(template: Template) -> None:
    assert template.functions
    for spec in template.functions:
        assert (template.root / spec.handler_file).is_file(), spec.logical_id
