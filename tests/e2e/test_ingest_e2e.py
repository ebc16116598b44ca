"""Ingest over HTTP against `flagpost local`: signatures, replays, partial batches, concurrent dedup, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from waiting import HANG_S  # type: ignore[import-not-found]

from flagpost.domain.webhooks import sign
from flagpost_local.process import RunningStack

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
FORMS = [
    "t.me/e2e_channel",
    "https://telegram.me/s/E2E_Channel?utm_source=tw",
    "hxxps://t[.]me/e2e_channel",
    "tg://resolve?domain=e2e_channel",
    "https://t.me/e2e_channel/",
]


def report(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "category": "recruitment", "description": "recruitment video", **extra}


def post(
    stack: RunningStack,
    flagger: dict[str, Any],
    body: bytes,
    msg_id: str | None = None,
    secret: str | None = None,
    at: float | None = None,
) -> requests.Response:
    headers = {
        "content-type": "application/json",
        **sign(body, secret or flagger["secret"], msg_id or f"e2e_{uuid.uuid4().hex}", at),
    }
    return requests.post(f"{stack.api}/v1/flaggers/{flagger['id']}/reports", data=body, headers=headers, timeout=HANG_S)


def envelope(*reports: dict[str, Any]) -> bytes:
    return json.dumps({"reports": list(reports)}).encode()


def test_signed_submission_then_read_back(local_stack: RunningStack) -> None:
    flagger = local_stack.credentials["flaggers"][0]
    reply = post(local_stack, flagger, envelope(report("https://example.org/e2e/read-back", external_id="x-1")))
    assert reply.status_code == 202
    (result,) = reply.json()["results"]
    assert result["status"] == "new"
    view = requests.get(
        f"{local_stack.api}/v1/reports/{result['report_id']}",
        headers={"authorization": f"Bearer {flagger['api_key']}"},
        timeout=HANG_S,
    )
    assert view.status_code == 200
    assert view.json()["external_id"] == "x-1"
    other = local_stack.credentials["flaggers"][1]
    assert (
        requests.get(
            f"{local_stack.api}/v1/reports/{result['report_id']}",
            headers={"authorization": f"Bearer {other['api_key']}"},
            timeout=HANG_S,
        ).status_code
        == 404
    )


def test_forged_tampered_stale_and_unknown_submissions_get_401(local_stack: RunningStack) -> None:
    flagger, other = local_stack.credentials["flaggers"]
    body = envelope(report("https://example.org/e2e/forged"))
    assert post(local_stack, flagger, body, secret=other["secret"]).status_code == 401
    assert post(local_stack, flagger, body, at=time.time() - 600).status_code == 401
    headers = {"content-type": "application/json", **sign(body, flagger["secret"], "e2e_tamper")}
    tampered = requests.post(
        f"{local_stack.api}/v1/flaggers/{flagger['id']}/reports",
        data=body.replace(b"forged", b"f0rged"),
        headers=headers,
        timeout=HANG_S,
    )
    assert tampered.status_code == 401
    unknown = requests.post(
        f"{local_stack.api}/v1/flaggers/fla_nobody/reports",
        data=body,
        headers={"content-type": "application/json", **sign(body, flagger["secret"], "e2e_u")},
        timeout=HANG_S,
    )
    assert unknown.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"


def test_replay_returns_the_first_answer_and_a_changed_body_conflicts(local_stack: RunningStack) -> None:
    flagger = local_stack.credentials["flaggers"][0]
    body = envelope(report("https://example.org/e2e/replay"))
    first = post(local_stack, flagger, body, msg_id="e2e_replay_1")
    again = post(local_stack, flagger, body, msg_id="e2e_replay_1")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    changed = post(local_stack, flagger, envelope(report("https://example.org/e2e/replay2")), msg_id="e2e_replay_1")
    assert changed.status_code == 409


def test_partial_batch_of_100_and_size_limit(local_stack: RunningStack) -> None:
    flagger = local_stack.credentials["flaggers"][0]
    reports = [report(f"https://example.org/e2e/batch/{i}") for i in range(100)]
    reports[5] = report("ftp://example.org/file")
    reports[50] = {"url": "https://example.org/e2e/no-category", "description": "d"}
    reply = post(local_stack, flagger, envelope(*reports))
    assert reply.status_code == 202
    statuses = [r["status"] for r in reply.json()["results"]]
    assert statuses.count("invalid") == 2
    assert statuses.count("new") == 98
    too_big = envelope(*[report("https://example.org/e2e/big", description="y" * 4000)] * 70)
    big = post(local_stack, flagger, too_big)
    assert big.status_code == 413
    assert big.headers["content-type"] == "application/problem+json"


def test_concurrent_reports_of_one_target_in_many_forms_make_one_item(local_stack: RunningStack) -> None:
    flaggers = local_stack.credentials["flaggers"]
    barrier = threading.Barrier(20)
    results: list[dict[str, Any]] = []

    def go(i: int) -> None:
        flagger = flaggers[i % 2]
        body = envelope(report(FORMS[i % len(FORMS)]))
        barrier.wait()
        reply = post(local_stack, flagger, body)
        assert reply.status_code == 202, reply.text
        results.append(reply.json()["results"][0])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    assert len({r["item_id"] for r in results}) == 1
    assert sorted(r["status"] for r in results) == ["duplicate"] * 19 + ["new"]


def test_flagpost_submit_sends_resumes_and_summarises(local_stack: RunningStack, tmp_path: Path) -> None:
    flagger = local_stack.credentials["flaggers"][1]
    lines = [json.dumps(report(f"https://example.org/e2e/cli/{i}")) for i in range(150)]
    lines[10] = json.dumps({"url": "https://example.org/e2e/cli/bad", "category": "nope", "description": "d"})
    lines[20] = "{not json"
    source = tmp_path / "reports.jsonl"
    source.write_text("\n".join(lines) + "\n")
    command = [
        sys.executable,
        "-m",
        "flagpost_cli",
        "submit",
        str(source),
        "--flagger",
        flagger["id"],
        "--secret",
        flagger["secret"],
        "--api",
        local_stack.api,
        "--no-progress",
    ]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=REPO)
    assert first.returncode == 1, "a line was invalid and one unreadable: " + first.stdout + first.stderr
    summary = json.loads(first.stdout.splitlines()[0])
    assert summary == {
        "batches": 2, "new": 148, "duplicate": 0, "invalid": 1, "unreadable": 1, "failed_batches": 0, "already_sent": 0
    }  # fmt: skip
    assert "line 11: invalid: category" in first.stdout
    assert "line 21: unreadable" in first.stdout

    # Interrupted runs resume from the state file; without it, stable webhook-ids make the server replay.
    (tmp_path / "reports.jsonl.flagpost-state.json").unlink()
    second = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=REPO)
    assert second.returncode == 1, second.stdout + second.stderr
    assert json.loads(second.stdout.splitlines()[0]) == summary, "replayed, not submitted twice"


def test_submit_reports_a_refused_batch_and_exits_non_zero(local_stack: RunningStack, tmp_path: Path) -> None:
    flagger, other = local_stack.credentials["flaggers"]
    source = tmp_path / "r.jsonl"
    source.write_text(json.dumps(report("https://example.org/e2e/cli/refused")) + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flagpost_cli",
            "submit",
            str(source),
            "--flagger",
            flagger["id"],
            "--secret",
            other["secret"],
            "--api",
            local_stack.api,
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert "batch 0: not accepted: lines 1-1: 401" in done.stdout
