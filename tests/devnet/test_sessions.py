"""The session registry: EIP-712 permits signed by ama_tui.protocol, and per-trade checks.

Every revert reason is checked against the relay API's error codes with `classify`, so the
relay can pass the chain's reason straight through.
"""

from __future__ import annotations

import pytest
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import MethodBit
from ama_tui.protocol.permits import permit_digest
from ama_tui.protocol.relayers import relayer_set_root

from .conftest import UNIT, Devnet

pytestmark = pytest.mark.devnet

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
PRICE = 4_400_000  # below the ALU book's (empty) ask side, on its 0.01 tick


def test_a_permit_signed_by_the_protocol_module_opens_a_session(devnet: Devnet) -> None:
    registry = devnet.registry
    nonce = registry.functions.metaNonce(devnet.trader).call()
    permit = devnet.permit(markets=[devnet.deployment.market("ALU-USD").market_id_bytes32], max_per_trade=123)
    signature = devnet.sign(permit)
    call = devnet.create_session_call(permit, signature)

    assert (
        "0x" + registry.functions.permitDigest(call.args[0]).call().hex()
        == "0x" + permit_digest(devnet.deployment.chain_id, devnet.deployment.registry, permit).hex()
    )
    returned = call.call({"from": devnet.relayer})
    assert "0x" + returned.hex() == permit.session_id

    receipt = devnet.send(devnet.relayer, call)
    (created,) = registry.events.SessionCreated().process_receipt(receipt, errors=DISCARD)
    assert "0x" + created["args"]["sessionId"].hex() == permit.session_id
    assert registry.functions.metaNonce(devnet.trader).call() == nonce + 1

    session = registry.functions.sessions(permit.session_id).call()
    trader, root, expiry, per_trade, per_session, used, bitmap, revoked = session
    assert trader == devnet.trader
    assert "0x" + root.hex() == devnet.deployment.relayer_set_root == relayer_set_root(devnet.relayers)
    assert (expiry, per_trade, per_session, used, revoked) == (permit.expiry, 123, 0, 0, False)
    assert "0x" + bitmap.hex() == permit.methods_bitmap


def test_a_permit_signed_by_another_key_is_rejected_as_bad_sig(devnet: Devnet) -> None:
    permit = devnet.permit()
    call = devnet.create_session_call(permit, devnet.sign(permit, devnet.pauper_key))
    reason = devnet.revert_reason(devnet.relayer, call)
    assert "bad_sig" in reason and classify(reason) is ErrorCode.BAD_SIG


def test_a_tampered_permit_is_rejected_as_bad_sig(devnet: Devnet) -> None:
    permit = devnet.permit()
    signature = devnet.sign(permit)
    tampered = permit.model_copy(update={"max_notional_per_trade": 10**12})
    reason = devnet.revert_reason(devnet.relayer, devnet.create_session_call(tampered, signature))
    assert classify(reason) is ErrorCode.BAD_SIG


def test_the_malleable_twin_of_a_valid_signature_is_rejected(devnet: Devnet) -> None:
    permit = devnet.permit()
    raw = bytes.fromhex(devnet.sign(permit)[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    twin = "0x" + (r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])).hex()  # 27 <-> 28
    assert classify(devnet.revert_reason(devnet.relayer, devnet.create_session_call(permit, twin))) is (
        ErrorCode.BAD_SIG
    )


def test_a_zero_or_one_v_signature_is_accepted(devnet: Devnet) -> None:
    permit = devnet.permit()
    raw = bytearray(bytes.fromhex(devnet.sign(permit)[2:]))
    raw[64] -= 27
    devnet.send(devnet.relayer, devnet.create_session_call(permit, "0x" + raw.hex()))
    assert devnet.registry.functions.sessions(permit.session_id).call()[0] == devnet.trader


