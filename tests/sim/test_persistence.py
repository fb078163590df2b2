"""The sim's whole state survives `export_state` / `restore_state`: a resumed run meets the same exchange
(books, accounts, sessions, fills cursors, event hashes), goes on exactly as the original would, and a
snapshot that does not fit is refused without touching the venue."""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import pytest

from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    PlaceLimit,
    PlacementOutcome,
    PlacementState,
    TradeRejected,
    VenueError,
)
from ama_tui.venues.sim import STEP_MS, SimStateError, SimVenue
from ama_tui.venues.sim import venue as venue_module
from ama_tui.venues.sim.snapshot_state import FORMAT_VERSION, MAGIC, SNAPSHOT_EVENTS, decode, encode
from ama_tui.venues.sim.venue import WALL_CATCH_UP_MAX_S

from ._venue_support import ETH, HENRY, make_permit, open_session, sign, wallet

T = TypeVar("T")
SEED = 7
PRESET = "REALISTIC"
WALLETS = 3


def _retry(call: Callable[[], T]) -> T:
    """Call again through relay failures (REALISTIC fails now and then), not through rejections."""
    for _ in range(20):
        try:
            return call()
        except TradeRejected:
            raise
        except VenueError:
            continue
    raise AssertionError("the relay kept failing")


def _open(venue: SimVenue, index: int) -> tuple[str, str]:
    """A session on every market for test wallet `index`."""
    address, key = wallet(index)
    return address, _retry(lambda: open_session(venue, address, key, symbol=HENRY, allowed_markets=[]))


def _round(venue: SimVenue, sessions: list[tuple[str, str]], step: int) -> list[str]:
    """Packer-like calls on two markets (quotes, a modify, a cancel, an outside taker), then a minute."""
    outcomes: list[str] = []
    for symbol in (HENRY, ETH):
        info = venue.market_info(symbol)
        top = venue.book(info.order_book).top
        for index, (address, session) in enumerate(sessions):
            mine = venue.open_orders(info.order_book, [address])[address]
            requests: list[PlaceLimit | CancelOrder | ModifyOrder] = [
                PlaceLimit(address, top.best_bid6 - (1 + index) * info.tick6, 10**17, True),
                PlaceLimit(address, top.best_ask6 + (1 + index) * info.tick6, 10**17, False),
            ]
            if len(mine) > 2:
                requests.append(CancelOrder(address, mine[0].order_id))
                requests.append(ModifyOrder(address, mine[1].order_id, mine[1].price6, 2 * 10**17))
            for request in requests:
                try:
                    receipt = venue.submit(info.order_book, session, request)
                    outcomes.append(f"ok {receipt.tx_hash} {receipt.order_id} {receipt.filled18}")
                except TradeRejected as exc:
                    outcomes.append(f"rejected {exc.code}")
                except VenueError as exc:
                    outcomes.append(f"failed {type(exc).__name__}")
        with_bids = venue.book(info.order_book).top.best_bid6
        if with_bids and step % 2:
            outcomes.append(f"taker {venue.inject_taker(info.order_book, False, 3 * 10**17)}")
    venue.advance(60)
    return outcomes


def _reads(venue: SimVenue, traders: list[str]) -> list[object]:
    """What a client sees (the same calls on two venues keep them in step)."""
    seen: list[object] = [venue.now(), venue.available_collateral(traders)]
    for symbol in (HENRY, ETH):
        book = venue.market_info(symbol).order_book
        seen += [
            venue.book(book, 20),
            venue.open_orders(book, traders),
            venue.positions(book, traders),
            venue.fills_since(book, traders, "0"),
            venue.fills_cursor(book),
            venue.reference_price6(symbol),
        ]
    seen += [[venue.session_nonce(trader) for trader in traders], venue.audit()]
    return seen


def _fingerprint(venue: SimVenue) -> tuple[object, ...]:
    return (
        venue.dump_state(),
        venue.event_log_hash(),
        venue.event_log_hash(include_rejections=False),
        venue.event_count,
        venue.audit(),
    )


Saved = tuple[SimVenue, bytes, list[tuple[str, str]], dict[str, str]]


@pytest.fixture(scope="module")
def saved() -> Saved:
    return _trade_and_save()


