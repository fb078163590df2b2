"""The dashboard app: pick a market, resume or start fresh, configure, open sessions, watch.

`make_app` builds it for the CLI and the tests alike. Where the app is in that flow is one typed
`Phase` (a reactive); screens tell the app what the user chose with messages or their dismiss
value, and the app alone moves between phases. The packer runs in one thread worker that only
posts messages (`ama_tui.tui.messages`); the handlers here switch screens on the main thread. `q`
stops a running packer (it saves its checkpoint) and quits once the worker is done. Cancel-all
ends the run too, then offers the way back: the market picker, or the same run resumed paused
with the book empty of our orders.

Several markets marked on the picker run as one (`markets_run`: the headless runner's wiring):
the form also asks each market's weight, and the dashboard is a tab per market plus the fleet
overview (`ama_tui.tui.markets`); `q` stops them all. Cancel-all there cancels in every market
(the overview shows each one's progress) and offers the same way back, every market resumed
paused with its own parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Final, cast

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from ama_tui.analytics.cache_keeper import keep_report_cache
from ama_tui.core.models import MarketCheckpoint, PackerParams, RunConfig
from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.packer import PackerOptions, RunSummary, SessionProgress
from ama_tui.engine.run_setup import StartMode
from ama_tui.engine.snapshot import run_summary_text
from ama_tui.store import MarketStore, StateStore, StoreError, WalletEntry, derive_wallets
from ama_tui.strategies import DEFAULT_STRATEGY
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.engine_run import (
    PacedVenue,
    StartRequest,
    describe_error,
    run_packer,
    summarize_checkpoint,
)
from ama_tui.tui.markets.flow import HeldMarkets, MarketsFinished, MarketTabs, finished_text
from ama_tui.tui.markets.market_dashboard import tabs_help
from ama_tui.tui.markets.tabs import TabWanted
from ama_tui.tui.markets_run import MarketHandles, MarketsRequest, run_markets
from ama_tui.tui.messages import EngineFinished, EngineRunning, SessionProgressed
from ama_tui.tui.screens.cleared import BookClearedScreen, ClearedChoice, MarketsClearedScreen
from ama_tui.tui.screens.config import ConfigResult, ConfigScreen
from ama_tui.tui.screens.help import HelpScreen
from ama_tui.tui.screens.message import MessageScreen
from ama_tui.tui.screens.picker import PickerScreen
from ama_tui.tui.screens.resume import ResumeScreen
from ama_tui.tui.screens.sessions import SessionsScreen
from ama_tui.tui.size_advice import MarketFacts, read_market_facts
from ama_tui.venues.base import MarketRow, Venue, VenueKind
from ama_tui.wiring import (
    DEFAULT_SIM_WALLETS,
    SetupError,
    VenueChoice,
    VenueSetup,
    load_fleet,
    open_venue,
    warm_start,
)

MAX_SIM_WALLETS: Final = 200
STOP_WAIT_S: Final = 60.0
"""How long quitting waits for a running packer to finish its cycle and save."""

EXIT_OK: Final = 0
EXIT_SETUP: Final = 2
EXIT_ENGINE: Final = 3
STOPPING_SUBTITLE: Final = "stopping: finishing the cycle and saving the checkpoint…"
KEPT_PAUSED: Final = "Paused with no order of ours on the book: p starts quoting again."
KEPT_PAUSED_MARKETS: Final = (
    "Every market paused with no order of ours on its book: p on a market's tab starts quoting it again."
)


class Phase(StrEnum):
    """Where the app is in its flow; only the app moves it."""

    SETUP_FAILED = "setup failed"
    """A message says what to fix; `q` quits."""
    PICKING = "picking"
    """The market picker; no market held."""
    PREPARING = "preparing"
    """A market is held (its lock): the resume dialog or the configuration form."""
    STARTING = "starting"
    """The engine worker runs and opens the sessions."""
    RUNNING = "running"
    """The dashboard."""
    STOPPING = "stopping"
    """Quit was asked: the engine finishes its cycle and saves, then the app exits."""
    CLEARED = "cleared"
    """Cancel-all is done and the run stopped: the way back is offered."""
    ENDED = "ended"
    """The run stopped (or failed) and a message says so; `q` quits."""


ENGINE_PHASES: Final = frozenset({Phase.STARTING, Phase.RUNNING, Phase.STOPPING})
"""The phases in which the engine worker runs."""


@dataclass(frozen=True, slots=True)
class HeldMarket:
    """The market picked (its store open and locked) while the user decides how to run it."""

    store: MarketStore
    row: MarketRow
    checkpoint: MarketCheckpoint | None


def sizes_are_defaults(config: RunConfig) -> bool:
    """Nobody chose this run's order sizes: the form may propose notional ones."""
    defaults = RunConfig()
    return not config.sizes_in_usd and (config.size_min, config.size_max) == (
        defaults.size_min,
        defaults.size_max,
    )


