"""Every route declared in template.yaml x every role: who gets in, who gets 401, who gets 403."""

from __future__ import annotations

from typing import Any

import pytest

from flagpost import lazy
from flagpost.domain.models.principal import Role
from flagpost_local.harness import InProcessStack

# Route prefixes -> the one role admitted (None: open to everyone, "signed": Standard Webhooks only).
OWNERS: list[tuple[str, str | None]] = [
    ("/v1/health", None),
    ("/v1/openapi.json", None),
    ("/console", None),
    ("/v1/flaggers/", "signed"),
    ("/v1/reports/", "flagger"),
    ("/v1/review/", "reviewer"),
    ("/v1/feed", "platform"),
    ("/v1/admin/", "admin"),
    ("/v1/stats", "admin"),
]
IDENTITIES = ["none", "flagger", "reviewer", "platform", "admin", "revoked"]
BODIES: dict[str, Any] = {"POST": {}, "DELETE": None, "GET": None}


def owner(path: str) -> str | None:
    for prefix, role in OWNERS:
        if path.startswith(prefix):
            return role
    raise AssertionError(f"{path} has no declared owner: add it to OWNERS")


@pytest.fixture
def keys(local_aws: InProcessStack) -> dict[str, str]:
    store = local_aws.principals()
    made = {role.value: store.create(role, role.value).api_key for role in Role}
    revoked = store.create(Role.ADMIN, "gone")
    store.revoke(revoked.principal.id)
    made["revoked"] = revoked.api_key
    lazy.reset()
    return made


def test_every_route_admits_exactly_its_role(local_aws: InProcessStack, keys: dict[str, str]) -> None:
    routes = [r for spec in local_aws.template.functions for r in spec.routes if "+}" not in r.path]
    assert len(routes) >= 19
    failures: list[str] = []
    for route in routes:
        path = route.path.replace("{", "x").replace("}", "")  # ids that do not exist
        role = owner(route.path)
        for identity in IDENTITIES:
            headers = {} if identity == "none" else {"authorization": f"Bearer {keys[identity]}"}
            reply = local_aws.http(route.method, path, json_body=BODIES.get(route.method), headers=headers)
            if role is None:
                ok = reply.status < 400
            elif role == "signed":
                ok = reply.status == 401  # a bearer key is not a signature, whoever holds it
            elif identity in ("none", "revoked"):
                ok = reply.status == 401 and reply.headers.get("www-authenticate", "").startswith("Bearer")
            elif identity == role:
                ok = reply.status not in (401, 403) and reply.status < 500
            else:
                ok = reply.status == 403
            if not ok or reply.status >= 500:
                failures.append(f"{route.route_key} as {identity}: {reply.status}")
            if reply.status >= 400:
                assert reply.headers["content-type"] == "application/problem+json", route.route_key
    assert failures == [], "\n".join(failures)
