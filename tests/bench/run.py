"""`make bench`: run every tests/bench/bench_*.py in one process and print one table of ratios."""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"flagpost_bench_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run in tests")
    parser.add_argument("--only", help="run only bench_<ONLY>.py")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem != f"bench_{args.only}":
            continue
        started = time.perf_counter()
        # Each row: {"benchmark", "figure", "value", "unit", "goal", "met"}
        rows.extend(_load(path).run(quick=args.quick))
        print(f"# {path.stem}: {time.perf_counter() - started:.1f} s", file=sys.stderr)

    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    header = ("benchmark", "figure", "value", "goal", "met")
    table = [header] + [
        (
            r["benchmark"],
            r["figure"],
            f"{r['value']:.3g} {r.get('unit', '')}".strip(),
            r.get("goal", ""),
            {True: "yes", False: "NO", None: ""}[r.get("met")],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print(" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("-+-".join("-" * w for w in widths))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
