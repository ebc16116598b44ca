"""`flagpost report --year YYYY --format json|csv`: the yearly transparency report (no personal data)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

import requests

from flagpost_cli.api_client import ENVIRONMENT, ApiClient, ApiError, fail, rounded_durations


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="yearly transparency report, DSA Art. 22(3) style (FLAGPOST_API, FLAGPOST_KEY = admin)",
        description="The yearly transparency report: aggregates only, no personal data. Durations are in "
        "seconds, accurate to about 1%% and rounded to 3 significant digits. " + ENVIRONMENT,
    )
    parser.add_argument("--year", type=int, required=True, help="the calendar year (UTC), e.g. 2026")
    parser.add_argument(
        "--format",
        choices=["json", "csv"],
        default="json",
        help="json (default) or csv: one field,value row per figure, nested names joined with dots",
    )
    parser.set_defaults(func=run)


def rows(report: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested figures into (field, value) pairs, e.g. actions_by_platform.pla_x.removed."""
    out: list[tuple[str, str]] = []
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(rows(value, f"{name}."))
        elif isinstance(value, list):
            out.append((name, ";".join(str(v) for v in value)))
        else:
            out.append((name, "" if value is None else str(value)))
    return out


def run(args: argparse.Namespace) -> int:
    try:
        report = rounded_durations(ApiClient().call("GET", f"/v1/stats?year={args.year}"))
    except (ApiError, requests.RequestException) as exc:
        return fail(exc)
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return 0
    writer = csv.writer(sys.stdout)
    writer.writerow(["field", "value"])
    writer.writerows(rows(report))
    return 0
