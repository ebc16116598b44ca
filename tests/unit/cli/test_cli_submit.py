"""`flagpost submit`: exit status, per-line resuming, "nothing new to send", Ctrl-C, CSV columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_api import SECRET, FakeApi  # type: ignore[import-not-found]

from flagpost_cli import main


def _report(n: int, **extra: Any) -> dict[str, Any]:
    return {"url": f"https://t.me/channel_{n}", "category": "recruitment", "description": f"posts {n}", **extra}


def _write(path: Path, reports: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in reports), encoding="utf-8")
    return path


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi()
    monkeypatch.setattr("requests.Session", fake)
    monkeypatch.delenv("FLAGPOST_SECRET", raising=False)
    return fake


def submit(path: Path, *extra: str) -> int:
    return main(["submit", str(path), "--flagger", "fla_1", "--secret", SECRET, "--no-progress", *extra])


def _summary(out: str) -> dict[str, int]:
    first = next(line for line in out.splitlines() if line.startswith("{"))
    summary: dict[str, int] = json.loads(first)
    return summary


def test_a_clean_file_exits_zero(api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.jsonl", [_report(1), _report(2), _report(1)])
    assert submit(path) == 0
    assert _summary(capsys.readouterr().out) == {
        "batches": 1,
        "new": 2,
        "duplicate": 1,
        "invalid": 0,
        "unreadable": 0,
        "failed_batches": 0,
        "already_sent": 0,
    }


def test_invalid_and_unreadable_lines_exit_non_zero_and_say_so(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "r.jsonl", [_report(1), '{"url": broken', _report(2, category="nonsense"), "[1, 2]"])
    assert submit(path) == 1
    out = capsys.readouterr().out
    summary = _summary(out)
    assert (summary["new"], summary["invalid"], summary["unreadable"]) == (1, 1, 2)
    assert "line 2: unreadable: not JSON" in out
    assert "line 3: invalid: category" in out
    assert "line 4: unreadable: not a JSON object" in out
    assert "not everything was accepted: 1 invalid, 2 unreadable" in out
    assert len(api.sent) == 2, "unreadable lines are never sent"


def test_bytes_that_are_not_utf8_make_one_line_unreadable(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(json.dumps(_report(1)).encode() + b"\n\xff\xfe{}\n" + json.dumps(_report(2)).encode() + b"\n")
    assert submit(path) == 1
    out = capsys.readouterr().out
    assert _summary(out)["new"] == 2
    assert "line 2: unreadable: not UTF-8" in out


def test_a_re_run_sends_nothing_and_says_so(api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.jsonl", [_report(n) for n in range(5)])
    assert submit(path) == 0
    capsys.readouterr()
    assert submit(path) == 0
    out = capsys.readouterr().out
    assert len(api.posts) == 1
    assert _summary(out)["already_sent"] == 5
    assert "nothing new to send" in out


def test_an_edited_file_resumes_per_line(api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.jsonl", [_report(n) for n in range(150)])
    assert submit(path) == 0
    assert len(api.sent) == 150
    # Lines inserted at the top, one changed, one removed: every accepted line moves.
    reports = [_report(1000), _report(1001)] + [_report(n) for n in range(150) if n != 7]
    reports[50] = _report(49, description="edited")
    _write(path, reports)
    capsys.readouterr()
    assert submit(path) == 0
    resent = api.sent[150:]
    assert resent == [_report(1000), _report(1001), _report(49, description="edited")]
    summary = _summary(capsys.readouterr().out)
    assert (summary["new"], summary["duplicate"], summary["already_sent"]) == (2, 1, 148)


def test_an_invalid_line_is_not_resent_until_it_is_fixed(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "r.jsonl", [_report(1), _report(2, category="nonsense")])
    assert submit(path) == 1
    capsys.readouterr()
    assert submit(path) == 1, "still invalid: still a failure"
    out = capsys.readouterr().out
    assert "nothing new to send" in out
    assert "line 2: invalid: category" in out
    _write(path, [_report(1), _report(2)])
    assert submit(path) == 0
    assert api.sent[-1] == _report(2)
    assert len(api.posts) == 2


def test_ctrl_c_stops_with_one_line_and_the_re_run_resumes(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt_second(n: int) -> None:
        if n == 2:
            raise KeyboardInterrupt

    api.before_post = interrupt_second
    path = _write(tmp_path / "r.jsonl", [_report(n) for n in range(250)])
    assert submit(path) == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "interrupted; 100 of 250 lines are sent" in captured.err
    assert "Traceback" not in captured.err

    api.before_post = None
    assert submit(path) == 0
    assert [r["url"] for r in api.sent] == [_report(n)["url"] for n in range(250)]
    assert _summary(capsys.readouterr().out)["already_sent"] == 100


def test_a_batch_sent_but_not_recorded_is_replayed_not_resubmitted(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C after the server accepted a batch but before its answer was saved: the re-run repeats the webhook-id."""
    path = _write(tmp_path / "r.jsonl", [_report(n) for n in range(3)])
    state = tmp_path / "state.json"
    assert submit(path, "--state", str(state)) == 0
    state.unlink()
    capsys.readouterr()
    assert submit(path, "--state", str(state)) == 0
    assert _summary(capsys.readouterr().out)["new"] == 3, "the server's first answer, replayed"
    assert len(api.answered) == 1


def test_csv_columns(api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "url,target_platform,target_type,target_id,category,priority,description,evidence_sha256\n"
        "hxxps://t[.]me/x,,,,recruitment,crisis,recruitment posts,\n"
        ",wickr,account,someone,threat,,threats," + "a" * 64 + "\n"
        "https://t.me/y,,,,recruitment,,too many,fields,here\n",
        encoding="utf-8",
    )
    assert submit(path) == 1
    out = capsys.readouterr().out
    assert api.sent == [
        {
            "url": "hxxps://t[.]me/x",
            "category": "recruitment",
            "priority": "crisis",
            "description": "recruitment posts",
        },
        {
            "category": "threat",
            "description": "threats",
            "target": {"platform": "wickr", "type": "account", "id": "someone"},
            "evidence": {"sha256": "a" * 64},
        },
    ]
    assert "line 4: unreadable: more fields than the header's 8" in out


def test_missing_secret_names_the_variable(api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.jsonl", [_report(1)])
    assert main(["submit", str(path), "--flagger", "fla_1"]) == 2
    assert "FLAGPOST_SECRET" in capsys.readouterr().err


def test_a_missing_file_is_one_line_not_a_traceback(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert submit(tmp_path / "nowhere.jsonl") == 2
    assert "cannot read" in capsys.readouterr().err
