"""`flagpost stats`: the transparency figures from GET /v1/stats, as tables (or JSON)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import requests

from flagpost_cli.api_client import ENVIRONMENT, ApiClient, ApiError, fail, rounded_durations, table


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="transparency figures (FLAGPOST_API, FLAGPOST_KEY = an admin key)",
        description="Live figures as tables. Durations are accurate to about 1%% (a relative-accuracy sketch) "
        "and printed to 3 significant digits. " + ENVIRONMENT,
    )
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer (durations rounded)")
    parser.set_defaults(func=run)


def _seconds(value: float | None) -> str:
    """Three significant digits in a readable unit: the figures are accurate to about 1%."""
    if value is None:
        return "-"
    if value >= 3600:
        return f"{value / 3600:.3g} h"
    return f"{value / 60:.3g} min" if value >= 60 else f"{value:.3g} s"


def run(args: argparse.Namespace) -> int:
    try:
        stats = rounded_durations(ApiClient().call("GET", "/v1/stats"))
    except (ApiError, requests.RequestException) as exc:
        return fail(exc)
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(
        f"items {stats['items']}   reports {stats['reports']}   overdue {stats['overdue']}   "
        f"failed deliveries {stats['deliveries_failed']}"
    )
    for name in ("by_status", "by_category", "by_priority"):
        rows = [{"value": k, "items": v} for k, v in sorted(stats[name].items())]
        print(f"\n{name.replace('_', ' ')}\n" + table(rows, ["value", "items"]))
    decision, outcome = stats["time_to_decision"], stats["time_to_outcome"]
    print(
        "\ntimes\n"
        + table(
            [
                {
                    "from": "first report",
                    "to": "decision",
                    "count": decision["count"],
                    "median": _seconds(decision["median_s"]),
                    "p90": _seconds(decision["p90_s"]),
                },
                {
                    "from": "confirmation",
                    "to": "platform outcome",
                    "count": outcome["count"],
                    "median": _seconds(outcome["median_s"]),
                    "p90": _seconds(outcome["p90_s"]),
                },
            ],
            ["from", "to", "count", "median", "p90"],
        )
    )
    # Names first (what a person reads), the id beside them (what the API and the CLI take).
    flaggers = [{**v, "flagger": v.get("name") or k, "id": k} for k, v in stats["flaggers"].items()]
    print("\nflaggers\n" + table(flaggers, ["flagger", "id", "reports", "decided", "confirmed", "precision"]))
    platforms = [{**v, "platform": v.get("name") or k, "id": k} for k, v in stats["platforms"].items()]
    print(
        "\nplatforms\n"
        + table(platforms, ["platform", "id", "items", "outcomes", "removed", "removal_rate", "deliveries_failed"])
    )
    return 0
