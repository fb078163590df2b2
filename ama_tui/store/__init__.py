"""The state folder: checkpoint, journal, per-wallet files, the wallets CSV. Crash-safe."""
