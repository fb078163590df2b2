"""The app's flow screens, one per module (the dashboard lives in `ama_tui.tui.dashboard`)."""
