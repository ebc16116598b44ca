"""A small client for the admin commands: FLAGPOST_API and FLAGPOST_KEY from the environment."""

from __future__ import annotations

import os
import sys
from typing import Any

import requests


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status = status
        self.problem = problem


class MissingKeyError(ApiError):
    def __init__(self) -> None:
        Exception.__init__(
            self, "no API key: set FLAGPOST_KEY (an admin key; `flagpost local` writes one to its credentials file)"
        )
        self.status = 0
        self.problem = {}


class ApiClient:
    def __init__(self, api: str | None = None, key: str | None = None, timeout: float = 30.0) -> None:
        self.api = (api or os.environ.get("FLAGPOST_API") or "http://127.0.0.1:8787").rstrip("/")
        self.key = key or os.environ.get("FLAGPOST_KEY") or ""
        self.timeout = timeout
        self.session = requests.Session()

    def call(self, method: str, path: str, json_body: Any = None) -> Any:
        if not self.key:
            raise MissingKeyError
        reply = self.session.request(
            method,
            f"{self.api}{path}",
            json=json_body,
            headers={"authorization": f"Bearer {self.key}"},
            timeout=self.timeout,
        )
        try:
            body = reply.json()
        except ValueError:
            body = {"detail": reply.text[:300]}
        if reply.status_code == 401:
            raise ApiError(401, {"title": "Unauthorized", "detail": "the key was refused: check FLAGPOST_KEY"})
        if reply.status_code >= 400:
            raise ApiError(reply.status_code, body if isinstance(body, dict) else {"detail": str(body)})
        return body


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Plain aligned columns, one header line; lists are joined with commas."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


# What every admin command's --help says about its environment.
ENVIRONMENT = (
    "Environment: FLAGPOST_API (the API's base URL, default http://127.0.0.1:8787) and FLAGPOST_KEY (an admin "
    "API key, fpk_...)."
)


def significant(value: float, digits: int = 3) -> float:
    """`value` to `digits` significant digits: 5.656854249492381 -> 5.66."""
    return float(f"{value:.{digits}g}")


def rounded_durations(answer: Any) -> Any:
    """Every duration (a field named *_s) rounded to 3 significant digits: the sketch is accurate to 1%."""
    if isinstance(answer, dict):
        return {
            k: significant(v) if k.endswith("_s") and isinstance(v, float) else rounded_durations(v)
            for k, v in answer.items()
        }
    if isinstance(answer, list):
        return [rounded_durations(v) for v in answer]
    return answer


def fail(exc: Exception) -> int:
    print(f"flagpost: {exc}", file=sys.stderr)
    return 1
