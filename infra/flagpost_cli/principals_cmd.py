"""`flagpost principals create|list|rotate|revoke`: manage principals through the admin API."""

from __future__ import annotations

import argparse
import json
from typing import Any

import requests

from flagpost_cli.api_client import ApiClient, ApiError, fail, table

COLUMNS = ["id", "role", "name", "status", "domains", "platform_ids", "endpoint", "email", "created_at"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("principals", help="manage principals (FLAGPOST_API, FLAGPOST_KEY = an admin key)")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a principal; prints its key and secret once")
    create.add_argument("--role", required=True, choices=["flagger", "reviewer", "platform", "admin"])
    create.add_argument("--name", required=True)
    create.add_argument("--domain", action="append", default=[], dest="domains", help="platforms: owned domain")
    create.add_argument("--platform-id", action="append", default=[], dest="platform_ids")
    create.add_argument("--endpoint", help="platforms: https URL that receives signed pushes")
    create.add_argument(
        "--email",
        action="append",
        default=[],
        dest="emails",
        help="platforms: address that receives each entry as an e-mail notice (repeatable, or a comma list)",
    )
    create.add_argument("--json", action="store_true", help="print the JSON answer")
    actions.add_parser("list", help="list principals (never keys or secrets)").add_argument(
        "--json", action="store_true"
    )
    rotate = actions.add_parser("rotate", help="new key (and secret); the old ones work for the overlap")
    rotate.add_argument("id")
    rotate.add_argument("--json", action="store_true")
    revoke = actions.add_parser("revoke", help="revoke a principal (effective within 5 s)")
    revoke.add_argument("id")
    revoke.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


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
    return 0
