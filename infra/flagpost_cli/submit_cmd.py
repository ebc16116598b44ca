"""`flagpost submit FILE`: the flagger's client. Signs, batches, retries, resumes, summarises."""

from __future__ import annotations

import argparse
import contextlib
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
from flagpost_cli.submit_input import Line, csv_help, read_reports

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
STATE_VERSION = 2
INTERRUPTED = 130  # the shell's status for a process ended by Ctrl-C

DESCRIPTION = """\
Send reports to Flagpost in signed batches (Standard Webhooks), retrying 429, 5xx and network errors.

FILE is JSONL (one report object per line, the fields of the API's report) or, when its name ends
in .csv, a CSV file whose header names some of these columns:

{columns}

Resuming: progress is kept per line in a state file, keyed by each line's content (not its position),
so re-running after an interruption, a failure or an edit sends only the lines not accepted yet; a
re-run with nothing left says "nothing new to send". Ctrl-C stops after saving that progress.

Exit status: 0 when every line was accepted (new or duplicate); 1 when any line was invalid or
unreadable, or a batch was not accepted; 2 for a usage error; 130 when interrupted.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="sign and send reports from a JSONL or CSV file",
        description=DESCRIPTION.format(columns=csv_help()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="reports: one JSON object per line (.jsonl), or a CSV with a header")
    parser.add_argument("--flagger", required=True, help="your flagger id (fla_...)")
    parser.add_argument(
        "--secret",
        default=os.environ.get("FLAGPOST_SECRET"),
        help="your whsec_... signing secret; default: the FLAGPOST_SECRET environment variable "
        "(prefer it: arguments are visible to other users in the process list)",
    )
    parser.add_argument(
        "--api",
        default=os.environ.get("FLAGPOST_API", "http://127.0.0.1:8787"),
        help="the API's base URL; default: FLAGPOST_API, else http://127.0.0.1:8787",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=MAX_REPORTS_PER_SUBMISSION,
        help=f"reports per signed request, at most {MAX_REPORTS_PER_SUBMISSION} (default)",
    )
    parser.add_argument(
        "--max-attempts", type=int, default=8, help="attempts per batch for 429, 5xx and network errors (default 8)"
    )
    parser.add_argument("--state", type=Path, help="progress file (default: FILE.flagpost-state.json beside FILE)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on standard error")
    parser.set_defaults(func=run)


@dataclass
class Summary:
    batches: int = 0
    new: int = 0
    duplicate: int = 0
    already_sent: int = 0
    invalid: list[tuple[int, Any]] = field(default_factory=list)
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    failed_batches: list[tuple[int, str]] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.invalid) + len(self.unreadable) + len(self.failed_batches)


class State:
    """The progress file: the server's verdict on every line sent, by the line's content hash."""

    def __init__(self, path: Path, flagger: str) -> None:
        self.path = path
        self.lines: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(OSError, ValueError):
            saved = json.loads(path.read_text(encoding="utf-8"))
            # Progress files of other versions (or another flagger) are not used: the server's
            # idempotency and deduplication make a re-send harmless, only slower.
            if saved.get("version") == STATE_VERSION and saved.get("flagger") == flagger:
                self.lines = dict(saved.get("lines", {}))
        self.flagger = flagger

    def save(self) -> None:
        """Written whole to a new file and renamed over the old one: an interruption never leaves half a file."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(
            json.dumps({"version": STATE_VERSION, "flagger": self.flagger, "lines": self.lines}), encoding="utf-8"
        )
        os.replace(temporary, self.path)


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


def batch_id(flagger: str, keys: list[str]) -> str:
    """Stable for the same lines: a re-run after an interruption replays the batch, never double-submits."""
    return f"fp-{hashlib.sha256(':'.join([flagger, *keys]).encode()).hexdigest()[:32]}"