def venue_subtitle(setup: VenueSetup, options: AppOptions) -> str:
    """Short enough for an 80-column header: what the app trades on, and why."""
    if setup.kind is VenueKind.SIM:
        text = "embedded exchange"
        if options.venue is VenueChoice.AUTO:
            text += " (no live exchange configured)"
    else:
        text = setup.kind.value
    return f"{text} · DRY-RUN" if options.dry_run else text


QUIT_HELP: Final = (
    "quit; during a run: stop, save the checkpoint, then quit (ctrl+q and ctrl+c even while typing "
    "in a field)"
)


class AmaApp(App[int], inherit_bindings=False):
    CSS_PATH = "app.tcss"
    TITLE = "ama-tui"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        # A focused text field consumes printable keys, so there `q` and `?` are typed, and
        # ctrl+q / f1 do the same.
        Binding("q,ctrl+q", "quit_app", "Quit", priority=True, tooltip=QUIT_HELP),
        Binding("question_mark,f1", "help", "Help", priority=True, tooltip="this help (again to close)"),
        Binding("ctrl+c", "quit_app", show=False, priority=True, tooltip=QUIT_HELP),  # as every terminal
    ]
    phase: reactive[Phase] = reactive(Phase.PICKING, init=False)

    def __init__(
        self,
        options: AppOptions,
        *,
        setup: VenueSetup | None,
        csv_fleet: Sequence[WalletEntry] | None = None,
        warnings: Sequence[str] = (),
        setup_error: str | None = None,
    ) -> None:
        super().__init__()
        self.options = options
        self.setup = setup
        self.csv_fleet = list(csv_fleet) if csv_fleet is not None else None
        self.warnings = list(warnings)
        self.setup_error = setup_error
        self.handle: EngineHandle | None = None
        self.state_folder: Path | None = None
        """The market's state folder of the run started here (for the summary printed at exit)."""
        self.summary: RunSummary | None = None
        self.engine_error: str | None = None
        self.market: HeldMarket | None = None
        """The market picked, while the user decides how to run it (PREPARING)."""
        self.last_request: StartRequest | None = None
        """What the latest run was started with (cancel-all's "keep running" resumes it)."""
        self.held_markets: HeldMarkets | None = None
        """The markets marked on the picker, while the user decides how to run them (PREPARING)."""
        self.markets: MarketHandles | None = None
        """The handles of a run over several markets (None: a one-market run or none)."""
        self.tabs: MarketTabs | None = None
        """That run's tab screens, once its dashboard is up."""
        self.last_markets_request: MarketsRequest | None = None
        """What the latest run over several markets was started with (for "keep running")."""
        self.markets_summary: str | None = None
        self.market_folders: dict[str, Path] = {}
        self._welcome: str | None = None
        """A toast for the next dashboard (the run kept paused after cancel-all)."""
        self._engine_done = threading.Event()
        self._exit_code = EXIT_SETUP if setup_error else EXIT_OK
        self.set_reactive(AmaApp.phase, Phase.SETUP_FAILED if setup_error else Phase.PICKING)

    # -- start ---------------------------------------------------------------------------------

    @property
    def venue(self) -> Venue:
        assert self.setup is not None
        return self.setup.venue

    def on_mount(self) -> None:
        if self.setup is not None:
            self.sub_title = venue_subtitle(self.setup, self.options)
        if self.setup_error is not None:
            self.push_screen(MessageScreen("ama-tui cannot start", self.setup_error))
            return
        for warning in self.warnings:
            self.notify(warning, severity="warning", timeout=8)
        self.push_screen(self._picker())

    def _picker(self) -> PickerScreen:
        assert self.setup is not None
        return PickerScreen(
            self.venue,
            venue_label=self.setup.description,
            server_search=self.setup.kind is not VenueKind.SIM,
            page_size=self.options.page_size,
            debounce_s=self.options.search_debounce_s,
            cursor_blink=self.options.cursor_blink,
        )

    # -- picked a market -> resume? -> configure ---------------------------------------------------

    def watch_phase(self, phase: Phase) -> None:
        if phase is Phase.STOPPING:
            self.sub_title = STOPPING_SUBTITLE

    def on_picker_screen_picked(self, message: PickerScreen.Picked) -> None:
        if self.phase is not Phase.PICKING:
            return
        if len(message.rows) > 1:
            self._hold_markets(message.rows)
            return
        row = message.row
        held = self._hold(row)
        if held is None:
            return
        self.market, self.phase = held, Phase.PREPARING
        checkpoint = held.checkpoint
        if checkpoint is None:
            self._configure(StartMode.FRESH)
            return
        summary = summarize_checkpoint(checkpoint, self.venue.clock.now())
        self.push_screen(ResumeScreen(summary), self._resume_chosen)

    def _hold(self, row: MarketRow) -> HeldMarket | None:
        """Open (and lock) the market's state folder; None, with a message, when it cannot be."""
        store = StateStore(self.options.state_dir).market(row.chain_id, row.market_address)
        try:
            store.open()
            checkpoint = store.load_checkpoint()
        except StoreError as exc:
            store.close()
            self.push_screen(MessageScreen(f"Cannot open {row.symbol}", str(exc), can_go_back=True))
            return None
        return HeldMarket(store, row, checkpoint)

    def on_picker_screen_arena_wanted(self, message: PickerScreen.ArenaWanted) -> None:
        """f2 on the picker: the Arena (the arena's own back end; no market is held)."""
        from ama_tui.tui.screens.arena import ArenaScreen

        self.push_screen(ArenaScreen())

    def on_picker_screen_analytics_wanted(self, message: PickerScreen.AnalyticsWanted) -> None:
        """f3 on the picker: the markets stored under the state folder, for their analytics."""
        from ama_tui.tui.screens.analytics_pick import StoredMarketsScreen

        self.push_screen(StoredMarketsScreen(self.options.state_dir, cursor_blink=self.options.cursor_blink))

    def _resume_chosen(self, choice: str | None) -> None:
        if choice is None:
            self._release_market()
        else:
            self._configure(StartMode.RESUME if choice == "resume" else StartMode.FRESH)

    def _configure(self, mode: StartMode) -> None:
        assert self.market is not None
        checkpoint, row = self.market.checkpoint, self.market.row
        config = checkpoint.config if checkpoint else RunConfig()
        packer = checkpoint.packer_params if checkpoint else PackerParams()
        strategy = checkpoint.strategy if checkpoint else None
        if self.csv_fleet is not None:
            max_wallets = len(self.csv_fleet)
            wallets = max_wallets
        else:
            max_wallets = MAX_SIM_WALLETS
            wallets = self.options.wallets or DEFAULT_SIM_WALLETS
            if mode is StartMode.RESUME and checkpoint is not None and not self.options.wallets:
                wallets = min(max_wallets, len(checkpoint.wallets) or DEFAULT_SIM_WALLETS)
        if mode is StartMode.RESUME and checkpoint is not None:
            title = f"{row.symbol} · resume run {checkpoint.run.run_id}"
        elif checkpoint is not None:
            title = f"{row.symbol} · fresh run (the saved run {checkpoint.run.run_id} is set aside)"
        else:
            title = f"{row.symbol} · new run"

        def done(result: ConfigResult | None) -> None:
            if result is None:
                self._release_market()
            else:
                self._start(mode, result)

        venue = self.venue
        # the wallets a run may use: the whole CSV fleet, or on the sim the ones the form starts with
        fleet_size = max_wallets if self.csv_fleet is not None else wallets

        def read_facts() -> MarketFacts:
            """In the form's worker thread: the market's price and the wallets' collateral."""
            return read_market_facts(venue, row, self._fleet(fleet_size))

        self.push_screen(
            ConfigScreen(
                title=title,
                config=config,
                packer=packer,
                wallets=wallets,
                max_wallets=max_wallets,
                cursor_blink=self.options.cursor_blink,
                read_facts=read_facts,
                # a resumed run keeps its sizes, and so does one whose sizes were chosen before
                propose=mode is not StartMode.RESUME and sizes_are_defaults(config),
                # and its strategy (resuming under another is refused)
                strategy=strategy.name if strategy else DEFAULT_STRATEGY,
                strategy_params=strategy.params if strategy else None,
                strategy_locked=mode is StartMode.RESUME and checkpoint is not None,
            ),
            done,
        )

    def _release_market(self) -> None:
        """Back to the picker: the market's lock is given back."""
        if self.market is not None:
            self.market.store.close()
            self.market = None
        if self.held_markets is not None:
            self.held_markets.close()
            self.held_markets = None
        if self.phase is Phase.PREPARING:
            self.phase = Phase.PICKING

    # -- start the run ----------------------------------------------------------------------------

    # -- several markets: hold them, resume?, configure (with weights), run -----------------------

    def _hold_markets(self, rows: Sequence[MarketRow]) -> None:
        held: list[HeldMarket] = []
        for row in rows:
            market = self._hold(row)
            if market is None:  # said on a message; the others are given back
                for taken in held:
                    taken.store.close()
                return
            held.append(market)
        self.held_markets = HeldMarkets(
            tuple(rows), tuple(m.store for m in held), tuple(m.checkpoint for m in held)
        )
        self.phase = Phase.PREPARING
        checkpoint = self.held_markets.first_checkpoint
        if checkpoint is None:
            self._configure_markets(StartMode.FRESH)
            return

        def chosen(choice: str | None) -> None:
            if choice is None:
                self._release_market()
            else:  # resume: each market with a checkpoint resumes, the others start fresh
                self._configure_markets(StartMode.AUTO if choice == "resume" else StartMode.FRESH)

        self.push_screen(ResumeScreen(summarize_checkpoint(checkpoint, self.venue.clock.now())), chosen)

    def _configure_markets(self, mode: StartMode) -> None:
        from ama_tui.headless_markets import market_shares

        held = self.held_markets
        assert held is not None
        checkpoint = held.first_checkpoint if mode is not StartMode.FRESH else None
        config = checkpoint.config if checkpoint else RunConfig()
        packer = held.kept_packer(checkpoint.packer_params) if checkpoint else PackerParams()
        fleet_size = len(self.csv_fleet) if self.csv_fleet is not None else MAX_SIM_WALLETS
        wallets = (
            len(self.csv_fleet) if self.csv_fleet is not None else self.options.wallets or DEFAULT_SIM_WALLETS
        )
        names = " + ".join(held.symbols)
        title = f"{names} · {'resume' if checkpoint else 'new run'} over {len(held.rows)} markets"
        venue, row = self.venue, held.rows[0]

        def read_facts() -> MarketFacts:
            return read_market_facts(venue, row, self._fleet(wallets))

        def split(total_bps: int, weights: Mapping[str, Decimal]) -> Mapping[str, int]:
            return market_shares(total_bps, weights, self._fleet(min(wallets, fleet_size)))

        def done(result: ConfigResult | None) -> None:
            if result is None:
                self._release_market()
            else:
                self._start_markets(mode, result)

        self.push_screen(
            ConfigScreen(
                title=title,
                config=config,
                packer=packer,
                wallets=wallets,
                max_wallets=fleet_size,
                cursor_blink=self.options.cursor_blink,
                read_facts=read_facts,
                propose=mode is StartMode.FRESH and sizes_are_defaults(config),
                strategy=checkpoint.strategy.name if checkpoint and checkpoint.strategy else DEFAULT_STRATEGY,
                strategy_locked=checkpoint is not None,
                markets=held.symbols,
                weights=held.kept_weights(),
                split=split,
            ),
            done,
        )

    def _start_markets(self, mode: StartMode, result: ConfigResult) -> None:
        held, setup = self.held_markets, self.setup
        assert held is not None and setup is not None
        request = MarketsRequest(
            held.rows,
            mode,
            result.config,
            result.packer,
            result.wallets,
            weights=dict(result.weights),
            strategy=result.strategy,
            strategy_params=dict(result.strategy_params),
        )
        handles = MarketHandles(held.symbols, venue_kind=setup.kind, dry_run=self.options.dry_run)
        self.held_markets = None
        self._launch_markets(request, held.stores, handles)

    def _launch_markets(
        self, request: MarketsRequest, stores: Sequence[MarketStore], handles: MarketHandles
    ) -> None:
        """The sessions screen, then the markets' worker on `stores` (which it closes when done)."""
        self.markets, self.handle, self.last_markets_request = handles, None, request
        self.state_folder = stores[0].folder
        self.market_folders = {
            row.symbol: store.folder for row, store in zip(request.rows, stores, strict=True)
        }
        sessions = SessionsScreen(
            symbol=" + ".join(request.symbols),
            wallets=request.wallets,
            resumed=request.mode is not StartMode.FRESH,
        )
        self._show_only(sessions)
        self._drop_tabs()  # a run kept going after cancel-all: its old tabs go
        self.phase = Phase.STARTING
        self._engine_done.clear()
        self._run_markets(request, self._fleet(request.wallets), stores, handles)

    def _drop_tabs(self) -> None:
        """The tab screens of the run over several markets that ended, once none is shown."""
        if self.tabs is not None:
            self.tabs.uninstall()
            self.tabs = None

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine", name="markets")
    def _run_markets(
        self,
        request: MarketsRequest,
        fleet: list[WalletEntry],
        stores: Sequence[MarketStore],
        handles: MarketHandles,
    ) -> None:
        """The markets' packers, start to end. Only posts messages; closes the stores when done."""
        options = self.options
        venue = self.venue
        if options.virtual_time:
            venue = cast(Venue, PacedVenue(venue, options.virtual_pace_s))
        summary = None
        error: str | None = None
        journals = [store.journal_path for store in stores]
        try:
            with keep_report_cache(journals, virtual_time=options.virtual_time):
                summary = run_markets(
                    venue=venue,
                    state=StateStore(options.state_dir),
                    stores=stores,
                    request=request,
                    fleet=fleet,
                    handles=handles,
                    options=packer_options(options),
                    run_id=options.run_id,
                    progress=lambda report: self._post(SessionProgressed(report)),
                    on_started=lambda run_id: self._post(EngineRunning(run_id)),
                )
        except Exception as exc:  # shown on a message screen; never a traceback
            error = describe_error(exc)
        finally:
            for store in stores:  # run_markets closes them; again here if it never began
                store.close()
            self._engine_done.set()
        self.post_message(MarketsFinished(summary, error))

    def _post(self, message: Message) -> None:
        self.post_message(message)

    def _show_markets(self, handles: MarketHandles) -> None:
        tabs = self.tabs = MarketTabs(
            self, handles, bell=self.options.alert_bell, folders=self.market_folders
        )
        self.phase = Phase.RUNNING
        self._show_only(tabs.screens[0])
        self._say_welcome()

    def _say_welcome(self) -> None:
        if self._welcome is not None:
            self.notify(self._welcome, title="Kept running", timeout=10)
            self._welcome = None

    def on_tab_wanted(self, message: TabWanted) -> None:
        if self.tabs is not None and self.phase in ENGINE_PHASES:
            self.tabs.switch(message)

    def on_markets_finished(self, message: MarketsFinished) -> None:
        quitting = self.phase is Phase.STOPPING
        markets = self.markets
        cancelled_all = markets is not None and markets.cancel_all_requested
        if message.summary is not None:
            self.markets_summary = finished_text(message.summary, cancelled_all=cancelled_all)
        if message.error is None and quitting:
            self.exit(self._exit_code, return_code=self._exit_code)
            return
        if message.error is None and message.summary is not None and markets is not None and cancelled_all:
            # the way back, over the tab shown (its figures stay behind the dialog)
            self.phase = Phase.CLEARED
            latest = {s: h.latest if (h := markets.handle(s)) is not None else None for s in markets.symbols}
            self.push_screen(MarketsClearedScreen(message.summary, latest), self._markets_cleared_choice)
            return
        self.phase = Phase.ENDED
        if message.error is not None:
            self._exit_code = EXIT_ENGINE
            self._show_only(MessageScreen("The run over several markets stopped on an error", message.error))
        else:
            self._show_only(MessageScreen("The run stopped", self.markets_summary or "", error=False))
        self._drop_tabs()

    def _fleet(self, count: int) -> list[WalletEntry]:
        if self.csv_fleet is not None:
            return self.csv_fleet[:count]
        return list(derive_wallets(self.options.seed, count))

    def _start(self, mode: StartMode, result: ConfigResult) -> None:
        assert self.market is not None and self.setup is not None
        request = StartRequest(
            self.market.row,
            mode,
            result.config,
            result.packer,
            result.wallets,
            strategy=result.strategy,
            strategy_params=dict(result.strategy_params),
        )
        handle = EngineHandle(
            LiveParams(result.config, result.packer), venue_kind=self.setup.kind, dry_run=self.options.dry_run
        )
        store = self.market.store
        self.market = None
        self._launch(request, store, handle)

    def _launch(self, request: StartRequest, store: MarketStore, handle: EngineHandle) -> None:
        """The sessions screen, then the engine worker on `store` (which it closes when done)."""
        self.handle, self.last_request, self.state_folder = handle, request, store.folder
        self.markets = None  # a run over several markets before this one is over
        sessions = SessionsScreen(
            symbol=request.row.symbol, wallets=request.wallets, resumed=request.mode is StartMode.RESUME
        )
        self._show_only(sessions)
        self.phase = Phase.STARTING
        self._engine_done.clear()
        self._run_engine(request, self._fleet(request.wallets), store, handle)

    def _show_only(self, screen: Screen[Any]) -> None:
        """Replace every screen above the app's base with `screen`."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) == 2:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine", name="packer")
    def _run_engine(
        self, request: StartRequest, fleet: list[WalletEntry], store: MarketStore, handle: EngineHandle
    ) -> None:
        """The packer, start to end. Only posts messages; closes the market's store when done."""
        options = self.options
        venue = self.venue
        if options.virtual_time:
            venue = cast(Venue, PacedVenue(venue, options.virtual_pace_s))

        def progress(report: SessionProgress) -> None:
            self.post_message(SessionProgressed(report))

        def started(run_id: str) -> None:
            self.post_message(EngineRunning(run_id))

        summary: RunSummary | None = None
        error: str | None = None
        try:
            with keep_report_cache([store.journal_path], virtual_time=options.virtual_time):
                summary = run_packer(
                    venue=venue,
                    store=store,
                    request=request,
                    fleet=fleet,
                    handle=handle,
                    options=packer_options(options),
                    run_id=options.run_id,
                    progress=progress,
                    on_started=started,
                )
        except Exception as exc:  # shown on a message screen; never a traceback
            error = describe_error(exc)
        finally:
            try:
                store.close()
            finally:
                self._engine_done.set()
        # after the store is closed: the market may be opened again at once (cancel-all's way back)
        self.post_message(EngineFinished(summary, error))

    def on_session_progressed(self, message: SessionProgressed) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, SessionsScreen):
                screen.record(message.report)

    def on_engine_running(self, message: EngineRunning) -> None:
        if self.markets is not None and self.phase is Phase.STARTING:
            self._show_markets(self.markets)
            return
        if self.handle is None or self.phase is not Phase.STARTING:
            return
        from ama_tui.tui.dashboard.screen import DashboardScreen

        self.phase = Phase.RUNNING
        self._show_only(
            DashboardScreen(self.handle, bell=self.options.alert_bell, state_folder=self.state_folder)
        )
        self._say_welcome()

    def on_engine_finished(self, message: EngineFinished) -> None:
        quitting = self.phase is Phase.STOPPING
        self.summary, self.engine_error = message.summary, message.error
        if message.error is not None:
            self.phase = Phase.ENDED
            self._exit_code = EXIT_ENGINE
            self._show_only(MessageScreen("The packer stopped on an error", message.error))
            return
        if quitting:
            self.exit(self._exit_code, return_code=self._exit_code)
            return
        summary = message.summary
        assert summary is not None
        if self.handle is not None and self.handle.params.cancel_all_requested:
            self.phase = Phase.CLEARED
            self.push_screen(BookClearedScreen(summary, self.handle.latest), self._cleared_choice)
            return
        self.phase = Phase.ENDED
        self._show_only(
            MessageScreen(
                "The run stopped",
                f"{summary.stop_reason}.\n\nRun {summary.run_id}: {summary.cycles} cycles, "
                f"{summary.placed} orders placed, {summary.cancelled} cancelled, {summary.fills} fills, "
                f"{summary.errors} errors. The checkpoint is saved.",
                error=False,
            )
        )

    # -- after cancel-all: the way back -----------------------------------------------------------

    def _cleared_choice(self, choice: ClearedChoice | None) -> None:
        if self.phase is not Phase.CLEARED:
            return
        if choice is ClearedChoice.KEEP_RUNNING and self._keep_running():
            return
        self.phase = Phase.PICKING
        self._show_only(self._picker())

    def _keep_running(self) -> bool:
        """The run that was cleared, resumed paused (its book stays empty of our orders until `p`),
        with the parameters it last ran with. False (with a message) when the market cannot be
        opened again."""
        request, previous = self.last_request, self.handle
        if request is None or previous is None or self.setup is None:
            return False
        held = self._hold(request.row)
        if held is None:
            return False
        latest = previous.latest
        config = latest.config if latest is not None else request.config
        packer = latest.packer if latest is not None else request.packer
        handle = EngineHandle(
            LiveParams(config, packer), venue_kind=self.setup.kind, dry_run=self.options.dry_run
        )
        handle.toggle_pause()  # paused from the first cycle on, and journaled as such (PAUSE)
        # the run's own strategy and parameters, as its checkpoint keeps them
        resumed = replace(
            request, mode=StartMode.RESUME, config=config, packer=packer, strategy=None, strategy_params={}
        )
        self._welcome = KEPT_PAUSED
        self._launch(resumed, held.store, handle)
        return True

    def _markets_cleared_choice(self, choice: ClearedChoice | None) -> None:
        if self.phase is not Phase.CLEARED:
            return
        if choice is ClearedChoice.KEEP_RUNNING and self._keep_markets_running():
            return
        self.phase = Phase.PICKING
        self._show_only(self._picker())
        self._drop_tabs()

    def _keep_markets_running(self) -> bool:
        """The run over several markets that was cleared, resumed paused: the same markets,
        weights and wallets' total, each market with the parameters its checkpoint keeps (its
        tab's edits). False (with a message) when a market cannot be opened again."""
        request, previous = self.last_markets_request, self.markets
        if request is None or previous is None or self.setup is None:
            return False
        held: list[HeldMarket] = []
        for row in request.rows:
            market = self._hold(row)
            if market is None:  # said on a message; the others are given back
                for taken in held:
                    taken.store.close()
                return False
            held.append(market)
        split = previous.split
        resumed = replace(
            request,
            mode=StartMode.RESUME,
            weights=dict(split.weights) if split is not None else dict(request.weights),
            strategy=None,  # each market's own, as its checkpoint keeps it
            strategy_params={},
            own_params=True,
        )
        handles = MarketHandles(
            request.symbols, venue_kind=self.setup.kind, dry_run=self.options.dry_run, paused=True
        )
        self._welcome = KEPT_PAUSED_MARKETS
        self._launch_markets(resumed, [m.store for m in held], handles)
        return True

    # -- keys -------------------------------------------------------------------------------------

    def on_dashboard_screen_quit_requested(self) -> None:
        self.action_quit_app()

    def on_dashboard_screen_help_requested(self) -> None:
        self.action_help()

    def action_quit_app(self) -> None:
        running = self.handle if self.handle is not None else self.markets
        if self.phase in ENGINE_PHASES and running is not None:
            if self.phase is not Phase.STOPPING:
                self.phase = Phase.STOPPING
                running.request_stop()
            return
        self._release_market()
        self.exit(self._exit_code, return_code=self._exit_code)

    def exit_summary(self) -> str | None:
        """What the run did, for the terminal once the app has closed (None if none ran)."""
        if self.markets is not None:
            latest = {s: h.latest for s in self.markets.symbols if (h := self.markets.handle(s)) is not None}
            texts = [
                run_summary_text(snapshot, self.market_folders.get(symbol))
                for symbol, snapshot in latest.items()
                if snapshot is not None
            ]
            return "\n".join(texts) or None
        snapshot = self.handle.latest if self.handle is not None else None
        if snapshot is None:
            return None
        return run_summary_text(snapshot, self.state_folder)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(extra=(tabs_help(),) if self.tabs is not None else ()))

    # -- end ---------------------------------------------------------------------------------------

    def on_unmount(self) -> None:
        """However the app ends, a running packer is stopped (and saves) before the process exits."""
        running = self.handle if self.handle is not None else self.markets
        if running is not None and self.phase in ENGINE_PHASES:
            running.request_stop()
            self._engine_done.wait(STOP_WAIT_S)
        self._release_market()
        if self.setup is not None:
            self.setup.venue.close()


