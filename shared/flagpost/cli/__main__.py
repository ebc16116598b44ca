"""`python -m flagpost.cli` runs the console script."""

from flagpost.cli import main

raise SystemExit(main())
