"""Everything `flagpost local` and its functions print during a full run, from its first line: no key, secret,
signature or description (the demo credentials go to a file, whose path is printed)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import requests
from waiting import HANG_S, wait_until  # type: ignore[import-not-found]

from flagpost.domain.webhooks import sign
from flagpost_local.process import start_local
from flagpost_local.receiver import Receiver

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
DESCRIPTION = f"distinctive description {uuid.uuid4().hex} that must never reach a log"


def test_a_full_run_logs_no_credentials_signatures_or_descriptions(tmp_path: Path) -> None:
    stack = start_local(tmp_path, cwd=REPO, env={"POWERTOOLS_LOG_LEVEL": "DEBUG"})
    secrets: set[str] = set()
    hook: Receiver | None = None
    try:
        creds = stack.credentials
        for principal in [creds["admin"], *creds["flaggers"], *creds["reviewers"], *creds["platforms"]]:
            secrets.add(principal["api_key"])
            if principal.get("secret"):
                secrets.update({principal["secret"], principal["secret"].removeprefix("whsec_")})
        admin = {"authorization": f"Bearer {creds['admin']['api_key']}"}
        created = requests.post(
            f"{stack.api}/v1/admin/principals",
            headers=admin,
            timeout=HANG_S,
            json={"role": "platform", "name": "Logged platform", "domains": ["logs.example"]},
        ).json()
        hook = Receiver(secret=created["secret"]).start()
        pushed = requests.post(
            f"{stack.api}/v1/admin/principals",
            headers=admin,
            timeout=HANG_S,
            json={"role": "platform", "name": "Pushed", "domains": ["logs.example"], "endpoint": hook.url},
        ).json()
        hook.secret = pushed["secret"]
        rotated = requests.post(
            f"{stack.api}/v1/admin/principals/{created['id']}/rotate", headers=admin, timeout=HANG_S
        ).json()
        for issued in (created, pushed, rotated):
            secrets.update({issued["api_key"], issued["secret"], issued["secret"].removeprefix("whsec_")})

        flagger = creds["flaggers"][0]
        body = json.dumps(
            {"reports": [{"url": "https://logs.example/p/1", "category": "threat", "description": DESCRIPTION}]}
        ).encode()
        headers = sign(body, flagger["secret"], f"log_{uuid.uuid4().hex}")
        secrets.add(headers["webhook-signature"].split(",", 1)[1])
        item_id = requests.post(
            f"{stack.api}/v1/flaggers/{flagger['id']}/reports",
            data=body,
            timeout=HANG_S,
            headers={"content-type": "application/json", **headers},
        ).json()["results"][0]["item_id"]
        bad = dict(headers, **{"webhook-signature": "v1," + "A" * 43 + "="})
        requests.post(f"{stack.api}/v1/flaggers/{flagger['id']}/reports", data=body, headers=bad, timeout=HANG_S)
        requests.get(
            f"{stack.api}/v1/review/queue",
            headers={"authorization": "Bearer fpk_0123456789abcdef_" + "x" * 43},
            timeout=HANG_S,
        )

        reviewer = {"authorization": f"Bearer {creds['reviewers'][0]['api_key']}"}
        claim = requests.post(f"{stack.api}/v1/review/claim", headers=reviewer, json={}, timeout=HANG_S).json()
        requests.get(f"{stack.api}/v1/review/items/{item_id}", headers=reviewer, timeout=HANG_S)
        requests.post(
            f"{stack.api}/v1/review/items/{item_id}/decision",
            headers=reviewer,
            timeout=HANG_S,
            json={"lease_id": claim["lease"]["lease_id"], "decision": "confirm"},
        )
        wait_until(lambda: hook.received, interval_s=0.2, what="the push")
        requests.get(f"{stack.api}/v1/feed", headers={"authorization": f"Bearer {pushed['api_key']}"}, timeout=HANG_S)
    finally:
        if hook is not None:
            hook.stop()
        assert stack.stop() == 0

    logged = "".join(stack.output)  # from the very first line: the credentials are in a file, never printed
    assert '"message": "invocation"' in logged, "the run was logged"
    leaked = sorted(s for s in secrets if s and s in logged)
    assert leaked == [], f"{len(leaked)} secret(s) in the logs"
    assert DESCRIPTION not in logged
