from __future__ import annotations

import json

import pytest

from ama_tui.protocol.errors import (
    MARKET_CLOSED,
    REMEDIES,
    SESSION_INVALID,
    TRANSIENT,
    ErrorCode,
    Remedy,
    classify,
    remedy,
)
from tests.conftest import TS_STATE_FIXTURE

TS_STATE = TS_STATE_FIXTURE


def test_reference_codes_exist() -> None:
    for value in (
        "bad_sig", "bad_nonce", "expired", "invalid_session_id", "session_unknown", "session_expired",
        "session_bad_relayer", "session_method_denied", "insufficient_collateral", "missing_price",
        "method not allowed", "replacement fee too low", "rate_limited", "unavailable", "no_liquidity",
        "invalid_price", "invalid_amount", "off_tick", "unknown_market", "unknown_order",
        "not_order_owner", "market_inactive",
    ):  # fmt: skip
        assert ErrorCode(value).value == value
    assert ErrorCode.METHOD_NOT_ALLOWED == "method not allowed"


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_classifies_from_an_api_body(code: ErrorCode) -> None:
    assert classify(json.dumps({"error": code.value})) is code
    assert classify({"error": code.value, "detail": 1}) is code
    assert classify(f"POST /api/gasless/trade failed: 400 {json.dumps({'error': code.value})}") is code


def test_longer_codes_are_not_mistaken_for_their_suffix() -> None:
    assert classify('{"error":"session_expired"}') is ErrorCode.SESSION_EXPIRED
    assert classify('{"error":"expired"}') is ErrorCode.EXPIRED
    assert classify("session_method_denied") is ErrorCode.SESSION_METHOD_DENIED


def test_observed_and_chain_failures() -> None:
    assert classify("execution reverted: OB: no liq") is ErrorCode.NO_LIQUIDITY
    assert classify("replacement transaction underpriced") is ErrorCode.REPLACEMENT_FEE_TOO_LOW
    assert classify(b"fetch failed") is ErrorCode.NETWORK_ERROR
    assert classify(ConnectionError("connect ECONNREFUSED 127.0.0.1:3000")) is ErrorCode.NETWORK_ERROR
    assert classify("Too Many Requests") is ErrorCode.RATE_LIMITED
    assert classify("relayer circuit breaker open") is ErrorCode.UNAVAILABLE


def test_status_is_a_fallback_only() -> None:
    assert classify("", status=429) is ErrorCode.RATE_LIMITED
    assert classify("{}", status=503) is ErrorCode.UNAVAILABLE
    assert classify('{"error":"bad_nonce"}', status=503) is ErrorCode.BAD_NONCE
    assert classify("something odd", status=500) is None
    assert classify(None) is None
    assert classify("all good") is None


def test_production_journal_errors() -> None:
    errors = [
        json.loads(line)["error"]
        for path in sorted(TS_STATE.glob("999/*/actions.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip() and json.loads(line).get("action") == "ERROR"
    ]
    codes = [classify(error) for error in errors]
    assert ErrorCode.REPLACEMENT_FEE_TOO_LOW in codes
    assert None not in codes
    for error, code in zip(errors, codes, strict=True):
        if "replacement fee too low" in error:
            assert code is ErrorCode.REPLACEMENT_FEE_TOO_LOW
        if error == "fetch failed":
            assert code is ErrorCode.NETWORK_ERROR
    assert ErrorCode.REPLACEMENT_FEE_TOO_LOW in TRANSIENT


def test_every_code_has_one_remedy() -> None:
    assert set(REMEDIES) == set(ErrorCode)
    assert remedy("session_revoked") is Remedy.NEW_SESSION and remedy("something_new") is None
    assert remedy(None) is None


@pytest.mark.parametrize(
    "code",
    [
        "session_unknown",
        "session_revoked",
        "session_expired",
        "session_bad_trader",
        "session_trade_cap",
        "session_session_cap",
        "session_method_denied",
        "session_bad_relayer",
        "session_orderbook_not_allowed",
    ],
)
def test_the_real_registrys_session_failures_open_a_new_session(code: str) -> None:
    assert ErrorCode(code) in SESSION_INVALID and remedy(code) is Remedy.NEW_SESSION


def test_a_mined_revert_is_not_transient() -> None:
    assert ErrorCode.TX_REVERTED not in TRANSIENT and remedy("tx_reverted") is Remedy.MINED_REVERT
    assert classify('{"error":"tx_reverted","txHash":"0x1"}') is ErrorCode.TX_REVERTED


def test_market_state_and_closed_markets() -> None:
    for code in ("ob_no_liquidity_for_market", "crosses_spot_liquidity", "order_not_found"):
        assert remedy(code) is Remedy.SKIP_ORDER
    assert {code.value for code in MARKET_CLOSED} >= {
        "ob_settled",
        "orderbook_not_deployed",
        "vault_market_not_assigned",
        "vault_market_assigned_to_other_orderbook",
        "vault_orderbook_role_missing",
        "margin_not_enabled",
    }
    assert classify("ob_no_liquidity_for_market") is ErrorCode.OB_NO_LIQUIDITY  # not "no liquidity"


def test_the_routes_spellings_classify() -> None:
    assert classify("diamond_missing_selector:sessionPlaceLimit") is ErrorCode.DIAMOND_MISSING_SELECTOR
    assert classify("invalid orderBook") is ErrorCode.INVALID_ORDER_BOOK_SPACED
    assert classify("invalid_orderBook") is ErrorCode.INVALID_ORDER_BOOK
    assert classify("rate_limit_exceeded") is ErrorCode.RATE_LIMITED
    assert classify("relay failed: timeout") is ErrorCode.UNAVAILABLE
    assert classify("server misconfigured") is ErrorCode.UNAVAILABLE
    assert ErrorCode.ALL_RELAYERS_INSUFFICIENT_FUNDS in TRANSIENT


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("execution reverted: InvalidAmount()", ErrorCode.ZERO_MARGIN),
        ("execution reverted: FunctionDoesNotExist()", ErrorCode.DIAMOND_MISSING_SELECTOR),
    ],
)
def test_the_contracts_custom_errors_classify(text: str, code: ErrorCode) -> None:
    """Reference section 7: dust reverts in the vault with `InvalidAmount()`; a diamond without the
    function reverts `FunctionDoesNotExist()`."""
    assert classify(text) is code
