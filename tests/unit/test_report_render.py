"""The published forms of the yearly report: CSV cells a spreadsheet will not run, an inert HTML page."""

from __future__ import annotations

import csv
import io
from typing import Any

from flagpost_cli.report_render import html_page, human, rows

DURATIONS = {"count": 2, "median_s": 3600.0, "p90_s": 5400.0}
HOSTILE = '=HYPERLINK("https://evil.example/x","<b>click</b>")<script>alert(1)</script>'


def report() -> dict[str, Any]:
    provider = {
        "notices": 2,
        "notices_by_category": {"incitement": 2},
        "actions": {"removed": 1},
        "decisions": {"DECISION_VISIBILITY_CONTENT_REMOVED": 1},
        "time_to_action": DURATIONS,
        "steps": {"dispatched": DURATIONS, "confirmation_1": DURATIONS},
    }
    return {
        "year": 2026,
        "notices": 3,
        "items": 2,
        "notices_sent": 2,
        "decisions": {"confirmed": 2},
        "notices_sent_by_category": {"incitement": 2},
        "actions": {"removed": 1},
        "action_decisions": {"DECISION_VISIBILITY_CONTENT_REMOVED": 1},
        "providers": {HOSTILE: provider},
        "statement_of_reasons_defaults": {"category_specification": ["KEYWORD_TERRORIST_CONTENT"]},
    }


def test_csv_cells_never_start_a_formula() -> None:
    out = io.StringIO()
    csv.writer(out).writerows([("field", "value"), *rows(report())])
    read = list(csv.reader(io.StringIO(out.getvalue())))
    assert ["notices_sent", "2"] in read
    assert ["statement_of_reasons_defaults.category_specification", "KEYWORD_TERRORIST_CONTENT"] in read
    named = [r for r in read if "HYPERLINK" in r[0]]
    assert named
    assert all(r[0].startswith("'providers.") or r[0].startswith("providers.") for r in named)
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in read for cell in r)


def test_the_html_page_escapes_names_and_loads_or_links_nothing() -> None:
    page = html_page(report())
    lowered = page.lower()
    forbidden_all = ("<script", "href=", " src=", "url(", "<link", "<img", "<iframe", "<a ", "@import", "https://")
    for forbidden in forbidden_all:
        assert forbidden not in lowered, forbidden
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "hxxps[://]evil.example/x" in page, "an address in a name is shown defanged"
    assert "Content-Security-Policy" in page
    assert "confirmation 1" in page
    assert "1 h" in page
    assert "1.5 h" in page


def test_durations_read_in_units_a_person_reads() -> None:
    assert [human(v) for v in (None, 12.3, 90, 5400, 3 * 86400)] == ["-", "12.3 s", "1.5 min", "1.5 h", "3 d"]
