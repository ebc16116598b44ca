"""Platforms' standing outcomes in the items table: one `OUTCOME#<platform>` record beside each item.

A change replaces the record only if it is still at the revision that was read, in one transaction
with its history entry (and the platform's note, which expires like every free text).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flagpost.adapters.dynamo.client import Table, to_item
from flagpost.adapters.dynamo.item_records import CREATE_ONLY, OUTCOME_PREFIX, history_put, item_key, note_put
from flagpost.domain.ids import new_note_id
from flagpost.domain.models.outcome import OutcomeRecord
from flagpost.domain.models.records import ItemRecord


class DynamoOutcomeStore:
    def __init__(self, table: Table, *, text_retention_days: int) -> None:
        self.table = table
        self.text_retention_days = text_retention_days

    def item(self, item_id: str) -> ItemRecord | None:
        found = self.table.get(item_key(item_id))
        return ItemRecord.model_validate(found) if found else None

    def outcome(self, item_id: str, platform_id: str) -> OutcomeRecord | None:
        """The platform's standing outcome for the item, or None."""
        found = self.table.get({"pk": f"ITEM#{item_id}", "sk": f"{OUTCOME_PREFIX}{platform_id}"})
        return OutcomeRecord.model_validate(found) if found else None

    def outcomes(self, item_id: str) -> list[OutcomeRecord]:
        """Every platform's standing outcome for the item, by platform id."""
        records = self.table.query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :o)",
            ExpressionAttributeValues=to_item({":pk": f"ITEM#{item_id}", ":o": OUTCOME_PREFIX}),
            ConsistentRead=True,
        )
        return [OutcomeRecord.model_validate(r) for r in records]

    def put(self, outcome: OutcomeRecord, *, at: datetime, note: str | None, detail: dict[str, Any]) -> OutcomeRecord:
        """Replace the (item, platform) record if it is still at `outcome.revision` (0: absent), with its
        history entry and note; WriteConflictError if another write came first. Returns what was stored."""
        stored = outcome.model_copy(update={"revision": outcome.revision + 1})
        record = {"pk": f"ITEM#{outcome.item_id}", "sk": f"{OUTCOME_PREFIX}{outcome.platform_id}"}
        record |= stored.model_dump(mode="json", exclude_none=True)
        condition: dict[str, Any] = {"ConditionExpression": CREATE_ONLY}
        if outcome.revision:
            condition = {
                "ConditionExpression": "revision = :rev",
                "ExpressionAttributeValues": to_item({":rev": outcome.revision}),
            }
        actions: list[dict[str, Any]] = [{"Put": {"TableName": self.table.name, "Item": to_item(record), **condition}}]
        note_id = None
        if note:
            note_id = new_note_id(at)
            actions.append(
                {"Put": note_put(self.table.name, outcome.item_id, note_id, note, at, self.text_retention_days)}
            )
        history = history_put(
            self.table.name, outcome.item_id, at, "outcome", outcome.platform_id, detail, note_id=note_id
        )
        actions.append({"Put": history})
        self.table.transact(actions)
        return stored