def send(
    session: Any,
    url: str,
    body: bytes,
    secret: str,
    msg_id: str,
    max_attempts: int,
    sleep: Any = time.sleep,
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
            sleep(delay + random.uniform(0, delay / 2))  # noqa: S311 - jitter, not security
            delay = min(delay * 2, 30.0)
    return 0, {"detail": f"gave up after {max_attempts} attempts: {last_error}"}


def run(args: argparse.Namespace, session: Any = None) -> int:
    if not args.secret or not args.secret.startswith("whsec_"):
        print("flagpost submit: --secret whsec_... (or set FLAGPOST_SECRET) is required", file=sys.stderr)
        return 2
    try:
        lines, unreadable = read_reports(args.file)
    except OSError as exc:
        print(f"flagpost submit: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    state_path = args.state or args.file.with_name(args.file.name + ".flagpost-state.json")
    state = State(state_path, args.flagger)
    summary = Summary(unreadable=unreadable)
    pending: list[tuple[Line, str]] = []
    for line in lines:
        key = line.key(args.flagger)
        earlier = state.lines.get(key)
        if earlier is None:
            pending.append((line, key))
        elif earlier["status"] == "invalid":
            summary.invalid.append((line.number, earlier.get("errors")))  # unchanged since: still invalid
        else:
            summary.already_sent += 1
    if session is None:
        import requests

        session = requests.Session()
    try:
        _send_pending(args, session, state, pending, summary)
    except KeyboardInterrupt:
        sent = sum(1 for line in lines if line.key(args.flagger) in state.lines)
        print(
            f"flagpost submit: interrupted; {sent} of {len(lines)} lines are sent and saved in {state_path}: "
            "run the same command again to send the rest",
            file=sys.stderr,
        )
        return INTERRUPTED
    _print_summary(summary, state_path)
    return 1 if summary.problems else 0


def _send_pending(
    args: argparse.Namespace, session: Any, state: State, pending: list[tuple[Line, str]], summary: Summary
) -> None:
    from tqdm import tqdm

    url = f"{args.api.rstrip('/')}/v1/flaggers/{args.flagger}/reports"
    keys = {id(line): key for line, key in pending}
    planned = batches([line for line, _ in pending], max(1, min(args.batch_size, MAX_REPORTS_PER_SUBMISSION)))
    with tqdm(total=len(pending), unit="report", disable=args.no_progress or not pending, file=sys.stderr) as bar:
        for number, batch in enumerate(planned):
            batch_keys = [keys[id(line)] for line in batch]
            body = json.dumps({"reports": [line.report for line in batch]}).encode()
            status, reply = send(session, url, body, args.secret, batch_id(args.flagger, batch_keys), args.max_attempts)
            summary.batches += 1
            if status != 202:
                detail = reply.get("detail") or reply.get("title") or reply
                first, last = batch[0].number, batch[-1].number
                summary.failed_batches.append((number, f"lines {first}-{last}: {status or 'no answer'}: {detail}"))
                bar.update(len(batch))
                continue
            for line, key, result in zip(batch, batch_keys, reply["results"], strict=True):
                verdict = {"status": result["status"]}
                if result.get("item_id"):
                    verdict["item_id"] = result["item_id"]
                if result["status"] == "invalid":
                    verdict["errors"] = result.get("errors")
                    summary.invalid.append((line.number, result.get("errors")))
                elif result["status"] == "new":
                    summary.new += 1
                else:
                    summary.duplicate += 1
                state.lines[key] = verdict
            state.save()
            bar.update(len(batch))


def _print_summary(summary: Summary, state_path: Path) -> None:
    print(
        json.dumps(
            {
                "batches": summary.batches,
                "new": summary.new,
                "duplicate": summary.duplicate,
                "invalid": len(summary.invalid),
                "unreadable": len(summary.unreadable),
                "failed_batches": len(summary.failed_batches),
                "already_sent": summary.already_sent,
            }
        )
    )
    for number, errors in sorted(summary.invalid, key=lambda pair: pair[0]):
        messages = "; ".join(f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg')}" for e in errors or [])
        print(f"line {number}: invalid: {messages}")
    for number, why in summary.unreadable:
        print(f"line {number}: unreadable: {why}")
    for number, why in summary.failed_batches:
        print(f"batch {number}: not accepted: {why}")
    if summary.batches == 0 and not summary.failed_batches:
        print(f"nothing new to send: {summary.already_sent} lines were accepted before (progress in {state_path})")
    if summary.problems:
        parts = [
            f"{len(summary.invalid)} invalid" if summary.invalid else "",
            f"{len(summary.unreadable)} unreadable" if summary.unreadable else "",
            f"{len(summary.failed_batches)} batches not accepted" if summary.failed_batches else "",
        ]
        print(
            f"not everything was accepted: {', '.join(p for p in parts if p)}; fix those lines and run the "
            "same command again (accepted lines are not sent again)"
        )
