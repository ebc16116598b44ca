"""`flagpost submit FILE`: the flagger's client. Signs, batches, retries, resumes, summarises."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flagpost.domain.models.report import MAX_REPORTS_PER_SUBMISSION, MAX_SUBMISSION_BYTES

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CSV_TARGET_FIELDS = ("target_platform", "target_type", "target_id")
CSV_EVIDENCE_FIELDS = ("evidence_archive_url", "evidence_sha256")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="sign and send reports from a JSONL or CSV file",
        description="Send reports to Flagpost in signed batches of up to 100. Re-running the same file "
        "resumes: batches already accepted are not sent twice.",
    )
    parser.add_argument("file", type=Path, help="reports, one JSON object per line (.jsonl) or a CSV with a header")
    parser.add_argument("--flagger", required=True, help="your flagger id")
    parser.add_argument("--secret", default=os.environ.get("FLAGPOST_SECRET"), help="your whsec_ signing secret")
    parser.add_argument("--api", default=os.environ.get("FLAGPOST_API", "http://127.0.0.1:8787"))
    parser.add_argument("--batch-size", type=int, default=MAX_REPORTS_PER_SUBMISSION)
    parser.add_argument("--max-attempts", type=int, default=8, help="per batch, for 429/5xx and network errors")
    parser.add_argument("--state", type=Path, help="progress file (default: FILE.flagpost-state.json)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


@dataclass
class Line:
    number: int  # 1-based line (JSONL) or row (CSV, header is row 1)
    report: Any


@dataclass
class Summary:
    new: int = 0
    duplicate: int = 0
    invalid: list[tuple[int, Any]] = field(default_factory=list)
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    failed_batches: list[tuple[int, str]] = field(default_factory=list)


def read_reports(path: Path) -> tuple[list[Line], list[tuple[int, str]]]:
    """Reports and the lines that could not be read as one (reported, not sent)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return _read_csv(text)
    lines: list[Line] = []
    bad: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            lines.append(Line(number, json.loads(raw)))
        except json.JSONDecodeError as exc:
            bad.append((number, f"not JSON: {exc.msg}"))
    return lines, bad


def _read_csv(text: str) -> tuple[list[Line], list[tuple[int, str]]]:
    lines: list[Line] = []
    for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        report: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        if any(k in report for k in CSV_TARGET_FIELDS):
            report["target"] = {k.removeprefix("target_"): report.pop(k) for k in CSV_TARGET_FIELDS if k in report}
        if any(k in report for k in CSV_EVIDENCE_FIELDS):
            report["evidence"] = {
                k.removeprefix("evidence_"): report.pop(k) for k in CSV_EVIDENCE_FIELDS if k in report
            }
        lines.append(Line(number, report))
    return lines, []


def batches(lines: list[Line], size: int) -> list[list[Line]]:
    """At most `size` reports and MAX_SUBMISSION_BYTES per batch (with room for the envelope)."""
    out: list[list[Line]] = []
    current: list[Line] = []
    current_bytes = len(b'{"reports": []}')
    for line in lines:
        cost = len(json.dumps(line.report).encode()) + 2
        if current and (len(current) >= size or current_bytes + cost > MAX_SUBMISSION_BYTES):
            out.append(current)
            current, current_bytes = [], len(b'{"reports": []}')
        current.append(line)
        current_bytes += cost
    if current:
        out.append(current)
    return out


def batch_id(file_digest: str, flagger: str, number: int) -> str:
    """Stable for the same file, flagger and batch: a resumed run replays, it never double-submits."""
    return f"fp-{hashlib.sha256(f'{file_digest}:{flagger}:{number}'.encode()).hexdigest()[:32]}"


