"""Putting a run together from command-line choices: which venue, which wallets, which market.

Used by the headless runner and the TUI alike, so both mean the same thing by the same flags.
Every failure here is a `SetupError` with a message a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ama_tui.settings import LiveSettings, SettingsError, load_live_settings
from ama_tui.store import WalletEntry, WalletsCsvError, derive_wallets, load_wallets_csv
from ama_tui.venues.base import MarketInfo, MarketRow, UnknownMarket, Venue, VenueError, VenueKind

DEFAULT_SIM_WALLETS = 10


class SetupError(RuntimeError):
    """Something the user must fix before a run can start (the message says what)."""


class VenueChoice(StrEnum):
    AUTO = "auto"
    SIM = "sim"
    DEXETRA = "dexetra"


@dataclass(frozen=True, slots=True)
class VenueSetup:
    venue: Venue
    kind: VenueKind
    description: str
    """What was picked and why, for the user."""
    settings: LiveSettings | None = None


def open_venue(
    choice: VenueChoice,
    *,
    seed: int = 0,
    preset: str = "REALISTIC",
    virtual_time: bool = False,
    env_dir: Path | None = None,
    probe: bool = True,
) -> VenueSetup:
    """The venue to use. `auto` takes the production venue when the environment configures one,
    else the embedded exchange, and says which. `probe=False` skips asking the exchange's web app
    for one market first (a caller that looks its market up at once learns as much from that, one
    round trip sooner: `find_market` with `app_url`)."""
    try:
        settings = load_live_settings(env_dir)
    except SettingsError as exc:
        if choice is VenueChoice.SIM:
            settings = None
        else:
            raise SetupError(str(exc)) from None
    if choice is VenueChoice.DEXETRA or (choice is VenueChoice.AUTO and settings is not None):
        if settings is None:
            raise SetupError(
                "--venue dexetra needs RPC_URL, SESSION_REGISTRY_ADDRESS and CHAIN_ID "
                "(in .env.local, .env or the environment)"
            )
        from ama_tui.venues.dexetra import DexetraVenue

        # 31337 is anvil's chain id: the local devnet (never a chain where real money trades)
        kind = VenueKind.DEVNET if settings.chain_id == 31337 else VenueKind.LIVE
        try:
            dexetra = DexetraVenue(settings, kind=kind)
        except (VenueError, ValueError) as exc:
            raise SetupError(f"cannot use the chain at RPC_URL (chain {settings.chain_id}): {exc}") from None
        try:
            if probe:
                dexetra.list_markets(status=None, limit=1)
        except VenueError as exc:
            dexetra.close()
            raise SetupError(unreachable_app(settings.app_url, exc)) from None
        why = "asked for" if choice is VenueChoice.DEXETRA else "configured in the environment"
        return VenueSetup(
            venue=dexetra,
            kind=kind,
            description=f"Dexetra at {settings.app_url}, chain {settings.chain_id}"
            f"{' (local devnet)' if kind is VenueKind.DEVNET else ''} ({why})",
            settings=settings,
        )
    from ama_tui.venues.sim import SimVenue

    try:
        venue = SimVenue(seed, preset=preset, clock="virtual" if virtual_time else "wall")
    except (KeyError, ValueError) as exc:
        raise SetupError(f"cannot start the embedded exchange: {exc}") from None
    why = "asked for" if choice is VenueChoice.SIM else "no live exchange configured"
    clock = "virtual clock" if virtual_time else "wall clock"
    return VenueSetup(
        venue=venue,
        kind=VenueKind.SIM,
        description=f"embedded exchange ({why}; seed {seed}, preset {preset}, {clock})",
    )


def load_fleet(
    kind: VenueKind, *, csv: Path | None, count: int | None, seed: int
) -> tuple[list[WalletEntry], list[str]]:
    """(wallets, warnings). The embedded exchange derives wallets from the seed when no CSV is given."""
    if count is not None and count < 1:
        raise SetupError("--wallets must be at least 1")
    if csv is None:
        if kind is not VenueKind.SIM:
            raise SetupError("a wallets CSV is required for a real exchange: pass --csv PATH")
        return list(derive_wallets(seed, count or DEFAULT_SIM_WALLETS)), []
    try:
        loaded = load_wallets_csv(csv, count=count)
    except WalletsCsvError as exc:
        raise SetupError(str(exc)) from None
    return list(loaded.wallets), list(loaded.warnings)


def unreachable_app(app_url: str, exc: VenueError) -> str:
    return f"cannot use the exchange's web app at {app_url}: {exc}"


def find_market(venue: Venue, symbol: str, *, app_url: str | None = None) -> tuple[MarketRow, MarketInfo]:
    """The market row (for the checkpoint) and its on-chain info, by symbol or order-book address.
    `app_url`: where the exchange's web app is, named when it cannot be reached."""
    wanted = symbol.strip().lower()
    if not wanted:
        raise SetupError("--market needs a symbol")
    try:
        page = venue.list_markets(search=symbol.strip(), status=None, limit=100)
        rows = [r for r in page.markets if wanted in (r.symbol.lower(), r.market_address.lower())]
        if not rows:
            raise SetupError(f"no market {symbol!r} on this venue")
        row = rows[0]
        if not row.is_active:
            raise SetupError(f"market {row.symbol} is {row.market_status}, not ACTIVE")
        info = venue.market_info(row.market_address)
    except UnknownMarket:
        raise SetupError(f"no market {symbol!r} on this venue") from None
    except VenueError as exc:
        if app_url is not None:
            raise SetupError(unreachable_app(app_url, exc)) from None
        raise SetupError(f"the exchange did not answer: {exc}") from None
    return row, info
