"""Runs the template's Lambda handlers with a Lambda context: in this process, or in worker processes.

Two execution modes, one interface (`invoke`):
- `FunctionRuntime` calls handlers in this process. The powertools HTTP resolvers keep the current
  event in class attributes (one event per process, as in Lambda), so HTTP handlers run one at a
  time here. Integration tests use this mode because moto's `mock_aws` lives in this process.
- `ProcessRuntime` gives every function its own pool of worker processes, each with the function's
  own environment, handling one event at a time: Lambda's execution-environment model, with real
  parallelism. `flagpost local` uses it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import multiprocessing
import queue
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from flagpost_local.template import FunctionSpec, Template

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


class HandlerError(Exception):
    """A handler in a worker process raised; carries the original type name and traceback."""

    def __init__(self, error_type: str, message: str, trace: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.trace = trace


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


def make_context(spec: FunctionSpec, region: str, request_id: str | None = None) -> LambdaContext:
    name = f"flagpost-local-{spec.logical_id}"
    return LambdaContext(
        function_name=name,
        memory_limit_in_mb=spec.memory_mb,
        invoked_function_arn=f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}",
        aws_request_id=request_id or str(uuid.uuid4()),
        timeout_s=spec.timeout_s,
        log_group_name=f"/aws/lambda/{name}",
    )


def load_handler_module(template_root: Path, spec: FunctionSpec) -> ModuleType:
    """Import functions/<name>/handler.py as Lambda does: a top-level module of its own code folder."""
    path = (template_root / spec.handler_file).resolve()
    module_name = f"flagpost_function_{spec.logical_id}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    return module


class BaseRuntime:
    """Timing, logging and overrides around whatever actually runs the handler."""

    def __init__(self, template: Template, region: str, log_stream: TextIO | None = None) -> None:
        self.template = template
        self.region = region
        self._log_stream = log_stream if log_stream is not None else sys.stderr
        self._log_lock = threading.Lock()
        self._overrides: dict[str, Handler] = {}

    def override(self, logical_id: str, handler: Handler) -> None:
        """Replace a function's handler (tests that exercise the runtime itself use this)."""
        self.template.function(logical_id)
        self._overrides[logical_id] = handler

    def _call(self, spec: FunctionSpec, event: dict[str, Any], context: LambdaContext) -> Any:
        raise NotImplementedError

    def invoke(self, logical_id: str, event: dict[str, Any], correlation_id: str | None = None) -> Any:
        """Call the handler; log one JSON line per invocation; re-raise what the handler raised."""
        spec = self.template.function(logical_id)
        context = make_context(spec, self.region)
        started = time.perf_counter()
        outcome: dict[str, Any] = {"status": "ok"}
        try:
            if logical_id in self._overrides:
                result = self._overrides[logical_id](event, context)
            else:
                result = self._call(spec, event, context)
            if isinstance(result, dict) and "statusCode" in result:
                outcome["status_code"] = result["statusCode"]
            return result
        except BaseException as exc:
            if getattr(self, "_closed", False):
                outcome = {"status": "ended by the stop"}  # the stack is stopping: not the function's error
            else:
                outcome = {"status": "error", "error_type": getattr(exc, "error_type", type(exc).__name__)}
            raise
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            if duration_ms > spec.timeout_s * 1000 and outcome["status"] != "ended by the stop":
                outcome["timed_out"] = True  # Lambda would have killed it; flag it loudly
            self._log(
                {
                    "level": "ERROR" if outcome["status"] == "error" else "INFO",
                    "message": "invocation",
                    "function": logical_id,
                    "request_id": context.aws_request_id,
                    "correlation_id": correlation_id,
                    "duration_ms": round(duration_ms, 2),
                    **outcome,
                }
            )

    def _log(self, record: dict[str, Any]) -> None:
        record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}
        line = json.dumps({k: v for k, v in record.items() if v is not None})
        with self._log_lock:
            print(line, file=self._log_stream, flush=True)

    def log_exception(self, logical_id: str, exc: BaseException) -> None:
        trace = exc.trace if isinstance(exc, HandlerError) else "".join(traceback.format_exception(exc))
        self._log(
            {
                "level": "ERROR",
                "message": "unhandled exception in handler",
                "function": logical_id,
                "error_type": getattr(exc, "error_type", type(exc).__name__),
                "traceback": trace,
            }
        )

    def close(self) -> None:
        """Release whatever the runtime holds (worker processes)."""


