"""Bad input never yields a 5xx: hostile JSON, unbounded ids, unknown fields, a throttled guard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from faults import Faults  # type: ignore[import-not-found]
from flagpost_local.harness import InProcessStack, Reply
from ingest_support import Flagger  # type: ignore[import-not-found]

from flagpost.principals.models import IssuedCredentials, Role

DEEP = b'{"a":' * 5000 + b"1" + b"}" * 5000
DEEP_LIST = b"[" * 5000 + b"]" * 5000
HUGE_INT = (
    b'{"reports": [{"url": "https://t.me/x", "category": "threat", "description": "d", "external_id": '
    + (b"9" * 5000)
    + b"}]}"
)


@pytest.fixture
def keys(local_aws: InProcessStack) -> dict[str, IssuedCredentials]:
    principals = local_aws.principals()
    return {
        "admin": principals.create(Role.ADMIN, "A"),
        "reviewer": principals.create(Role.REVIEWER, "R"),
        "platform": principals.create(Role.PLATFORM, "P", platform_ids=["telegram"]),
        "flagger": principals.create(Role.FLAGGER, "F"),
    }


def send(stack: InProcessStack, key: str, method: str, path: str, body: bytes | None = None) -> Reply:
    return stack.http(
        method, path, body=body, headers={"authorization": f"Bearer {key}", "content-type": "application/json"}
    )


def assert_problem(reply: Reply, *statuses: int) -> dict[str, Any]:
    assert reply.status in statuses, (reply.status, reply.body[:300])
    assert reply.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = reply.json()
    assert problem["status"] == reply.status
    assert {"title", "detail"} <= set(problem)
    return problem


# Every route that takes a JSON body, and the role that may call it.
BODY_ROUTES = [
    ("reviewer", "POST", "/v1/review/claim"),
    ("reviewer", "POST", "/v1/review/items/itm_0123456789abcdef01234567/decision"),
    ("reviewer", "POST", "/v1/review/items/itm_0123456789abcdef01234567/lease"),
    ("reviewer", "POST", "/v1/review/items/itm_0123456789abcdef01234567/retract"),
    ("admin", "POST", "/v1/admin/principals"),
    ("platform", "POST", "/v1/feed/items/itm_0123456789abcdef01234567/outcome"),
]


@pytest.mark.parametrize(("role", "method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        DEEP_LIST,
        b'{"name": ' + b"1" * 5000 + b"}",
        b'{"name": 1e999999}',
        b'{"name": NaN}',
        b'{"name": -Infinity}',
        b'{"queue": "default", "pad": "' + b"\\" * 4 + b'"' + b"[" * 40 + b"}",
    ],
    ids=["deep-object", "deep-array", "huge-int", "huge-float", "nan", "infinity", "brackets-in-a-string"],
)
def test_hostile_json_is_a_4xx_on_every_json_route(
    local_aws: InProcessStack, keys: dict[str, IssuedCredentials], role: str, method: str, path: str, body: bytes
) -> None:
    assert_problem(send(local_aws, keys[role].api_key, method, path, body), 400, 422)


@pytest.mark.parametrize("body", [DEEP, DEEP_LIST, HUGE_INT, b'{"reports": [NaN]}'])
def test_hostile_json_is_a_4xx_on_the_signed_route(local_aws: InProcessStack, body: bytes) -> None:
    flagger = Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "F"))
    problem = assert_problem(flagger.submit(body=body), 400, 422)
    assert "Traceback" not in json.dumps(problem)


def test_a_huge_number_as_a_principal_name_is_refused(local_aws: InProcessStack, keys: dict[str, Any]) -> None:
    body = b'{"role": "flagger", "name": ' + b"7" * 4400 + b"}"
    assert_problem(send(local_aws, keys["admin"].api_key, "POST", "/v1/admin/principals", body), 400, 422)


LONG = "i" * 3000
PATH_ROUTES = [
    ("reviewer", "GET", f"/v1/review/items/{LONG}", None),
    ("reviewer", "POST", f"/v1/review/items/{LONG}/decision", {"lease_id": "l", "decision": "escalate"}),
    ("reviewer", "POST", f"/v1/review/items/{LONG}/lease", {"lease_id": "l", "action": "renew"}),
    ("reviewer", "POST", f"/v1/review/items/{LONG}/retract", {"reason": "r"}),
    ("admin", "POST", f"/v1/admin/principals/{LONG}/rotate", None),
    ("admin", "DELETE", f"/v1/admin/principals/{LONG}", None),
    ("admin", "POST", f"/v1/admin/platforms/{LONG}/redeliver", None),
    ("platform", "POST", f"/v1/feed/items/{LONG}/outcome", {"outcome": "removed"}),
    ("flagger", "GET", f"/v1/reports/{LONG}", None),
]


@pytest.mark.parametrize(("role", "method", "path", "body"), PATH_ROUTES)
def test_path_ids_are_bounded_and_patterned(
    local_aws: InProcessStack, keys: dict[str, IssuedCredentials], role: str, method: str, path: str, body: Any
) -> None:
    raw = json.dumps(body).encode() if body is not None else None
    problem = assert_problem(send(local_aws, keys[role].api_key, method, path, raw), 422)
    assert any(e["loc"][0] == "path" for e in problem["errors"])
    odd = path.replace(LONG, "itm_%2F..%2Fx" if "items" in path else "a b")
    assert send(local_aws, keys[role].api_key, method, odd, raw).status < 500


def test_the_signed_route_bounds_its_flagger_id(local_aws: InProcessStack) -> None:
    flagger = Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "F"))
    assert_problem(flagger.submit([{"url": "https://t.me/x"}], flagger_id="f" * 3000), 422)


def test_path_parameters_are_declared_with_pattern_and_bound_in_openapi(local_aws: InProcessStack) -> None:
    document = local_aws.http("GET", "/v1/openapi.json").json()
    seen = 0
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    seen += 1
                    schema = parameter["schema"]
                    assert schema.get("pattern"), (path, parameter["name"])
                    assert schema.get("maxLength"), (path, parameter["name"])
    assert seen >= 9


UNKNOWN_FIELDS = [
    ("reviewer", "POST", "/v1/review/claim", {"queue": "default", "qeue": "escalated"}, "qeue"),
    (
        "reviewer",
        "POST",
        "/v1/review/items/itm_0123456789abcdef01234567/decision",
        {"lease_id": "l", "decision": "reject", "reason": "out_of_scope", "notes": "x"},
        "notes",
    ),
    (
        "reviewer",
        "POST",
        "/v1/review/items/itm_0123456789abcdef01234567/lease",
        {"lease_id": "l", "action": "renew", "x": 1},
        "x",
    ),
    (
        "reviewer",
        "POST",
        "/v1/review/items/itm_0123456789abcdef01234567/retract",
        {"reason": "r", "reasons": "r"},
        "reasons",
    ),
    (
        "admin",
        "POST",
        "/v1/admin/principals",
        {"role": "platform", "name": "P", "endpiont": "https://e.org/"},
        "endpiont",
    ),
    (
        "platform",
        "POST",
        "/v1/feed/items/itm_0123456789abcdef01234567/outcome",
        {"outcome": "removed", "acted": "x"},
        "acted",
    ),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "field"), UNKNOWN_FIELDS)
def test_unknown_fields_are_refused_by_name(
    local_aws: InProcessStack,
    keys: dict[str, IssuedCredentials],
    role: str,
    method: str,
    path: str,
    body: Any,
    field: str,
) -> None:
    problem = assert_problem(send(local_aws, keys[role].api_key, method, path, json.dumps(body).encode()), 422)
    assert any(field in e["loc"] and field in e["msg"] for e in problem["errors"]), problem


def test_an_unknown_envelope_field_is_refused(local_aws: InProcessStack) -> None:
    flagger = Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "F"))
    body = {"reports": [{"url": "https://t.me/x", "category": "threat", "description": "d"}], "report": []}
    problem = assert_problem(flagger.submit(body=json.dumps(body).encode()), 422)
    assert any("report" in e["msg"] for e in problem["errors"])


def test_a_throttled_principal_lookup_in_the_guard_is_a_503_problem(
    local_aws: InProcessStack, keys: dict[str, IssuedCredentials]
) -> None:
    """The bearer guard runs before the resolver; its failures map to problems exactly as a route's do."""
    table = local_aws.stack.physical("PrincipalsTable")
    fresh = local_aws.principals().create(Role.REVIEWER, "Not cached yet")
    with Faults().throttle("dynamodb", 1.0, ["GetItem"], match=lambda p: p.get("TableName") == table):
        for method, path in [("GET", "/v1/review/items"), ("GET", "/v1/admin/principals"), ("GET", "/v1/feed")]:
            reply = send(local_aws, fresh.api_key, method, path)
            problem = assert_problem(reply, 503)
            assert reply.headers["retry-after"] == "1"
            assert "Internal" not in problem["detail"]
