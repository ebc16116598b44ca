"""GET /v1/health, GET /v1/openapi.json and unmatched routes, through the template's routing."""

from __future__ import annotations

import json

from flagpost.domain.models.principal import Role
from flagpost_local.harness import InProcessStack


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


def test_bodies_that_are_not_json_get_415_and_non_utf8_json_gets_400(local_aws: InProcessStack) -> None:
    key = local_aws.principals().create(Role.REVIEWER, "r").api_key
    auth = {"authorization": f"Bearer {key}"}
    for media in ("multipart/form-data", "application/x-www-form-urlencoded", "text/plain"):
        reply = local_aws.http(
            "POST", "/v1/review/claim", body=b'{"queue": "default"}', headers={**auth, "content-type": media}
        )
        assert reply.status == 415, media
        assert reply.headers["content-type"] == "application/problem+json"
    garbled = local_aws.http(
        "POST", "/v1/review/claim", body=b"\xff\xfe\x00{", headers={**auth, "content-type": "application/json"}
    )
    assert garbled.status == 400
    assert garbled.headers["content-type"] == "application/problem+json"


def test_any_http_method_is_routed_never_a_gateway_error(local_aws: InProcessStack) -> None:
    assert local_aws.http("TRACE", "/v1/admin/principals").status == 404
