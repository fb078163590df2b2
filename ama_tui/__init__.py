"""ama-tui: a terminal dashboard that runs a liquidity packer for Dexetra order-book markets."""

__version__ = "0.1.0"
