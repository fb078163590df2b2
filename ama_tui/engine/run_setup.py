"""Starting a run: resume the market's checkpoint or start fresh, and rebuild what the journal knows.

Resume keeps the run id, the config, the packer params and the sessions. Fresh makes a new run
id but still reuses sessions that are valid (creating a second session for a wallet whose session
is valid would only burn a nonce). Open orders are never taken from here: the venue is the truth.
A checkpoint the original tool rewrote has lost the packer params: they come back from the
market's `packer.json` (journaled as PARAMS_CHANGED with `restoredFrom`).

Sessions come from the checkpoint and from the journal's SESSION_INIT lines, the later expiry
winning: a run killed after a session was created but before the checkpoint held it (or before
any checkpoint existed) still finds it, and `--resume` with a journal but no checkpoint resumes
the journal's run. A session the venue no longer knows is replaced at its first trade.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from ama_tui.core.models import (
    ActionKind,
    ActionLogLine,
    MarketCheckpoint,
    MarketRef,
    PackerParams,
    RunConfig,
    RunInfo,
    StrategyRecord,
    WalletCheckpoint,
)
from ama_tui.engine.live_params import ParamsError, apply_all_changes
from ama_tui.engine.sessions import SessionState
from ama_tui.engine.strategy_files import FILE_PREFIX, file_of, is_strategy_file
from ama_tui.store import JournalReadReport, MarketStore, SavedPacker, WalletEntry
from ama_tui.strategies import BUILT_INS, DEFAULT_STRATEGY, UnknownStrategy, built_in
from ama_tui.strategies.examples import EXAMPLES
from ama_tui.strategy import Strategy

log = logging.getLogger(__name__)

MULTI_MARKET_KEY: Final = "multiMarket"
"""The checkpoint's record of the run over several markets it belongs to (an extra field: the
original tool reads past it)."""

KEEP_ORDER_IDS: Final = 200_000
"""Bounded memory on a long journal (ids are ints: a few MB)."""


class StartMode(StrEnum):
    RESUME = "resume"
    FRESH = "fresh"
    AUTO = "auto"
    """Resume when there is a checkpoint, else fresh."""


def iso_now(now: float) -> str:
    """`2026-02-13T21:00:52.837Z`, the original tool's timestamp format."""
    moment = datetime.fromtimestamp(now, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class RunStart:
    checkpoint: MarketCheckpoint
    resumed: bool
    sessions: Mapping[str, SessionState]
    """Lower-case address -> a session that may still be valid (validity checked by the engine)."""
    last_action_at: Mapping[str, int]
    """Lower-case address -> unix ms of its last journaled action."""
    journal_report: JournalReadReport
    pending_sessions: Mapping[str, SessionState] = field(default_factory=dict)
    """Lower-case address -> a session whose creation was sent but never confirmed (a run killed
    in between): the engine adopts it if the venue says it is active."""
    journaled_order_ids: frozenset[int] = frozenset()
    """Orders the journal has a PLACE_LIMIT line for (empty for the original tool's journal)."""
    notes: tuple[str, ...] = ()
    """What the start did that the user should hear of (e.g. packer settings restored)."""
    strategy: Strategy | None = None
    """The strategy the run uses (None: the packer)."""
    strategy_params: BaseModel | None = None
    """Its own parameters, when it has any."""


@dataclass(slots=True)
class JournalFacts:
    """What a run start needs from the journal, gathered in one streamed pass."""

    last_action_at: dict[str, int]
    sessions: dict[str, SessionState]
    pending: dict[str, SessionState]
    """SESSION_PENDING with no SESSION_INIT after it: sessions that may exist on the venue."""
    order_ids: set[int]
    """Order ids of the newest KEEP_ORDER_IDS PLACE_LIMIT lines (ours carry them; the original
    tool's do not). Ids grow with time on a book: an older order is taken as journaled."""
    run_id: str | None
    """The run of the newest line (what `--resume` continues when there is no checkpoint)."""
    report: JournalReadReport


_PLACING: Final = frozenset({ActionKind.PLACE_LIMIT, ActionKind.PLACE_MINED})
"""The lines that name an order we placed (PLACE_MINED: one answered `pending`, seen mined)."""


def read_journal_facts(store: MarketStore) -> JournalFacts:
    """Per wallet the newest `ts` and the newest SESSION_INIT; the last run id (streamed)."""
    report = JournalReadReport()
    latest: dict[str, int] = {}
    sessions: dict[str, SessionState] = {}
    pending: dict[str, SessionState] = {}
    order_ids: dict[int, None] = {}  # insertion-ordered: the newest KEEP_ORDER_IDS
    run_id: str | None = None
    for line in store.iter_journal(report):
        run_id = line.run_id
        trader = line.trader.lower()
        if not trader.startswith("0x"):
            continue
        if line.ts > latest.get(trader, 0):
            latest[trader] = line.ts
        if line.action == ActionKind.SESSION_INIT:
            session = _session_of(line.params or {})
            if session is not None:
                sessions[trader] = session
                pending.pop(trader, None)
        elif line.action in _PLACING and line.params and line.params.get("orderId") is not None:
            with contextlib.suppress(TypeError, ValueError):
                order_ids[int(line.params["orderId"])] = None
                if len(order_ids) > KEEP_ORDER_IDS:
                    del order_ids[next(iter(order_ids))]
        elif line.action == ActionKind.SESSION_PENDING:
            session = _session_of(line.params or {})
            if session is not None:
                pending[trader] = session
    return JournalFacts(latest, sessions, pending, set(order_ids), run_id, report)


def _session_of(params: Mapping[str, Any]) -> SessionState | None:
    session_id, expiry = params.get("sessionId"), params.get("expiry")
    if (
        isinstance(session_id, str)
        and session_id
        and isinstance(expiry, int)
        and not isinstance(expiry, bool)
    ):
        markets = params.get("allowedMarkets")
        scope = tuple(m.lower() for m in markets if isinstance(m, str)) if isinstance(markets, list) else ()
        return SessionState(session_id, expiry, scope)
    return None


def last_actions_from_journal(store: MarketStore) -> tuple[dict[str, int], JournalReadReport]:
    """Per wallet, the newest `ts` in the journal (streamed, never loaded whole)."""
    facts = read_journal_facts(store)
    return facts.last_action_at, facts.report


def _sessions_of(
    checkpoint: MarketCheckpoint | None, journal: Mapping[str, SessionState]
) -> dict[str, SessionState]:
    sessions = dict(journal)
    if checkpoint is not None:
        for address, wallet in checkpoint.wallets.items():
            if wallet.session_id and wallet.session_expiry:
                known = sessions.get(address)
                if known is not None and known.session_id == wallet.session_id:
                    continue  # the journal's line says more (the markets it covers)
                if known is None or wallet.session_expiry >= known.expiry:
                    sessions[address] = SessionState(wallet.session_id, wallet.session_expiry)
    return sessions


def prepare_run(
    store: MarketStore,
    *,
    market: MarketRef,
    wallets: Sequence[WalletEntry],
    mode: StartMode,
    now: float,
    config: RunConfig | None = None,
    packer: PackerParams | None = None,
    overrides: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    strategy: str | None = None,
    multi_market: Mapping[str, Any] | None = None,
) -> RunStart:
    """The checkpoint this run starts from (not yet saved), resumed or fresh.

    `config`/`packer` replace the stored ones (a form's values); `overrides` (JSON names, as
    `--set`) are applied last and validated. Raises `ResumeError` for `--resume` without a
    checkpoint, `ParamsError` for bad overrides, `StateFileError` for an unreadable checkpoint.
    `run_id` fixes a fresh run's id (deterministic tests); by default it is a random UUID.
    `strategy` names a built-in strategy; by default a resumed run keeps its own, a fresh one is
    the packer. Resuming a run under another strategy is a `ResumeError`; an unknown name a
    `ParamsError`. `multi_market`: the run over several markets this market is part of, kept in
    the checkpoint (`multiMarket`, see `multi_market_record`); a one-market run drops it.
    """
    existing = store.load_checkpoint()  # packer params restored from packer.json if it lost them
    restored = store.restored_packer if existing is not None else None
    facts = read_journal_facts(store)
    journal_run = facts.run_id if existing is None and (facts.sessions or facts.pending) else None
    if mode is StartMode.RESUME and existing is None and journal_run is None:
        raise ResumeError(
            f"nothing to resume: no checkpoint (and no sessions in the journal) in {store.folder}"
        )
    resumed = (existing is not None or journal_run is not None) and mode is not StartMode.FRESH

    base_config = config or (existing.config if existing else RunConfig())
    base_packer = packer or (existing.packer_params if existing else PackerParams())
    chosen, strategy_params = _strategy_for(
        existing.strategy if existing else None, strategy, resumed, store, market.symbol
    )
    if overrides:
        base_config, base_packer, strategy_params = apply_all_changes(
            base_config, base_packer, strategy_params, overrides
        )

    stamp = iso_now(now)
    if resumed and existing is not None:
        run = RunInfo.model_validate({**existing.run.model_dump(by_alias=True), "updatedAt": stamp})
    elif resumed and journal_run is not None:
        run = RunInfo(run_id=journal_run, started_at=stamp, updated_at=stamp)
    else:
        run = RunInfo(run_id=run_id or str(uuid.uuid4()), started_at=stamp, updated_at=stamp)

    last_actions, report = facts.last_action_at, facts.report
    sessions = _sessions_of(existing, facts.sessions)
    stored_wallets = dict(existing.wallets) if existing else {}
    for wallet in wallets:
        key = wallet.address.lower()
        previous = stored_wallets.get(key)
        entry = previous or WalletCheckpoint(nickname=wallet.nickname, role="MAKER")
        updates: dict[str, Any] = {"nickname": wallet.nickname}
        session = sessions.get(key)
        if session is not None and (entry.session_expiry or 0) < session.expiry:
            updates |= {"sessionId": session.session_id, "sessionExpiry": session.expiry}
        if key in last_actions:
            updates["lastActionAt"] = max(last_actions[key], entry.last_action_at or 0)
        stored_wallets[key] = entry.model_validate({**entry.model_dump(by_alias=True), **updates})

    document: dict[str, Any] = {
        **(existing.model_dump(by_alias=True) if existing else {}),
        "chainId": market.chain_id,
        "orderBook": market.market_address,
        "market": {
            **(existing.market.model_dump(by_alias=True) if existing else {}),
            **market.model_dump(by_alias=True, exclude_none=True),
        },
        "run": run.model_dump(by_alias=True),
        "config": base_config.model_dump(by_alias=True),
        "packer": base_packer.model_dump(by_alias=True),
        "wallets": {address: w.model_dump(by_alias=True) for address, w in stored_wallets.items()},
    }
    document.pop("strategy", None)
    document.pop(MULTI_MARKET_KEY, None)
    if multi_market is not None:
        document[MULTI_MARKET_KEY] = dict(multi_market)
    if chosen.info.name != DEFAULT_STRATEGY or strategy_params is not None:
        document["strategy"] = StrategyRecord(
            name=chosen.info.name,
            params=strategy_params.model_dump(by_alias=True, mode="json") if strategy_params else {},
        ).model_dump(by_alias=True)
    checkpoint = MarketCheckpoint.model_validate(document)
    notes: tuple[str, ...] = ()
    if restored is not None:
        used = packer is None or packer == restored.params
        notes = (_note_restored(store, checkpoint, restored, now, used=used),)
    return RunStart(
        checkpoint=checkpoint,
        resumed=resumed,
        sessions=sessions,
        pending_sessions=facts.pending,
        journaled_order_ids=frozenset(facts.order_ids),
        last_action_at={a: w.last_action_at for a, w in checkpoint.wallets.items() if w.last_action_at},
        journal_report=report,
        notes=notes,
        strategy=chosen,
        strategy_params=strategy_params,
    )


def _strategy_for(
    recorded: StrategyRecord | None, requested: str | None, resumed: bool, store: MarketStore, symbol: str
) -> tuple[Strategy, BaseModel | None]:
    """The run's strategy and its parameters (the recorded ones when it is the recorded strategy).
    A name ending in `.py` (or `file:PATH`) is a user's strategy file, run sandboxed."""
    kept = recorded if resumed else None
    running = (kept.name if kept else DEFAULT_STRATEGY) if resumed else None
    name = _full_name((requested or "").strip()) or running or DEFAULT_STRATEGY
    if running is not None and running != name:
        raise ResumeError(
            f"the run in {store.folder} uses the strategy {running!r}, not {name!r}: resume it with "
            f"--strategy {running}, or start a fresh run"
        )
    try:
        chosen = _user_strategy(name, symbol) if is_strategy_file(name) else built_in(name)
    except UnknownStrategy as exc:
        raise ParamsError({"strategy": str(exc)}) from None
    model = chosen.info.params_model
    if model is None:
        return chosen, None
    stored = kept.params if kept is not None else {}
    try:
        return chosen, model.model_validate(stored)
    except ValidationError as exc:
        raise ParamsError(
            {f"strategy {name}": f"its stored parameters do not read: {exc.errors()[0]['msg']}"}
        ) from None


def _note_restored(
    store: MarketStore, checkpoint: MarketCheckpoint, restored: SavedPacker, now: float, *, used: bool
) -> str:
    """Say (log, and journal when the store is open) which settings came back from where."""
    defaults = PackerParams().model_dump(mode="json", by_alias=True)
    found = restored.params.model_dump(mode="json", by_alias=True)
    changed = [key for key, value in found.items() if defaults.get(key) != value]
    what = ", ".join(f"{key} {found[key]}" for key in changed) or "the defaults"
    note = (
        f"checkpoint.json had no packer settings (the original tool rewrote it): restored {what} "
        f"from {restored.path.name}"
        + (f" (saved by run {restored.run_id})" if restored.run_id else "")
        + ("" if used else "; replaced by the settings given for this run")
    )
    log.info("%s: %s", store.folder, note)
    if store.is_open:
        store.append(
            ActionLogLine(
                ts=int(now * 1000),
                run_id=checkpoint.run.run_id,
                chain_id=checkpoint.chain_id,
                order_book=checkpoint.order_book,
                market_id_bytes32=checkpoint.market.market_id_bytes32,
                action=ActionKind.PARAMS_CHANGED,
                params={
                    "before": {key: defaults.get(key) for key in changed},
                    "after": {key: found[key] for key in changed},
                    "restoredFrom": restored.path.name,
                    "reason": "checkpoint.json had no packer settings (rewritten by the original tool)",
                },
            )
        )
    return note


def _full_name(name: str) -> str:
    """A strategy's name as the checkpoint records it: a file as `file:` and its absolute path (an
    example file by its short name too: `ema-cross`), a built-in as itself."""
    if not name:
        return name
    if is_strategy_file(name):
        return f"{FILE_PREFIX}{file_of(name).resolve()}"
    example = EXAMPLES / f"{name.replace('-', '_')}.py"
    if name not in BUILT_INS and example.is_file():
        return f"{FILE_PREFIX}{example}"
    return name


def _user_strategy(name: str, symbol: str) -> Strategy:
    path = file_of(name)
    if path.suffix != ".py":
        raise UnknownStrategy(f"a strategy file is a .py file, not {path.name!r}")
    if not path.is_file():
        raise UnknownStrategy(f"no strategy file at {path}")
    from ama_tui.engine.user_strategy import UserStrategy  # a packer run never loads the kit

    return UserStrategy(path, symbol)


def multi_market_record(checkpoint: MarketCheckpoint | None) -> Mapping[str, Any] | None:
    """What a run over several markets kept in this market's checkpoint (its markets, its weight,
    the wallets' total utilization), or None."""
    found = (checkpoint.model_extra or {}).get(MULTI_MARKET_KEY) if checkpoint is not None else None
    return found if isinstance(found, Mapping) else None


class ResumeError(RuntimeError):
    """`--resume` was asked for but there is nothing to resume."""
