"""Schemathesis against the served OpenAPI document: no server errors and conforming responses, per identity."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flagpost.local.process import RunningStack

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
# `make fuzz` raises this for a long run; `make test` keeps it bounded.
EXAMPLES = os.environ.get("FLAGPOST_FUZZ_EXAMPLES", "6")


@pytest.mark.parametrize("identity", ["anonymous", "reviewer", "admin"])
def test_no_server_errors_and_responses_match_the_schema(local_stack: RunningStack, identity: str) -> None:
    creds = local_stack.credentials
    key = {"anonymous": None, "reviewer": creds["reviewers"][1]["api_key"], "admin": creds["admin"]["api_key"]}[
        identity
    ]
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{local_stack.api}/v1/openapi.json",
        "--url", local_stack.api, "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", EXAMPLES, "--seed", "20261122", "--no-color", "--phases", "examples,coverage,fuzzing",
    ]  # fmt: skip
    if key:
        command += ["-H", f"Authorization: Bearer {key}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
