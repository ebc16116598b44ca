"""`flagpost report --year YYYY --format json|csv|html`: the yearly transparency report (DSA Art. 22(3)),
aggregates only; `html` is one self-contained page an operator can publish."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

import requests

from flagpost_cli.api_client import ENVIRONMENT, ApiClient, ApiError, fail, rounded_durations
from flagpost_cli.report_render import html_page, rows

__all__ = ["register", "rows", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="yearly transparency report, DSA Art. 22(3) (FLAGPOST_API, FLAGPOST_KEY = admin)",
        description="The yearly transparency report: aggregates only, no personal data. Durations are in "
        "seconds, accurate to about 1%% and rounded to 3 significant digits. " + ENVIRONMENT,
    )
    parser.add_argument("--year", type=int, required=True, help="the calendar year (UTC), e.g. 2026")
    parser.add_argument(
        "--format",
        choices=["json", "csv", "html"],
        default="json",
        help="json (default); csv: one field,value row per figure, nested names joined with dots; "
        "html: one self-contained page to publish",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = rounded_durations(ApiClient().call("GET", f"/v1/stats?year={args.year}"))
    except (ApiError, requests.RequestException) as exc:
        return fail(exc)
    if args.format == "json":
        print(json.dumps(report, indent=2))
    elif args.format == "html":
        sys.stdout.write(html_page(report))
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(["field", "value"])
        writer.writerows(rows(report))
    return 0
