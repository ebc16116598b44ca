"""Per-flagger rate limit: a fixed one-minute window counted by one conditional DynamoDB update."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from flagpost import aws
from flagpost.api.problems import TooManyRequestsError
from flagpost.store.dynamo import error_code, raise_unavailable_if_transient, to_item

WINDOW_S = 60


class RateLimiter:
    def __init__(
        self, table: str, per_minute: int, *, dynamodb: Any = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.table = table
        self.per_minute = per_minute
        self._dynamodb = dynamodb
        self._clock = clock

    def take(self, principal_id: str, count: int) -> None:
        """Count `count` reports against this minute, or refuse all of them with 429 and Retry-After."""
        if self.per_minute <= 0 or count <= 0:
            return
        now = self._clock()
        window = int(now // WINDOW_S) * WINDOW_S
        retry_after = str(max(1, int(window + WINDOW_S - now + 0.999)))
        if count > self.per_minute:
            raise TooManyRequestsError(
                f"At most {self.per_minute} reports a minute; send fewer per request.",
                headers={"Retry-After": retry_after},
            )
        try:
            (self._dynamodb or aws.client("dynamodb")).update_item(
                TableName=self.table,
                Key=to_item({"pk": f"RATE#{principal_id}", "sk": str(window)}),
                UpdateExpression="ADD used :n SET expires_at = :e",
                ConditionExpression="attribute_not_exists(used) OR used <= :room",
                ExpressionAttributeValues=to_item(
                    {":n": count, ":room": self.per_minute - count, ":e": window + 2 * WINDOW_S}
                ),
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise TooManyRequestsError(
                    f"Rate limit of {self.per_minute} reports a minute reached.",
                    headers={"Retry-After": retry_after},
                ) from None
            raise_unavailable_if_transient(exc)
            raise
