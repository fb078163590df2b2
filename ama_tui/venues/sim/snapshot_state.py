"""The sim's whole state as bytes, and back: so a resumed run meets the same exchange.

`SimVenue.export_state` / `SimVenue.restore_state` call in here. A snapshot holds everything that moves:
each started market (its book with ids and queue order, its counters, trade records and recent trades,
reference price and walk, its providers' quotes and its RNG), the vault, the session registry, the
relay call counters, the tx sequence, what the latest trade transactions placed (for
`placement_outcomes`), the event log's hashes and latest events, the audit counters and the clock.
What the venue's arguments decide (seed, preset, clock mode, price mode, participants, funding, OHLCV
replay, catalogue) is recorded too, and a restore refuses a venue built otherwise, so a resume with
another seed fails with a message instead of mixing two exchanges (`relay_answers` only changes what
answers say, so it is neither saved nor checked). Locks, clocks and
anything derived (addresses, the relayer root, the seed's bytes) are rebuilt, never saved.

Format: one ASCII header line, then compact JSON (UTF-8)::

    AMA-TUI-SIM-STATE <version> <sha256 of the payload, hex> <payload length>\\n{...}

JSON rather than pickle: loading it cannot run code, it reads the same on any Python, and `jq` can
look inside. It costs little because the big parts are flat rows of ints and strings, and only the
latest `SNAPSHOT_EVENTS` events are kept readable (the hashes and the count still cover every event).
The checksum is checked before the JSON is parsed, and the restored state is built apart and swapped
in only once all of it has been read, so a refused snapshot leaves the venue as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from ama_tui.venues.sim.audit import AuditCounters
from ama_tui.venues.sim.book import BookError
from ama_tui.venues.sim.events import EventLog
from ama_tui.venues.sim.market_state import MarketState
from ama_tui.venues.sim.markets import OUTSIDER, SimMarket
from ama_tui.venues.sim.plain import as_dict, as_int, as_list, as_str
from ama_tui.venues.sim.sessions import SessionRegistry
from ama_tui.venues.sim.vault import Vault

if TYPE_CHECKING:
    from ama_tui.venues.sim.venue import SimVenue

MAGIC: Final = b"AMA-TUI-SIM-STATE"
FORMAT_VERSION: Final = 1
SNAPSHOT_EVENTS: Final = 1_000
"""How many of the latest events a snapshot keeps readable (`SimVenue.events`)."""
_MAX_HEADER: Final = 200


class SimStateError(ValueError):
    """A sim state snapshot that cannot be restored here (truncated, corrupt, another format version,
    or saved by a sim with another seed, preset or clock); the venue is left unchanged."""


# ================================================================== export


def capture(venue: SimVenue) -> dict[str, Any]:
    """The venue's state as fresh JSON values (the caller holds the venue's lock; nothing returned
    refers to the venue's own objects, so it can be encoded after the lock is released)."""
    return {
        "exchange": _identity(venue),
        "catalogue": [_market_row(market) for market in venue.catalogue.markets],
        "clock": {"now_us": venue._now_us, "next_step_us": venue._next_step_us, "start_ms": venue._start_ms},
        "tx_seq": venue._tx_seq,
        "relay_calls": [[trader, count] for trader, count in venue._calls.items()],
        "placements": [
            [tx_hash, symbol, trader, order_id]
            for tx_hash, (symbol, trader, order_id) in venue._placements.items()
        ],
        "session_traders": sorted(venue._session_traders),
        "markets": [[symbol, state.to_plain()] for symbol, state in venue._states.items()],
        "vault": venue._vault.to_plain(),
        "sessions": venue._registry.to_plain(),
        "audit": venue._audit.to_plain(),
        "events": venue._events.to_plain(SNAPSHOT_EVENTS),
    }


def encode(plain: dict[str, Any]) -> bytes:
    payload = json.dumps(plain, separators=(",", ":"), allow_nan=False).encode()
    digest = hashlib.sha256(payload).hexdigest()
    return b"%s %d %s %d\n" % (MAGIC, FORMAT_VERSION, digest.encode(), len(payload)) + payload


