"""Reading `flagpost submit`'s input: JSONL or CSV, line by line, never failing on one bad line."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CSV_TARGET_FIELDS = ("target_platform", "target_type", "target_id")
CSV_EVIDENCE_FIELDS = ("evidence_archive_url", "evidence_sha256")

# The CSV header `flagpost submit` understands: one column per report field, with the nested
# `target` and `evidence` objects flattened. Shown by `--help` and in the README.
CSV_COLUMNS: dict[str, str] = {
    "url": "the link as you found it (any spelling: hxxps://t[.]me/x works); or the three target_* columns",
    "target_platform": "for things without a URL, e.g. wickr (with target_type and target_id)",
    "target_type": "e.g. account",
    "target_id": "e.g. the account name",
    "category": "required: incitement, solicitation, recruitment, instruction or threat",
    "priority": "standard (default), crisis or threat_to_life",
    "description": "required: why it is terrorist content (up to 4,000 characters)",
    "entity": "optional: the organisation it is attributed to",
    "language": "optional: BCP 47 tag, e.g. ar or fr-BE",
    "observed_at": "optional: when you saw it, ISO 8601 with a time zone (2026-03-01T12:00:00Z)",
    "external_id": "optional: your own reference",
    "evidence_archive_url": "optional: where you archived the evidence",
    "evidence_sha256": "optional: SHA-256 of the archived evidence (64 hex digits)",
}


@dataclass(frozen=True)
class Line:
    number: int  # the line of the file (CSV: the line a row ends on; the header is line 1)
    report: dict[str, Any]

    def key(self, flagger: str) -> str:
        """What the progress file remembers a line by: its content, not its place in the file."""
        canonical = json.dumps(self.report, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(f"{flagger}\n{canonical}".encode("utf-8", "surrogatepass")).hexdigest()


def read_reports(path: Path) -> tuple[list[Line], list[tuple[int, str]]]:
    """The reports of a file, and the lines that could not be read as one (reported, never sent)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".csv":
        return _read_csv(data)
    return _read_jsonl(data)


def _read_jsonl(data: bytes) -> tuple[list[Line], list[tuple[int, str]]]:
    lines: list[Line] = []
    bad: list[tuple[int, str]] = []
    for number, raw_bytes in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        try:
            raw = raw_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append((number, f"not UTF-8 (byte {exc.start + 1})"))
            continue
        if not raw.strip():
            continue
        try:
            report = json.loads(raw)
        except json.JSONDecodeError as exc:
            bad.append((number, f"not JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(report, dict):
            bad.append((number, f"not a JSON object but a {type(report).__name__}"))
            continue
        lines.append(Line(number, report))
    return lines, bad


def _read_csv(data: bytes) -> tuple[list[Line], list[tuple[int, str]]]:
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")
    reader = csv.DictReader(text.splitlines(keepends=True))
    lines: list[Line] = []
    bad: list[tuple[int, str]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.append((reader.line_num, f"not CSV: {exc}"))
            continue
        number = reader.line_num
        if None in row:
            bad.append((number, f"more fields than the header's {len(reader.fieldnames or [])}"))
            continue
        values = [v for v in row.values() if isinstance(v, str)]
        if any(_has_surrogates(v) for v in values):
            bad.append((number, "not UTF-8"))
            continue
        if not any(v.strip() for v in values):
            continue  # a blank row
        lines.append(Line(number, _report_from_row(row)))
    return lines, bad


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _report_from_row(row: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
    if any(k in report for k in CSV_TARGET_FIELDS):
        report["target"] = {k.removeprefix("target_"): report.pop(k) for k in CSV_TARGET_FIELDS if k in report}
    if any(k in report for k in CSV_EVIDENCE_FIELDS):
        report["evidence"] = {k.removeprefix("evidence_"): report.pop(k) for k in CSV_EVIDENCE_FIELDS if k in report}
    return report


def csv_help() -> str:
    width = max(len(name) for name in CSV_COLUMNS)
    return "\n".join(f"  {name.ljust(width)}  {text}" for name, text in CSV_COLUMNS.items())
