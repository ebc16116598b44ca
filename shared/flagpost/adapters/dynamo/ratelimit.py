"""Per-flagger rate limit: a fixed one-minute window counted by one conditional DynamoDB write.

A charge names what it is for (the webhook): the window's counter is raised together with a marker
for that name, in one transaction, so a webhook retried after a 503 within the same minute is not
counted twice. (A retry in a later minute counts again in that minute.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from hashlib import blake2b

from flagpost.adapters.dynamo.client import Table, to_item
from flagpost.domain.errors import RateLimitedError, UnavailableError, WriteConflictError

WINDOW_S = 60


class RateLimiter:
    def __init__(self, table: Table, per_minute: int, *, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.per_minute = per_minute
        self._clock = clock

    def take(self, principal_id: str, count: int, charge_id: str | None = None) -> None:
        """Count `count` reports against this minute, or refuse all of them with 429 and Retry-After.

        With `charge_id`, a second charge under the same id within the minute is free (a retry).
        """
        if self.per_minute <= 0 or count <= 0:
            return
        now = self._clock()
        window = int(now // WINDOW_S) * WINDOW_S
        retry_after = max(1, int(window + WINDOW_S - now + 0.999))
        if count > self.per_minute:
            raise RateLimitedError(
                f"At most {self.per_minute} reports a minute; send fewer per request.",
                retry_after=retry_after,
            )
        counter = {
            "TableName": self.table.name,
            "Key": to_item({"pk": f"RATE#{principal_id}", "sk": str(window)}),
            "UpdateExpression": "ADD used :n SET expires_at = :e",
            "ConditionExpression": "attribute_not_exists(used) OR used <= :room",
            "ExpressionAttributeValues": to_item(
                {":n": count, ":room": self.per_minute - count, ":e": window + 2 * WINDOW_S}
            ),
        }
        limited = RateLimitedError(
            f"Rate limit of {self.per_minute} reports a minute reached.", retry_after=retry_after
        )
        try:
            if charge_id is None:
                self.table.call("update_item", **counter)
                return
            digest = blake2b(charge_id.encode(), digest_size=12).hexdigest()
            marker = {
                "TableName": self.table.name,
                "Item": to_item(
                    {"pk": f"RATE#{principal_id}", "sk": f"{window}#{digest}", "expires_at": window + 2 * WINDOW_S}
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            self.table.transact([{"Put": marker}, {"Update": counter}])
        except WriteConflictError as exc:
            if exc.reasons[:1] == ["ConditionalCheckFailed"]:
                return  # charged already this minute: a retry of the same webhook
            if not any(reason.startswith("ConditionalCheckFailed") for reason in exc.reasons):
                raise UnavailableError() from exc  # a concurrent charge of the same window: retry shortly
            raise limited from None  # the window's counter is full
