"""Creates the first admin principal of a deployed stack and prints its API key once (docs/deploy.md).

Usage: .venv/bin/python infra/scripts/bootstrap_admin.py --stack flagpost-dev --name "Ops lead" [--region R]

It runs with your AWS credentials (the ones that deployed the stack), finds the principals table and
the KMS key among the stack's resources, and writes the principal directly, as the admin API would.
It refuses when the stack already has an active admin, unless --another is given.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import boto3

from flagpost.adapters.dynamo.client import Table
from flagpost.adapters.dynamo.principals import DynamoPrincipalStore
from flagpost.domain.models.principal import IssuedCredentials, Role


@dataclass(frozen=True)
class StackTargets:
    principals_table: str
    kms_key_id: str
    api_url: str | None


def find_targets(cloudformation: Any, stack: str) -> StackTargets:
    """The principals table and key of `stack` (by logical id), and its API URL output."""
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    missing = [name for name in ("PrincipalsTable", "FlagpostKey") if name not in physical]
    if missing:
        raise SystemExit(f"stack {stack} has no {', '.join(missing)}: is it a Flagpost stack?")
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    api_url = next((o["OutputValue"] for o in outputs if o["OutputKey"] == "ApiUrl"), None)
    return StackTargets(physical["PrincipalsTable"], physical["FlagpostKey"], api_url)


def bootstrap(session: Any, stack: str, name: str, *, another: bool = False) -> tuple[IssuedCredentials, StackTargets]:
    targets = find_targets(session.client("cloudformation"), stack)
    store = DynamoPrincipalStore(
        Table(targets.principals_table, client=session.client("dynamodb")),
        targets.kms_key_id,
        kms=session.client("kms"),
    )
    admins = [p for p in store.all() if p.role is Role.ADMIN and p.active]
    if admins and not another:
        ids = ", ".join(p.id for p in admins)
        raise SystemExit(f"stack {stack} already has an active admin ({ids}); pass --another to add one")
    return store.create(Role.ADMIN, name), targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create a Flagpost stack's first admin and print its key once.")
    parser.add_argument("--stack", required=True, help="CloudFormation stack name (samconfig's stack_name)")
    parser.add_argument("--name", required=True, help="who the admin is, e.g. 'Ops lead'")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    parser.add_argument("--profile", help="AWS profile to use")
    parser.add_argument("--another", action="store_true", help="create an admin even if one exists")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region, profile_name=args.profile)
    issued, targets = bootstrap(session, args.stack, args.name, another=args.another)
    print(f"admin: {issued.principal.id}", file=sys.stderr)
    print("The API key is shown this once and stored only as a salted hash. Keep it in a password manager.")
    print(f"export FLAGPOST_API={targets.api_url or '<the stack output ApiUrl>'}")
    print(f"export FLAGPOST_KEY={issued.api_key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
