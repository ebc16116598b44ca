"""The local event-source runner delivers SQS and DynamoDB-stream batches with Lambda's failure semantics.

These tests use a small template of their own so that the mechanism is exercised on its own terms;
the product's template gets the same runner in `flagpost local`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from waiting import wait_until  # type: ignore[import-not-found]

from flagpost_local.event_sources import start_event_sources
from flagpost_local.provision import provision
from flagpost_local.runtime import FunctionRuntime
from flagpost_local.stack import LOCAL_PARAMETERS
from flagpost_local.template import Template

BODY: dict[str, Any] = {
    "Resources": {
        "Work": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": 1,
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["WorkDlq", "Arn"]}, "maxReceiveCount": 2},
            },
        },
        "WorkDlq": {"Type": "AWS::SQS::Queue"},
        "Things": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
            },
        },
        "Worker": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "unused/",
                "Handler": "handler.lambda_handler",
                "Events": {
                    "Jobs": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": {"Fn::GetAtt": ["Work", "Arn"]},
                            "BatchSize": 10,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        },
                    }
                },
            },
        },
        "Watcher": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "unused/",
                "Handler": "handler.lambda_handler",
                "Events": {
                    "Changes": {
                        "Type": "DynamoDB",
                        "Properties": {
                            "Stream": {"Fn::GetAtt": ["Things", "StreamArn"]},
                            "StartingPosition": "TRIM_HORIZON",
                            "BatchSize": 4,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        },
                    }
                },
            },
        },
    }
}


class Runner:
    def __init__(self, template: Template, session: boto3.session.Session) -> None:
        self.template = template
        self.session = session
        self.stack = provision(template, session, stack_name="runner-test", parameters=LOCAL_PARAMETERS)
        self.runtime = FunctionRuntime(template, "eu-west-1", log_stream=open("/dev/null", "w"))  # noqa: SIM115
        self.stop = threading.Event()

    def start(self) -> None:
        start_event_sources(self.template, self.stack, self.runtime, self.session, self.stop, pollers_per_queue=1)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> Iterator[Runner]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "test")
    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        r = Runner(Template.from_dict(BODY, root=Path()), session)
        yield r
        r.stop.set()


def test_sqs_partial_failures_are_retried_and_poison_messages_reach_the_dlq(runner: Runner) -> None:
    seen: Counter[str] = Counter()
    batch_sizes: list[int] = []

    def worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert context.get_remaining_time_in_millis() > 0
        batch_sizes.append(len(event["Records"]))
        failures = []
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs"
            seen[record["body"]] += 1
            body = record["body"]
            if body == "poison" or (body == "flaky" and seen[body] == 1):
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    runner.runtime.override("Worker", worker)
    sqs = runner.session.client("sqs")
    work, dlq = runner.stack.physical("Work"), runner.stack.physical("WorkDlq")
    bodies = [f"ok-{i}" for i in range(12)] + ["flaky", "poison"]
    for body in bodies:
        sqs.send_message(QueueUrl=work, MessageBody=body)
    runner.start()

    def dlq_messages() -> list[str]:
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=30)
        return [m["Body"] for m in got.get("Messages", [])]

    in_dlq: list[str] = []

    def poison_arrived() -> bool:
        in_dlq.extend(dlq_messages())
        return bool(in_dlq)

    wait_until(poison_arrived)
    wait_until(lambda: seen["flaky"] == 2)
    assert in_dlq == ["poison"]
    assert all(seen[f"ok-{i}"] == 1 for i in range(12)), "successful messages were deleted, never redelivered"
    assert seen["poison"] == 2, "maxReceiveCount deliveries, then the DLQ"
    assert max(batch_sizes) > 1, "messages arrive in batches"
    assert max(batch_sizes) <= 10


def test_sqs_handler_crash_fails_the_whole_batch_which_is_redelivered(runner: Runner) -> None:
    calls: list[list[str]] = []

    def worker(event: dict[str, Any], context: Any) -> None:
        calls.append([r["body"] for r in event["Records"]])
        if len(calls) == 1:
            raise RuntimeError("crash mid-batch")

    runner.runtime.override("Worker", worker)
    sqs = runner.session.client("sqs")
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=runner.stack.physical("Work"), MessageBody=body)
    runner.start()
    wait_until(lambda: sum(len(c) for c in calls) >= 4)
    delivered = Counter(b for c in calls for b in c)
    assert delivered == {"a": 2, "b": 2}


def test_stream_records_arrive_in_order_and_retry_from_the_first_failure(runner: Runner) -> None:
    seen: list[str] = []
    failed_once: set[str] = set()

    def watcher(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            key = record["dynamodb"]["Keys"]["pk"]["S"]
            if key == "k3" and key not in failed_once:
                failed_once.add(key)
                return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
            seen.append(key)
        return {"batchItemFailures": []}

    runner.runtime.override("Watcher", watcher)
    dynamodb = runner.session.client("dynamodb")
    for i in range(7):
        dynamodb.put_item(TableName=runner.stack.physical("Things"), Item={"pk": {"S": f"k{i}"}})
    runner.start()
    wait_until(lambda: len(seen) >= 7)
    assert seen == [f"k{i}" for i in range(7)], "in order, each once: the retry resumes at the failed record"