def make_app(
    options: AppOptions,
    *,
    venue: Venue | None = None,
    venue_description: str | None = None,
) -> AmaApp:
    """The app for `options`. A setup problem (half-set `.env`, bad wallets CSV, ...) does not
    raise: the app opens on a screen that says what to fix. `venue` replaces the one the options
    would open (tests: a faulty venue)."""
    setup: VenueSetup | None = None
    try:
        if venue is not None:
            description = venue_description or f"{venue.kind.value} venue (injected)"
            setup = VenueSetup(venue=venue, kind=venue.kind, description=description)
        else:
            setup = open_venue(
                options.venue,
                seed=options.seed,
                preset=options.preset,
                virtual_time=options.virtual_time,
                env_dir=options.env_dir,
            )
            warm_start(setup)  # the relayer set is read while the user picks a market
        csv_fleet = None
        warnings: list[str] = []
        if options.csv is not None or setup.kind is not VenueKind.SIM:
            csv_fleet, warnings = load_fleet(
                setup.kind, csv=options.csv, count=options.wallets, seed=options.seed
            )
        elif options.wallets is not None and not 1 <= options.wallets <= MAX_SIM_WALLETS:
            raise SetupError(f"--wallets must be between 1 and {MAX_SIM_WALLETS} on the embedded exchange")
    except SetupError as exc:
        return AmaApp(options, setup=setup, setup_error=str(exc))
    return AmaApp(options, setup=setup, csv_fleet=csv_fleet, warnings=warnings)


def packer_options(options: AppOptions) -> PackerOptions:
    """The engine's options for a run the app starts (one market or several)."""
    return PackerOptions.for_run(
        virtual_time=options.virtual_time,
        max_in_flight=options.max_in_flight,
        dry_run=options.dry_run,
        seed=options.seed,
    )
