"""Admin principal routes: who may call them, what they create, rotation and revocation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from clocks import Clock  # type: ignore[import-not-found]
from ingest_support import Flagger  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.domain.models.principal import Role
from flagpost.wiring import principal_store
from flagpost_local.harness import InProcessStack


@pytest.fixture
def admin_key(local_aws: InProcessStack) -> str:
    return local_aws.principals().create(Role.ADMIN, "root").api_key


def call(stack: InProcessStack, key: str | None, method: str, path: str, body: Any = None) -> Any:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return stack.http(method, path, json_body=body, headers=headers)


@pytest.mark.parametrize("role", [Role.FLAGGER, Role.REVIEWER, Role.PLATFORM])
def test_only_admins_reach_admin_routes(local_aws: InProcessStack, role: Role) -> None:
    key = local_aws.principals().create(role, "x").api_key
    for method, path in [
        ("GET", "/v1/admin/principals"),
        ("POST", "/v1/admin/principals"),
        ("POST", "/v1/admin/principals/p/rotate"),
        ("DELETE", "/v1/admin/principals/p"),
    ]:
        body = {"role": "reviewer", "name": "n"} if method == "POST" else None
        assert call(local_aws, key, method, path, body).status == 403, (role, method, path)
        assert call(local_aws, None, method, path, body).status == 401
        assert call(local_aws, "fpk_nope", method, path, body).status == 401


def test_create_shows_key_and_secret_once_and_listing_never(local_aws: InProcessStack, admin_key: str) -> None:
    created = call(
        local_aws,
        admin_key,
        "POST",
        "/v1/admin/principals",
        {
            "role": "platform",
            "name": "Telegram",
            "domains": ["T.me", "telegram.me."],
            "platform_ids": ["Telegram"],
            "endpoint": "http://127.0.0.1:9/hook",
        },
    )
    assert created.status == 201
    out = created.json()
    assert out["api_key"].startswith("fpk_")
    assert out["secret"].startswith("whsec_")
    assert out["domains"] == ["t.me", "telegram.me"]
    assert out["platform_ids"] == ["telegram"]
    listing = call(local_aws, admin_key, "GET", "/v1/admin/principals")
    assert listing.status == 200
    text = json.dumps(listing.json())
    assert out["api_key"] not in text
    assert out["secret"] not in text
    assert "api_key" not in text
    assert out["id"] in text


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"role": "platform", "name": "P", "endpoint": "http://example.org/hook"}, "endpoint"),
        ({"role": "platform", "name": "P", "endpoint": "https://169.254.169.254/latest"}, "endpoint"),
        ({"role": "platform", "name": "P", "endpoint": "https://10.1.2.3/x"}, "endpoint"),
        ({"role": "reviewer", "name": "R", "domains": ["t.me"]}, None),
        ({"role": "platform", "name": "P", "domains": ["not a domain"]}, None),
        ({"role": "superuser", "name": "S"}, "role"),
        ({"role": "flagger", "name": ""}, "name"),
        # What is stored is exactly what was checked: no cleaning of what urlsplit would drop.
        ({"role": "platform", "name": "P", "endpoint": "https://example.org/\thook"}, "endpoint"),
        ({"role": "platform", "name": "P", "endpoint": "https://example.org/hook\r\n"}, "endpoint"),
        ({"role": "platform", "name": "P", "endpoint": " https://example.org/hook"}, "endpoint"),
        # IPv4 inside IPv6: 6to4, Teredo and NAT64 forms of the metadata address.
        ({"role": "platform", "name": "P", "endpoint": "https://[2002:a9fe:a9fe::]/"}, "endpoint"),
        ({"role": "platform", "name": "P", "endpoint": "https://[2001:0:4136:e378:8000:63bf:56fe:5601]/"}, "endpoint"),
        ({"role": "platform", "name": "P", "endpoint": "https://[64:ff9b::a9fe:a9fe]/"}, "endpoint"),
        ({"role": "platform", "name": "P", "endpoint": "https://0xa9fea9fe/"}, "endpoint"),
        # A misspelt field is refused, not dropped: a platform that can never be pushed to is no use.
        ({"role": "platform", "name": "P", "endpiont": "https://example.org/hook"}, "endpiont"),
        ({"role": "flagger", "name": "F", "extra": 1}, "extra"),
    ],
)
def test_bad_principals_get_422(
    local_aws: InProcessStack, admin_key: str, body: dict[str, Any], loc: str | None
) -> None:
    reply = call(local_aws, admin_key, "POST", "/v1/admin/principals", body)
    assert reply.status == 422
    problem = reply.json()
    assert problem["errors"]
    if loc:
        assert any(loc in e["loc"] for e in problem["errors"])
    if loc in ("endpiont", "extra"):
        assert any(loc in e["msg"] for e in problem["errors"]), "the message names the unknown field"
    listed = call(local_aws, admin_key, "GET", "/v1/admin/principals").json()["principals"]
    assert all(p["name"] != body.get("name") or p["role"] == "admin" for p in listed), "nothing was created"


def test_rotate_then_revoke(local_aws: InProcessStack, admin_key: str) -> None:
    created = call(local_aws, admin_key, "POST", "/v1/admin/principals", {"role": "reviewer", "name": "R"}).json()
    rotated = call(local_aws, admin_key, "POST", f"/v1/admin/principals/{created['id']}/rotate")
    assert rotated.status == 200
    assert rotated.json()["api_key"] != created["api_key"]
    assert "previous_valid_until" not in created or created["previous_valid_until"] is None
    assert rotated.json()["previous_valid_until"], "the answer says until when the old key works"
    # Both keys work during the overlap.
    for key in (created["api_key"], rotated.json()["api_key"]):
        assert call(local_aws, key, "GET", "/v1/admin/principals").status == 403  # authenticated, wrong role
    assert call(local_aws, admin_key, "DELETE", f"/v1/admin/principals/{created['id']}").json() == {
        "id": created["id"],
        "status": "revoked",
    }
    lazy.reset()  # a fresh execution environment; warm ones forget within auth_cache_seconds (< 5 s)
    for key in (created["api_key"], rotated.json()["api_key"]):
        assert call(local_aws, key, "GET", "/v1/admin/principals").status == 401
    assert call(local_aws, admin_key, "POST", f"/v1/admin/principals/{created['id']}/rotate").status == 404
    assert call(local_aws, admin_key, "DELETE", "/v1/admin/principals/rev_000000000000").status == 404


def test_revocation_bites_a_warm_environment_within_five_seconds(
    local_aws: InProcessStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract: revocation takes effect within 5 seconds. Another execution environment (the admin
    function's) revokes a flagger that this warm one holds in memory; on a clock the test moves, 5 s
    after the revocation its signed submissions and its API key are refused here too."""
    clock = Clock()
    store = principal_store()  # this environment's principals and their cache, behind ingest and auth
    monkeypatch.setattr(store, "_clock", clock)
    flagger = Flagger(local_aws, local_aws.principals().create(Role.FLAGGER, "F"))
    report = {"url": "https://example.org/revoked", "category": "threat", "description": "d"}
    accepted = flagger.submit([report])
    assert accepted.status == 202
    report_id = accepted.json()["results"][0]["report_id"]
    assert flagger.get_report(report_id).status == 200
    local_aws.principals().revoke(flagger.id)  # through a store of its own: another environment
    clock.advance(5.0)
    assert flagger.submit([report]).status == 401
    assert flagger.get_report(report_id).status == 401


def test_an_admin_cannot_revoke_itself(local_aws: InProcessStack) -> None:
    admin = local_aws.principals().create(Role.ADMIN, "root")
    reply = call(local_aws, admin.api_key, "DELETE", f"/v1/admin/principals/{admin.principal.id}")
    assert reply.status == 422