def _trade_and_save() -> Saved:
    """A venue after a few minutes of trading by three wallets, its snapshot, the sessions, and fills
    cursors handed out half way."""
    venue = SimVenue(SEED, PRESET, "virtual")
    sessions = [_open(venue, index) for index in range(WALLETS)]
    cursors: dict[str, str] = {}
    for step in range(6):
        _round(venue, sessions, step)
        if step == 2:
            cursors = {
                symbol: venue.fills_cursor(venue.market_info(symbol).order_book) for symbol in (HENRY, ETH)
            }
    venue.deposit(sessions[0][0], 1_234 * 10**6)
    return venue, venue.export_state(), sessions, cursors


def _restored(data: bytes) -> SimVenue:
    venue = SimVenue(SEED, PRESET, "virtual")
    venue.restore_state(data)
    return venue


# ================================================================== the same exchange


def test_restore_gives_the_same_exchange(saved) -> None:
    original, data, sessions, _ = saved
    assert data.startswith(MAGIC + b" %d " % FORMAT_VERSION)
    restored = _restored(data)
    assert _fingerprint(restored) == _fingerprint(original)
    assert restored.events() == original.events()[-SNAPSHOT_EVENTS:]
    assert restored.participant_addresses == original.participant_addresses
    assert restored.export_state() == data, "a restored exchange saves exactly what it was restored from"
    audit = original.audit()
    assert audit.trades > 20 and audit.maker_fills > 0 and audit.sessions_created == WALLETS
    assert audit.relay_failures > 0, "REALISTIC fails now and then: the relay counters matter"
    traders = [address for address, _ in sessions]
    twin = _restored(data)
    assert _reads(twin, traders) == _reads(original, traders)
    assert _fingerprint(twin) == _fingerprint(original)
    assert original.export_state() == data, "reading changes nothing (the other tests share this venue)"
    positions = original.positions(original.market_info(HENRY).order_book, traders)
    assert any(position.size18 for position in positions.values()), "positions carry over, not only zeros"


def test_determinism_continues_across_the_restore() -> None:
    original, data, sessions, _ = _trade_and_save()  # its own: the module's venue stays as saved
    before = _fingerprint(original)
    restored = _restored(data)
    traders = [address for address, _ in sessions]
    newcomer, key = wallet(WALLETS)
    permit = make_permit(original, newcomer, symbol=HENRY, allowed_markets=[])
    signature = sign(original, permit, key)  # one permit for both: its session id hashes a random salt
    runs = []
    for venue in (original, restored):
        book = venue.market_info(HENRY).order_book
        grant = _retry(lambda venue=venue, book=book: venue.create_session(book, permit, signature))
        more = [*sessions, (newcomer, grant.session_id)]
        outcomes = [line for step in range(6, 12) for line in _round(venue, more, step)]
        venue.advance(123.4)
        runs.append((outcomes, _reads(venue, [*traders, newcomer]), _fingerprint(venue)))
    assert runs[0] == runs[1]
    assert original.export_state() == restored.export_state()
    assert any(line.startswith("ok") for line in runs[0][0])
    assert _fingerprint(original) != before, "time and trading went on"


def test_sessions_still_trade_and_nonces_continue(saved) -> None:
    _, data, sessions, _ = saved
    venue = _restored(data)
    book = venue.market_info(HENRY).order_book
    (alice, alice_session), (bob, _) = sessions[0], sessions[1]
    bid = venue.book(book).top.best_bid6 - 50 * venue.market_info(HENRY).tick6
    receipt = _retry(lambda: venue.submit(book, alice_session, PlaceLimit(alice, bid, 10**17, True)))
    assert receipt.order_id in {order.order_id for order in venue.open_orders(book, [alice])[alice]}
    assert venue.session_nonce(bob) == 1
    _, bob_key = wallet(1)
    stale = make_permit(venue, bob, symbol=HENRY, nonce=0)
    with pytest.raises(TradeRejected) as caught:
        _retry(lambda: venue.create_session(book, stale, sign(venue, stale, bob_key)))
    assert caught.value.code == ErrorCode.BAD_NONCE
    _open(venue, 1)
    assert venue.session_nonce(bob) == 2