class FunctionRuntime(BaseRuntime):
    """Handlers in this process; HTTP handlers one at a time (see the module docstring)."""

    def __init__(self, template: Template, region: str, log_stream: TextIO | None = None) -> None:
        super().__init__(template, region, log_stream)
        self._modules: dict[str, ModuleType] = {}
        self._load_lock = threading.Lock()
        self._http_lock = threading.Lock()

    def module(self, logical_id: str) -> ModuleType:
        with self._load_lock:
            if logical_id not in self._modules:
                self._modules[logical_id] = load_handler_module(self.template.root, self.template.function(logical_id))
            return self._modules[logical_id]

    def _call(self, spec: FunctionSpec, event: dict[str, Any], context: LambdaContext) -> Any:
        handler: Handler = getattr(self.module(spec.logical_id), spec.handler_function)
        if spec.routes:
            with self._http_lock:
                return handler(event, context)
        return handler(event, context)


def _worker_main(conn: Connection, root: str, spec: FunctionSpec, region: str, env: dict[str, str]) -> None:
    """A worker process: the function's own environment, its handler loaded once, one event at a time."""
    import os
    import signal

    # Ctrl-C in a terminal reaches the whole process group: the parent ends its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    try:
        module = load_handler_module(Path(root), spec)
        handler: Handler = getattr(module, spec.handler_function)
    except BaseException as exc:
        conn.send(("error", type(exc).__name__, str(exc), "".join(traceback.format_exception(exc))))
        return
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        event, request_id = message
        context = make_context(spec, region, request_id)
        try:
            conn.send(("ok", handler(event, context)))
        except BaseException as exc:
            conn.send(("error", type(exc).__name__, str(exc), "".join(traceback.format_exception(exc))))


class _Worker:
    def __init__(self, ctx: Any, template: Template, spec: FunctionSpec, region: str, env: dict[str, str]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, str(template.root), spec, region, env),
            name=f"flagpost-{spec.logical_id}",
            daemon=True,
        )
        self.process.start()
        child.close()
        reply = self.conn.recv()
        if reply[0] != "ready":
            raise HandlerError(reply[1], reply[2], reply[3])

    def call(self, event: dict[str, Any], request_id: str) -> Any:
        self.conn.send((event, request_id))
        reply = self.conn.recv()
        if reply[0] == "ok":
            return reply[1]
        raise HandlerError(reply[1], reply[2], reply[3])

    def stop(self, deadline: float | None = None) -> None:
        """Ask the worker to exit; kill it if it has not by `deadline` (time.monotonic())."""
        with contextlib.suppress(OSError):  # the worker already exited
            self.conn.send(None)
        if deadline is None:
            deadline = time.monotonic() + 5
        self.process.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class ProcessRuntime(BaseRuntime):
    """Each function in worker processes with its own environment; a new one whenever all are busy."""

    def __init__(
        self,
        template: Template,
        region: str,
        function_env: Mapping[str, Mapping[str, str]],
        log_stream: TextIO | None = None,
        max_concurrency: int = 8,
    ) -> None:
        super().__init__(template, region, log_stream)
        self.function_env = {k: dict(v) for k, v in function_env.items()}
        self.max_concurrency = max_concurrency
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._idle: dict[str, queue.SimpleQueue[_Worker]] = {
            s.logical_id: queue.SimpleQueue() for s in template.functions
        }
        self._slots = {
            s.logical_id: threading.BoundedSemaphore(s.reserved_concurrency or max_concurrency)
            for s in template.functions
        }
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def warm(self, logical_ids: list[str] | None = None) -> None:
        """Start one environment per function ahead of the first request (cold starts in parallel)."""
        ids = logical_ids or [s.logical_id for s in self.template.functions]
        starters = [threading.Thread(target=lambda i=i: self._release(i, self._spawn(i))) for i in ids]
        for t in starters:
            t.start()
        for t in starters:
            t.join()

    def _spawn(self, logical_id: str) -> _Worker:
        spec = self.template.function(logical_id)
        worker = _Worker(self._ctx, self.template, spec, self.region, self.function_env[logical_id])
        with self._lock:
            self._all.append(worker)
        return worker

    def _release(self, logical_id: str, worker: _Worker) -> None:
        self._idle[logical_id].put(worker)

    def _call(self, spec: FunctionSpec, event: dict[str, Any], context: LambdaContext) -> Any:
        with self._slots[spec.logical_id]:
            if self._closed:
                raise RuntimeError("the runtime is closed: flagpost local is stopping")
            try:
                worker = self._idle[spec.logical_id].get_nowait()
            except queue.Empty:
                worker = self._spawn(spec.logical_id)
            try:
                return worker.call(event, context.aws_request_id)
            finally:
                if worker.process.is_alive():
                    self._release(spec.logical_id, worker)

    def close(self) -> None:
        """End every worker at once, busy or not: the emulator keeps its state in memory only, so an
        invocation cut short loses nothing that would have survived the stop (and an interpreter's
        orderly exit takes seconds on a busy machine)."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for worker in workers:
            worker.process.kill()
        for worker in workers:
            worker.process.join()
