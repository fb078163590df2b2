// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Owned} from "./Owned.sol";
import {ICoreVault} from "./ICoreVault.sol";

/// @title Collateral, order margin and positions for every market of the devnet.
/// @notice Collateral is bookkeeping in 6-decimal USDC units (no token): the owner, or a faucet the
/// owner names, credits it. Order books registered by the owner reserve margin for resting orders
/// and book fills; the vault derives the market from the calling book, so a book only ever touches
/// its own market. A market has no mark (0) until its book reports one after its first trade.
contract CoreVault is Owned, ICoreVault {
    struct Position {
        int256 size;
        uint256 entryPrice;
        uint256 marginLocked;
    }

    uint256 private constant AMOUNT_SCALE = 1e18;
    uint256 private constant BPS = 10_000;
    uint256 private constant SHORT_MARGIN_BPS = 15_000;

    mapping(address => uint256) public userCollateral;
    mapping(address => int256) public realizedPnl;
    mapping(address => uint256) public reservedMargin;
    mapping(address => uint256) public lockedMargin;
    mapping(address => mapping(bytes32 => uint256)) public reservedMarginByMarket;
    mapping(address => bytes32) public marketOfOrderBook;
    mapping(bytes32 => address) public orderBookOfMarket;
    mapping(address => bool) public isFaucet;
    mapping(address => mapping(bytes32 => Position)) private _positions;
    mapping(bytes32 => uint256) private _markPrice;

    event OrderBookRegistered(address indexed orderBook, bytes32 indexed marketId);
    event FaucetSet(address indexed faucet, bool allowed);
    event CollateralDeposited(address indexed user, uint256 amount6);
    event MarginReserved(address indexed user, bytes32 indexed marketId, uint256 amount6);
    event MarginReleased(address indexed user, bytes32 indexed marketId, uint256 amount6);
    event PositionUpdated(
        address indexed user,
        bytes32 indexed marketId,
        int256 size,
        uint256 entryPrice,
        uint256 marginLocked,
        int256 realizedPnlDelta
    );
    event MarkPriceSet(bytes32 indexed marketId, uint256 price6);

    /// @notice A zero margin reservation (production's `CoreVault.InvalidAmount`): an order whose
    /// margin rounds down to 0.
    error InvalidAmount();

    modifier onlyOrderBook() {
        require(marketOfOrderBook[msg.sender] != bytes32(0), "not_order_book");
        _;
    }

    // --- admin --------------------------------------------------------------------------------

    function registerOrderBook(address orderBook, bytes32 marketId) external onlyOwner {
        require(orderBook != address(0) && marketId != bytes32(0), "invalid_market");
        require(orderBookOfMarket[marketId] == address(0), "market_exists");
        marketOfOrderBook[orderBook] = marketId;
        orderBookOfMarket[marketId] = orderBook;
        emit OrderBookRegistered(orderBook, marketId);
    }

    function setFaucet(address faucet, bool allowed) external onlyOwner {
        isFaucet[faucet] = allowed;
        emit FaucetSet(faucet, allowed);
    }

    function setMarkPrice(bytes32 marketId, uint256 price6) external onlyOwner {
        _markPrice[marketId] = price6;
        emit MarkPriceSet(marketId, price6);
    }

    /// @notice Credit collateral out of thin air (the devnet has no token).
    function deposit(address user, uint256 amount6) external {
        require(msg.sender == owner || isFaucet[msg.sender], "not_faucet");
        userCollateral[user] += amount6;
        emit CollateralDeposited(user, amount6);
    }

    // --- views --------------------------------------------------------------------------------

    /// @notice Free collateral: deposits + realized PnL - position margin - order margin, floored at 0.
    /// @dev Declared non-view like production; it changes nothing, so read it with eth_call.
    function getAvailableCollateral(address user) external returns (uint256) {
        return availableCollateral(user);
    }

    function availableCollateral(address user) public view returns (uint256) {
        int256 equity = int256(userCollateral[user]) + realizedPnl[user];
        int256 committed = int256(lockedMargin[user] + reservedMargin[user]);
        return equity > committed ? uint256(equity - committed) : 0;
    }

    function getMarginSummary(address user)
        external
        view
        returns (uint256 collateral, int256 realized, uint256 locked, uint256 reserved, uint256 available)
    {
        return (userCollateral[user], realizedPnl[user], lockedMargin[user], reservedMargin[user], availableCollateral(user));
    }

    function getPositionSummary(address user, bytes32 marketId)
        external
        view
        returns (int256 size, uint256 entryPrice, uint256 marginLocked)
    {
        Position storage position = _positions[user][marketId];
        return (position.size, position.entryPrice, position.marginLocked);
    }

    /// @notice The mark the market's book last reported (its `calculateMarkPrice()` after a trade),
    /// or the owner's if set more recently; 0 on a market that never traded.
    function getMarkPrice(bytes32 marketId) external view returns (uint256) {
        return _markPrice[marketId];
    }

    // --- order books --------------------------------------------------------------------------

    function reserveMargin(address user, uint256 amount6) external onlyOrderBook {
        if (amount6 == 0) revert InvalidAmount();
        require(amount6 <= availableCollateral(user), "insufficient_collateral");
        bytes32 marketId = marketOfOrderBook[msg.sender];
        reservedMargin[user] += amount6;
        reservedMarginByMarket[user][marketId] += amount6;
        emit MarginReserved(user, marketId, amount6);
    }

    function releaseMargin(address user, uint256 amount6) external onlyOrderBook {
        _release(user, marketOfOrderBook[msg.sender], amount6);
    }

    /// @notice A book sets its own market's mark (after each trade, like production's books do).
    function updateMarkPrice(bytes32 marketId, uint256 price6) external onlyOrderBook {
        require(marketOfOrderBook[msg.sender] == marketId, "not_order_book");
        _markPrice[marketId] = price6;
        emit MarkPriceSet(marketId, price6);
    }

    /// @notice Book one side of a fill: free the order margin the filled part held, then move the
    /// position (closing first, at the fill price, realizing PnL; opening the rest with fresh margin).
    /// @dev Only the taker's new margin is checked against free collateral: a maker's released order
    /// margin always covers the margin its fill locks, and a maker must never block a match.
    function applyFill(
        address user,
        bool isBuy,
        uint256 price6,
        uint256 amount18,
        uint256 releaseReserved6,
        uint256 longMarginBps,
        bool isTaker
    ) external onlyOrderBook {
        bytes32 marketId = marketOfOrderBook[msg.sender];
        if (releaseReserved6 > 0) {
            _release(user, marketId, releaseReserved6);
        }
        Position storage position = _positions[user][marketId];
        int256 size = position.size;
        uint256 opening = amount18;
        int256 pnl = 0;
        if (size != 0 && (size > 0) != isBuy) {
            uint256 held = size > 0 ? uint256(size) : uint256(-size);
            uint256 closing = amount18 < held ? amount18 : held;
            pnl = _close(user, position, price6, closing, held);
            opening = amount18 - closing;
        }
        if (opening > 0) {
            uint256 bps = isBuy ? longMarginBps : SHORT_MARGIN_BPS;
            uint256 margin6 = (opening * price6 / AMOUNT_SCALE) * bps / BPS;
            if (isTaker) {
                require(margin6 <= availableCollateral(user), "insufficient_collateral");
            }
            _open(user, position, isBuy, price6, opening, margin6);
        }
        emit PositionUpdated(user, marketId, position.size, position.entryPrice, position.marginLocked, pnl);
    }

    function _close(address user, Position storage position, uint256 price6, uint256 closing, uint256 held)
        private
        returns (int256 pnl)
    {
        bool isLong = position.size > 0;
        int256 move = int256(price6) - int256(position.entryPrice);
        pnl = (isLong ? move : -move) * int256(closing) / int256(AMOUNT_SCALE);
        uint256 freed = closing == held ? position.marginLocked : position.marginLocked * closing / held;
        position.marginLocked -= freed;
        lockedMargin[user] -= freed;
        realizedPnl[user] += pnl;
        position.size = isLong ? position.size - int256(closing) : position.size + int256(closing);
        if (position.size == 0) {
            position.entryPrice = 0;
        }
    }

    function _open(address user, Position storage position, bool isBuy, uint256 price6, uint256 amount18, uint256 margin6)
        private
    {
        int256 size = position.size;
        uint256 held = size >= 0 ? uint256(size) : uint256(-size);
        position.entryPrice = (held * position.entryPrice + amount18 * price6) / (held + amount18);
        position.size = isBuy ? size + int256(amount18) : size - int256(amount18);
        position.marginLocked += margin6;
        lockedMargin[user] += margin6;
    }

    function _release(address user, bytes32 marketId, uint256 amount6) private {
        uint256 held = reservedMarginByMarket[user][marketId];
        uint256 freed = amount6 < held ? amount6 : held;
        reservedMarginByMarket[user][marketId] = held - freed;
        reservedMargin[user] -= freed;
        emit MarginReleased(user, marketId, freed);
    }
}
