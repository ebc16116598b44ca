"""The command line against a real `flagpost local`: Ctrl-C during `flagpost submit`, and Ctrl-C while the
stack works through a backlog. Every wait is for a condition; the timeouts only bound a hang."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from waiting import HANG_S, wait_until  # type: ignore[import-not-found]

from flagpost.domain.webhooks import sign
from flagpost_local.process import RunningStack, start_local

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def _reports(tag: str, count: int) -> list[dict[str, str]]:
    return [
        {"url": f"https://example.org/{tag}/{i}", "category": "incitement", "description": f"video {i}"}
        for i in range(count)
    ]


def _submit(stack: RunningStack, path: Path) -> subprocess.Popen[str]:
    flagger = stack.credentials["flaggers"][0]
    return subprocess.Popen(
        [sys.executable, "-m", "flagpost_cli", "submit", str(path), "--flagger", flagger["id"], "--no-progress"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FLAGPOST_SECRET": flagger["secret"], "FLAGPOST_API": stack.api},
    )


def _summary(out: str) -> dict[str, int]:
    summary: dict[str, int] = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    return summary


def test_ctrl_c_during_submit_stops_cleanly_and_the_re_run_resumes(local_stack: RunningStack, tmp_path: Path) -> None:
    total = 3000
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _reports(f"ctrl-c/{uuid.uuid4().hex}", total)))
    state = tmp_path / "reports.jsonl.flagpost-state.json"
    mark = len(local_stack.output)

    running = _submit(local_stack, path)
    wait_until(state.exists, what="the first accepted batch saved")
    running.send_signal(signal.SIGINT)
    out, err = running.communicate(timeout=HANG_S)
    assert running.returncode == 130, out + err
    assert out == ""
    assert err.count("\n") == 1, err
    assert "interrupted" in err
    assert "run the same command again" in err
    saved = len(json.loads(state.read_text())["lines"])
    assert 0 < saved < total

    again = _submit(local_stack, path)
    out, err = again.communicate(timeout=HANG_S * 5)
    assert again.returncode == 0, out + err
    summary = _summary(out)
    assert summary["already_sent"] == saved, "lines accepted before the interruption are not sent again"
    assert summary["new"] + summary["duplicate"] + summary["already_sent"] == total

    last = _submit(local_stack, path)
    out, err = last.communicate(timeout=HANG_S)
    assert last.returncode == 0, out + err
    assert "nothing new to send" in out

    logged = "".join(local_stack.output[mark:])
    assert "Traceback" not in logged, "the request cut short by Ctrl-C left no traceback in the server's log"
    assert "Exception occurred during processing" not in logged


def test_ctrl_c_with_a_backlog_stops_cleanly_between_batches(tmp_path: Path) -> None:
    stack = start_local(tmp_path, cwd=REPO, own_group=True)
    try:
        flagger = stack.credentials["flaggers"][0]
        session = requests.Session()
        tag = uuid.uuid4().hex
        for batch in range(10):
            body = json.dumps({"reports": _reports(f"backlog/{tag}/{batch}", 100)}).encode()
            headers = {"content-type": "application/json", **sign(body, flagger["secret"], f"{tag}-{batch}")}
            reply = session.post(
                f"{stack.api}/v1/flaggers/{flagger['id']}/reports", data=body, headers=headers, timeout=HANG_S
            )
            assert reply.status_code == 202
        wait_until(
            lambda: any('"function": "DispatchFunction"' in line for line in stack.output),
            what="the stream's backlog being worked",
        )
    finally:
        mark = len(stack.output)
        assert stack.stop() == 0  # Ctrl-C to the process group, as a terminal sends it: the workers get it too
    after = stack.output[mark:]
    assert any("flagpost local stopped" in line for line in after)
    assert not any("Traceback" in line or '"level": "ERROR"' in line for line in after), "".join(after)
    dispatched_after = sum('"function": "DispatchFunction"' in line for line in after)
    assert dispatched_after <= 1, "only the batch already running when Ctrl-C came may finish"
