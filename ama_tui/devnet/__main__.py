"""`python -m ama_tui.devnet [options]` runs `ama-tui devnet [options]`."""

from ama_tui.devnet.command import main

raise SystemExit(main())
