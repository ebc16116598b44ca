"""The one DynamoDB helper every store uses: (de)serialisation, reads, transactions and what their
errors mean.

Throttling and 5xx are retried by botocore itself (standard mode, `flagpost.adapters.aws`); what is
still failing after that becomes `UnavailableError` (503 with Retry-After). A conditional write or
transaction whose condition no longer held becomes `WriteConflictError` with the per-action reasons;
stores and use cases decide whether to re-read and try again (`retrying`). Nothing else is caught.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from flagpost.adapters import aws
from flagpost.domain.errors import UnavailableError, WriteConflictError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
T = TypeVar("T")

# Cancellation reasons that mean "the state moved since it was read": re-read and decide again.
CONFLICTS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
# ... and that mean "DynamoDB is busy": a retry later may go through.
BUSY = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
_CONDITIONAL = "ConditionalCheckFailedException"


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_plain(v)) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _native(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def native(value: Any) -> Any:
    """A deserialised DynamoDB value as plain Python: integral numbers as int, sets as sorted lists."""
    return _native(value)


def _native(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    if isinstance(value, set):
        return sorted(_native(v) for v in value)
    if hasattr(value, "value") and type(value).__name__ == "Binary":
        return bytes(value.value)
    return value


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def cancellation_reasons(exc: ClientError) -> list[str]:
    """The per-action codes of a cancelled transaction, in action order ("None" for actions that were fine)."""
    return [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons") or []]


def translate(exc: ClientError) -> Exception:
    """What a failed DynamoDB call means to Flagpost (return value to raise; `exc` itself if nothing)."""
    code = error_code(exc)
    if code == "TransactionCanceledException":
        reasons = cancellation_reasons(exc)
        if any(r not in CONFLICTS | BUSY | {"None"} for r in reasons):
            return exc  # a refusal no retry can change (a validation error): a fault of ours
        if any(r in CONFLICTS for r in reasons):
            return WriteConflictError(reasons)
        if any(r in BUSY for r in reasons):
            return UnavailableError("Storage is busy; retry shortly.")
        return exc
    if code == _CONDITIONAL:
        return WriteConflictError([code])
    if aws.is_transient(exc):
        return UnavailableError("Storage is busy; retry shortly.")
    return exc


@dataclass
class Page:
    records: list[dict[str, Any]]
    last_key: dict[str, Any] | None


class Table:
    """One table through the process-wide client (or one passed in, for tests and tools)."""

    def __init__(self, name: str, *, client: Any = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = name
        self._client = client
        self._sleep = sleep

    @property
    def client(self) -> Any:
        return self._client or aws.client("dynamodb")

    def call(self, operation: str, **request: Any) -> Any:
        """Any DynamoDB call on this table, its errors translated."""
        try:
            return getattr(self.client, operation)(**request)
        except ClientError as exc:
            raise translate(exc) from exc

    def get(self, key: Mapping[str, Any]) -> dict[str, Any] | None:
        got = self.call("get_item", TableName=self.name, Key=to_item(key), ConsistentRead=True)
        return from_item(got["Item"]) if "Item" in got else None

    def batch_get(self, keys: Sequence[Mapping[str, Any]], *, attempts: int = 8) -> list[dict[str, Any]]:
        """Every item of `keys` that exists (any order), in requests of 100, unprocessed keys retried."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.name: {"Keys": [to_item(k) for k in keys[start : start + 100]], "ConsistentRead": True}
            }
            for attempt in range(attempts):
                got = self.call("batch_get_item", RequestItems=request)
                found.extend(from_item(i) for i in got.get("Responses", {}).get(self.name, []))
                request = got.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._sleep(jitter(attempt))
            else:
                raise UnavailableError("Storage is busy; retry shortly.")
        return found

    def query(self, start_key: Mapping[str, Any] | None = None, **request: Any) -> Page:
        if start_key:
            request["ExclusiveStartKey"] = to_item(start_key)
        got = self.call("query", TableName=self.name, **request)
        last = got.get("LastEvaluatedKey")
        return Page([from_item(i) for i in got.get("Items", [])], from_item(last) if last else None)

    def query_all(self, **request: Any) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            page = self.query(start, **request)
            yield from page.records
            if page.last_key is None:
                return
            start = page.last_key

    def scan_all(self, **request: Any) -> Iterator[dict[str, Any]]:
        """Every record a scan returns, page after page (for small tables only)."""
        try:
            for page in self.client.get_paginator("scan").paginate(TableName=self.name, **request):
                yield from (from_item(raw) for raw in page.get("Items", []))
        except ClientError as exc:
            raise translate(exc) from exc

    def transact(self, actions: Sequence[Mapping[str, Any]]) -> None:
        """All actions or none; WriteConflictError (with the reasons) when a condition failed."""
        self.call("transact_write_items", TransactItems=list(actions))


def jitter(attempt: int, base: float = 0.02, cap: float = 1.0) -> float:
    """Full-jitter exponential backoff: racing writers spread out instead of colliding again."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter, not security


def retrying(
    operation: Callable[[], T],
    *,
    on: tuple[type[Exception], ...] = (WriteConflictError,),
    attempts: int = 8,
    budget_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    base: float = 0.02,
) -> T:
    """Run `operation` until it returns, retrying `on` these errors with jittered backoff; the last
    error is raised once `attempts` (or `budget_s` of the clock) are spent."""
    started = clock()
    attempt = 0
    while True:
        try:
            return operation()
        except on:
            attempt += 1
            spent = budget_s is not None and clock() - started > budget_s
            if spent or (budget_s is None and attempt >= attempts):
                raise
            sleep(jitter(attempt, base))
