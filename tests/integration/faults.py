"""Fault injection for integration tests: botocore event hooks on the clients the product uses.

The product's clients come from `flagpost.adapters.aws.client(service)` (one per service per process). A
`Faults` attaches handlers to their event systems, so product code runs unchanged:

- ``before`` faults answer on ``before-call.<service>.<Operation>``: the request never reaches the
  (moto) service and the caller gets the error response. botocore's retry handler runs *inside* the
  call (on each attempt's ``needs-retry``), after ``before-call``, so an error answered here is what
  the product sees once the SDK's own retries (standard mode, 4 attempts) are exhausted: the client
  makes no attempt of its own. A 20% rate here is therefore far harsher than 20% of wire attempts
  (which the SDK would mostly absorb: 0.2**4 = 0.16% would reach the product).
- ``after`` faults raise on ``after-call.<service>.<Operation>``: the request took effect but its
  answer is lost (a read timeout, a 500 after commit), the ambiguous case.
- ``crash`` faults raise `SimulatedCrash` before or after the call: it derives from BaseException,
  so no ``except Exception`` in product code or in powertools' batch processor can catch it; the
  invocation dies as a killed or timed-out Lambda would. `run_function_as()` turns it into an error
  at the invocation's boundary, where the gateway or the event-source mapping sees a failed
  invocation.

Which calls fail is decided by a seeded `random.Random` (or by a call number), so every run injects
the same faults into the same sequence of calls. Clients built after `lazy.reset()` are new objects:
attach again (`Faults.attach()`) after a reset.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError
from clocks import Clock, ClockedContext  # type: ignore[import-not-found]

from flagpost.adapters import aws
from flagpost_local.harness import InProcessStack

When = Literal["before", "after"]

Error = tuple[str, int]  # (error code, HTTP status)

# What each service answers when it throttles, once the SDK's retries are spent; one is drawn per fault.
# A throttled transaction may also come back cancelled with a ThrottlingError reason per action.
THROTTLED: dict[str, tuple[Error, ...]] = {
    "dynamodb": (
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("TransactionCanceledException", 400),
    ),
    "sqs": (("RequestThrottled", 403),),
    "kms": (("ThrottlingException", 400),),
}
# ... and when it is down.
UNAVAILABLE: dict[str, tuple[Error, ...]] = {
    "dynamodb": (("InternalServerError", 500),),
    "sqs": (("InternalFailure", 500),),
    "kms": (("KMSInternalException", 500), ("DependencyTimeoutException", 503)),
}


class SimulatedCrash(BaseException):
    """The execution environment dies here (timeout, out of memory, kill): nothing after it runs."""


@dataclass
class Rule:
    service: str
    operations: frozenset[str] | None  # None: every operation of the service
    rate: float = 0.0
    when: When = "before"
    errors: tuple[Error, ...] = ()  # drawn from; default THROTTLED[service]
    connection_error: bool = False  # raise EndpointConnectionError instead of an error response
    crash: bool = False
    nth: frozenset[int] | None = None  # fail exactly these (1-based) matching calls instead of a rate
    match: Callable[[dict[str, Any]], bool] | None = None  # on the call's parameters
    seen: int = 0

    def applies(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        if service != self.service or (self.operations is not None and operation not in self.operations):
            return False
        return self.match is None or self.match(params)


@dataclass
class Faults:
    """Seeded fault rules over the product's AWS clients. Use as a context manager or attach/detach."""

    seed: int = 0
    rules: list[Rule] = field(default_factory=list)
    enabled: bool = True
    calls: Counter[str] = field(default_factory=Counter)  # "service.Operation" -> calls seen
    injected: Counter[str] = field(default_factory=Counter)  # "service.Operation:code" -> faults
    _attached: list[tuple[Any, str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._streams: dict[str, random.Random] = {}

    def _random(self, stream: str) -> random.Random:
        """One seeded generator per (operation, table): how often one table is called (say, a cache
        refreshing on the wall clock) does not shift which calls to another table fail."""
        if stream not in self._streams:
            self._streams[stream] = random.Random(f"{self.seed}:{stream}")
        return self._streams[stream]

    # ------------------------------------------------------------------ rules
    def throttle(self, service: str, rate: float, operations: Iterable[str] | None = None, **kw: Any) -> Faults:
        self.rules.append(Rule(service, _ops(operations), rate=rate, **kw))
        return self

    def unavailable(
        self, service: str, rate: float = 1.0, operations: Iterable[str] | None = None, **kw: Any
    ) -> Faults:
        kw.setdefault("errors", UNAVAILABLE[service])
        self.rules.append(Rule(service, _ops(operations), rate=rate, **kw))
        return self

    def crash(
        self, service: str, operations: Iterable[str], *, nth: Iterable[int], when: When = "before", **kw: Any
    ) -> Faults:
        self.rules.append(Rule(service, _ops(operations), when=when, crash=True, nth=frozenset(nth), **kw))
        return self

    def calls_to(self, service: str) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith(f"{service}."))

    def total(self, prefix: str = "") -> int:
        return sum(n for key, n in self.injected.items() if key.startswith(prefix))

    # -------------------------------------------------------------- plumbing
    def attach(self, services: Iterable[str] | None = None) -> Faults:
        """Hook the product's current clients (again after a `lazy.reset()`)."""
        self.detach()
        for service in sorted(set(services or {r.service for r in self.rules})):
            events = aws.client(service).meta.events
            for event, handler in (("before-call", self._before), ("after-call", self._after)):
                name = f"{event}.{service}"
                events.register(name, handler)
                self._attached.append((events, name, handler))
        return self

    def detach(self) -> None:
        for events, name, handler in self._attached:
            events.unregister(name, handler)
        self._attached.clear()

    def __enter__(self) -> Faults:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    @contextmanager
    def paused(self) -> Iterator[None]:
        was, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = was

    def _pick(self, when: When, model: Any, params: dict[str, Any]) -> tuple[Rule, random.Random] | None:
        if not self.enabled:
            return None
        service, operation = model.service_model.service_name, model.name
        stream = self._random(f"{service}.{operation}:{_table(params)}:{when}")
        with self._lock:
            if when == "before":
                self.calls[f"{service}.{operation}"] += 1
            for rule in self.rules:
                if rule.when != when or not rule.applies(service, operation, params):
                    continue
                rule.seen += 1
                if rule.seen in rule.nth if rule.nth is not None else stream.random() < rule.rate:
                    return rule, stream
        return None

    def _before(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        body = _api_params(params)
        context["fault_params"] = body  # for the after-call hook of the same call
        picked = self._pick("before", model, body)
        return self._fail(*picked, model, body) if picked else None

    def _after(self, model: Any, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code >= 300:
            return  # it failed anyway
        body = context.get("fault_params", {})
        picked = self._pick("after", model, body)
        if picked:
            _response, parsed = self._fail(*picked, model, body)
            raise ClientError(parsed, model.name)  # type: ignore[arg-type]

    def _fail(
        self, rule: Rule, stream: random.Random, model: Any, params: dict[str, Any]
    ) -> tuple[AWSResponse, dict[str, Any]]:
        key = f"{rule.service}.{model.name}"
        if rule.crash:
            self._count(f"{key}:crash")
            raise SimulatedCrash(f"crashed at {key} ({rule.when} the call)")
        if rule.connection_error:
            self._count(f"{key}:connection")
            raise EndpointConnectionError(endpoint_url=f"https://{rule.service}.fault.invalid/")
        choices = rule.errors or THROTTLED[rule.service]
        if model.name != "TransactWriteItems":
            choices = tuple(c for c in choices if c[0] != "TransactionCanceledException") or choices
        with self._lock:
            code, status = choices[stream.randrange(len(choices))]
        self._count(f"{key}:{code}")
        parsed: dict[str, Any] = {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 3},
        }
        if code == "TransactionCanceledException":
            parsed["CancellationReasons"] = [{"Code": "ThrottlingError"}] * max(1, len(params.get("TransactItems", [])))
        return AWSResponse(f"https://{rule.service}.fault.invalid/", status, {}, None), parsed  # type: ignore[arg-type]

    def _count(self, key: str) -> None:
        with self._lock:
            self.injected[key] += 1


@contextmanager
def recorded(service: str, operation: str) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every `operation` call the product's `service` client makes meanwhile (in
    order; record after a `lazy.reset()`, as for `Faults.attach()`)."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(_api_params(params))

    events = aws.client(service).meta.events
    name = f"before-call.{service}.{operation}"
    events.register(name, record)
    try:
        yield seen
    finally:
        events.unregister(name, record)


def _ops(operations: Iterable[str] | None) -> frozenset[str] | None:
    return frozenset(operations) if operations is not None else None


def _table(params: dict[str, Any]) -> str:
    """The table (or queue, or key) a call is about, to give each its own stream of faults."""
    for name in ("TableName", "QueueUrl", "KeyId"):
        if name in params:
            return str(params[name])
    for action in params.get("TransactItems", [])[:1]:
        return str(next(iter(action.values())).get("TableName", ""))
    return ",".join(sorted(params.get("RequestItems", {})))


def _api_params(request_dict: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a JSON-protocol request (DynamoDB, KMS, SQS), for rules that match on it."""
    body = request_dict.get("body")
    if isinstance(body, bytes | str) and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


Handler = Callable[[dict[str, Any], Any], Any]


def run_function_as(stack: InProcessStack, logical_id: str, *, clock: Clock | None = None) -> None:
    """Run a function's real handler the way a crash-prone Lambda runs: a `SimulatedCrash` inside
    becomes a failed invocation (what the gateway or the event-source mapping sees when Lambda
    kills a function). With `clock`, each invocation's remaining time runs on that clock (clocks.py)."""
    spec = stack.template.function(logical_id)
    handler: Handler = getattr(stack.runtime.module(logical_id), spec.handler_function)

    def invoke(event: dict[str, Any], context: Any) -> Any:
        if clock is not None:
            context = ClockedContext(context, clock)
        try:
            return handler(event, context)
        except SimulatedCrash as crash:
            raise RuntimeError(f"Task timed out ({crash})") from None

    stack.runtime.override(logical_id, invoke)
