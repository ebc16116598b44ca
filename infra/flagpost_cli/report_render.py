"""The yearly report (GET /v1/stats?year=) as CSV rows and as one self-contained HTML page.

The page is meant to be published as it is: every text is escaped, it loads nothing (no script, no
style sheet, font or image from elsewhere, a Content-Security-Policy that forbids them) and holds no
link. Names come from the platform principals; no flagger, reviewer or item appears.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

STEP_LABELS = {
    "claimed": "claimed by a reviewer",
    "dispatched": "notice sent",
    "delivered": "delivered (push)",
    "mailed": "mailed",
    "acknowledged": "acknowledged (feed read)",
    "acted": "acted on",
}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def human(seconds: float | None) -> str:
    """Three significant digits in a readable unit: the figures are accurate to about 1%."""
    if seconds is None:
        return "-"
    if seconds >= 86400:
        return f"{seconds / 86400:.3g} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.3g} min" if seconds >= 60 else f"{seconds:.3g} s"


def step_label(step: str) -> str:
    if step.startswith("confirmation_"):
        return f"confirmation {step.removeprefix('confirmation_')}"
    return STEP_LABELS.get(step, step)


# ---------------------------------------------------------------------------------------- CSV


def _cell(value: str) -> str:
    try:
        float(value)
        return value
    except ValueError:
        return f"'{value}" if value.startswith(_FORMULA_START) else value


def rows(report: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested figures into (field, value) pairs, e.g. providers.Telegram.actions.removed."""
    out: list[tuple[str, str]] = []
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(rows(value, f"{name}."))
        elif isinstance(value, list):
            out.append((name, ";".join(str(v) for v in value)))
        else:
            out.append((name, "" if value is None else str(value)))
    return [(_cell(field), _cell(value)) for field, value in out] if not prefix else out


# --------------------------------------------------------------------------------------- HTML

_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;padding:.25rem .6rem;"
    "text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#eee}caption{text-align:left;font-weight:600;padding:.25rem 0}.note{color:#444}"
)


# A name that holds an address is shown defanged (hxxps[://]...), so no reader turns it into a link.
_SCHEME = re.compile(r"(?i)\b(h)tt(ps?)://|://")


def _defanged(text: str) -> str:
    return _SCHEME.sub(lambda m: f"{m.group(1)}xx{m.group(2)}[://]" if m.group(1) else "[://]", text)


def _e(value: Any) -> str:
    return html.escape(_defanged(str(value)), quote=True)


def _table(caption: str, head: Iterable[str], body: Iterable[Iterable[Any]], numeric: Iterable[int] = (1,)) -> str:
    lines = [f"<table><caption>{_e(caption)}</caption><thead><tr>"]
    lines += [f"<th>{_e(h)}</th>" for h in head]
    lines.append("</tr></thead><tbody>")
    right = set(numeric)
    for row in body:
        cells = [f'<td class="n">{_e(v)}</td>' if i in right else f"<td>{_e(v)}</td>" for i, v in enumerate(row)]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in counts.items()) or "-"


def html_page(report: dict[str, Any]) -> str:
    """One page, self-contained, for publishing the year's figures."""
    year = _e(report["year"])
    providers: dict[str, dict[str, Any]] = report.get("providers") or {}
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="referrer" content="no-referrer">',
        f"<title>Trusted flagger report {year}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Trusted flagger report {year}</h1>",
        '<p class="note">Notices submitted to providers of hosting services in the sense of Article 22(3) of '
        "Regulation (EU) 2022/2065 (Digital Services Act): by provider, by type of alleged illegal content "
        "(Regulation (EU) 2021/784, Art. 2(7)) and by action taken. Aggregates only: no personal data. Times "
        "are accurate to about 1%.</p>",
        _table(
            "In the year",
            ["figure", "count"],
            [
                ["reports received from flaggers", report.get("notices", 0)],
                ["distinct targets reported", report.get("items", 0)],
                ["notices sent to hosting providers", report.get("notices_sent", 0)],
                *[[f"review decisions: {k}", v] for k, v in (report.get("decisions") or {}).items()],
            ],
        ),
        _table(
            "Notices by hosting provider",
            ["provider", "notices", "by type of content", "actions taken", "DSA decisions", "median", "p90"],
            [
                [
                    name,
                    p["notices"],
                    _counts(p["notices_by_category"]),
                    _counts(p["actions"]),
                    _counts(p["decisions"]),
                    human(p["time_to_action"]["median_s"]),
                    human(p["time_to_action"]["p90_s"]),
                ]
                for name, p in providers.items()
            ],
            numeric=(1, 5, 6),
        ),
        '<p class="note">Median and p90: time from the notice (the confirmation that sent it) to the '
        "provider's action.</p>",
        _table(
            "Notices by type of alleged illegal content",
            ["type", "notices"],
            (report.get("notices_sent_by_category") or {}).items(),
        ),
        _table(
            "Actions taken",
            ["action", "count"],
            [*(report.get("actions") or {}).items(), *(report.get("action_decisions") or {}).items()],
        ),
        _table(
            "Time from the first report to each step",
            ["provider", "step", "count", "median", "p90"],
            [
                [name, step_label(step), d["count"], human(d["median_s"]), human(d["p90_s"])]
                for name, p in providers.items()
                for step, d in p["steps"].items()
            ],
            numeric=(2, 3, 4),
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
