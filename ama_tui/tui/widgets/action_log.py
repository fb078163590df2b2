"""The action log: the journal as it grows, compact, capped, filterable.

Pure part: `new_journal_lines` (what a snapshot's journal tail adds to what was already shown),
`log_line_text` (one compact line), `parse_filter` / `entry_matches`. Widget part: `ActionLog`
keeps at most `max_lines` entries (a long run never grows memory), renders only what is visible
through the Line API, and re-renders from the kept entries when the filter changes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ama_tui.core.models import ActionKind, ActionLogLine, canonical_action
from ama_tui.core.units import UnitError, amount18, price6
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.alerts import Alert
from ama_tui.tui.widgets.line_list import LineList
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine
from ama_tui.tui.widgets.text import (
    amount_text,
    clip_words,
    code_label,
    in_text,
    price_text,
    short_address,
    utc_clock,
    utc_minute,
)

ALERT_ACTION: Final = "ALERT"
"""A line the dashboard adds to its log when an alert comes up (not a journal action)."""
MAX_LINES: Final = 2_000
DETAIL_WIDTH: Final = 160

ACTION_LABELS: Final[dict[str, str]] = {
    ActionKind.SESSION_INIT: "SESSION",
    ActionKind.PLACE_LIMIT: "PLACE",
    ActionKind.CANCEL_ORDER: "CANCEL",
    ActionKind.ERROR: "ERROR",
    ActionKind.FILL: "FILL",
    ActionKind.MODIFY_ORDER: "MODIFY",
    ActionKind.PARAMS_CHANGED: "PARAMS",
    ActionKind.RUN_START: "START",
    ActionKind.RUN_STOP: "STOP",
    ActionKind.DRY_RUN: "DRY-RUN",
    ActionKind.SKIP: "SKIP",
    ActionKind.PLACE_MINED: "MINED",
    ActionKind.PAUSE: "PAUSE",
    ActionKind.RESUME: "RESUME",
    ActionKind.PLACE_MARKET: "MARKET",
    ActionKind.STRATEGY_LOG: "STRAT",
    ActionKind.RUN_RESUMED: "RESUMED",
    ALERT_ACTION: "ALERT",
}
ACTION_STYLES: Final[dict[str, str]] = {
    ActionKind.SESSION_INIT: "cyan",
    ActionKind.PLACE_LIMIT: "blue",
    ActionKind.CANCEL_ORDER: "magenta",
    ActionKind.ERROR: "bold red",
    ActionKind.FILL: "bold yellow",
    ActionKind.MODIFY_ORDER: "blue",
    ActionKind.PARAMS_CHANGED: "bold",
    ActionKind.RUN_START: "bold green",
    ActionKind.RUN_STOP: "bold red",
    ActionKind.DRY_RUN: "dim",
    ActionKind.SKIP: "yellow",
    ActionKind.PLACE_MINED: "blue",
    ActionKind.PAUSE: "bold yellow",
    ActionKind.RESUME: "bold green",
    ActionKind.PLACE_MARKET: "bold blue",
    ActionKind.STRATEGY_LOG: "green",
    ActionKind.RUN_RESUMED: "bold green",
    ALERT_ACTION: "bold reverse red",
}


# -- following the journal ------------------------------------------------------------------


def new_journal_lines(
    previous: Sequence[ActionLogLine], current: Sequence[ActionLogLine]
) -> Sequence[ActionLogLine]:
    """The lines of `current` (a journal tail) that come after the last line of `previous`.

    The engine's tail is a sliding window over one append-only journal and snapshots share the
    line objects, so the previous tail's last line is found by identity (then, for tails that were
    copied, by equality of it and the line before it). When it is gone (more lines arrived between
    two looks than the tail holds), the whole current tail is new.
    """
    if not previous:
        return current
    anchor = previous[-1]
    for i in range(len(current) - 1, -1, -1):
        if current[i] is anchor:
            return current[i + 1 :]
    before = previous[-2] if len(previous) > 1 else None
    for i in range(len(current) - 1, -1, -1):
        if current[i] == anchor and (before is None or i == 0 or current[i - 1] == before):
            return current[i + 1 :]
    return current


# -- one compact line -----------------------------------------------------------------------


def _price6_of(params: Mapping[str, Any]) -> int | None:
    try:
        if "price6" in params:
            return int(params["price6"])
        if "price" in params:
            return price6(params["price"])
    except (TypeError, ValueError, UnitError):
        return None
    return None


def _amount18_of(params: Mapping[str, Any]) -> int | None:
    try:
        if "amount18" in params:
            return int(params["amount18"])
        if "amount" in params:
            return amount18(params["amount"])
    except (TypeError, ValueError, UnitError):
        return None
    return None


def _side(params: Mapping[str, Any]) -> str | None:
    is_buy = params.get("isBuy")
    if isinstance(is_buy, bool):
        return "BUY" if is_buy else "SELL"
    side = params.get("side")
    return str(side) if side else None


def _order_text(params: Mapping[str, Any], tick6: int, *, with_amount: bool = True) -> str:
    parts: list[str] = []
    side = _side(params)
    if side:
        parts.append(side)
    amount = _amount18_of(params) if with_amount else None
    if amount is not None:
        parts.append(amount_text(amount))
    price = _price6_of(params)
    if price is not None:
        parts.append(f"@ {price_text(price, tick6)}")
    return " ".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def log_detail(action: str, params: Mapping[str, Any] | None, tick6: int, at_s: float | None = None) -> str:
    """The key parameters of an action, in a few words (either spelling of an action)."""
    action = canonical_action(action)
    p: Mapping[str, Any] = params or {}
    if action == ActionKind.PLACE_LIMIT:
        detail = _order_text(p, tick6)
        detail = f"{detail} L{p['level']}" if "level" in p else detail
        return f"{detail} pending" if p.get("pending") is True else detail
    if action == ActionKind.PLACE_MINED:
        detail = _order_text(p, tick6)
        return f"{detail} #{p['orderId']}" if p.get("orderId") is not None else detail
    if action == ActionKind.FILL:
        detail = _order_text(p, tick6)
        maker = p.get("isMaker")
        return f"{detail} {'maker' if maker else 'taker'}" if isinstance(maker, bool) else detail
    if action == ActionKind.CANCEL_ORDER:
        detail = _order_text(p, tick6, with_amount=False)
        order_id = p.get("orderId")
        parts = [detail] if detail else []
        if order_id is not None:
            parts.append(f"#{order_id}")
        if p.get("reason"):
            parts.append(str(p["reason"]))
        return " ".join(parts)
    if action == ActionKind.MODIFY_ORDER:
        return _order_text(p, tick6)
    if action == ActionKind.SESSION_INIT:
        expiry = p.get("expiry")
        if not isinstance(expiry, int | float):
            return ""
        when = f"{utc_minute(expiry)} UTC"
        # a clock time alone, logged at that same time of day, reads as already expired
        return f"expires {in_text(expiry - at_s)} ({when})" if at_s is not None else f"expires {when}"
    if action == ActionKind.PARAMS_CHANGED:
        before = p.get("before") or {}
        after = p.get("after") or {}
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            return ", ".join(f"{k} {_value(before.get(k))}→{_value(v)}" for k, v in after.items())
    if action == ActionKind.DRY_RUN:
        would = canonical_action(str(p.get("wouldDo", "")))
        rest = {k: v for k, v in p.items() if k != "wouldDo"}
        return f"would {ACTION_LABELS.get(would, would)} {log_detail(would, rest, tick6)}".strip()
    if action == ActionKind.SKIP and "message" in p:
        reason = p.get("reason")
        return f"{code_label(str(reason))}: {p['message']}" if reason else str(p["message"])
    if action == ActionKind.RUN_RESUMED and "message" in p:
        return str(p["message"]).removeprefix("resumed: ")
    if action == ActionKind.STRATEGY_LOG and "message" in p:
        return str(p["message"])
    if action == ActionKind.PLACE_MARKET:
        return _order_text(p, tick6)
    if action == ActionKind.RUN_STOP and "reason" in p:
        return str(p["reason"])
    if action == ActionKind.RUN_START:
        parts = []
        if "wallets" in p:
            parts.append(f"{p['wallets']} wallets")
        if p.get("dryRun"):
            parts.append("dry run")
        return ", ".join(parts)
    return " ".join(f"{k}={_value(v)}" for k, v in p.items() if not isinstance(v, Mapping | list))


def log_line_text(line: ActionLogLine, tick6: int) -> StyledLine:
    """`12:00:03 Sim001  PLACE   BUY 0.0150 @ 3,000.10 L2` (UTC; errors in red)."""
    text = LineBuilder()
    text.append(utc_clock(line.ts / 1000), style="dim")
    text.append(" ")
    who = line.nickname or (short_address(line.trader) if line.trader != "unknown" else "·")
    text.append(who.ljust(7), style="cyan")
    text.append(" ")
    action = canonical_action(line.action)  # the original's CANCEL_ORDER and our old CANCEL alike
    text.append(ACTION_LABELS.get(action, action).ljust(7), style=ACTION_STYLES.get(action, ""))
    detail = log_detail(line.action, line.params, tick6, line.ts / 1000)
    if detail:
        text.append(" ")
        text.append(clip_words(detail, DETAIL_WIDTH))
    if line.error:
        text.append(" ")
        text.append(clip_words(line.error, DETAIL_WIDTH), style="red")
    return text.build()


def alert_line(snapshot: EngineSnapshot, alert: Alert) -> ActionLogLine:
    """The log's line for an alert that came up (at the snapshot's venue time)."""
    return ActionLogLine(
        ts=int(snapshot.now * 1000),
        run_id=snapshot.run_id,
        chain_id=snapshot.market.chain_id,
        order_book=snapshot.market.order_book,
        action=ALERT_ACTION,
        error=alert.text,
    )


# -- filtering --------------------------------------------------------------------------------


def parse_filter(query: str) -> tuple[str, ...]:
    """`"User001 fill"` -> ("user001", "fill"): every term must match (case-insensitive)."""
    return tuple(term.lower() for term in query.split())


def haystack(line: ActionLogLine) -> str:
    """What a filter term is looked for in: nickname, address and action."""
    return f"{line.nickname or ''}\n{line.trader}\n{line.action}".lower()


def entry_matches(hay: str, terms: Sequence[str]) -> bool:
    return all(term in hay for term in terms)


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    """Position in the whole log since it was created: the strip cache's key."""
    line: ActionLogLine
    hay: str = field(repr=False)


