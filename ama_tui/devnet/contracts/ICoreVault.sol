// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What an order book asks of the vault: hold margin for resting orders, book fills and
/// keep the market's mark.
interface ICoreVault {
    function reserveMargin(address user, uint256 amount6) external;

    function releaseMargin(address user, uint256 amount6) external;

    function applyFill(
        address user,
        bool isBuy,
        uint256 price6,
        uint256 amount18,
        uint256 releaseReserved6,
        uint256 longMarginBps,
        bool isTaker
    ) external;

    function updateMarkPrice(bytes32 marketId, uint256 price6) external;

    function getPositionSummary(address user, bytes32 marketId)
        external
        view
        returns (int256 size, uint256 entryPrice, uint256 marginLocked);
}
