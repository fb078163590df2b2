"""`python -m ama_tui` runs the same entry point as the `ama-tui` script."""

from ama_tui.cli import main

raise SystemExit(main())
