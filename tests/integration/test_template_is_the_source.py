"""The resources, routes and configuration the stack runs on are exactly those template.yaml declares."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flagpost.adapters.http.app import openapi_json
from flagpost_local.harness import InProcessStack
from flagpost_local.runtime import merged_environment


def _resolve(expr: Any, local_aws: InProcessStack) -> Any:
    """Resolve the few intrinsics resource properties use, by the physical ids the stack reports."""
    if isinstance(expr, dict) and "Ref" in expr:
        return local_aws.stack.physical(expr["Ref"])
    if isinstance(expr, dict) and "Fn::GetAtt" in expr:
        logical, attribute = expr["Fn::GetAtt"]
        assert attribute == "Arn"
        return logical
    return expr


def test_every_declared_table_exists_with_its_keys_indexes_stream_and_ttl(local_aws: InProcessStack) -> None:
    dynamodb = local_aws.client("dynamodb")
    tables = local_aws.template.resources_of_type("AWS::DynamoDB::Table")
    assert tables, "the template declares tables"
    for logical_id, resource in tables.items():
        props = resource["Properties"]
        described = dynamodb.describe_table(TableName=local_aws.stack.physical(logical_id))["Table"]
        assert described["KeySchema"] == props["KeySchema"], logical_id
        assert sorted(described["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
            props["AttributeDefinitions"], key=lambda a: a["AttributeName"]
        )
        declared_gsis = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        actual_gsis = {g["IndexName"]: g for g in described.get("GlobalSecondaryIndexes", [])}
        assert set(actual_gsis) == set(declared_gsis), logical_id
        for name, gsi in declared_gsis.items():
            assert actual_gsis[name]["KeySchema"] == gsi["KeySchema"]
            assert actual_gsis[name]["Projection"]["ProjectionType"] == gsi["Projection"]["ProjectionType"]
        if "StreamSpecification" in props:
            assert described["StreamSpecification"] == {
                "StreamEnabled": True,
                "StreamViewType": props["StreamSpecification"]["StreamViewType"],
            }
        else:
            assert not described.get("StreamSpecification", {}).get("StreamEnabled")
        ttl = dynamodb.describe_time_to_live(TableName=described["TableName"])["TimeToLiveDescription"]
        if props.get("TimeToLiveSpecification", {}).get("Enabled"):
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_every_declared_queue_exists_with_its_timeouts_and_redrive(local_aws: InProcessStack) -> None:
    sqs = local_aws.client("sqs")
    for logical_id, resource in local_aws.template.resources_of_type("AWS::SQS::Queue").items():
        props = resource.get("Properties", {})
        url = local_aws.stack.physical(logical_id)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if "VisibilityTimeout" in props:
            assert int(attributes["VisibilityTimeout"]) == int(props["VisibilityTimeout"]), logical_id
        if "MessageRetentionPeriod" in props:
            assert int(attributes["MessageRetentionPeriod"]) == int(props["MessageRetentionPeriod"])
        if "RedrivePolicy" in props:
            redrive = json.loads(attributes["RedrivePolicy"])
            dlq_logical = _resolve(props["RedrivePolicy"]["deadLetterTargetArn"], local_aws)
            dlq_url = local_aws.stack.physical(dlq_logical)
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            assert redrive["deadLetterTargetArn"] == dlq_arn
            assert int(redrive["maxReceiveCount"]) == int(props["RedrivePolicy"]["maxReceiveCount"])


def test_function_environment_names_the_provisioned_resources(local_aws: InProcessStack) -> None:
    env = merged_environment(local_aws.stack.function_env)
    for spec in local_aws.template.functions:
        for name, expr in spec.environment.items():
            if isinstance(expr, dict) and set(expr) == {"Ref"} and expr["Ref"] in local_aws.template.resources:
                assert env[name] == local_aws.stack.physical(expr["Ref"]), name
    assert env["FLAGPOST_STAGE"] == "local"


def test_every_template_route_is_served_by_its_function_and_nothing_else(local_aws: InProcessStack) -> None:
    for spec in local_aws.template.functions:
        if not spec.routes:
            continue
        app = local_aws.runtime.module(spec.logical_id).app
        served = {(r.method, r.openapi_path) for r in app._static_routes + app._dynamic_routes}
        declared = {(r.method, r.path) for r in spec.routes if "+}" not in r.path}
        assert served == declared, spec.logical_id


def test_only_one_function_catches_unmatched_routes(local_aws: InProcessStack) -> None:
    catch_alls = [r for spec in local_aws.template.functions for r in spec.routes if "+}" in r.path]
    assert [r.route_key for r in catch_alls] == ["ANY /{proxy+}"]


def test_committed_openapi_document_matches_the_generated_one(repo: Any) -> None:
    committed = json.loads((repo / "docs" / "openapi.json").read_text())
    generated = json.loads(openapi_json())
    assert committed == generated, "docs/openapi.json is stale: run `make openapi` and commit it"


@pytest.mark.parametrize("path", ["/v1/health", "/v1/openapi.json"])
def test_routes_answer_through_the_gateway(local_aws: InProcessStack, path: str) -> None:
    assert local_aws.http("GET", path).status == 200
