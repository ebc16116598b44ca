"""`flagpost principals` against `flagpost local`; rotation keeps submissions flowing; limits bite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from waiting import HANG_S, wait_until  # type: ignore[import-not-found]

from flagpost.domain.webhooks import sign
from flagpost_local.process import RunningStack, start_local

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def cli(stack: RunningStack, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLAGPOST_API": stack.api, "FLAGPOST_KEY": key or stack.credentials["admin"]["api_key"]}
    return subprocess.run(
        [sys.executable, "-m", "flagpost_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=REPO,
    )


def submit(stack: RunningStack, flagger_id: str, secret: str, url: str) -> requests.Response:
    body = json.dumps({"reports": [{"url": url, "category": "threat", "description": "d"}]}).encode()
    headers = {"content-type": "application/json", **sign(body, secret, f"e2e_{uuid.uuid4().hex}")}
    return requests.post(f"{stack.api}/v1/flaggers/{flagger_id}/reports", data=body, headers=headers, timeout=HANG_S)


def test_principals_cli_create_list_rotate_revoke(local_stack: RunningStack) -> None:
    created = cli(local_stack, "principals", "create", "--role", "flagger", "--name", "CLI NGO", "--json")
    assert created.returncode == 0, created.stderr
    flagger: dict[str, Any] = json.loads(created.stdout)
    assert submit(local_stack, flagger["id"], flagger["secret"], "https://example.org/cli/1").status_code == 202

    listing = cli(local_stack, "principals", "list")
    assert listing.returncode == 0
    assert listing.stdout.splitlines()[0].split()[:3] == ["ID", "ROLE", "NAME"]
    assert flagger["id"] in listing.stdout
    assert flagger["api_key"] not in listing.stdout
    assert flagger["secret"] not in listing.stdout

    rotated = json.loads(cli(local_stack, "principals", "rotate", flagger["id"], "--json").stdout)
    # Two live secrets during the overlap: both sign valid submissions.
    assert submit(local_stack, flagger["id"], flagger["secret"], "https://example.org/cli/2").status_code == 202
    assert submit(local_stack, flagger["id"], rotated["secret"], "https://example.org/cli/3").status_code == 202

    revoked = cli(local_stack, "principals", "revoke", flagger["id"])
    assert revoked.returncode == 0
    assert "revoked" in revoked.stdout
    # Refused once the warm environments' caches lapse. The contract's 5-second bound is asserted on
    # a clock the test moves, at the integration tier (test_admin_principals); timed here, it would
    # be a verdict on the machine's speed.
    wait_until(
        lambda: submit(local_stack, flagger["id"], rotated["secret"], "https://example.org/cli/4").status_code == 401,
        interval_s=0.5,
        what="refusing the revoked flagger",
    )


def test_principals_cli_reports_errors_without_a_traceback(local_stack: RunningStack) -> None:
    reviewer_key = local_stack.credentials["reviewers"][0]["api_key"]
    denied = cli(local_stack, "principals", "list", key=reviewer_key)
    assert denied.returncode == 1
    assert "403" in denied.stderr
    assert "Traceback" not in denied.stderr


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    stack = start_local(tmp_path, cwd=REPO, env={"FLAGPOST_FLAGGER_REPORTS_PER_MINUTE": "2"})
    try:
        flaggers = iter([stack.credentials["flaggers"][0], stack.credentials["flaggers"][1]])
        for _ in range(10):
            # The limit counts per minute of the wall clock, which the stack reads on this machine:
            # three submissions inside one minute are checked; if a minute began between them (the
            # machine may be slow), a fresh flagger starts over in the next.
            flagger = next(flaggers, None) or new_flagger(stack)
            minute = int(time.time() // 60)
            assert submit(stack, flagger["id"], flagger["secret"], "https://example.org/rl/1").status_code == 202
            second = submit(stack, flagger["id"], flagger["secret"], "https://example.org/rl/2")
            limited = submit(stack, flagger["id"], flagger["secret"], "https://example.org/rl/3")
            if int(time.time() // 60) == minute:
                break
        else:
            pytest.fail("every try straddled the start of a minute: a hang")
        assert second.status_code == 202
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["content-type"] == "application/problem+json"
    finally:
        assert stack.stop() == 0


def new_flagger(stack: RunningStack) -> dict[str, Any]:
    created = requests.post(
        f"{stack.api}/v1/admin/principals",
        json={"role": "flagger", "name": f"Flagger {uuid.uuid4().hex[:6]}"},
        headers={"authorization": f"Bearer {stack.credentials['admin']['api_key']}"},
        timeout=HANG_S,
    )
    assert created.status_code == 201, created.text
    flagger: dict[str, Any] = created.json()
    return flagger


def test_stats_and_yearly_report_cli(local_stack: RunningStack) -> None:
    flagger = local_stack.credentials["flaggers"][0]
    assert submit(local_stack, flagger["id"], flagger["secret"], "https://example.org/report/1").status_code == 202
    stats = cli(local_stack, "stats")
    assert stats.returncode == 0, stats.stderr
    assert stats.stdout.startswith("items ")
    assert "flaggers" in stats.stdout
    year = time.gmtime().tm_year

    def counted() -> list[str] | None:
        """The yearly report once the stream has counted the submission (it does so asynchronously)."""
        report = cli(local_stack, "report", "--year", str(year), "--format", "csv")
        assert report.returncode == 0, report.stderr
        lines = report.stdout.splitlines()
        assert lines[0] == "field,value"
        assert flagger["id"] not in report.stdout
        notices = any(line.startswith("notices,") and int(line.split(",")[1]) >= 1 for line in lines)
        return lines if notices else None

    lines = wait_until(counted, interval_s=0.5, what="the report counting the submission")
    assert "statement_of_reasons_defaults.source_type,SOURCE_TRUSTED_FLAGGER" in lines
