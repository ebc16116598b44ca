"""`flagpost principals create|list|rotate|revoke`: manage principals through the admin API."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

import requests

from flagpost_cli.api_client import ENVIRONMENT, ApiClient, ApiError, fail, table

COLUMNS = ["id", "role", "name", "status", "domains", "platform_ids", "endpoint", "email", "created_at"]
JSON_HELP = "print the API's JSON answer instead of a table"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "principals",
        help="manage principals (FLAGPOST_API, FLAGPOST_KEY = an admin key)",
        description="Create, list, rotate and revoke principals through the admin API. " + ENVIRONMENT,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create a principal; prints its key and secret once", description=ENVIRONMENT
    )
    create.add_argument(
        "--role", required=True, choices=["flagger", "reviewer", "platform", "admin"], help="what it may do"
    )
    create.add_argument("--name", required=True, help="display name (an organisation, a reviewer)")
    create.add_argument(
        "--domain",
        action="append",
        default=[],
        dest="domains",
        help="platforms: a domain the platform owns (repeat for several)",
    )
    create.add_argument(
        "--platform-id",
        action="append",
        default=[],
        dest="platform_ids",
        help="platforms: a platform id of the normaliser it owns, e.g. telegram (repeat for several)",
    )
    create.add_argument("--endpoint", help="platforms: https URL that receives signed pushes")
    create.add_argument(
        "--email",
        action="append",
        default=[],
        dest="emails",
        help="platforms: address that receives each entry as an e-mail notice (repeatable, or a comma list)",
    )
    create.add_argument("--json", action="store_true", help=JSON_HELP)
    listing = actions.add_parser("list", help="list principals (never keys or secrets)", description=ENVIRONMENT)
    listing.add_argument("--json", action="store_true", help=JSON_HELP)
    rotate = actions.add_parser(
        "rotate",
        help="issue a new key (and secret); the old ones keep working for the rotation overlap (24 h by default)",
        description="Issue a new key (and, for flaggers and platforms, a new signing secret). The old ones keep "
        "working until the time printed (the rotation overlap, FLAGPOST_ROTATION_OVERLAP_SECONDS on the server, "
        "24 hours by default), so clients can switch without downtime. A second rotation retires the old ones at "
        "once: what to do when a key leaked. " + ENVIRONMENT,
    )
    rotate.add_argument("id", help="the principal's id (fla_..., rev_..., pla_..., adm_...)")
    rotate.add_argument("--json", action="store_true", help=JSON_HELP)
    revoke = actions.add_parser(
        "revoke", help="revoke a principal: every key and secret stops working within 5 s", description=ENVIRONMENT
    )
    revoke.add_argument("id", help="the principal's id")
    revoke.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.set_defaults(func=run)


def until(valid_until: str, now: datetime | None = None) -> str:
    """'until 2026-12-01 07:00 UTC (in 24 h)' for the old credentials of a rotation."""
    at = datetime.fromisoformat(valid_until).astimezone(UTC)
    left_s = max(0.0, (at - (now or datetime.now(UTC))).total_seconds())
    left = f"{left_s / 3600:.3g} h" if left_s >= 3600 else f"{left_s / 60:.0f} min"
    return f"until {at:%Y-%m-%d %H:%M} UTC (in {left})"


def run(args: argparse.Namespace) -> int:
    client = ApiClient()
    try:
        if args.action == "create":
            body = {"role": args.role, "name": args.name, "domains": args.domains, "platform_ids": args.platform_ids}
            if args.endpoint:
                body["endpoint"] = args.endpoint
            emails = [a.strip() for given in args.emails for a in given.split(",") if a.strip()]
            if emails:
                body["email"] = emails
            out = client.call("POST", "/v1/admin/principals", body)
        elif args.action == "list":
            out = client.call("GET", "/v1/admin/principals")
        elif args.action == "rotate":
            out = client.call("POST", f"/v1/admin/principals/{args.id}/rotate")
        else:
            out = client.call("DELETE", f"/v1/admin/principals/{args.id}")
    except (ApiError, requests.RequestException) as exc:
        return fail(exc)
    if args.json:
        print(json.dumps(out, indent=2))
    elif args.action == "list":
        print(table(out["principals"], COLUMNS))
    elif args.action == "revoke":
        print(f"{out['id']}: revoked")
    else:
        print(table([out], ["id", "role", "name"]))
        print(f"api_key: {out['api_key']}   (shown once)")
        if out.get("secret"):
            print(f"secret:  {out['secret']}   (shown once)")
        if args.action == "rotate":
            old = "the old key and secret keep" if out.get("secret") else "the old key keeps"
            when = until(out["previous_valid_until"]) if out.get("previous_valid_until") else "for the rotation overlap"
            print(f"{old} working {when}; if it leaked, rotate again: that retires it at once")
    return 0
