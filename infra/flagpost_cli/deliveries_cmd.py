"""`flagpost deliveries redeliver --platform ID`: push a platform's failed deliveries again."""

from __future__ import annotations

import argparse
import json
from typing import Any

import requests

from flagpost_cli.api_client import ENVIRONMENT, ApiClient, ApiError, fail


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deliveries",
        help="pushes to platforms (FLAGPOST_API, FLAGPOST_KEY = an admin key)",
        description="Pushes to platforms' endpoints. " + ENVIRONMENT,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    redeliver = actions.add_parser(
        "redeliver",
        help="queue every failed push of a platform again, after its endpoint was fixed; "
        "each keeps its seq and webhook-id, so the platform can recognise a repeat",
    )
    redeliver.add_argument("--platform", required=True, help="the platform principal's id (pla_...)")
    redeliver.add_argument("--json", action="store_true", help="print the JSON answer")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        out = ApiClient().call("POST", f"/v1/admin/platforms/{args.platform}/redeliver")
    except (ApiError, requests.RequestException) as exc:
        return fail(exc)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.platform}: {out['requeued']} failed deliveries queued again")
    return 0
