"""Per-platform circuit breakers in the feed table, shared by every forwarder.

``CIRCUIT#<platform>``, ``push``: ``failures`` (consecutive pushes without an answer: a timeout or a
connection failure), ``opened`` (how many times in a row it opened: the cool-down doubles each time,
up to a cap) and ``open_until`` (epoch milliseconds; while in the future nothing is sent to the
platform). No record: the circuit is closed and the platform was answering.

- closed: pushes go; a push without an answer adds a failure; the `threshold`-th opens the circuit
  for a cool-down (one conditional write, so concurrent failures open it once).
- open: every forwarder defers the platform's jobs without an HTTP attempt until `open_until`.
- half-open: after the cool-down, the first forwarder to move `open_until` forward by a probe lease
  (a conditional write on the value it read) sends one probe; the others see the lease and defer.
  An answer deletes the record (closed); no answer opens it again, for twice as long.
"""

from __future__ import annotations

import contextlib
from typing import Any

from flagpost.adapters.dynamo.client import Table, to_item
from flagpost.domain.errors import WriteConflictError
from flagpost.services.ports import Admission


class DynamoCircuitBreaker:
    def __init__(
        self,
        table: Table,
        *,
        threshold: int = 3,
        cooldown_s: float = 30.0,
        cooldown_max_s: float = 900.0,
        probe_lease_s: float = 60.0,
    ) -> None:
        self.table = table
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.cooldown_max_s = cooldown_max_s
        self.probe_lease_s = probe_lease_s

    @staticmethod
    def _key(platform_id: str) -> dict[str, Any]:
        return {"pk": f"CIRCUIT#{platform_id}", "sk": "push"}

    def admit(self, platform_id: str, now: float) -> Admission:
        record = self.table.get(self._key(platform_id))
        if record is None:
            return Admission(wait_s=0.0, failing=False)
        open_until = int(record.get("open_until", 0))
        now_ms = int(now * 1000)
        if open_until == 0:
            return Admission(wait_s=0.0, failing=True)  # some failures, not yet open
        if now_ms < open_until:
            return Admission(wait_s=(open_until - now_ms) / 1000, failing=True)
        lease = now_ms + int(self.probe_lease_s * 1000)
        try:
            self.table.call(
                "update_item",
                TableName=self.table.name,
                Key=to_item(self._key(platform_id)),
                UpdateExpression="SET open_until = :lease",
                ConditionExpression="open_until = :seen",
                ExpressionAttributeValues=to_item({":lease": lease, ":seen": open_until}),
            )
        except WriteConflictError:
            # Another forwarder probes: look again a cool-down later (the probe may have closed it).
            return Admission(wait_s=self.cooldown_s, failing=True)
        return Admission(wait_s=0.0, failing=True, probe=True)

    def failed(self, platform_id: str, now: float) -> None:
        got = self.table.call(
            "update_item",
            TableName=self.table.name,
            Key=to_item(self._key(platform_id)),
            UpdateExpression="SET failures = if_not_exists(failures, :zero) + :one, "
            "opened = if_not_exists(opened, :zero), open_until = if_not_exists(open_until, :zero)",
            ExpressionAttributeValues=to_item({":zero": 0, ":one": 1}),
            ReturnValues="ALL_NEW",
        )
        failures, opened = int(got["Attributes"]["failures"]["N"]), int(got["Attributes"]["opened"]["N"])
        if failures < self.threshold:
            return
        cooldown = min(self.cooldown_max_s, self.cooldown_s * 2**opened)
        # A concurrent failure may have opened it (this generation) already: then this one does not.
        with contextlib.suppress(WriteConflictError):
            self.table.call(
                "update_item",
                TableName=self.table.name,
                Key=to_item(self._key(platform_id)),
                UpdateExpression="SET open_until = :until, opened = :next",
                ConditionExpression="opened = :seen",
                ExpressionAttributeValues=to_item(
                    {":until": int((now + cooldown) * 1000), ":next": opened + 1, ":seen": opened}
                ),
            )

    def succeeded(self, platform_id: str) -> None:
        self.table.call("delete_item", TableName=self.table.name, Key=to_item(self._key(platform_id)))