def send(
    session: Any, url: str, body: bytes, secret: str, msg_id: str, max_attempts: int
) -> tuple[int, dict[str, Any]]:
    """POST one signed batch; retry 429/5xx/network errors with backoff, honouring Retry-After."""
    import requests

    from flagpost.domain.webhooks import sign

    delay = 0.5
    last_error = ""
    for attempt in range(1, max_attempts + 1):
        # Re-signed on every attempt: the timestamp must stay within the receiver's 5-minute window.
        headers = {"content-type": "application/json", **sign(body, secret, msg_id)}
        try:
            reply = session.post(url, data=body, headers=headers, timeout=(5, 60))
        except requests.RequestException as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        else:
            if reply.status_code not in RETRY_STATUSES:
                try:
                    return reply.status_code, reply.json()
                except ValueError:
                    return reply.status_code, {"detail": reply.text[:500]}
            last_error = f"HTTP {reply.status_code}"
            retry_after = reply.headers.get("retry-after", "")
            if retry_after.isascii() and retry_after.isdigit():
                delay = max(delay, float(retry_after))
        if attempt < max_attempts:
            time.sleep(delay + random.uniform(0, delay / 2))  # noqa: S311 - jitter, not security
            delay = min(delay * 2, 30.0)
    return 0, {"detail": f"gave up after {max_attempts} attempts: {last_error}"}


def run(args: argparse.Namespace) -> int:
    import requests

    if not args.secret or not args.secret.startswith("whsec_"):
        print("flagpost submit: --secret whsec_... (or FLAGPOST_SECRET) is required", file=sys.stderr)
        return 2
    lines, unreadable = read_reports(args.file)
    digest = hashlib.sha256(args.file.read_bytes()).hexdigest()
    state_path = args.state or args.file.with_name(args.file.name + ".flagpost-state.json")
    state: dict[str, Any] = json.loads(state_path.read_text()) if state_path.exists() else {}
    if state.get("file_sha256") != digest:
        state = {"file_sha256": digest, "done": {}}
    url = f"{args.api.rstrip('/')}/v1/flaggers/{args.flagger}/reports"
    planned = batches(lines, max(1, min(args.batch_size, MAX_REPORTS_PER_SUBMISSION)))
    summary = Summary(unreadable=unreadable)

    from tqdm import tqdm

    session = requests.Session()
    with tqdm(total=len(lines), unit="report", disable=args.no_progress, file=sys.stderr) as bar:
        for number, batch in enumerate(planned):
            key = str(number)
            results = state["done"].get(key)
            if results is None:
                body = json.dumps({"reports": [line.report for line in batch]}).encode()
                status, reply = send(
                    session, url, body, args.secret, batch_id(digest, args.flagger, number), args.max_attempts
                )
                if status != 202:
                    detail = reply.get("detail") or reply.get("title") or reply
                    summary.failed_batches.append((number, f"{status or 'no answer'}: {detail}"))
                    bar.update(len(batch))
                    continue
                results = reply["results"]
                state["done"][key] = results
                state_path.write_text(json.dumps(state))
            for line, result in zip(batch, results, strict=True):
                if result["status"] == "invalid":
                    summary.invalid.append((line.number, result.get("errors")))
                elif result["status"] == "new":
                    summary.new += 1
                else:
                    summary.duplicate += 1
            bar.update(len(batch))

    _print_summary(summary, len(planned))
    return 1 if summary.failed_batches else 0


def _print_summary(summary: Summary, batch_count: int) -> None:
    print(
        json.dumps(
            {
                "batches": batch_count,
                "new": summary.new,
                "duplicate": summary.duplicate,
                "invalid": len(summary.invalid),
                "unreadable": len(summary.unreadable),
                "failed_batches": len(summary.failed_batches),
            }
        )
    )
    for number, errors in summary.invalid:
        messages = "; ".join(f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg')}" for e in errors or [])
        print(f"line {number}: invalid: {messages}")
    for number, why in summary.unreadable:
        print(f"line {number}: unreadable: {why}")
    for number, why in summary.failed_batches:
        print(f"batch {number}: not accepted: {why}")
