"""GET /v1/health, GET /v1/openapi.json and unmatched routes, through the template's routing."""

from __future__ import annotations

import json

from flagpost.local.harness import InProcessStack


def test_health_answers_ok_without_auth(local_aws: InProcessStack) -> None:
    reply = local_aws.http("GET", "/v1/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}


def test_openapi_document_is_openapi_3_1_and_lists_every_route(local_aws: InProcessStack) -> None:
    reply = local_aws.http("GET", "/v1/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    document = reply.json()
    assert document["openapi"].startswith("3.1")
    declared = {
        (route.method.lower(), route.path)
        for spec in local_aws.template.functions
        for route in spec.routes
        if "+}" not in route.path
    }
    documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert documented == declared


def test_unmatched_path_is_a_problem_json_404(local_aws: InProcessStack) -> None:
    reply = local_aws.http("GET", "/v1/no/such/thing")
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == 404
    assert problem["title"] == "Not Found"
    assert problem["detail"]


def test_every_invocation_logs_one_json_line(local_aws: InProcessStack) -> None:
    local_aws.http("GET", "/v1/health")
    local_aws.http("GET", "/v1/nope")
    lines = [json.loads(line) for line in local_aws.logs.getvalue().splitlines()]
    invocations = [line for line in lines if line["message"] == "invocation"]
    assert [(i["function"], i["status_code"]) for i in invocations] == [("MetaFunction", 200), ("MetaFunction", 404)]
    assert all(i["request_id"] and i["duration_ms"] >= 0 for i in invocations)