# ================================================================== restore


def decode(data: object) -> dict[str, Any]:
    """The JSON values of a snapshot, once its header, length and checksum hold."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SimStateError(f"a sim state is bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise SimStateError("the sim state is empty")
    end = data.find(b"\n", 0, _MAX_HEADER)
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise SimStateError("the sim state is truncated inside its header")
        raise SimStateError(f"not a sim state (it does not start with {MAGIC.decode()})")
    if end < 0:
        if len(data) < _MAX_HEADER:
            raise SimStateError("the sim state is truncated inside its header")
        raise SimStateError("the sim state's header line is malformed")
    fields = data[:end].split(b" ")
    if len(fields) != 4 or not fields[1].isdigit():
        raise SimStateError("the sim state's header line is malformed")
    version = int(fields[1])
    if version != FORMAT_VERSION:
        raise SimStateError(
            f"the sim state has format version {version}; this build reads version {FORMAT_VERSION}"
        )
    if not fields[3].isdigit() or len(fields[2]) != 64:
        raise SimStateError("the sim state's header line is malformed")
    payload = data[end + 1 :]
    length = int(fields[3])
    if len(payload) < length:
        raise SimStateError(f"the sim state is truncated: {len(payload)} of {length} payload bytes")
    if len(payload) > length:
        raise SimStateError(f"the sim state is corrupt: {len(payload) - length} byte(s) after its payload")
    if hashlib.sha256(payload).hexdigest().encode() != fields[2].lower():
        raise SimStateError("the sim state is corrupt: its payload does not match its sha256")
    try:
        plain = json.loads(payload)
    except ValueError as exc:
        raise SimStateError(f"the sim state is corrupt: its payload is not JSON ({exc})") from None
    if type(plain) is not dict:
        raise SimStateError("the sim state is corrupt: its payload is not a JSON object")
    return plain


def restore(venue: SimVenue, plain: dict[str, Any]) -> None:
    """Replace the venue's state with `plain` (the caller holds the venue's lock). Everything is
    read and checked before anything is replaced: on `SimStateError` the venue is unchanged."""
    with _reading("exchange settings"):
        _check_identity(venue, as_dict(plain["exchange"]), as_list(plain["catalogue"]))
    for name, value in _rebuild(venue, plain).items():
        setattr(venue, name, value)


@contextmanager
def _reading(part: str) -> Iterator[None]:
    """Turn what bad data raises while `part` is read into a `SimStateError` that names the part."""
    try:
        yield
    except SimStateError:
        raise
    except KeyError as exc:
        raise SimStateError(f"the sim state is malformed ({part}): it has no {exc} field") from None
    except (TypeError, ValueError, IndexError, ArithmeticError, BookError) as exc:
        raise SimStateError(f"the sim state is malformed ({part}): {exc}") from None


def _rebuild(venue: SimVenue, plain: dict[str, Any]) -> dict[str, Any]:
    """The venue's attributes as `plain` has them, built without touching the venue."""
    with _reading("clock"):
        clock = as_dict(plain["clock"])
        now_us = as_int(clock["now_us"], minimum=0)
        next_step_us = as_int(clock["next_step_us"], minimum=now_us + 1)
        start_ms = as_int(clock["start_ms"], minimum=0)
        if start_ms > now_us // 1000:
            raise ValueError("the clock stands before the exchange started")
    states: dict[str, MarketState] = {}
    participants = {OUTSIDER}
    with _reading("markets"):
        markets = [as_list(row) for row in as_list(plain["markets"])]
    for row in markets:
        with _reading(f"market {str(row[0])[:40]!r}" if row else "markets"):
            symbol, data = row
            market = venue.catalogue.find(as_str(symbol))
            if market is None or market.symbol != symbol or symbol in states:
                raise ValueError("the market is unknown here or listed twice")
            state = states[symbol] = MarketState.from_plain(venue, market, as_dict(data))
            if state.participants is not None:
                participants.update(state.participants.addresses)
    rebuilt: dict[str, Any] = {
        "_now_us": now_us,
        "_next_step_us": next_step_us,
        "_start_ms": start_ms,
        "_states": states,
        "_participants": participants,
    }
    with _reading("relay"):
        rebuilt["_tx_seq"] = as_int(plain["tx_seq"], minimum=0)
        rows = map(as_list, as_list(plain["relay_calls"]))
        rebuilt["_calls"] = {as_str(trader): as_int(count, minimum=0) for trader, count in rows}
        rebuilt["_placements"] = _placements(plain.get("placements", []))  # absent before they were kept
    with _reading("sessions"):
        sessions = as_dict(plain["sessions"])
        rebuilt["_registry"] = SessionRegistry.from_plain(venue._domain, venue._relayer_root, sessions)
        rebuilt["_session_traders"] = {as_str(trader) for trader in as_list(plain["session_traders"])}
    with _reading("vault"):
        rebuilt["_vault"] = Vault.from_plain(as_dict(plain["vault"]))
    with _reading("audit"):
        rebuilt["_audit"] = AuditCounters.from_plain(as_dict(plain["audit"]))
    with _reading("events"):
        rebuilt["_events"] = EventLog.from_plain(as_dict(plain["events"]))
    return rebuilt