def test_fills_cursors_handed_out_before_the_export_still_work(saved) -> None:
    original, data, sessions, early = saved
    venue = _restored(data)
    traders = [address for address, _ in sessions]
    for symbol, cursor in early.items():
        book = venue.market_info(symbol).order_book
        assert venue.fills_since(book, traders, cursor) == original.fills_since(book, traders, cursor)
    book = venue.market_info(HENRY).order_book
    assert int(early[HENRY]) > 0
    assert venue.fills_since(book, traders, early[HENRY]).fills, "the early cursor sees the fills since"
    late = original.fills_cursor(book)
    assert venue.fills_cursor(book) == late
    alice, session = sessions[0]
    bid = venue.book(book).top.best_bid6
    _retry(lambda: venue.submit(book, session, PlaceLimit(alice, bid, 10**17, True)))
    venue.inject_taker(book, False, 10**21, worst_price6=bid)  # sweeps the bids down to hers
    page = venue.fills_since(book, traders, late)
    assert [(fill.trader, fill.is_maker) for fill in page.fills if fill.trader == alice][:1] == [
        (alice, True)
    ]
    assert int(page.cursor) > int(late)


def test_what_each_transaction_placed_carries_over(saved) -> None:
    original, data, _, _ = saved
    rows = decode(data)["placements"]
    assert len(rows) > 20 and any(order_id for *_, order_id in rows)
    restored = _restored(data)
    for tx_hash, symbol, trader, order_id in rows:
        book = original.market_info(symbol).order_book
        outcome = restored.placement_outcomes(book, [(tx_hash, trader)])
        assert outcome == original.placement_outcomes(book, [(tx_hash, trader)])
        assert outcome[tx_hash] == PlacementOutcome(PlacementState.LANDED, order_id)


def test_a_snapshot_saved_before_placements_and_self_trade_counts_still_restores(saved) -> None:
    """Older snapshots have neither `placements` nor the audit's `self_trade_cancels`: both read empty."""
    original, data, sessions, _ = saved
    plain = decode(data)
    tx_hash, symbol, trader, _ = plain["placements"][-1]
    del plain["placements"]
    del plain["audit"]["self_trade_cancels"]
    venue = _restored(encode(plain))
    assert venue.dump_state() == original.dump_state()
    assert venue.audit() == replace(original.audit(), self_trade_cancels=0)
    book = venue.market_info(symbol).order_book
    assert venue.placement_outcomes(book, [(tx_hash, trader)])[tx_hash].state is PlacementState.PENDING
    traders = [address for address, _ in sessions]
    assert _reads(venue, traders)[:-1] == _reads(original, traders)[:-1]


# ================================================================== refusals


def _busy_venue(seed: int = SEED, preset: str = PRESET, clock: str = "virtual") -> SimVenue:
    """A venue with state of its own, to show a refused restore leaves it alone."""
    venue = SimVenue(seed, preset, clock)  # type: ignore[arg-type]
    _round(venue, [_open(venue, 5)], 1)
    return venue


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _with_version(data: bytes, version: int) -> bytes:
    header, payload = data.split(b"\n", 1)
    fields = header.split(b" ")
    fields[1] = str(version).encode()
    return b" ".join(fields) + b"\n" + payload


def _header_length(data: bytes) -> int:
    return data.index(b"\n") + 1


