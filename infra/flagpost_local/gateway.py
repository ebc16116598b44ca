"""A local stand-in for the template's HTTP API: routes requests to handlers as payload-v2 events."""

from __future__ import annotations

import base64
import json
import re
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from flagpost_local.runtime import ACCOUNT_ID, BaseRuntime
from flagpost_local.template import HttpRoute, Template

API_ID = "local"
TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/javascript")
# API Gateway HTTP APIs refuse request bodies over 10 MB before any function runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class CompiledRoute:
    function: str
    route: HttpRoute
    pattern: re.Pattern[str]
    params: tuple[str, ...]
    # Sort key: API Gateway prefers the most specific route (fewest greedy, then fewest variables).
    specificity: tuple[int, int, int]


def compile_routes(template: Template) -> list[CompiledRoute]:
    compiled: list[CompiledRoute] = []
    for route_key, (spec, route) in template.routes.items():
        del route_key
        params: list[str] = []
        regex = ""
        greedy = 0
        for segment in route.path.strip("/").split("/"):
            match = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", segment)
            if match and match.group(2):
                params.append(match.group(1))
                regex += f"/(?P<{match.group(1)}>.+)"
                greedy += 1
            elif match:
                params.append(match.group(1))
                regex += f"/(?P<{match.group(1)}>[^/]+)"
            else:
                regex += "/" + re.escape(segment)
        compiled.append(
            CompiledRoute(
                function=spec.logical_id,
                route=route,
                pattern=re.compile(f"^{regex or '/'}$"),
                params=tuple(params),
                specificity=(greedy, len(params), int(route.method == "ANY")),
            )
        )
    compiled.sort(key=lambda c: c.specificity)
    return compiled


def match_route(routes: Iterable[CompiledRoute], method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
    for candidate in routes:
        if candidate.route.method not in (method, "ANY"):
            continue
        found = candidate.pattern.match(path)
        if found:
            return candidate, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def http_event(
    method: str,
    raw_path: str,
    *,
    route_key: str,
    path_parameters: dict[str, str] | None = None,
    raw_query: str = "",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    source_ip: str = "127.0.0.1",
    region: str = "eu-west-1",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-format-2.0 event, as AWS builds it."""
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lname = name.lower()
        if lname == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[lname] = f"{merged[lname]},{value}" if lname in merged else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    content_type = merged.get("content-type", "")
    is_text = not body or any(content_type.startswith(t) for t in TEXT_TYPES)
    try:
        text_body = body.decode("utf-8") if is_text else None
    except UnicodeDecodeError:
        text_body = None
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex[:16],
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": text_body is None,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = text_body if text_body is not None else base64.b64encode(body).decode("ascii")
    return event


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def response_from_result(result: Any) -> HttpResponse:
    """Turn a handler's return value into HTTP, with API Gateway's payload-2.0 rules."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # A bare value: API Gateway serialises it as a 200 JSON body.
        return HttpResponse(200, [("content-type", "application/json")], json.dumps(result).encode())
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    headers.extend(("set-cookie", c) for c in result.get("cookies") or [])
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    return HttpResponse(int(result["statusCode"]), headers, body)


def _aws_message(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps({"message": message}).encode())


class Gateway:
    """Dispatches one HTTP request to the function the template routes it to."""

    def __init__(self, template: Template, runtime: BaseRuntime) -> None:
        self.routes = compile_routes(template)
        self.runtime = runtime

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> HttpResponse:
        parts = urlsplit(target)
        path = parts.path or "/"
        found = match_route(self.routes, method, path)
        if found is None:
            return _aws_message(404, "Not Found")
        compiled, params = found
        event = http_event(
            method,
            path,
            route_key=compiled.route.route_key,
            path_parameters=params,
            raw_query=parts.query,
            headers=headers,
            body=body,
            source_ip=source_ip,
            region=self.runtime.region,
        )
        correlation = next((v for k, v in headers if k.lower() == "webhook-id"), None)
        try:
            result = self.runtime.invoke(compiled.function, event, correlation_id=correlation)
        except Exception as exc:  # the Lambda failed: API Gateway answers 500 and hides the error
            if getattr(self.runtime, "_closed", False):
                return _aws_message(503, "Service Unavailable")  # the stack is stopping: not the function's fault
            self.runtime.log_exception(compiled.function, exc)
            return _aws_message(500, "Internal Server Error")
        return response_from_result(result)


class _RequestHandler(BaseHTTPRequestHandler):
    server: GatewayServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            response = _aws_message(413, "Request Entity Too Large")
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            response = self.server.gateway.handle(
                self.command, self.path, list(self.headers.items()), body, self.client_address[0]
            )
        self.send_response(
            response.status,
            HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else "",
        )
        names = {k.lower() for k, _ in response.headers}
        for name, value in response.headers:
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("content-length", str(len(response.body)))
        self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815 - stdlib names

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, ...) is routed too, as API Gateway routes ANY.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        # One JSON line per invocation is logged by the runtime; the access log would only repeat it.
        return


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets bursts of simultaneous connections (20 flaggers at once).
    request_queue_size = 128

    def __init__(self, gateway: Gateway, host: str = "127.0.0.1", port: int = 0) -> None:
        self.gateway = gateway
        super().__init__((host, port), _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (Ctrl-C during `flagpost submit`) is no error of ours: no traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def wait_until_listening(url: str, timeout_s: float = 10.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v1/health", timeout=1):  # noqa: S310 - our own loopback URL
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
