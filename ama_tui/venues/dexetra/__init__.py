"""The production venue: Dexetra's web app (HTTP) and its contracts (JSON-RPC), batched.

`DexetraVenue(settings)` implements `venues.base.Venue` against a live deployment or the local
devnet. Modules, one idea each: `rpc` (JSON-RPC transport), `calls` (Multicall3 or batches),
`codec` (ABI), `chain` (the fleet-wide reads), `fills` / `fill_feed` (fills from logs),
`coalesce` (one cycle's reads in three round trips), `api` / `api_models` / `api_errors`
(the HTTP routes), `venue` (the protocol), `httpx_cli` (httpx without its command line).
"""

from ama_tui.venues.dexetra import httpx_cli

httpx_cli.leave_out()  # before any module of the venue imports httpx

from ama_tui.venues.dexetra.chain import ChainMismatch  # noqa: E402
from ama_tui.venues.dexetra.venue import DexetraVenue, InvalidCursor  # noqa: E402

__all__ = ["ChainMismatch", "DexetraVenue", "InvalidCursor"]
