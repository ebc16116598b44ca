"""Runs the template's Lambda handlers in this process, each with a Lambda context, as the local stack's runtime."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TextIO

from flagpost.local.template import FunctionSpec, Template

ACCOUNT_ID = "123456789012"
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes and method a Lambda context object offers to Python handlers."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_s: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._started + self.timeout_s - time.monotonic()) * 1000))


class ConflictingEnvironmentError(ValueError):
    """Two functions set one variable to different values; one process cannot host both."""


def merged_environment(function_env: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The union of every function's environment, for running them all in one process."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for function, env in function_env.items():
        for key, value in env.items():
            if key in merged and merged[key] != value:
                raise ConflictingEnvironmentError(
                    f"{key} is {merged[key]!r} in {owner[key]} but {value!r} in {function}; give it "
                    "one value in Globals or distinct names per function"
                )
            merged[key], owner[key] = value, function
    return merged


class FunctionRuntime:
    """Loads each function's handler from its CodeUri once and invokes it like Lambda would."""

    def __init__(self, template: Template, region: str, log_stream: TextIO | None = None) -> None:
        self.template = template
        self.region = region
        self._modules: dict[str, ModuleType] = {}
        self._lock = threading.Lock()
        self._log_stream = log_stream if log_stream is not None else sys.stderr
        self._overrides: dict[str, Handler] = {}

    def override(self, logical_id: str, handler: Handler) -> None:
        """Replace a function's handler (tests that exercise the runtime itself use this)."""
        self.template.function(logical_id)
        self._overrides[logical_id] = handler

    def module(self, logical_id: str) -> ModuleType:
        with self._lock:
            if logical_id not in self._modules:
                self._modules[logical_id] = load_handler_module(self.template, self.template.function(logical_id))
            return self._modules[logical_id]

    def handler(self, logical_id: str) -> Handler:
        if logical_id in self._overrides:
            return self._overrides[logical_id]
        spec = self.template.function(logical_id)
        handler: Handler = getattr(self.module(logical_id), spec.handler_function)
        return handler

    def invoke(self, logical_id: str, event: dict[str, Any], correlation_id: str | None = None) -> Any:
        """Call the handler; log one JSON line per invocation; re-raise what the handler raised."""
        spec = self.template.function(logical_id)
        handler = self.handler(logical_id)
        context = self.context(spec)
        started = time.perf_counter()
        outcome: dict[str, Any] = {"status": "ok"}
        try:
            result = handler(event, context)
            if isinstance(result, dict) and "statusCode" in result:
                outcome["status_code"] = result["statusCode"]
            return result
        except BaseException as exc:
            outcome = {"status": "error", "error_type": type(exc).__name__}
            raise
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            if duration_ms > spec.timeout_s * 1000:
                outcome["timed_out"] = True  # Lambda would have killed it; flag it loudly
            self._log(
                {
                    "level": "INFO" if outcome["status"] == "ok" else "ERROR",
                    "message": "invocation",
                    "function": logical_id,
                    "request_id": context.aws_request_id,
                    "correlation_id": correlation_id,
                    "duration_ms": round(duration_ms, 2),
                    **outcome,
                }
            )

    def context(self, spec: FunctionSpec) -> LambdaContext:
        name = f"flagpost-local-{spec.logical_id}"
        return LambdaContext(
            function_name=name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{name}",
            aws_request_id=str(uuid.uuid4()),
            timeout_s=spec.timeout_s,
            log_group_name=f"/aws/lambda/{name}",
        )

    def _log(self, record: dict[str, Any]) -> None:
        record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}
        line = json.dumps({k: v for k, v in record.items() if v is not None})
        print(line, file=self._log_stream, flush=True)

    def log_exception(self, logical_id: str, exc: BaseException) -> None:
        self._log(
            {
                "level": "ERROR",
                "message": "unhandled exception in handler",
                "function": logical_id,
                "error_type": type(exc).__name__,
                "traceback": "".join(traceback.format_exception(exc)),
            }
        )


def load_handler_module(template: Template, spec: FunctionSpec) -> ModuleType:
    """Import functions/<name>/handler.py as Lambda does: a top-level module of its own code folder."""
    path = (template.root / spec.handler_file).resolve()
    module_name = f"flagpost_function_{spec.logical_id}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    return module
