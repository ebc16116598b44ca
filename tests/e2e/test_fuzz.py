"""Schemathesis against the served OpenAPI document: no server errors and conforming responses, per identity.

The signed ingest route is fuzzed once more as a flagger: a hook (fuzz_signing.py) signs each generated
request, so that generated bodies get past signature verification and reach validation and landing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import requests
from waiting import HANG_S  # type: ignore[import-not-found]

from flagpost_local.process import RunningStack

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
# `make fuzz` raises this for a long run; `make test` keeps it bounded.
EXAMPLES = os.environ.get("FLAGPOST_FUZZ_EXAMPLES", "6")
# A busy machine is slow, not wrong: requests may take long (bounded only against a hang), and generating
# data slowly is no failure (Hypothesis' too_slow health check).
PATIENT = ["--request-timeout", "120", "--suppress-health-check", "too_slow"]


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
        *PATIENT,
    ]  # fmt: skip
    if key:
        command += ["-H", f"Authorization: Bearer {key}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


# A signed submission that got past verification answers 202 (landed), 400 (not JSON), 422 (not a valid
# envelope), 409 (a replayed webhook-id with another body) or 429 (rate limit). Refused before it: 401 (a bad
# signature; here only non-UTF-8 bodies), 413 (too large) and 415 (not JSON by its content type).
VERIFIED = {202, 400, 409, 422, 429}


def test_signed_submissions_reach_validation_without_server_errors(local_stack: RunningStack, tmp_path: Path) -> None:
    """The ingest route fuzzed through a hook that signs each generated request with a real flagger's secret."""
    creds = local_stack.credentials
    # A flagger of its own: the demo flaggers' rate-limit windows belong to the other e2e tests.
    created = requests.post(
        f"{local_stack.api}/v1/admin/principals",
        json={"role": "flagger", "name": "Fuzz flagger"},
        headers={"authorization": f"Bearer {creds['admin']['api_key']}"},
        timeout=HANG_S,
    )
    assert created.status_code == 201, created.text
    flagger = created.json()
    statuses = tmp_path / "statuses.log"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{local_stack.api}/v1/openapi.json",
        "--url", local_stack.api, "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", EXAMPLES, "--seed", "20261122", "--no-color", "--phases", "examples,coverage,fuzzing",
        *PATIENT,
        "--include-tag", "flagger", "-H", f"Authorization: Bearer {flagger['api_key']}",
    ]  # fmt: skip
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(REPO / "tests" / "e2e" / "fuzz_signing.py"),
        "FLAGPOST_FUZZ_FLAGGER_ID": flagger["id"],
        "FLAGPOST_FUZZ_FLAGGER_SECRET": flagger["secret"],
        "FLAGPOST_FUZZ_STATUS_LOG": str(statuses),
    }
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=REPO, env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
    lines = [line.split() for line in statuses.read_text().splitlines()]
    # Other methods on the path are answered 404 by the gateway; count the submissions (POST) only.
    seen = Counter(int(status) for status, method, _ in lines if method == "POST")
    total = sum(seen.values())
    verified = sum(n for status, n in seen.items() if status in VERIFIED)
    print(f"signed submissions by status: {dict(sorted(seen.items()))}")
    # If signing broke, every submission would answer 401: demand that most got past verification.
    assert total >= 10, seen
    assert seen[202] >= 1, seen
    assert verified >= 0.8 * total, seen
