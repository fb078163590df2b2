"""Before a run: the venue the app opens on, setup failures as messages, the exchange being down,
server-side search, a market locked by another process, the confirm dialog."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from ama_tui.protocol.accounts import address_of
from ama_tui.store import StateStore
from ama_tui.store.wallets_derived import derived_key
from ama_tui.tui.app import AmaApp, make_app
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.screens.message import MessageScreen
from ama_tui.tui.screens.picker import MORE_ROW, PickerScreen
from ama_tui.venues.base import MarketPage, VenueKind
from ama_tui.wiring import VenueChoice

from .conftest import FlakyVenue, build_app, picker_settled, sim_venue, wait_for


def screen_text(app: App[Any]) -> str:
    """Every Static's text on the current screen."""
    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


async def _message_then_quit(app: AmaApp) -> str:
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen))
        text = screen_text(app)
        svg = app.export_screenshot()
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
    return text + "\n" + svg


def _wallet_rows(count: int) -> list[str]:
    rows = []
    for index in range(1, count + 1):
        key = derived_key("csv", index)
        rows.append(f"w{index},{address_of(key)},{key.reveal()}")
    return rows


def _write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("nickname,address,privateKey\n" + "\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


async def test_fresh_machine_opens_on_the_embedded_exchange_and_q_exits(app_options: AppOptions) -> None:
    app = make_app(replace(app_options, venue=VenueChoice.AUTO))
    async with app.run_test(size=(80, 24)) as pilot:
        await picker_settled(pilot)
        assert app.sub_title == "embedded exchange (no live exchange configured)"
        assert "no live exchange configured" in screen_text(app)
        await pilot.press("tab")  # off the search field: `q` is a key, not a letter
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0
    assert not app_options.state_dir.exists()


async def test_half_set_env_is_a_message(app_options: AppOptions) -> None:
    assert app_options.env_dir is not None
    (app_options.env_dir / ".env").write_text("RPC_URL=http://127.0.0.1:8545\n")
    app = make_app(replace(app_options, venue=VenueChoice.AUTO))
    text = await _message_then_quit(app)
    assert "SESSION_REGISTRY_ADDRESS" in text and "Traceback" not in text
    assert app.return_code == 2


async def test_missing_wallets_file_is_a_message(app_options: AppOptions, tmp_path: Path) -> None:
    app = build_app(app_options, csv=tmp_path / "nowhere.csv")
    text = await _message_then_quit(app)
    assert "nowhere.csv does not exist" in text
    assert app.return_code == 2


async def test_malformed_wallets_file_names_the_line_and_never_a_key(
    app_options: AppOptions, tmp_path: Path
) -> None:
    good = _wallet_rows(1)[0]
    secret = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d"
    csv = _write_csv(tmp_path / "wallets.csv", [good, f"bob,0x12345,{secret}", f"{secret},carol,0xabc"])
    app = build_app(app_options, csv=csv)
    text = await _message_then_quit(app)
    assert "line 3" in text and "line 4" in text
    assert secret not in text and secret[:16] not in text
    assert good.rsplit(",", 1)[1] not in text
    assert app.return_code == 2


async def test_exchange_down_shows_retry_and_recovers(app_options: AppOptions) -> None:
    venue = FlakyVenue(sim_venue())
    app = build_app(app_options, venue=venue)
    async with app.run_test(size=(100, 30)) as pilot:
        await picker_settled(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.state == "error"
        assert "did not answer: connection refused" in screen_text(app)
        await pilot.press("r")  # still down
        await wait_for(pilot, lambda: venue.list_calls == 2)
        await picker_settled(pilot)
        assert picker.state == "error"
        venue.down = False
        await pilot.press("r")
        await picker_settled(pilot)
        assert picker.state == "ready"
        assert picker.query_one("#markets", DataTable).row_count == 5
        assert app.focused is picker.query_one("#search")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None)


async def test_server_side_search_is_debounced_and_pages(app_options: AppOptions, tmp_path: Path) -> None:
    """Any venue that is not the embedded exchange searches on the server, a page at a time."""
    venue = FlakyVenue(sim_venue(), down=False, kind=VenueKind.DEVNET)
    searches: list[dict[str, Any]] = []
    inner_list = venue.list_markets

    def recording(**kwargs: Any) -> Any:
        searches.append(kwargs)
        return inner_list(**kwargs)

    venue.list_markets = recording  # type: ignore[method-assign]
    csv = _write_csv(tmp_path / "wallets.csv", _wallet_rows(2))
    app = build_app(app_options, venue=venue, csv=csv, wallets=2, page_size=2, search_debounce_s=1.0)
    async with app.run_test(size=(120, 30)) as pilot:
        await picker_settled(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen) and picker.server_search
        table = picker.query_one("#markets", DataTable)
        assert [row.symbol for row in picker.rows] == ["ETH-USD", "BTC-USD"]
        assert MORE_ROW in table.rows and picker.total == 5
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: len(picker.rows) == 4)
        # the "load more" row does the same
        await pilot.press("down", "down", "down", "down", "enter")
        await wait_for(pilot, lambda: len(picker.rows) == 5)
        assert MORE_ROW not in table.rows
        assert [call["offset"] for call in searches] == [0, 2, 4]
        await pilot.press("g", "o", "l", "d")
        await wait_for(pilot, lambda: [row.symbol for row in picker.rows] == ["GOLD-OZ"])
        assert searches[-1]["search"] == "gold"
        assert len(searches) == 4  # one search for the four keystrokes
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None)


