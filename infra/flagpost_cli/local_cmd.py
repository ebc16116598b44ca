"""`flagpost local`: run the whole stack on this machine until interrupted."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local",
        help="run the whole stack on this machine (moto, HTTP API, event sources)",
        description="Run Flagpost on an embedded AWS emulator, serving the HTTP API on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8787, help="HTTP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--credentials-out", type=Path, help="write the demo principals' credentials here (JSON)")
    parser.add_argument("--template", type=Path, help="the SAM template (default: ./template.yaml)")
    parser.add_argument("--no-demo", action="store_true", help="create no demo principals")
    parser.add_argument(
        "--outbox",
        type=Path,
        help="write every notice e-mail sent here as an .eml file "
        "(default: outbox/ beside --credentials-out, else .flagpost/outbox)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from flagpost_local.stack import LocalStack, default_template_path

    outbox = args.outbox or (args.credentials_out.parent if args.credentials_out else Path(".flagpost")) / "outbox"
    stack = LocalStack(
        template_path=args.template or default_template_path(),
        port=args.port,
        demo=not args.no_demo,
        outbox=outbox.resolve(),
    )
    stopping = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        del signum, frame
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
    except OSError as exc:
        print(f"flagpost local: cannot start: {exc}", file=sys.stderr)
        return 1
    creds: dict[str, Any] = stack.credentials
    if args.credentials_out:
        args.credentials_out.parent.mkdir(parents=True, exist_ok=True)
        # Demo credentials only, but still secrets: readable by this user alone.
        fd = os.open(args.credentials_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(creds, out, indent=2)
    # The demo credentials first, the readiness line last: whoever waits for that line has seen them.
    print(json.dumps(creds, indent=2))
    # The emulator's endpoint too: `aws --endpoint-url` can inspect the tables, and benchmarks measure moto's floor.
    ready = {
        "message": "flagpost local is up",
        "api": stack.url,
        "console": f"{stack.url}/console",
        "outbox": str(outbox),
    }
    print(json.dumps({**ready, "emulator": os.environ.get("AWS_ENDPOINT_URL")}), flush=True)
    stopping.wait()
    stack.stop()
    print(json.dumps({"message": "flagpost local stopped"}), flush=True)
    return 0
