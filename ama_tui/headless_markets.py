"""`ama-tui run --market A --market B ...`: one process runs several markets
(`engine.multi_market`), each with its own state folder, journal and lock.

The wallets' budget is split between the markets by weight (`--market-weight A=2`, default equal)
with the fleet plan's rule (`fleet.plan.plan_fleet`): each market quotes with its share of
`maxWalletUtilization` (the `--set` value is the wallets' total over all markets), and the shares
never add up past it. The markets, their weights and the total are kept in each market's
checkpoint (`multiMarket`), so a resume splits the budget as before unless told otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import ParamsError
from ama_tui.engine.multi_market import MultiMarketRun, MultiSummary
from ama_tui.engine.packer import Packer, PackerOptions
from ama_tui.engine.run_assembly import AssembledRun, assemble_run
from ama_tui.engine.run_setup import StartMode, multi_market_record
from ama_tui.fleet.plan import BPS, Fleet, FleetError, MarketEntry, allocated_bps, plan_fleet
from ama_tui.store import MarketStore, StateStore, WalletEntry
from ama_tui.venues.base import MarketInfo, MarketRow, Venue
from ama_tui.wiring import SetupError, find_market

UTILIZATION = "maxWalletUtilization"
_GROUP = "run"


@dataclass(frozen=True, slots=True)
class MarketPick:
    symbol: str
    row: MarketRow
    info: MarketInfo


def find_markets(venue: Venue, names: Sequence[str], *, app_url: str | None) -> list[MarketPick]:
    """Each `--market` looked up; the same market named twice is a SetupError."""
    picks: list[MarketPick] = []
    for name in names:
        row, info = find_market(venue, name, app_url=app_url)
        twice = next((p for p in picks if p.info.order_book.lower() == info.order_book.lower()), None)
        if twice is not None:
            raise SetupError(f"--market {name} names {twice.symbol} again: give each market once")
        picks.append(MarketPick(row.symbol, row, info))
    return picks


def parse_weights(items: Sequence[str], picks: Sequence[MarketPick]) -> dict[str, Decimal]:
    """`["ETH-USD=2", ...]` by market symbol (as given to --market or as the venue spells it)."""
    weights: dict[str, Decimal] = {}
    for item in items:
        name, sep, value = item.partition("=")
        pick = next(
            (p for p in picks if name.strip().lower() in (p.symbol.lower(), p.info.order_book.lower())), None
        )
        if not sep or pick is None:
            markets = ", ".join(p.symbol for p in picks)
            raise SetupError(f"--market-weight {item!r}: expected MARKET=WEIGHT with MARKET one of {markets}")
        try:
            weight = Decimal(value.strip())
        except InvalidOperation:
            weight = Decimal(0)
        if not weight.is_finite() or weight <= 0:
            raise SetupError(f"--market-weight {item!r}: the weight must be a positive number")
        weights[pick.symbol] = weight
    return weights


def market_shares(
    total_bps: int, weights: Mapping[str, Decimal], wallets: Sequence[WalletEntry]
) -> dict[str, int]:
    """Each market's share of the wallets' utilization (basis points), by the fleet plan's rule,
    checked to add up to no more than `total_bps` for every wallet. SetupError when a share would
    be under the packer's smallest utilization."""
    members = frozenset(w.address.lower() for w in wallets)
    fleet = Fleet(
        utilization_bps=total_bps,
        venue="",
        state_dir="",
        groups={_GROUP: ""},
        members={_GROUP: members},
        markets=[MarketEntry(market=symbol, wallets=_GROUP, weight=w) for symbol, w in weights.items()],
    )
    try:
        processes = plan_fleet(fleet)
    except FleetError as exc:
        raise SetupError(f"cannot split the wallets' budget between the markets: {exc}") from None
    over = {a: bps for a, bps in allocated_bps(fleet, processes).items() if bps > total_bps}
    if over:  # the plan's own guarantee, held here too
        raise SetupError(f"the markets' shares add up past the total for {len(over)} wallets")
    return {process.market: process.utilization_bps for process in processes}


def _total_bps(overrides: Mapping[str, str], records: Sequence[Mapping[str, Any] | None]) -> int:
    """The wallets' total utilization: `--set maxWalletUtilization`, else the resumed run's, else
    the packer's default."""
    given = overrides.get(UTILIZATION)
    kept = next((r.get(UTILIZATION) for r in records if r is not None and r.get(UTILIZATION)), None)
    text = given if given is not None else kept
    if text is None:
        return PackerParams().utilization_bps
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ParamsError({UTILIZATION: f"not a number: {text!r}"}) from None
    if not value.is_finite():
        raise ParamsError({UTILIZATION: f"not a number: {text!r}"})
    return int((value * BPS).to_integral_value())


def _weight_of(record: Mapping[str, Any] | None) -> Decimal | None:
    if record is None:
        return None
    with contextlib.suppress(InvalidOperation, TypeError, ValueError):
        weight = Decimal(str(record.get("weight")))
        if weight.is_finite() and weight > 0:
            return weight
    return None


