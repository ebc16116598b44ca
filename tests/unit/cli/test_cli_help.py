"""Every command and every option of the `flagpost` command line says what it is for."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flagpost_cli import COMMANDS, build_parser, main
from flagpost_cli.submit_input import CSV_COLUMNS, read_reports


def _parsers(parser: argparse.ArgumentParser, path: str = "flagpost") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_every_option_and_sub_command_has_help() -> None:
    missing = []
    seen = 0
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            seen += 1
            if isinstance(action, argparse._SubParsersAction):
                documented = {choice.dest for choice in action._choices_actions if choice.help}
                missing += [f"{path} {name}" for name in action.choices if name not in documented]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert seen > 40, "the walk reached every sub-command"
    assert missing == []


def test_every_command_is_walked() -> None:
    walked = {path.split()[1] for path, _ in _parsers(build_parser()) if len(path.split()) > 1}
    assert walked == set(COMMANDS)


def test_submit_help_documents_the_csv_columns_and_the_secret(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["submit", "--help"])
    out = capsys.readouterr().out
    for column in ("url", "target_platform", "category", "priority", "description", "evidence_sha256"):
        assert f"\n  {column} " in out, column
    assert "FLAGPOST_SECRET" in out
    assert "nothing new to send" in out


def test_rotate_help_says_how_long_the_old_key_works(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["principals", "rotate", "--help"])
    assert "24 hours by default" in capsys.readouterr().out


def test_the_readme_shows_every_csv_column_and_its_example_reads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    example = re.search(r"```csv\n(.*?)```", readme, re.S)
    assert example, "the README has a CSV example"
    assert example.group(1).splitlines()[0].split(",") == list(CSV_COLUMNS)
    for column in CSV_COLUMNS:
        assert f"`{column}`" in readme, column
    path = tmp_path / "example.csv"
    path.write_text(example.group(1))
    lines, unreadable = read_reports(path)
    assert unreadable == []
    assert [line.report.get("url") for line in lines] == ["hxxps://t[.]me/demo_channel", None]
    assert lines[1].report["target"] == {"platform": "wickr", "type": "account", "id": "demo_account"}