CORRUPTIONS = {
    "empty": (lambda d: b"", "empty"),
    "cut in the header": (lambda d: d[:10], "truncated inside its header"),
    "cut after the magic": (lambda d: d[: len(MAGIC) + 3], "truncated inside its header"),
    "cut in the payload": (lambda d: d[: len(d) // 2], "truncated"),
    "last byte missing": (lambda d: d[:-1], "truncated"),
    "bytes appended": (lambda d: d + b"\n", "corrupt"),
    "flipped payload byte": (lambda d: _flip(d, len(d) // 2), "corrupt: its payload does not match"),
    "flipped checksum digit": (lambda d: _flip(d, len(MAGIC) + 5), "corrupt|malformed"),
    "other version": (lambda d: _with_version(d, FORMAT_VERSION + 1), "format version 2"),
    "old version": (lambda d: _with_version(d, 0), "format version 0"),
    "not a snapshot": (lambda d: b'{"seed": 7}', "not a sim state"),
    "pickle": (lambda d: b"\x80\x05K\x07.", "not a sim state"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_damaged_snapshots_are_refused_and_change_nothing(saved, name: str) -> None:
    _, data, _, _ = saved
    damage, message = CORRUPTIONS[name]
    venue = _busy_venue()
    before, fingerprint = venue.export_state(), _fingerprint(venue)
    with pytest.raises(SimStateError, match=message):
        venue.restore_state(damage(data))
    assert venue.export_state() == before and _fingerprint(venue) == fingerprint
    assert isinstance(SimStateError("x"), ValueError)


def test_a_str_is_not_a_snapshot(saved) -> None:
    _, data, _, _ = saved
    venue = _busy_venue()
    with pytest.raises(SimStateError, match="bytes"):
        venue.restore_state(data.decode())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SimVenue(SEED + 1, PRESET, "virtual"), "seed 7, but this one has 8"),
        (lambda: SimVenue(SEED, "CHAOTIC", "virtual"), "preset 'REALISTIC', but this one has 'CHAOTIC'"),
        (lambda: SimVenue(SEED, PRESET, "wall"), "clock 'virtual', but this one has 'wall'"),
        (lambda: SimVenue(SEED, PRESET, "virtual", price_mode="UP"), "price mode 'MEAN'"),
        (lambda: SimVenue(SEED, PRESET, "virtual", participants=False), "participants True"),
        (lambda: SimVenue(SEED, PRESET, "virtual", funding6=10**6), "wallet funding"),
    ],
    ids=["seed", "preset", "clock", "price-mode", "participants", "funding"],
)
def test_a_snapshot_of_another_exchange_is_refused(saved, build, message: str) -> None:
    _, data, _, _ = saved
    venue = build()
    venue.book(venue.market_info(HENRY).order_book)
    before = venue.export_state()
    with pytest.raises(SimStateError, match=message):
        venue.restore_state(data)
    assert venue.export_state() == before


def test_a_wall_clock_snapshot_is_refused_on_the_virtual_clock() -> None:
    wall = SimVenue(SEED, PRESET, "wall")
    wall.book(wall.market_info(HENRY).order_book)
    virtual = _busy_venue()
    before = virtual.export_state()
    with pytest.raises(SimStateError, match="clock 'wall', but this one has 'virtual'"):
        virtual.restore_state(wall.export_state())
    assert virtual.export_state() == before


def test_a_market_that_changed_is_refused(saved) -> None:
    _, data, _, _ = saved
    plain = decode(data)
    plain["catalogue"][0][5] = 5_000  # the first market's margin
    venue = _busy_venue()
    before = venue.export_state()
    with pytest.raises(SimStateError, match="lists market 'ETH-USD'"):
        venue.restore_state(encode(plain))
    assert venue.export_state() == before


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("events", "count"), -1, "malformed"),
        (("events", "all", "base"), "00", "malformed"),
        (("audit", "trades"), "many", "malformed"),
        (("clock", "next_step_us"), 0, "malformed"),
        (("vault", "accounts"), {}, "malformed"),
        (("tx_seq",), None, "malformed"),
    ],
)
def test_a_checksummed_but_malformed_snapshot_is_refused(saved, path, value, message: str) -> None:
    """The checksum holds (the writer erred, not the disk): the restore still reads every part before
    it replaces anything, so a bad part late in the snapshot leaves the venue whole."""
    _, data, _, _ = saved
    plain = decode(data)
    node = plain
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    venue = _busy_venue()
    before = venue.export_state()
    with pytest.raises(SimStateError, match=message):
        venue.restore_state(encode(plain))
    assert venue.export_state() == before


def test_a_book_that_does_not_add_up_is_refused(saved) -> None:
    _, data, _, _ = saved
    plain = decode(data)
    symbol, market = plain["markets"][0]
    market["book"]["orders"][0][8] += 1  # the reserved margin of a resting order
    venue = _busy_venue()
    before = venue.export_state()
    with pytest.raises(SimStateError, match="inconsistent snapshot"):
        venue.restore_state(encode(plain))
    market["book"]["orders"][0][8] -= 1
    del plain["events"]  # the last part read
    with pytest.raises(SimStateError, match="no 'events' field"):
        venue.restore_state(encode(plain))
    assert venue.export_state() == before
    assert symbol in (HENRY, ETH)


# ================================================================== the wall clock


