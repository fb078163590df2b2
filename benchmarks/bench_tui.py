"""How much CPU does the dashboard take at full load? Target: below 25 % of one core.

    uv run python benchmarks/bench_tui.py [--seconds 20] [--wallets 100] [--levels 25] [--no-budget]
                                          [--churn cycle|all] [--budget FRACTION]
                                          [--wallets-sort util|position|pnl|status]

Runs the real `DashboardScreen` headless at 200x60 on synthesised snapshots: 100 wallets with
resting orders (all 1,200 of them in the open-orders panel), a 25-level book, the totals strip, and
a journal that grows as a busy run's does. A publisher thread
plays the engine's part (a new snapshot every 100 ms, so the screen may repaint at its 10 Hz
maximum); each snapshot changes a fifth of the book's levels and a tenth of the wallets (each of
which re-prices one or two of its twelve orders, in line with the 25 journal lines a cycle adds),
moves the clock (every session countdown changes each second) and adds 25 journal lines and 3
fills. `--churn all` is the worst case: every wallet re-prices all of its orders and every level
of the book changes size, every snapshot.
Before the measured window the log is sent 100,000 journal lines at once (its cap keeps the last
2,000). Prints the CPU time of the whole process over the window as a fraction of one core, the
UI thread's CPU per repaint, the repaint rate, and the peak resident memory. By default the
screen runs with its default `RefreshBudget` (a safety valve for slow machines that does not
kick in at 10 Hz on a normal one); `--budget F` sets another fraction of a core, `--no-budget`
repaints at every new snapshot whatever it costs. `--wallets-sort` sorts the wallets panel by
that column first (`s` on it): a tenth of the wallets' utilization and PnL move every snapshot, so
rows change places all the time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import random
import resource
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import replace

from textual.app import App

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.core.models import ActionLogLine, PackerParams, RunConfig
from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.snapshot import CycleStats, EngineSnapshot, EngineState, FillTotals, WalletView
from ama_tui.tui.dashboard import DashboardScreen
from ama_tui.tui.dashboard.refresh_budget import DEFAULT_FRACTION
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.widgets.action_log import ActionLog
from ama_tui.tui.widgets.wallet_sort import SNAPSHOT_ORDER, SORT_KEYS
from ama_tui.tui.widgets.wallets_table import WalletsTable
from ama_tui.venues.base import BookSnapshot, DepthLevel, Fill, MarketInfo, VenueKind

TARGET_CPU = 0.25
TICK6 = 10_000
MID6 = 3_000_000_000
START = 1_767_225_600.0
RUN_ID = "bench000-0000-4000-8000-000000000000"
ORDER_BOOK = "0x883Ab90A60713CEB9337AbB3aCe03d6898C95589"
JOURNAL_TAIL = 200
LINES_PER_TICK = 25
"""A cycle of 100 wallets places, cancels and fills a few dozen orders."""
BULK_LINES = 100_000
MARKET = MarketInfo("ETH-USD", ORDER_BOOK, "0x" + "24" * 32, 1337001, TICK6, 10_000, "0x" + "27" * 20)


def address(i: int) -> str:
    return f"0x{i + 1:040x}"


class Synth:
    """Snapshots shaped like a busy run's, deterministic (seeded)."""

    def __init__(self, wallets: int, levels: int, seed: int = 7, *, churn: str = "cycle") -> None:
        self.rng = random.Random(seed)
        self.churn = churn
        self.levels = levels
        self.wallet_count = wallets
        self.now = START
        self.seq = 0
        self.journal: deque[ActionLogLine] = deque(maxlen=JOURNAL_TAIL)
        self.fills: deque[Fill] = deque(maxlen=100)
        self.fill_totals = FillTotals()
        self.wallets = [self._wallet(i) for i in range(wallets)]
        self.bid_amounts = [self.rng.randrange(10**16, 10**18) for _ in range(levels)]
        self.ask_amounts = [self.rng.randrange(10**16, 10**18) for _ in range(levels)]
        self.cycle = 0

    def _order(self, i: int, level: int, is_buy: bool) -> OpenOrder:
        offset = (1 + level + self.rng.randrange(self.levels - 6)) * TICK6
        price = MID6 - offset if is_buy else MID6 + offset
        order = OpenOrder(self.seq, address(i), price, 10**16, is_buy, int(self.now), 3_000_000)
        self.seq += 1
        return order

    def _orders(self, i: int) -> tuple[OpenOrder, ...]:
        return tuple(self._order(i, level, is_buy) for level in range(6) for is_buy in (True, False))

    def _reprice(self, i: int, orders: tuple[OpenOrder, ...]) -> tuple[OpenOrder, ...]:
        """A cycle's work on one wallet: cancel one or two of its orders and place them anew."""
        moved = list(orders)
        for k in self.rng.sample(range(len(moved)), self.rng.randint(1, 2)):
            moved[k] = self._order(i, k // 2, moved[k].is_buy)
        return tuple(moved)

    def _wallet(self, i: int) -> WalletView:
        rng = self.rng
        cap = 7_000_000_000 + rng.randrange(1_000_000_000)
        reserved = rng.randrange(cap)
        orders = self._orders(i)
        return WalletView(
            index=i,
            nickname=f"Sim{i + 1:03d}",
            address=address(i),
            open_buys=sum(o.is_buy for o in orders),
            open_sells=sum(not o.is_buy for o in orders),
            available6=cap * 10 // 9,
            cap6=cap,
            reserved6=reserved,
            utilization_bps=reserved * 10_000 // cap,
            position18=rng.randrange(-(10**18), 10**18),
            realized_pnl6=rng.randrange(-5_000_000, 5_000_000),
            unrealized_pnl6=rng.randrange(-5_000_000, 5_000_000),
            session_expiry=int(START) + 86_400,
            last_action_at=None,
            last_error=None if rng.random() < 0.9 else "place buy level 3 failed: 429 Too Many Requests",
            orders=orders,
        )

    def journal_line(self, k: int) -> ActionLogLine:
        rng = self.rng
        i = rng.randrange(self.wallet_count)
        is_buy = rng.random() < 0.5
        price = MID6 + (-1 if is_buy else 1) * rng.randrange(1, self.levels) * TICK6
        action = ("PLACE_LIMIT", "PLACE_LIMIT", "CANCEL", "FILL", "ERROR")[k % 5]
        params: dict[str, object] | None = {
            "isBuy": is_buy,
            "price": price / 10**6,
            "price6": str(price),
            "amount": 0.0123,
            "amount18": "12300000000000000",
            "level": 1 + k % 6,
        }
        error = None
        if action == "ERROR":
            params, error = None, "place buy level 5 failed: 429 Too Many Requests"
        return ActionLogLine(
            ts=int(self.now * 1000),
            run_id=RUN_ID,
            chain_id=MARKET.chain_id,
            order_book=ORDER_BOOK,
            trader=address(i),
            nickname=f"Sim{i + 1:03d}",
            action=action,
            params=params,
            error=error,
        )

    def book(self) -> BookSnapshot:
        """The book moves as a busy one does: a fifth of the levels on each side change size (all of
        them with `churn="all"`)."""
        rng = self.rng
        changed = self.levels if self.churn == "all" else max(1, self.levels // 5)
        for amounts in (self.bid_amounts, self.ask_amounts):
            for k in rng.sample(range(self.levels), changed):
                amounts[k] = rng.randrange(10**16, 10**18)
        bids = tuple(DepthLevel(MID6 - (1 + k) * TICK6, self.bid_amounts[k], 3) for k in range(self.levels))
        asks = tuple(DepthLevel(MID6 + (1 + k) * TICK6, self.ask_amounts[k], 3) for k in range(self.levels))
        top = BookTop(bids[0].price6, asks[0].price6, MID6, MID6 + TICK6)
        return BookSnapshot(top=top, bids=bids, asks=asks, timestamp=self.now)

    def next(self) -> EngineSnapshot:
        """The next cycle's snapshot: time moves 100 ms, a tenth of the wallets change (all of them,
        every order anew, with `churn="all"`)."""
        rng = self.rng
        self.cycle += 1
        self.now += 0.1
        churn_all = self.churn == "all"
        changed = self.wallet_count if churn_all else max(1, self.wallet_count // 10)
        for i in rng.sample(range(self.wallet_count), changed):
            w = self.wallets[i]
            reserved = rng.randrange(w.cap6)
            self.wallets[i] = replace(
                w,
                reserved6=reserved,
                utilization_bps=reserved * 10_000 // w.cap6,
                unrealized_pnl6=w.unrealized_pnl6 + rng.randrange(-100_000, 100_000),
                orders=self._orders(i) if churn_all else self._reprice(i, w.orders),
            )
        for k in range(LINES_PER_TICK):
            self.journal.append(self.journal_line(k))
        for _ in range(3):
            i = rng.randrange(self.wallet_count)
            fill = Fill(
                f"f{self.seq}",
                self.now,
                address(i),
                rng.random() < 0.5,
                MID6,
                10**16,
                address(999),
                None,
                is_maker=True,
                fee6=3_000,  # 1 bps of the fill's 30 USDC
            )
            self.fills.appendleft(fill)
            self.fill_totals = self.fill_totals.add(fill)
            self.seq += 1
        stats = CycleStats(self.cycle, 40.0, 4, 20, 5, 3, 0)
        return EngineSnapshot(
            run_id=RUN_ID,
            state=EngineState.RUNNING,
            market=MARKET,
            book=self.book(),
            wallets=tuple(self.wallets),
            journal_tail=tuple(self.journal),
            recent_fills=tuple(self.fills),
            last_cycle=stats,
            totals=replace(stats, duration_ms=40.0 * self.cycle),
            consecutive_failed_cycles=0,
            config=RunConfig(),
            packer=PackerParams(),
            started_at=START,
            now=self.now,
            fill_totals=self.fill_totals,
        )

    def bulk(self, count: int) -> Iterator[ActionLogLine]:
        for k in range(count):
            yield self.journal_line(k)


class BenchApp(App[None]):
    def __init__(self, handle: EngineHandle, cpu_budget: float | None) -> None:
        super().__init__()
        self.handle = handle
        self.cpu_budget = cpu_budget

    def on_mount(self) -> None:
        self.push_screen(DashboardScreen(self.handle, cpu_budget=self.cpu_budget))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ui_cpu_seconds(app: App[None]) -> float:
    """CPU time of the thread the app runs on (this one: run_test runs the app in this loop)."""
    return time.thread_time()


async def run(
    seconds: float,
    wallets: int,
    levels: int,
    *,
    cpu_budget: float | None,
    profile: str | None = None,
    churn: str = "cycle",
    wallets_sort: str = SNAPSHOT_ORDER,
) -> int:
    synth = Synth(wallets, levels, churn=churn)
    print(
        f"synthesising {int(seconds * 10) + 1} snapshots ({wallets} wallets, {levels} levels, churn {churn})…"
    )
    snapshots = [synth.next() for _ in range(int(seconds * 10) + 1)]
    # The pre-built snapshots stand for the engine's memory, not the dashboard's: keep the
    # collector from rescanning them (a real engine builds one snapshot at a time).
    gc.collect()
    gc.freeze()
    handle = EngineHandle(LiveParams(RunConfig(), PackerParams()), venue_kind=VenueKind.SIM)
    handle.publish(snapshots[0])
    app = BenchApp(handle, cpu_budget)
    async with app.run_test(headless=True, size=(200, 60)) as pilot:
        await pilot.pause(0.5)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        log = screen.query_one(ActionLog)
        table = screen.query_one(WalletsTable)
        while table.sort_key != wallets_sort:
            table.action_sort()

        started = time.perf_counter()
        log.add_lines(synth.bulk(BULK_LINES))
        await pilot.pause()
        bulk_s = time.perf_counter() - started
        print(
            f"one-time load of {BULK_LINES:,} journal lines into the log: {bulk_s:.2f} s, "
            f"kept {log.entry_count:,}"
        )

        stop = threading.Event()

        def publish() -> None:
            """One snapshot every 100 ms on absolute deadlines (a sleep per loop would drift
            below 10 Hz)."""
            start = time.perf_counter()
            for k, snapshot in enumerate(snapshots[1:], start=1):
                if stop.wait(max(0.0, start + k * 0.1 - time.perf_counter())):
                    return
                handle.publish(snapshot)

        repaints_before = screen.repaints
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        cpu_before, wall_before = cpu_seconds(), time.perf_counter()
        ui_before = ui_cpu_seconds(app)
        publisher = threading.Thread(target=publish, name="bench-publisher", daemon=True)
        publisher.start()
        await asyncio.sleep(seconds)
        cpu = cpu_seconds() - cpu_before
        wall = time.perf_counter() - wall_before
        ui_cpu = ui_cpu_seconds(app) - ui_before
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
        stop.set()
        publisher.join()
        repaints = screen.repaints - repaints_before
        kept = log.entry_count

    fraction = cpu / wall
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    budget = f"{cpu_budget:.0%} of a core" if cpu_budget is not None else "off"
    print(f"repaint budget: {budget}")
    if wallets_sort != SNAPSHOT_ORDER:
        print(f"wallets panel sorted by {wallets_sort}, biggest first")
    print(f"window: {wall:.1f} s, {repaints} repaints ({repaints / wall:.1f}/s), log kept {kept:,} lines")
    if repaints:
        print(f"UI thread: {ui_cpu / repaints * 1000:.0f} ms of CPU per repaint (show + render)")
    print(f"CPU: {cpu:.2f} s over {wall:.1f} s = {fraction:.1%} of one core (target < {TARGET_CPU:.0%})")
    print(f"peak memory (ru_maxrss): {peak_mb:.0f} MB")
    return 0 if fraction < TARGET_CPU else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--wallets", type=int, default=100)
    parser.add_argument("--levels", type=int, default=25)
    parser.add_argument(
        "--no-budget", action="store_true", help="repaint at every new snapshot, whatever it costs"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_FRACTION,
        metavar="FRACTION",
        help=f"the repaint budget, a fraction of one core (default {DEFAULT_FRACTION})",
    )
    parser.add_argument(
        "--churn",
        choices=("cycle", "all"),
        default="cycle",
        help="cycle: a tenth of the wallets re-price an order or two per snapshot (default);\n"
        "all: every wallet re-prices every order and every book level changes (worst case)",
    )
    parser.add_argument(
        "--wallets-sort",
        choices=SORT_KEYS,
        default=SNAPSHOT_ORDER,
        help="sort the wallets panel by this column (default: as the snapshot lists them)",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the measured window into FILE")
    args = parser.parse_args()
    budget = None if args.no_budget else args.budget
    return asyncio.run(
        run(
            args.seconds,
            args.wallets,
            args.levels,
            cpu_budget=budget,
            profile=args.profile,
            churn=args.churn,
            wallets_sort=args.wallets_sort,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
