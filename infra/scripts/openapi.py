"""Writes docs/openapi.json from the resolvers (`make openapi`); a test fails when it is stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from flagpost.adapters.http.app import openapi_json


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi.json")
    target.write_text(json.dumps(json.loads(openapi_json()), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
