"""Bad input never yields a 5xx: hostile JSON, unbounded ids, unknown fields, a throttled guard."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from faults import Faults  # type: ignore[import-not-found]
from ingest_support import Flagger  # type: ignore[import-not-found]

from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost_local.harness import InProcessStack, Reply

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


# ------------------------------------------------- found by an outsider's attack (2026-11-30)


def test_a_time_outside_what_utc_can_hold_is_one_invalid_report_and_the_rest_land(local_aws: InProcessStack) -> None:
    """0001-01-01T00:00:00+01:00 is before year 1 in UTC: converting it crashed the landing after the
    first 40 reports of the batch had been written (500, and the retry 500 forever)."""
    flagger = Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "F"))
    base = {"url": "https://t.me/many_reports", "category": "threat", "description": "d"}
    for odd in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1899-01-01T00:00:00Z"):
        reports = [base] * 40 + [{**base, "observed_at": odd}] + [base] * 3
        reply = flagger.submit(reports)
        assert reply.status == 202, reply.body
        results = reply.json()["results"]
        assert results[40]["status"] == "invalid"
        assert results[40]["errors"][0]["loc"] == ["observed_at"]
        assert [r["status"] for r in results[:40] + results[41:]].count("invalid") == 0


def test_content_types_other_than_json_get_a_problem_415(local_aws: InProcessStack, keys: dict[str, Any]) -> None:
    for media in ("application/merge-patch+json", "application/vnd.api+json", "text/plain", "application/xml"):
        reply = local_aws.http(
            "POST",
            "/v1/review/claim",
            body=b"{}",
            headers={"authorization": f"Bearer {keys['reviewer'].api_key}", "content-type": media},
        )
        assert_problem(reply, 415)


def test_duplicate_keys_are_refused_not_resolved(local_aws: InProcessStack, keys: dict[str, Any]) -> None:
    flagger = Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "F"))
    body = (
        b'{"reports": [{"url": "https://t.me/a", "url": "https://t.me/b", "category": "threat", "description": "d"}]}'
    )
    assert_problem(flagger.submit(body=body), 400)
    assert_problem(
        send(
            local_aws,
            keys["reviewer"].api_key,
            "POST",
            "/v1/review/claim",
            b'{"queue": "default", "queue": "escalated"}',
        ),
        400,
    )


def _signed_by_hand(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """A Standard Webhooks v1 signature over exactly these header values."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@pytest.mark.parametrize("timestamp", ["+{now}", "{now}.999", " {now}", "{now}e0", "0x10"])
def test_webhook_timestamps_are_plain_integers(local_aws: InProcessStack, timestamp: str) -> None:
    """Signed correctly over an odd form of the time: the form alone is refused."""
    creds = local_aws.principals().create(Role.FLAGGER, "F")
    body = b'{"reports": [{"url": "https://t.me/ts", "category": "threat", "description": "d"}]}'
    stamp = timestamp.format(now=int(time.time()))
    headers = {
        "webhook-id": "msg_ts",
        "webhook-timestamp": stamp,
        "webhook-signature": _signed_by_hand(creds.secret or "", "msg_ts", stamp, body),
    }
    reply = local_aws.http("POST", f"/v1/flaggers/{creds.principal.id}/reports", body=body, headers=headers)
    assert reply.status == 401
    plain = str(int(time.time()))
    headers |= {
        "webhook-timestamp": plain,
        "webhook-signature": _signed_by_hand(creds.secret or "", "msg_ts", plain, body),
    }
    assert (
        local_aws.http("POST", f"/v1/flaggers/{creds.principal.id}/reports", body=body, headers=headers).status == 202
    )


@pytest.mark.parametrize(
    "body",
    [
        {"role": "platform", "name": "P", "platform_ids": ["web"]},
        {"role": "platform", "name": "P", "platform_ids": ["\x00"]},
        {"role": "platform", "name": "P", "platform_ids": ["x" * 10_000]},
        {"role": "platform", "name": "P", "platform_ids": ["Tele gram"]},
        {"role": "flagger", "name": "Org\u202eevil"},
        {"role": "flagger", "name": "nul\x00name"},
        {"role": "flagger", "name": "   "},
        {"role": "platform", "name": "P", "endpoint": "https://a..b/hook"},
        {"role": "platform", "name": "P", "endpoint": f"https://{'a' * 64}.example/hook"},
        {"role": "platform", "name": "P", "endpoint": "https://-bad.example/hook"},
    ],
)
def test_principal_fields_are_validated(local_aws: InProcessStack, keys: dict[str, Any], body: dict[str, Any]) -> None:
    assert_problem(
        send(local_aws, keys["admin"].api_key, "POST", "/v1/admin/principals", json.dumps(body).encode()), 422
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/admin/principals/{id}/rotate"),
        ("DELETE", "/v1/admin/principals/{id}"),
        ("POST", "/v1/admin/platforms/{id}/redeliver"),
    ],
)
def test_routes_without_a_body_refuse_unknown_fields_and_do_nothing(
    local_aws: InProcessStack, keys: dict[str, Any], method: str, path: str
) -> None:
    target = keys["platform"].principal.id
    problem = assert_problem(send(local_aws, keys["admin"].api_key, method, path.format(id=target), b'{"zzz": 1}'), 422)
    assert any("zzz" in e["msg"] for e in problem["errors"])
    listed = send(local_aws, keys["admin"].api_key, "GET", "/v1/admin/principals").json()["principals"]
    assert {p["id"]: p["status"] for p in listed}[target] == "active"
