"""Several wallets in the kit: `self.wallets`, `wallet=` on trades and per-wallet reads, checked
before anything is sent, carried on the wire only when not the first (a one-wallet strategy's lines
are as before), and refused by name when a hostile child sends a bad one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ama_tui.kit import MarketRef, NoArgs, OrderRequest, Trading
from ama_tui.kit.payloads import WireError, decode_args
from ama_tui.kit.wire import Call, Init, Reply, decode_child, decode_parent, encode
from tests.kit.helpers import attached


def _two_wallets(replies: list[Reply]) -> tuple[Trading, object]:
    strategy = Trading()
    transcript = attached(strategy, replies)
    strategy.wallets = 2
    return strategy, transcript


def test_wallet_goes_on_the_wire_only_when_not_the_first() -> None:
    strategy, transcript = _two_wallets(
        [Reply(1, True, result="o1"), Reply(2, True, result="o2"), Reply(3, True, result="5")]
    )
    strategy.buy("ETH-USD", "0.1")
    strategy.sell("ETH-USD", "0.1", wallet=1)
    strategy.get_available_balance(wallet=1)
    args = [message["args"] for message in transcript.messages()]  # type: ignore[attr-defined]
    assert "wallet" not in args[0]
    assert args[1]["wallet"] == 1 and args[2] == {"wallet": 1}


@pytest.mark.parametrize("wallet", [2, -1, True, "1", 1.0])
def test_a_bad_wallet_is_refused_before_it_is_sent(wallet: object) -> None:
    strategy, transcript = _two_wallets([])
    with pytest.raises(
        ValueError, match=r"wallet must be an int from 0 to 1 \(this strategy trades 2 wallets\)"
    ):
        strategy.buy("ETH-USD", "0.1", wallet=wallet)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="wallet must be an int"):
        strategy.get_position("ETH-USD", wallet=wallet)  # type: ignore[arg-type]
    assert transcript.lines() == []  # type: ignore[attr-defined]


def test_a_one_wallet_strategy_may_name_only_wallet_zero() -> None:
    strategy = Trading()
    attached(strategy, [Reply(1, True, result="o1")])
    assert strategy.wallets == 1
    assert strategy.buy("ETH-USD", "0.1", wallet=0) == "o1"
    with pytest.raises(ValueError, match=r"from 0 to 0 \(this strategy trades 1 wallet\), got 1"):
        strategy.buy("ETH-USD", "0.1", wallet=1)


def test_calls_with_a_wallet_round_trip() -> None:
    for call in (
        Call(1, "buy", OrderRequest("buy", "ETH-USD", Decimal("0.1"), wallet=3)),
        Call(2, "get_open_orders", MarketRef("ETH-USD", 2)),
        Call(3, "get_portfolio", NoArgs(1)),
    ):
        assert decode_child(encode(call)) == call


def test_a_wallet_the_call_does_not_take_or_not_a_count_is_refused_by_name() -> None:
    with pytest.raises(WireError, match="cancel args has an unknown field 'wallet'"):
        decode_args("cancel", {"order_id": "o1", "wallet": 1})
    with pytest.raises(WireError, match=r"get_position args\.wallet must be a non-negative integer"):
        decode_args("get_position", {"market": "ETH-USD", "wallet": -1})
    with pytest.raises(WireError, match=r"get_portfolio args\.wallet must be a non-negative integer"):
        decode_args("get_portfolio", {"wallet": "0"})


def test_init_carries_the_wallet_count_and_reads_one_when_absent() -> None:
    several = Init("ETH-USD", {}, "pass", "s.py", wallets=3)
    assert decode_parent(encode(several)) == several
    one = Init("ETH-USD", {}, "pass", "s.py")
    assert b"wallets" not in encode(one), "a one-wallet run's init line is as before"
    assert decode_parent(encode(one)) == one