def _placements(rows: object) -> OrderedDict[str, tuple[str, str, int | None]]:
    placements: OrderedDict[str, tuple[str, str, int | None]] = OrderedDict()
    for row in map(as_list, as_list(rows)):
        tx_hash, symbol, trader, order_id = row
        if as_str(tx_hash) in placements:
            raise ValueError(f"transaction {str(tx_hash)[:20]} is listed twice")
        placed = None if order_id is None else as_int(order_id, minimum=1)
        placements[tx_hash] = (as_str(symbol), as_str(trader), placed)
    return placements


# ================================================================== what the venue was built with


def _identity(venue: SimVenue) -> dict[str, Any]:
    replay = venue._replay
    return {
        "seed": venue.seed,
        "preset": venue.preset.name,
        "clock": "virtual" if venue.virtual else "wall",
        "price_mode": venue.price_mode.value,
        "participants": venue.with_participants,
        "funding6": venue._vault.funding6,
        "ohlcv": None
        if replay is None
        else [replay.fingerprint(), venue._replay_first_close6, venue._ohlcv_symbol],
    }


_IDENTITY_NAMES: Final = {
    "seed": "seed",
    "preset": "preset",
    "clock": "clock",
    "price_mode": "price mode",
    "participants": "participants",
    "funding6": "wallet funding (usdc6)",
    "ohlcv": "OHLCV replay",
}


def _check_identity(venue: SimVenue, saved: dict[str, Any], catalogue: list[Any]) -> None:
    mine = _identity(venue)
    if set(saved) != set(mine):
        raise SimStateError("the sim state is malformed: its exchange settings are not this build's")
    for key, name in _IDENTITY_NAMES.items():
        if saved[key] != mine[key] or type(saved[key]) is not type(mine[key]):
            raise SimStateError(
                f"the sim state was saved by an exchange with {name} {_shown(key, saved[key])}, but this"
                f" one has {_shown(key, mine[key])}: restore it into an exchange built the same way"
            )
    rows = {market.symbol: _market_row(market) for market in venue.catalogue.markets}
    for row in catalogue:
        symbol = as_str(as_list(row)[0])
        if rows.get(symbol) != row:
            raise SimStateError(
                f"the sim state lists market {symbol!r}, which this exchange does not have as it was saved"
            )


def _shown(key: str, value: object) -> str:
    if key != "ohlcv":
        return repr(value)
    if not isinstance(value, list) or len(value) != 3:
        return "none"
    fingerprint, _, symbol = value
    return f"bars {str(fingerprint)[:12]} on {symbol or 'every market'}"


def _market_row(market: SimMarket) -> list[Any]:
    return [
        market.symbol, market.name, market.market_identifier, str(market.tick_size),
        str(market.initial_price), market.margin_bps, market.status, market.category,
        market.level_notional6,
    ]  # fmt: skip
