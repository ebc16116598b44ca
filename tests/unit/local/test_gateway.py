"""The local gateway builds payload-2.0 events and picks routes as API Gateway does."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from flagpost_local.gateway import compile_routes, http_event, match_route, response_from_result
from flagpost_local.template import Template


def _template(*routes: tuple[str, str]) -> Template:
    resources = {
        f"Fn{i}": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "x",
                "Handler": "h.f",
                "Events": {"R": {"Type": "HttpApi", "Properties": {"Method": m, "Path": p}}},
            },
        }
        for i, (m, p) in enumerate(routes)
    }
    return Template.from_dict({"Resources": resources}, root=Path())


ROUTES = compile_routes(
    _template(
        ("ANY", "/{proxy+}"),
        ("GET", "/v1/review/items/{item_id}"),
        ("GET", "/v1/review/items/stats"),
        ("POST", "/v1/review/items/{item_id}/decision"),
    )
)


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/v1/review/items/stats", "Fn2", {}),  # static beats a variable
        ("GET", "/v1/review/items/abc", "Fn1", {"item_id": "abc"}),
        ("GET", "/v1/review/items/a%2Fb", "Fn1", {"item_id": "a/b"}),
        ("POST", "/v1/review/items/i1/decision", "Fn3", {"item_id": "i1"}),
        ("DELETE", "/v1/review/items/abc", "Fn0", {"proxy": "v1/review/items/abc"}),  # method mismatch
        ("GET", "/anything/at/all", "Fn0", {"proxy": "anything/at/all"}),
    ],
)
def test_most_specific_route_wins(method: str, path: str, function: str, params: dict[str, str]) -> None:
    found = match_route(ROUTES, method, path)
    assert found is not None
    assert found[0].function == function
    assert found[1] == params


def test_no_route_no_match() -> None:
    assert match_route(compile_routes(_template(("GET", "/a"))), "GET", "/b") is None


def test_event_has_the_payload_v2_shape() -> None:
    event = http_event(
        "POST",
        "/v1/x",
        route_key="POST /v1/x",
        path_parameters={"id": "1"},
        raw_query="a=1&a=2&b=",
        headers=[("Content-Type", "application/json"), ("X-Multi", "1"), ("x-multi", "2"), ("Cookie", "s=1; t=2")],
        body=b'{"k": 1}',
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/x"
    assert event["headers"] == {"content-type": "application/json", "x-multi": "1,2"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["body"] == '{"k": 1}'
    assert event["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded() -> None:
    event = http_event("POST", "/", route_key="POST /", headers=[("content-type", "image/png")], body=b"\x89PNG\xff")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG\xff"


def test_undecodable_json_body_is_passed_base64_not_dropped() -> None:
    event = http_event("POST", "/", route_key="POST /", headers=[("content-type", "application/json")], body=b"\xff")
    assert event["isBase64Encoded"] is True


def test_response_conversion_follows_payload_v2_rules() -> None:
    bare = response_from_result({"hello": "world"})
    assert (bare.status, json.loads(bare.body)) == (200, {"hello": "world"})
    full = response_from_result(
        {
            "statusCode": 201,
            "headers": {"a": "1"},
            "cookies": ["c=1"],
            "body": base64.b64encode(b"x").decode(),
            "isBase64Encoded": True,
        }
    )
    assert full.status == 201
    assert ("a", "1") in full.headers
    assert ("set-cookie", "c=1") in full.headers
    assert full.body == b"x"
