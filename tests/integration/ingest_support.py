"""A trusted flagger in tests: signs and submits webhooks through the real route, reads its reports."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from flagpost.domain.models.principal import IssuedCredentials
from flagpost.domain.webhooks import sign
from flagpost_local.harness import InProcessStack, Reply


@dataclass
class Flagger:
    stack: InProcessStack
    creds: IssuedCredentials

    @property
    def id(self) -> str:
        return self.creds.principal.id

    def submit(
        self,
        reports: list[dict[str, Any]] | None = None,
        *,
        body: bytes | None = None,
        msg_id: str | None = None,
        secret: str | None = None,
        at: float | None = None,
        headers: dict[str, str] | None = None,
        flagger_id: str | None = None,
    ) -> Reply:
        raw = body if body is not None else json.dumps({"reports": reports or []}).encode()
        signed = sign(raw, secret or self.creds.secret or "", msg_id or f"msg_{uuid.uuid4().hex}", at)
        return self.stack.http(
            "POST",
            f"/v1/flaggers/{flagger_id or self.id}/reports",
            body=raw,
            headers={"content-type": "application/json", **signed, **(headers or {})},
        )

    def get_report(self, report_id: str, key: str | None = None) -> Reply:
        return self.stack.http(
            "GET", f"/v1/reports/{report_id}", headers={"authorization": f"Bearer {key or self.creds.api_key}"}
        )
