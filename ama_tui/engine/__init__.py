"""The packer loop, sessions, fills and live parameters. Runs in one worker thread."""
