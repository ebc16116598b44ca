"""The `flagpost` console script: one argparse sub-command per module in this package."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Sub-command name -> module. Each module defines `register(subparsers)` which adds its parser and
# sets `func` (a callable taking the parsed namespace and returning an exit status). Modules are
# imported lazily so that `flagpost normalize` never pays for moto or boto3.
COMMANDS: dict[str, str] = {
    "local": "flagpost_cli.local_cmd",
    "normalize": "flagpost_cli.normalize_cmd",
    "submit": "flagpost_cli.submit_cmd",
    "principals": "flagpost_cli.principals_cmd",
    "stats": "flagpost_cli.stats_cmd",
    "report": "flagpost_cli.report_cmd",
    "deliveries": "flagpost_cli.deliveries_cmd",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flagpost", description="Flagpost command line. `flagpost COMMAND --help` describes each command."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            # Register a placeholder so that `--help` still lists every command.
            subparsers.add_parser(name)
            continue
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = args_list[0] if args_list and args_list[0] in COMMANDS else None
    parser = build_parser(only=chosen)
    args = parser.parse_args(args_list)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        # Commands that keep state (submit) save it and say so themselves; the others only stop.
        print(f"flagpost {args.command}: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
