"""Reads template.yaml into what the local stack needs: functions, their routes and event sources."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

SERVERLESS_FUNCTION = "AWS::Serverless::Function"

# What `flagpost local` creates in the emulator. Everything else (IAM, Lambda, API Gateway, log
# groups, alarms, dashboards) has no behaviour that the local stack could exercise.
LOCAL_RESOURCE_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::KMS::Key",
        "AWS::KMS::Alias",
        "AWS::SNS::Topic",
        "AWS::SSM::Parameter",
        "AWS::SecretsManager::Secret",
    }
)


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or "ANY"
    path: str  # as in the template: /v1/reports/{report_id}

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class QueueSource:
    name: str  # the event's logical name inside the function
    arn_expr: Any  # intrinsic expression giving the queue ARN
    batch_size: int
    max_batching_window_s: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class StreamSource:
    name: str
    arn_expr: Any  # intrinsic expression giving the stream ARN
    batch_size: int
    starting_position: str
    report_batch_item_failures: bool
    max_retry_attempts: int  # -1 = retry until the record expires, as AWS does


@dataclass(frozen=True)
class ScheduleSource:
    name: str
    expression: str  # as in the template: rate(1 minute)
    every_s: int


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_RATE_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int:
    """Seconds between runs of an EventBridge `rate(...)` expression; cron expressions are not emulated."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(f"the local stack emulates rate(...) schedules only, not {expression!r}")
    every = int(match.group(1)) * _RATE_UNIT_S[match.group(2).rstrip("s")]
    if every <= 0:
        raise ValueError(f"{expression!r} never runs")
    return every


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: str
    handler: str  # module.function, relative to code_uri
    timeout_s: int
    memory_mb: int
    environment: dict[str, Any]  # values may still be intrinsic expressions
    routes: tuple[HttpRoute, ...] = ()
    queues: tuple[QueueSource, ...] = ()
    streams: tuple[StreamSource, ...] = ()
    schedules: tuple[ScheduleSource, ...] = ()
    reserved_concurrency: int | None = None

    @property
    def handler_file(self) -> str:
        module, _, _ = self.handler.rpartition(".")
        return f"{self.code_uri.rstrip('/')}/{module.replace('.', '/')}.py"

    @property
    def handler_function(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass
class Template:
    """A parsed SAM template; `root` is the folder that CodeUri paths are relative to."""

    body: dict[str, Any]
    root: Path
    functions: list[FunctionSpec] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | str) -> Template:
        path = Path(path).resolve()
        return cls.from_dict(yaml_parse(path.read_text(encoding="utf-8")), root=path.parent)

    @classmethod
    def from_dict(cls, body: dict[str, Any], root: Path) -> Template:
        template = cls(body=body, root=root)
        globals_ = body.get("Globals", {}).get("Function", {})
        for logical_id, resource in body.get("Resources", {}).items():
            if resource.get("Type") == SERVERLESS_FUNCTION:
                template.functions.append(_function_spec(logical_id, resource.get("Properties", {}), globals_))
        return template

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.body.get("Resources", {})
        return resources

    def resources_of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res.get("Type") in types}

    def function(self, logical_id: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)

    @property
    def routes(self) -> dict[str, tuple[FunctionSpec, HttpRoute]]:
        """Route key ("GET /v1/health") -> the function serving it."""
        table: dict[str, tuple[FunctionSpec, HttpRoute]] = {}
        for spec in self.functions:
            for route in spec.routes:
                if route.route_key in table:
                    raise ValueError(f"route {route.route_key} is declared twice")
                table[route.route_key] = (spec, route)
        return table


def _merge_globals(properties: dict[str, Any], globals_: dict[str, Any]) -> dict[str, Any]:
    # SAM merges maps key by key (the function wins) and lets the function replace scalars.
    merged = copy.deepcopy(globals_)
    for key, value in properties.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _function_spec(logical_id: str, properties: dict[str, Any], globals_: dict[str, Any]) -> FunctionSpec:
    props = _merge_globals(properties, globals_)
    routes: list[HttpRoute] = []
    queues: list[QueueSource] = []
    streams: list[StreamSource] = []
    schedules: list[ScheduleSource] = []
    for name, event in (props.get("Events") or {}).items():
        kind, ev = event.get("Type"), event.get("Properties", {})
        if kind == "HttpApi":
            routes.append(HttpRoute(method=str(ev.get("Method", "ANY")).upper(), path=ev["Path"]))
        elif kind == "SQS":
            queues.append(
                QueueSource(
                    name=name,
                    arn_expr=ev["Queue"],
                    batch_size=int(ev.get("BatchSize", 10)),
                    max_batching_window_s=int(ev.get("MaximumBatchingWindowInSeconds", 0)),
                    report_batch_item_failures="ReportBatchItemFailures" in (ev.get("FunctionResponseTypes") or []),
                )
            )
        elif kind == "DynamoDB":
            streams.append(
                StreamSource(
                    name=name,
                    arn_expr=ev["Stream"],
                    batch_size=int(ev.get("BatchSize", 100)),
                    starting_position=str(ev.get("StartingPosition", "LATEST")),
                    report_batch_item_failures="ReportBatchItemFailures" in (ev.get("FunctionResponseTypes") or []),
                    max_retry_attempts=int(ev.get("MaximumRetryAttempts", -1)),
                )
            )
        elif kind == "Schedule":
            if ev.get("Enabled", True) is False or str(ev.get("State", "ENABLED")).upper() == "DISABLED":
                continue
            expression = str(ev["Schedule"])
            schedules.append(ScheduleSource(name=name, expression=expression, every_s=rate_seconds(expression)))
        else:
            raise ValueError(f"{logical_id}.{name}: the local stack does not emulate {kind} events")
    return FunctionSpec(
        logical_id=logical_id,
        code_uri=str(props["CodeUri"]),
        handler=str(props["Handler"]),
        timeout_s=int(props.get("Timeout", 3)),
        memory_mb=int(props.get("MemorySize", 128)),
        environment=dict((props.get("Environment") or {}).get("Variables") or {}),
        routes=tuple(routes),
        queues=tuple(queues),
        streams=tuple(streams),
        schedules=tuple(schedules),
        reserved_concurrency=props.get("ReservedConcurrentExecutions"),
    )
