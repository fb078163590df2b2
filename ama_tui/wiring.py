"""Putting a run together from command-line choices: which venue, which wallets, which market.

Used by the headless runner and the TUI alike, so both mean the same thing by the same flags.
Every failure here is a `SetupError` with a message a user can act on.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ama_tui.settings import LiveSettings, SettingsError, load_live_settings
from ama_tui.store import WalletEntry, WalletsCsvError, derive_wallets, load_wallets_csv
from ama_tui.venues.base import (
    MarketInfo,
    MarketRow,
    RowKeeper,
    StartWarmer,
    UnknownMarket,
    Venue,
    VenueError,
    VenueKind,
)
from ama_tui.venues.early_reads import LOOKUP_LIMIT, EarlyReads
from ama_tui.venues.market_cache import MarketCache, RelayerRoots

DEFAULT_SIM_WALLETS = 10

log = logging.getLogger(__name__)


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

    @property
    def app_url(self) -> str | None:
        """The exchange's web app (None on the embedded exchange)."""
        return self.settings.app_url if self.settings is not None else None


def warm_start(setup: VenueSetup) -> None:
    """Begin the reads a run's sessions need first, in the background (a venue that has any): the
    relayer set, read while the market is looked up (or picked). The root read by the last launch
    of this web app is offered to the first sessions meanwhile, and the one read now is remembered
    in the user's cache for the next."""
    venue = setup.venue
    if isinstance(venue, StartWarmer):
        app_url = setup.app_url
        venue.warm_start(RelayerRoots(MarketCache(), app_url) if app_url is not None else None)


def open_venue(
    choice: VenueChoice,
    *,
    seed: int = 0,
    preset: str = "REALISTIC",
    virtual_time: bool = False,
    env_dir: Path | None = None,
    probe: bool = True,
    early_reads: EarlyReads | None = None,
) -> VenueSetup:
    """The venue to use. `auto` takes the production venue when the environment configures one,
    else the embedded exchange, and says which. `probe=False` skips asking the exchange's web app
    for one market first (a caller that looks its market up at once learns as much from that, one
    round trip sooner: `find_market` with `app_url`). `early_reads`: the web app's first GETs,
    begun at launch (`venues.early_reads.begin_run_reads`), for the exchange's client to take."""
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
            dexetra = DexetraVenue(settings, kind=kind, early_reads=early_reads)
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


def find_market(
    venue: Venue, symbol: str, *, app_url: str | None = None, cache: MarketCache | None = None
) -> tuple[MarketRow, MarketInfo]:
    """The market row (for the checkpoint) and its on-chain info, by symbol or order-book address.
    `app_url`: where the exchange's web app is, named when it cannot be reached. With it (and a
    venue that reads a listing over the network), a market found before is taken from the `cache`
    (default: the user's, `venues.market_cache`) when the chain confirms it — no relay round trip —
    and looked up again in the background."""
    wanted = symbol.strip().lower()
    if not wanted:
        raise SetupError("--market needs a symbol")
    if cache is None and app_url is not None:
        cache = MarketCache()
    try:
        if cache is not None and app_url is not None and isinstance(venue, RowKeeper):
            found = _remembered(venue, symbol, app_url, cache)
            if found is not None:
                return found
        page = venue.list_markets(search=symbol.strip(), status=None, limit=LOOKUP_LIMIT)
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
    if cache is not None and app_url is not None and isinstance(venue, RowKeeper):
        cache.put(app_url, row)
    return row, info


def _remembered(
    venue: Venue, symbol: str, app_url: str, cache: MarketCache
) -> tuple[MarketRow, MarketInfo] | None:
    """The remembered row of `symbol`, if the chain confirms it (the OrderBook at its address holds
    its market id: `market_info` checks that); the listing is read again in the background to keep
    the cache fresh. None (look it up) when nothing is remembered or the chain disagrees."""
    row = cache.get(app_url, symbol)
    if row is None or not row.is_active or not isinstance(venue, RowKeeper):
        return None
    venue.know_rows([row])
    try:
        info = venue.market_info(row.market_address)
    except VenueError:
        return None  # gone or changed: the listing says what is there now
    threading.Thread(
        target=_refresh_listing, args=(venue, symbol, app_url, cache), name="market-refresh", daemon=True
    ).start()
    return row, info


def _refresh_listing(venue: Venue, symbol: str, app_url: str, cache: MarketCache) -> None:
    """Read the market's listing again and remember it (a run that took the remembered row goes on
    with it: the chain confirmed its order book and market id)."""
    wanted = symbol.strip().lower()
    try:
        page = venue.list_markets(search=symbol.strip(), status=None, limit=LOOKUP_LIMIT)
    except VenueError as exc:
        log.info("could not refresh the listing of %s: %s", symbol, exc)
        return
    for row in page.markets:
        if wanted in (row.symbol.lower(), row.market_address.lower()):
            cache.put(app_url, row)
            if not row.is_active:
                log.warning("market %s is now listed %s", row.symbol, row.market_status)
            return
