"""`flagpost local`: run the whole stack on this machine until interrupted."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

DEFAULT_CREDENTIALS = Path(".flagpost/credentials.json")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local",
        help="run the whole stack on this machine (moto, HTTP API, event sources)",
        description="Run Flagpost on an embedded AWS emulator, serving the HTTP API on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8787, help="HTTP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument(
        "--credentials-out",
        type=Path,
        default=DEFAULT_CREDENTIALS,
        help="write the demo principals' keys and secrets here, readable by you alone "
        f"(default: {DEFAULT_CREDENTIALS}); only this path is printed",
    )
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
    # Ctrl-C and SIGTERM only write a byte to a pipe (the interpreter's wakeup fd), which the main
    # thread waits on: no handler code runs at an arbitrary point (a second Ctrl-C is ignored too).
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: None)
    try:
        stack.start()
    except OSError as exc:
        print(f"flagpost local: cannot start: {exc}", file=sys.stderr)
        return 1
    creds: dict[str, Any] = stack.credentials
    path: Path = args.credentials_out
    path.parent.mkdir(parents=True, exist_ok=True)
    # Demo credentials only, but still secrets: readable by this user alone, and never printed.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(creds, out, indent=2)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_TRUNC
    # The emulator's endpoint too: `aws --endpoint-url` can inspect the tables, and benchmarks measure moto's floor.
    ready = {
        "message": "flagpost local is up",
        "api": stack.url,
        "console": f"{stack.url}/console",
        "outbox": str(outbox),
        "credentials": str(path.resolve()),
        "emulator": os.environ.get("AWS_ENDPOINT_URL"),
    }
    print(json.dumps(ready), flush=True)
    os.read(wake_read, 1)  # until Ctrl-C or SIGTERM (one that came during the start is waiting there)
    stack.stop()
    print(json.dumps({"message": "flagpost local stopped"}), flush=True)
    # Nothing is left to save: the emulator keeps its state in memory only. Leave without the
    # interpreter's orderly teardown, which frees that state object by object (seconds after a large
    # backlog) while daemon threads may still sit in a long poll.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
