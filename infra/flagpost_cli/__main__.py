"""`python -m flagpost_cli` runs the console script."""

from flagpost_cli import main

raise SystemExit(main())
