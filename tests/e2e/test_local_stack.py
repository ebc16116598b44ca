"""`flagpost local`: starts fast, serves the API on loopback, writes credentials, stops cleanly."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from waiting import HANG_S  # type: ignore[import-not-found]

from flagpost_local.process import RunningStack, start_local

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def test_health_answers_on_loopback(local_stack: RunningStack) -> None:
    """How fast it starts is a `make bench` row (goal 30 s), not an assertion: CI may run on a busy machine."""
    assert urlsplit(local_stack.api).hostname == "127.0.0.1"
    reply = requests.get(f"{local_stack.api}/v1/health", timeout=HANG_S)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_credentials_file_has_the_contract_shape(local_stack: RunningStack) -> None:
    creds = local_stack.credentials
    assert creds["api"] == local_stack.api
    assert set(creds) >= {"api", "admin", "flaggers", "reviewers", "platforms"}
    assert len(creds["flaggers"]) == 2
    assert len(creds["reviewers"]) == 2
    assert len(creds["platforms"]) == 2
    for principal in [creds["admin"], *creds["flaggers"], *creds["reviewers"], *creds["platforms"]]:
        assert principal["id"]
        assert principal["api_key"].startswith("fpk_")
    for signer in creds["flaggers"] + creds["platforms"]:
        assert signer["secret"].startswith("whsec_")
    assert "secret" not in creds["admin"]
    assert all("secret" not in r for r in creds["reviewers"])
    up = next(json.loads(line) for line in local_stack.output if '"flagpost local is up"' in line)
    assert up["credentials"] == str(local_stack.credentials_file.resolve()), "it says where the credentials are"
    mode = stat.S_IMODE(local_stack.credentials_file.stat().st_mode)
    assert mode == 0o600, "credentials are readable by their owner only"


def test_openapi_and_problem_json_over_http(local_stack: RunningStack) -> None:
    document = requests.get(f"{local_stack.api}/v1/openapi.json", timeout=HANG_S).json()
    assert document["openapi"].startswith("3.1")
    missing = requests.post(f"{local_stack.api}/v1/nowhere", json={}, timeout=HANG_S)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["status"] == 404


def test_invocations_are_logged_as_json_lines(local_stack: RunningStack) -> None:
    requests.get(f"{local_stack.api}/v1/health", timeout=HANG_S)
    assert any('"message": "invocation"' in line and '"MetaFunction"' in line for line in local_stack.output)


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    stack = start_local(tmp_path, "--no-demo", cwd=REPO)
    assert requests.get(f"{stack.api}/v1/health", timeout=HANG_S).status_code == 200
    assert stack.stop() == 0
    assert any("flagpost local stopped" in line for line in stack.output)
    assert not any("Traceback" in line for line in stack.output)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{stack.api}/v1/health", timeout=2)


def test_a_burst_of_simultaneous_connections_is_served(local_stack: RunningStack) -> None:
    import threading

    barrier = threading.Barrier(40)
    codes: list[int] = []

    def hit() -> None:
        barrier.wait()
        codes.append(requests.get(f"{local_stack.api}/v1/health", timeout=HANG_S).status_code)

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 40