class ActionLog(LineList):
    """At most `max_lines` entries are kept; older ones are dropped as new ones arrive."""

    FOLLOW_END = True
    SCROLLED_HINT = "End ↓ follow"

    def __init__(
        self,
        *,
        max_lines: int = MAX_LINES,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.max_lines = max_lines
        self.tick6 = 0
        self._entries: deque[LogEntry] = deque(maxlen=max_lines)
        self._visible: list[LogEntry] = []
        self._terms: tuple[str, ...] = ()
        self._next_seq = 0
        self._tail: Sequence[ActionLogLine] = ()
        self.filter_text = ""

    # -- feeding -------------------------------------------------------------------------------

    def follow(self, tail: Sequence[ActionLogLine]) -> int:
        """Append what a snapshot's journal tail adds since the last one; returns how many lines."""
        fresh = new_journal_lines(self._tail, tail)
        self._tail = tail
        return self.add_lines(fresh)

    def add_lines(self, lines: Iterable[ActionLogLine]) -> int:
        """Append lines (any iterable, consumed once); returns how many. Of a batch longer than the
        cap only the last `max_lines` are kept, so a huge batch costs no more memory than the cap."""
        added = 0
        kept: deque[ActionLogLine] = deque(maxlen=self.max_lines)
        for line in lines:
            kept.append(line)
            added += 1
        if not added:
            return 0
        self._next_seq += added - len(kept)  # lines dropped at once are never built
        terms = self._terms
        for line in kept:
            entry = LogEntry(self._next_seq, line, haystack(line))
            self._next_seq += 1
            self._entries.append(entry)
            if entry_matches(entry.hay, terms):
                self._visible.append(entry)
        oldest = self._entries[0].seq
        if self._visible and self._visible[0].seq < oldest:
            cut = 0
            while cut < len(self._visible) and self._visible[cut].seq < oldest:
                cut += 1
            del self._visible[:cut]
        self._update_title()
        self.items_changed()
        return added

    # -- filtering -------------------------------------------------------------------------------

    def set_filter(self, query: str) -> None:
        """Show only the kept lines matching every term of `query` (empty: all)."""
        self.filter_text = " ".join(query.split())
        self._terms = parse_filter(query)
        self._visible = [e for e in self._entries if entry_matches(e.hay, self._terms)]
        self._update_title()
        self._following = True
        self.items_changed()

    def _update_title(self) -> None:
        if self.filter_text:
            self.set_title(f"Log — {self.filter_text} ({len(self._visible)}/{len(self._entries)})")
        else:
            self.set_title("Log")

    @property
    def entry_count(self) -> int:
        return len(self._entries)

    @property
    def visible_lines(self) -> list[ActionLogLine]:
        return [entry.line for entry in self._visible]

    # -- LineList ----------------------------------------------------------------------------------

    def item_count(self) -> int:
        return len(self._visible)

    def item_key(self, index: int) -> Hashable:
        return self._visible[index].seq

    def item_text(self, index: int) -> StyledLine:
        return log_line_text(self._visible[index].line, self.tick6)
