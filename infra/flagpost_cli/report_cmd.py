"""`flagpost report --year YYYY --format json|csv|html`: the yearly transparency report (DSA Art. 22(3)),
aggregates only; `html` is one self-contained page an operator can publish."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

import requests

from flagpost_cli.api_client import ApiClient, ApiError, fail
from flagpost_cli.report_render import html_page, rows

__all__ = ["register", "rows", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="yearly transparency report, DSA Art. 22(3) (FLAGPOST_API, FLAGPOST_KEY = admin)"
    )
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--format", choices=["json", "csv", "html"], default="json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = ApiClient().call("GET", f"/v1/stats?year={args.year}")
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
