"""The exchange's HTTP relay API over the devnet (reference section 4), with fault injection."""

from ama_tui.devnet.relay.app import make_relay_app
from ama_tui.devnet.relay.faults import (
    MARKETS,
    NONCE,
    ORDERBOOK,
    RELAYER_SET,
    ROUTES,
    SESSION_INIT,
    TRADE,
    Fault,
    FaultKind,
    FaultPlan,
)

__all__ = [
    "MARKETS",
    "NONCE",
    "ORDERBOOK",
    "RELAYER_SET",
    "ROUTES",
    "SESSION_INIT",
    "TRADE",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "make_relay_app",
]