@pytest.mark.parametrize("gap_s", [3 * 3600, 45 * 86_400])
def test_wall_clock_restore_catches_up_without_hanging(monkeypatch, gap_s: int) -> None:
    """A state saved `gap_s` ago: the market replays at most `WALL_CATCH_UP_MAX_S` of activity at the
    first call, and then stands at now, with its orders and sessions."""
    earlier = types.SimpleNamespace(time=lambda: time.time() - gap_s, sleep=time.sleep)
    monkeypatch.setattr(venue_module, "time", earlier)
    old = SimVenue(SEED, "PERFECT_EXECUTION", "wall")
    book = old.market_info(HENRY).order_book
    address, key = wallet(0)
    session = open_session(old, address, key, symbol=HENRY, expiry_in=gap_s + 86_400)
    tick6 = old.market_info(HENRY).tick6
    far_bid = old.book(book).top.best_bid6 // 2 // tick6 * tick6
    resting = old.submit(book, session, PlaceLimit(address, far_bid, 10**17, True)).order_id
    saved_at = old.now()
    data = old.export_state()
    monkeypatch.undo()

    venue = SimVenue(SEED, "PERFECT_EXECUTION", "wall")
    venue.restore_state(data)
    assert venue.now() == saved_at, "restored time is the saved time until the next call"
    trades_before = venue.audit().trades
    started = time.monotonic()
    snapshot = venue.book(book)
    assert time.monotonic() - started < 10
    assert abs(venue.now() - time.time()) < 5
    assert snapshot.bids and snapshot.asks and venue.audit().trades > trades_before
    assert [order.order_id for order in venue.open_orders(book, [address])[address]] == [resting]
    venue.submit(book, session, CancelOrder(address, resting))
    assert venue.open_orders(book, [address])[address] == ()


def test_wall_clock_catch_up_is_bounded(monkeypatch) -> None:
    """The replayed stretch is at most `WALL_CATCH_UP_MAX_S` of steps, however long the gap."""
    gap_s = 10 * 86_400
    monkeypatch.setattr(venue_module, "time", types.SimpleNamespace(time=lambda: time.time() - gap_s))
    old = SimVenue(SEED, "PERFECT_EXECUTION", "wall", participants=False)
    old.book(old.market_info(HENRY).order_book)
    data = old.export_state()
    monkeypatch.undo()
    venue = SimVenue(SEED, "PERFECT_EXECUTION", "wall", participants=False)
    venue.restore_state(data)
    steps: list[int] = []
    original_step = venue_module.MarketState.step

    def counted_step(self: object, now_ms: int, dt: float) -> None:
        steps.append(now_ms)
        original_step(self, now_ms, dt)  # type: ignore[arg-type]

    monkeypatch.setattr(venue_module.MarketState, "step", counted_step)
    venue.book(venue.market_info(HENRY).order_book)
    assert 0 < len(steps) <= WALL_CATCH_UP_MAX_S * 1000 // STEP_MS + 1


# ================================================================== an OHLCV replay


def test_a_replay_resumes_on_its_bars_and_refuses_other_bars(tmp_path) -> None:
    bars = tmp_path / "bars.csv"
    bars.write_text("timestamp,open,high,low,close,volume\n0,3.0,3.1,2.9,3.0,10\n600,3.0,3.4,3.0,3.3,20\n")
    other = tmp_path / "other.csv"
    other.write_text("timestamp,open,high,low,close,volume\n0,3.0,3.1,2.9,3.0,10\n600,3.0,3.4,3.0,3.2,20\n")

    def build(path: object) -> SimVenue:
        return SimVenue(SEED, "PERFECT_EXECUTION", "virtual", ohlcv_csv=path, ohlcv_symbol=HENRY)  # type: ignore[arg-type]

    original = build(bars)
    original.book(original.market_info(HENRY).order_book)
    original.advance(200)
    data = original.export_state()
    restored = build(bars)
    restored.restore_state(data)
    for venue in (original, restored):
        venue.advance(300)
    assert _fingerprint(restored) == _fingerprint(original)
    assert restored.reference_price6(HENRY) == original.reference_price6(HENRY) == 3_250_000
    for wrong in (build(other), SimVenue(SEED, "PERFECT_EXECUTION", "virtual")):
        with pytest.raises(SimStateError, match="OHLCV replay"):
            wrong.restore_state(data)