def test_a_stale_nonce_is_rejected_as_bad_nonce(devnet: Devnet) -> None:
    used = devnet.registry.functions.metaNonce(devnet.trader).call() - 1  # the base state opened one session
    permit = devnet.permit(nonce=used)
    reason = devnet.revert_reason(devnet.relayer, devnet.create_session_call(permit, devnet.sign(permit)))
    assert "bad_nonce" in reason and classify(reason) is ErrorCode.BAD_NONCE


def test_a_replayed_permit_is_rejected_as_bad_nonce(devnet: Devnet) -> None:
    permit = devnet.permit()
    call = devnet.create_session_call(permit, devnet.sign(permit))
    devnet.send(devnet.relayer, call)
    assert classify(devnet.revert_reason(devnet.relayer, call)) is ErrorCode.BAD_NONCE


def test_an_expired_permit_is_rejected_as_expired(devnet: Devnet) -> None:
    permit = devnet.permit(expiry=devnet.now() - 1)
    reason = devnet.revert_reason(devnet.relayer, devnet.create_session_call(permit, devnet.sign(permit)))
    assert "expired" in reason and classify(reason) is ErrorCode.EXPIRED


def _place_call(
    devnet: Devnet, session_id: str, *, relayer: str | None = None, trader: str | None = None
) -> ContractFunction:
    return devnet.alu.functions.sessionPlaceMarginLimit(
        session_id, trader or devnet.trader, PRICE, UNIT, True, devnet.proof(relayer)
    )


def test_every_relayer_of_an_odd_sized_set_can_trade(devnet: Devnet) -> None:
    for relayer in devnet.relayers:
        devnet.send(relayer, _place_call(devnet, devnet.session_id, relayer=relayer))
    assert len(devnet.alu.functions.getUserOrders(devnet.trader).call()) == len(devnet.relayers)
    used = devnet.registry.functions.sessions(devnet.session_id).call()[5]
    assert used == 3 * PRICE  # notional6 of 1 unit at PRICE, three times


def test_a_relayer_outside_the_set_is_rejected(devnet: Devnet) -> None:
    with_member_proof = _place_call(devnet, devnet.session_id)
    reason = devnet.revert_reason(devnet.outsider, with_member_proof)
    assert "session_bad_relayer" in reason and classify(reason) is ErrorCode.SESSION_BAD_RELAYER
    no_proof = devnet.alu.functions.sessionPlaceMarginLimit(
        devnet.session_id, devnet.trader, PRICE, UNIT, True, []
    )
    assert classify(devnet.revert_reason(devnet.outsider, no_proof)) is ErrorCode.SESSION_BAD_RELAYER


def test_a_denied_method_is_rejected(devnet: Devnet) -> None:
    cancel_only = devnet.open_session(methods=MethodBit.CANCEL_ORDER)
    reason = devnet.revert_reason(devnet.relayer, _place_call(devnet, cancel_only))
    assert "session_method_denied" in reason and classify(reason) is ErrorCode.SESSION_METHOD_DENIED
    # a market order is checked for liquidity before the session (as in production)
    devnet.send(devnet.maker, devnet.alu.functions.placeMarginLimit(PRICE, UNIT, False))
    market = devnet.alu.functions.sessionPlaceMarginMarket(
        cancel_only, devnet.trader, UNIT, True, devnet.proof()
    )
    assert classify(devnet.revert_reason(devnet.relayer, market)) is ErrorCode.SESSION_METHOD_DENIED


def test_an_empty_market_list_allows_every_market(devnet: Devnet) -> None:
    anywhere = devnet.open_session(markets=[])
    devnet.send(devnet.relayer, _place_call(devnet, anywhere))


def test_another_traders_session_is_rejected_as_bad_trader(devnet: Devnet) -> None:
    reason = devnet.revert_reason(devnet.relayer, _place_call(devnet, devnet.session_id, trader=devnet.maker))
    assert reason == "execution reverted: session_bad_trader"
    assert classify(reason) is ErrorCode.SESSION_BAD_TRADER