async def test_market_locked_by_another_process_is_a_message(app_options: AppOptions) -> None:
    venue = sim_venue()
    eth = venue.market_info("ETH-USD")
    folder = StateStore(app_options.state_dir).market(eth.chain_id, eth.order_book).folder
    folder.mkdir(parents=True)
    # Another process takes the market's lock as `MarketLock` does (flock + its PID), without
    # paying for the whole package's imports on this loaded machine.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
            "os.write(fd, f'{os.getpid()}\\n'.encode())\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
            str(folder / ".lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        app = build_app(app_options, venue=venue)
        async with app.run_test(size=(100, 30)) as pilot:
            await picker_settled(pilot)
            await pilot.press("e", "t", "h", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen))
            text = screen_text(app)
            assert "in use by another ama-tui process" in text and f"PID {holder.pid}" in text
            await pilot.press("escape")  # back to the picker
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: app.return_code is not None)
        assert app.return_code == 0
    finally:
        holder.kill()
        holder.wait(timeout=10)


class _ConfirmHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")


async def test_confirm_screen_answers_yes_or_no() -> None:
    app = _ConfirmHost()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("y", "n", "escape", "enter"):  # enter: the focused button is No
            app.push_screen(ConfirmScreen("Cancel every order?"), app.answers.append)
            await pilot.pause()
            assert "Cancel every order?" in screen_text(app)
            await pilot.press(key)
            await pilot.pause()
    assert app.answers == [True, False, False, False]


async def test_markets_not_deployed_yet_are_listed_not_tradable(
    app_options: AppOptions, tmp_path: Path
) -> None:
    """Two listed markets with no order book yet (null address) share no key, show as not
    deployed, and picking one says why instead of starting anything."""
    venue = FlakyVenue(sim_venue(), down=False, kind=VenueKind.DEVNET)
    inner_list = venue.list_markets

    def with_pending(**kwargs: Any) -> MarketPage:
        page = inner_list(**kwargs)
        if kwargs.get("offset", 0):
            return page
        template = page.markets[0]
        pending = [
            replace(
                template,
                symbol=symbol,
                name=symbol,
                market_identifier=symbol,
                market_address="",
                market_id_bytes32="",
                market_status="UNDEPLOYED",
            )
            for symbol in ("NEW-ONE", "NEW-TWO")
        ]
        return replace(page, markets=(*pending, *page.markets), total=page.total + 2)

    venue.list_markets = with_pending  # type: ignore[method-assign]
    csv = _write_csv(tmp_path / "wallets.csv", _wallet_rows(1))
    app = build_app(app_options, venue=venue, csv=csv, wallets=1, page_size=10)
    async with app.run_test(size=(120, 30)) as pilot:
        await picker_settled(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        table = picker.query_one("#markets", DataTable)
        assert table.row_count >= 4
        # the mark column comes first, then the symbol: the order book is the third cell
        assert [table.get_row_at(i)[2] for i in range(2)] == ["not deployed", "not deployed"]
        await pilot.press("enter")  # NEW-ONE
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)  # nothing started
        assert any("NEW-ONE is not deployed yet" in str(n.message) for n in app._notifications)
        await pilot.press("space")  # nor can it be marked for a run over several markets
        assert picker.marked == []
        assert sum("NEW-ONE is not deployed yet" in str(n.message) for n in app._notifications) == 2
        await pilot.press("down", "down", "enter")  # the first real market
        await wait_for(pilot, lambda: not isinstance(app.screen, PickerScreen))
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None)
