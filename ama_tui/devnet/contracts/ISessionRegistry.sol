// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What an order book asks of the session registry: authorise and meter one trade.
interface ISessionRegistry {
    function chargeSession(
        bytes32 sessionId,
        address trader,
        uint8 methodBit,
        uint256 notional6,
        address relayer,
        bytes32[] calldata relayerProof
    ) external;
}
