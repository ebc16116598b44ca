"""The admin commands against a fake API: a missing key, rotation's overlap, rounded durations."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flagpost_cli import main
from flagpost_cli.principals_cmd import until

DURATIONS = {"count": 3, "median_s": 5.656854249492381, "p90_s": 4000.123456}


def _stats() -> dict[str, Any]:
    return {
        "items": 2,
        "reports": 3,
        "overdue": 0,
        "deliveries_failed": 0,
        "by_status": {"confirmed": 1},
        "by_category": {},
        "by_priority": {},
        "time_to_decision": DURATIONS,
        "time_to_outcome": {"count": 0, "median_s": None, "p90_s": None},
        "flaggers": {},
        "platforms": {},
    }


@dataclass
class Reply:
    status_code: int
    body: Any

    def json(self) -> Any:
        return self.body

    @property
    def text(self) -> str:
        return json.dumps(self.body)


@dataclass
class FakeAdminApi:
    answers: dict[tuple[str, str], Any]
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self) -> FakeAdminApi:
        return self

    def request(self, method: str, url: str, json: Any, headers: dict[str, str], timeout: float) -> Reply:
        del json, timeout
        path = url.split("8787", 1)[1]
        self.calls.append((method, path, headers["authorization"]))
        if headers["authorization"] != "Bearer fpk_admin":
            return Reply(401, {"title": "Unauthorized", "status": 401})
        return Reply(200, self.answers[(method, path)])


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeAdminApi:
    fake = FakeAdminApi(
        {
            ("GET", "/v1/stats"): _stats(),
            ("GET", "/v1/stats?year=2026"): {
                "year": 2026,
                "decisions": {"confirmed": 1},
                "time_to_decision": DURATIONS,
                "time_to_action": {"count": 0, "median_s": None, "p90_s": None},
            },
        }
    )
    monkeypatch.setattr("requests.Session", fake)
    monkeypatch.setenv("FLAGPOST_API", "http://127.0.0.1:8787")
    monkeypatch.setenv("FLAGPOST_KEY", "fpk_admin")
    return fake


@pytest.mark.parametrize(
    "argv",
    [["stats"], ["report", "--year", "2026"], ["principals", "list"], ["deliveries", "redeliver", "--platform", "p"]],
)
def test_a_missing_key_says_set_flagpost_key(
    api: FakeAdminApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    monkeypatch.delenv("FLAGPOST_KEY")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "set FLAGPOST_KEY" in err
    assert err.count("\n") == 1
    assert api.calls == [], "nothing is sent without a key"


def test_a_refused_key_says_which_variable_to_check(
    api: FakeAdminApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLAGPOST_KEY", "fpk_wrong")
    assert main(["stats"]) == 1
    assert "check FLAGPOST_KEY" in capsys.readouterr().err


def test_rotate_says_until_when_the_old_key_works(api: FakeAdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    valid_until = datetime.now(UTC) + timedelta(hours=24)
    api.answers[("POST", "/v1/admin/principals/fla_1/rotate")] = {
        "id": "fla_1",
        "role": "flagger",
        "name": "F",
        "api_key": "fpk_new",
        "secret": "whsec_new",
        "previous_valid_until": valid_until.isoformat(),
    }
    assert main(["principals", "rotate", "fla_1"]) == 0
    out = capsys.readouterr().out
    assert f"the old key and secret keep working until {valid_until:%Y-%m-%d %H:%M} UTC (in 24 h)" in out


def test_until_reads_hours_and_minutes() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert until("2026-01-02T12:00:00Z", now) == "until 2026-01-02 12:00 UTC (in 24 h)"
    assert until("2026-01-01T12:30:00+00:00", now) == "until 2026-01-01 12:30 UTC (in 30 min)"


def test_stats_prints_durations_rounded(api: FakeAdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "5.66 s" in out
    assert "1.11 h" in out
    assert "5.656854249492381" not in out


def test_stats_json_is_rounded_too(api: FakeAdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["time_to_decision"] == {"count": 3, "median_s": 5.66, "p90_s": 4000.0}


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_report_prints_durations_rounded(api: FakeAdminApi, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["report", "--year", "2026", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "5.656854249492381" not in out
    if fmt == "csv":
        assert dict(csv.reader(io.StringIO(out)))["time_to_decision.median_s"] == "5.66"
    else:
        assert json.loads(out)["time_to_decision"]["median_s"] == 5.66


def test_ctrl_c_in_an_admin_command_is_one_line(
    api: FakeAdminApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Reply:
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "request", interrupted)
    assert main(["stats"]) == 130
    assert capsys.readouterr().err == "flagpost stats: interrupted\n"


def test_stats_shows_organisations_by_name_with_their_id_beside(
    api: FakeAdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    stats = _stats()
    stats["flaggers"] = {"fla_1a2b": {"name": "Referral Unit Nord", "reports": 4, "decided": 2, "confirmed": 1,
                                      "precision": 0.5}}  # fmt: skip
    stats["platforms"] = {"pla_9z": {"name": "Video Host", "items": 1, "outcomes": 0, "removed": 0,
                                     "removal_rate": None, "deliveries_failed": 0}}  # fmt: skip
    api.answers[("GET", "/v1/stats")] = stats
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    flagger_row = next(line for line in out.splitlines() if "Referral Unit Nord" in line)
    assert "fla_1a2b" in flagger_row
    assert flagger_row.index("Referral Unit Nord") < flagger_row.index("fla_1a2b"), "the name comes first"
    assert any("Video Host" in line and "pla_9z" in line for line in out.splitlines())