@dataclass(slots=True)
class MarketsRun:
    """The opened run: its stores (locked) and its packers, ready for `run`."""

    picks: list[MarketPick]
    stores: list[MarketStore]
    runs: list[AssembledRun]
    shares: dict[str, int]
    total_bps: int
    weights: dict[str, Decimal]

    def engine(self, venue: Venue) -> MultiMarketRun:
        packers: list[tuple[str, Packer]] = [
            (pick.symbol, run.packer) for pick, run in zip(self.picks, self.runs, strict=True)
        ]
        return MultiMarketRun(packers, venue.clock)


def open_markets(
    venue: Venue,
    stack: contextlib.ExitStack,
    *,
    picks: Sequence[MarketPick],
    state: StateStore,
    wallets: Sequence[WalletEntry],
    mode: StartMode,
    options: PackerOptions,
    overrides: Mapping[str, str],
    weight_items: Sequence[str],
    strategy: str | None,
    on_snapshot: Mapping[str, Any],
    stores: Sequence[MarketStore] | None = None,
    config: RunConfig | None = None,
    packer: PackerParams | None = None,
    run_id: str | None = None,
) -> MarketsRun:
    """Lock every market's store (`stack` unlocks them), split the budget, assemble a packer per
    market (the first keeps the embedded exchange's state). `on_snapshot`: per symbol.
    The dashboard's setup: `stores` already opened (held while the user chose; `stack` closes
    them too), `config`/`packer` the form's values for every market (`maxWalletUtilization` the
    total, in `overrides`), `run_id` a fresh run's id."""
    if stores is None:
        stores = [state.market(p.info.chain_id, p.info.order_book) for p in picks]
    stores = [stack.enter_context(store) for store in stores]
    records = [multi_market_record(store.load_checkpoint()) for store in stores]
    total_bps = _total_bps(overrides, records)
    given = parse_weights(weight_items, picks)
    weights = {
        p.symbol: given.get(p.symbol) or _weight_of(record) or Decimal(1)
        for p, record in zip(picks, records, strict=True)
    }
    shares = market_shares(total_bps, weights, wallets)
    symbols = [p.symbol for p in picks]
    runs: list[AssembledRun] = []
    for pick, store in zip(picks, stores, strict=True):
        share = Decimal(shares[pick.symbol]) / BPS
        runs.append(
            assemble_run(
                venue,
                store,
                row=pick.row,
                info=pick.info,
                wallets=wallets,
                mode=mode,
                options=options,
                config=config,
                packer=packer,
                run_id=run_id,
                overrides={**overrides, UTILIZATION: str(share)},
                strategy=strategy,
                on_snapshot=on_snapshot.get(pick.symbol),
                multi_market={
                    "markets": symbols,
                    "weight": str(weights[pick.symbol]),
                    UTILIZATION: str(Decimal(total_bps) / BPS),
                },
                venue_kept_by=runs[0] if runs else None,
            )
        )
    return MarketsRun(list(picks), stores, runs, shares, total_bps, weights)


def describe(run: MarketsRun, wallets: int, out: TextIO) -> None:
    """The start lines: each market's run, state folder and share of the budget."""
    total = Decimal(run.total_bps) / BPS
    for pick, store, assembled in zip(run.picks, run.stores, run.runs, strict=True):
        start = assembled.start
        share = Decimal(run.shares[pick.symbol]) / BPS
        print(
            f"{'resuming' if start.resumed else 'starting'} run {start.checkpoint.run.run_id} "
            f"on {pick.symbol} with {wallets} wallets (state: {store.folder}; weight "
            f"{run.weights[pick.symbol]}, maxWalletUtilization {share} of the wallets' {total})",
            file=out,
            flush=True,
        )
        for note in start.notes:
            print(f"note: {pick.symbol}: {note}", file=out, flush=True)


def multi_result(summary: MultiSummary, run: MarketsRun) -> dict[str, Any]:
    """The JSON line of a run over several markets: the totals, then each market's own."""
    markets = {
        m.symbol: {
            "run_id": m.summary.run_id,
            "cycles": m.summary.cycles,
            "placed": m.summary.placed,
            "cancelled": m.summary.cancelled,
            "fills": m.summary.fills,
            "errors": m.summary.errors,
            "skipped": m.summary.skipped,
            "stop_reason": m.summary.stop_reason,
            "kill_switch": m.summary.kill_switch,
            "market_closed": m.summary.market_closed,
            "max_wallet_utilization": str(Decimal(run.shares[m.symbol]) / BPS),
        }
        for m in summary.markets
    }
    return {
        "cycles": max(m.summary.cycles for m in summary.markets),
        "placed": sum(m.summary.placed for m in summary.markets),
        "cancelled": sum(m.summary.cancelled for m in summary.markets),
        "fills": sum(m.summary.fills for m in summary.markets),
        "errors": sum(m.summary.errors for m in summary.markets),
        "skipped": sum(m.summary.skipped for m in summary.markets),
        "stop_reason": summary.stop_reason,
        "kill_switch": summary.kill_switch,
        "market_closed": summary.market_closed,
        "max_wallet_utilization": str(Decimal(run.total_bps) / BPS),
        "markets": markets,
    }
