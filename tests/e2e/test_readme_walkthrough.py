"""The README's five-minute walkthrough, run as written against a fresh `flagpost local`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from flagpost_local.process import start_local

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("In a second terminal:") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the walkthrough block"
    return match.group(1)


def test_the_readme_walkthrough_works_as_written(tmp_path: Path) -> None:
    stack = start_local(tmp_path, cwd=REPO)
    try:
        script = walkthrough()
        assert "API=http://127.0.0.1:8787" in script
        script = script.replace("API=http://127.0.0.1:8787", f"API={stack.api}")
        script = script.replace("C=.flagpost/credentials.json", f"C={stack.credentials_file}")
        script = script.replace("/tmp/reports.jsonl", str(tmp_path / "reports.jsonl"))
        assert ".flagpost/outbox/" in script
        script = script.replace(".flagpost/outbox/", f"{stack.credentials_file.parent}/outbox/")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=900,  # a guard against a hang, not a speed bound: CI may run on a busy machine
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        out = done.stdout
        assert '{"status":"ok"}' in out
        assert '"new": 2, "duplicate": 1, "invalid": 0' in out
        assert '"decision":"confirm"' in out.replace(" ", "")
        assert '"outcome":"removed"' in out.replace(" ", "")
        assert "My platform" in out
        assert "abuse@example.org" in out
        # 4: the YouTube video's notice went out by e-mail too, and is in the outbox
        assert re.search(
            r"Subject: URGENT, CRISIS: DSA Art\. 16 notice from a trusted flagger: "
            r"terrorist content \(incitement\) on youtube",
            out,
            re.M,
        ), out
        # 6: the stats and the yearly report count what the walkthrough did
        assert re.search(r"items 2\s+reports 3\s+overdue 0\s+failed deliveries 0", out), out
        assert re.search(r"^confirmed\s+1\s*$", out, re.M), out
        assert "decisions.confirmed,1" in out, out
        assert re.search(r"actions_by_platform\.\S+\.removed,1", out), out
    finally:
        assert stack.stop() == 0
