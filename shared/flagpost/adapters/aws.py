"""Lazily built boto3 clients: nothing touches AWS at import time, and `lazy.reset()` forgets them."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointUnreachableError

from flagpost.lazy import lazy

# Lambda's own network is fast; a stuck call should fail fast enough to be retried within the
# function's timeout. Standard retry mode backs off with jitter on throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 4})


@lazy
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@lazy
def client(service: str) -> Any:
    """The process-wide client for `service` (boto3 clients are thread-safe; sessions are not)."""
    return _session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@lazy
def single_attempt_client(service: str) -> Any:
    """A client that makes each call once: for calls whose retries the caller schedules, counts and logs
    itself (a notice e-mail: the forwarder's attempts and backoff, never the SDK's sleeps in between)."""
    config = _CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
    return _session().client(service, config=config)  # type: ignore[call-overload]


# What AWS services answer when they cannot serve a call just now: throttling, internal errors,
# dependencies timing out (DynamoDB, SQS, KMS and the generic codes). Anything else is a real refusal.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestThrottled",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "KMSInternalException",
        "DependencyTimeoutException",
        # A single-item write that met a transaction in progress on the same item: try again.
        "TransactionConflictException",
    }
)
# A transaction cancelled for these reasons (and none other) would go through if tried again.
_RETRYABLE_CANCELLATIONS = frozenset({"ThrottlingError", "TransactionConflict"})


def is_transient(exc: BaseException) -> bool:
    """Whether an AWS call failed for a reason that passes by itself: throttling, an outage, the network.

    The SDK has already retried such a call (standard mode); the caller should now give up on this
    request and let its client retry later (503 and Retry-After), or retry later itself.
    """
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        if error.get("Code") == "TransactionCanceledException":
            reasons = {str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons") or []} - {"None"}
            return bool(reasons) and reasons <= _RETRYABLE_CANCELLATIONS
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error.get("Code") in TRANSIENT_CODES or status >= 500
    return isinstance(exc, EndpointUnreachableError | HTTPClientError)