def test_an_unknown_session_is_rejected(devnet: Devnet) -> None:
    reason = devnet.revert_reason(devnet.relayer, _place_call(devnet, "0x" + "ab" * 32))
    assert classify(reason) is ErrorCode.SESSION_UNKNOWN


def test_a_revoked_session_is_rejected_as_revoked(devnet: Devnet) -> None:
    devnet.send(devnet.trader, devnet.registry.functions.revokeSession(devnet.session_id, []))
    reason = devnet.revert_reason(devnet.relayer, _place_call(devnet, devnet.session_id))
    assert classify(reason) is ErrorCode.SESSION_REVOKED
    assert devnet.registry.functions.sessions(devnet.session_id).call()[7] is True


def test_a_relayer_of_the_set_may_revoke_a_session_and_an_outsider_may_not(devnet: Devnet) -> None:
    revoke = devnet.registry.functions.revokeSession
    outsider = revoke(devnet.session_id, devnet.proof())
    assert devnet.revert_reason(devnet.outsider, outsider) == "execution reverted: session_not_auth"
    unknown = revoke("0x" + "ab" * 32, devnet.proof())
    assert devnet.revert_reason(devnet.relayer, unknown) == "execution reverted: session_unknown"
    devnet.send(devnet.relayer, revoke(devnet.session_id, devnet.proof()))
    assert devnet.registry.functions.sessions(devnet.session_id).call()[7] is True


def test_a_revoked_session_id_can_be_opened_again_with_a_new_nonce(devnet: Devnet) -> None:
    permit = devnet.permit()
    devnet.send(devnet.relayer, devnet.create_session_call(permit, devnet.sign(permit)))
    again = permit.model_copy(update={"nonce": permit.nonce + 1})
    call = devnet.create_session_call(again, devnet.sign(again))
    assert devnet.revert_reason(devnet.relayer, call) == "execution reverted: session_exists"
    devnet.send(devnet.trader, devnet.registry.functions.revokeSession(permit.session_id, []))
    devnet.send(devnet.relayer, call)
    session = devnet.registry.functions.sessions(permit.session_id).call()
    assert (session[0], session[5], session[7]) == (devnet.trader, 0, False)


def test_a_session_past_its_expiry_is_rejected(devnet: Devnet) -> None:
    short = devnet.open_session(expiry=devnet.now() + 60)
    devnet.send(devnet.relayer, _place_call(devnet, short))
    devnet.w3.provider.make_request("evm_increaseTime", [120])  # type: ignore[arg-type]
    devnet.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    reason = devnet.revert_reason(devnet.relayer, _place_call(devnet, short))
    assert classify(reason) is ErrorCode.SESSION_EXPIRED


def test_notional_caps_per_trade_and_per_session(devnet: Devnet) -> None:
    capped = devnet.open_session(max_per_trade=PRICE, max_per_session=2 * PRICE)
    too_big = devnet.alu.functions.sessionPlaceMarginLimit(
        capped, devnet.trader, PRICE, 2 * UNIT, True, devnet.proof()
    )
    assert devnet.revert_reason(devnet.relayer, too_big) == "execution reverted: session_trade_cap"
    devnet.send(devnet.relayer, _place_call(devnet, capped))
    devnet.send(devnet.relayer, _place_call(devnet, capped))
    assert devnet.revert_reason(devnet.relayer, _place_call(devnet, capped)) == (
        "execution reverted: session_session_cap"
    )
    # a cancel has no notional, so it still goes through
    order_id = devnet.alu.functions.getUserOrders(devnet.trader).call()[0]
    cancel = devnet.alu.functions.sessionCancelOrder(capped, devnet.trader, order_id, devnet.proof())
    devnet.send(devnet.relayer, cancel)


def test_only_registered_order_books_can_charge_a_session(devnet: Devnet) -> None:
    charge = devnet.registry.functions.chargeSession(
        devnet.session_id, devnet.trader, 1, 0, devnet.relayer, devnet.proof()
    )
    assert devnet.revert_reason(devnet.relayer, charge) == "execution reverted: not_order_book"
