"""`flagpost normalize`: one JSON object per input line, exactly as the contract says."""

from __future__ import annotations

import io
import json

import pytest

from flagpost_cli import main


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_arguments_give_one_object_each_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["normalize", "t.me/x", "hxxps://t[.]me/X", "javascript:alert(1)"])
    out = _lines(capsys.readouterr().out)
    assert status == 0
    assert [line["input"] for line in out] == ["t.me/x", "hxxps://t[.]me/X", "javascript:alert(1)"]
    assert out[0] == {
        "input": "t.me/x",
        "platform": "telegram",
        "type": "channel",
        "id": "x",
        "canonical_url": "https://t.me/x",
        "dedup_key": out[0]["dedup_key"],
    }
    assert out[1]["dedup_key"] == out[0]["dedup_key"]
    assert set(out[2]) == {"input", "error", "reason"}
    assert out[2]["reason"] == "unsupported_scheme"


def test_stdin_is_read_one_link_per_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("https://t.me/durov/5\r\n\nfile:///etc/passwd\nhttps://youtu.be/dQw4w9WgXcQ")
    )
    status = main(["normalize"])
    out = _lines(capsys.readouterr().out)
    assert status == 0
    assert len(out) == 4  # output line N answers input line N, blank lines included
    assert out[0]["input"] == "https://t.me/durov/5"
    assert out[0]["parent"] == {"type": "channel", "id": "durov", "dedup_key": out[0]["parent"]["dedup_key"]}  # type: ignore[index]
    assert out[1] == {"input": "", "error": "input is empty", "reason": "empty"}
    assert out[2]["reason"] == "unsupported_scheme"
    assert out[3]["type"] == "video"


def test_an_empty_argument_is_an_error_object_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["normalize", ""]) == 0
    assert _lines(capsys.readouterr().out) == [{"input": "", "error": "input is empty", "reason": "empty"}]


def test_every_line_is_valid_json_even_for_hostile_input(capsys: pytest.CaptureFixture[str]) -> None:
    hostile = ["https://t.me/\udcff", "\x00", "https://\u0442.me/x", '"quoted"']
    assert main(["normalize", *hostile]) == 0
    out = _lines(capsys.readouterr().out)
    assert [line["input"] for line in out] == hostile
    # A Cyrillic look-alike host is not Telegram.
    assert out[2]["platform"] == "web"
