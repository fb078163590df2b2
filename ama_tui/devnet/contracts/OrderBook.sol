// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BookLevels} from "./BookLevels.sol";
import {ICoreVault} from "./ICoreVault.sol";
import {ISessionRegistry} from "./ISessionRegistry.sol";

/// @title A central limit order book for one market, with price-time priority and partial fills.
/// @notice Speaks the production OrderBook ABI (views, session entry points, events) and behaves like
/// the production diamond where a client can tell (reference section 7): a taker's trades are logged
/// before its own `OrderPlaced`; a resting order of the taker's own trader is cancelled instead of
/// matched; a fresh market reads a 1.000000 placeholder as its last trade price and no mark in the
/// vault. Relayers trade for traders through the session entry points; any account may also trade
/// for itself directly. Only margin orders exist (the non-margin session calls are gone, as on
/// current deployments, and revert `FunctionDoesNotExist()`).
/// @dev An order is matched in two passes, like production: the walk takes from resting makers
/// (cancelling the taker's own orders on the way) and records the fills; then the fills are booked
/// in the vault and logged, the mark is refreshed, and only then is the taker's order logged (and its
/// rest put on the book). The walk stops after MAX_FILLS_PER_ORDER fills.
contract OrderBook is BookLevels {
    /// @dev One maker fill recorded by the walk: the maker's order is already updated on the book.
    struct Fill {
        address maker;
        uint256 price;
        uint256 amount;
        uint256 releasedMargin;
    }

    uint8 private constant PLACE_MARGIN_LIMIT = 1;
    uint8 private constant PLACE_MARGIN_MARKET = 3;
    uint8 private constant MODIFY_ORDER = 4;
    uint8 private constant CANCEL_ORDER = 5;

    uint256 private constant AMOUNT_SCALE = 1e18;
    uint256 private constant BPS = 10_000;
    uint256 private constant SELL_MARGIN_BPS = 15_000;
    /// @dev A placed order's up-front margin is priced on at least this amount (production's floor).
    uint256 private constant MIN_MARGIN_AMOUNT = 1e12;
    uint256 public constant MAX_FILLS_PER_ORDER = 50;
    /// @notice A market order fills no further than this from the best opposite price (5 %).
    uint256 public constant MAX_SLIPPAGE_BPS = 500;
    /// @notice What `lastTradePrice` reads before the first trade (no trade behind it).
    uint256 public constant INITIAL_LAST_TRADE_PRICE = 1_000_000;

    ICoreVault public immutable vault;
    ISessionRegistry public immutable registry;
    bytes32 public immutable marketId;
    uint256 public immutable tickSize;
    uint256 public immutable marginRequirementBps;
    address public immutable leverageController;

    uint256 public lastTradePrice = INITIAL_LAST_TRADE_PRICE;
    uint256 public totalTrades;
    uint256 public totalVolume;

    uint256 private _previousTradePrice;
    uint256 private _nextOrderId = 1;
    mapping(uint256 => uint256) private _filledAmount;

    error FunctionDoesNotExist();

    event OrderPlaced(
        uint256 indexed orderId, address indexed trader, uint256 price, uint256 amount, bool isBuy, bool isMarginOrder
    );
    event OrderCancelled(uint256 indexed orderId, address indexed trader, uint256 price, uint256 amount, bool isBuy);
    event OrderModified(
        uint256 indexed oldOrderId, uint256 indexed newOrderId, address indexed trader, uint256 newPrice, uint256 newAmount
    );
    event TradeExecutionCompleted(address indexed buyer, address indexed seller, uint256 price, uint256 amount);

    constructor(address vault_, address registry_, bytes32 marketId_, uint256 tickSize_, uint256 marginBps_) {
        require(vault_ != address(0) && registry_ != address(0), "zero_address");
        require(marketId_ != bytes32(0), "invalid_market");
        require(tickSize_ > 0, "invalid_tick");
        require(marginBps_ > 0, "invalid_margin");
        vault = ICoreVault(vault_);
        registry = ISessionRegistry(registry_);
        marketId = marketId_;
        tickSize = tickSize_;
        marginRequirementBps = marginBps_;
        leverageController = msg.sender;
    }

    /// @notice Any selector the book does not have (e.g. the removed `sessionPlaceLimit`), like the
    /// production diamond's fallback.
    fallback() external {
        revert FunctionDoesNotExist();
    }

    // --- session entry points (called by a relayer for a trader) -------------------------------

    function sessionPlaceMarginLimit(
        bytes32 sessionId,
        address trader,
        uint256 price,
        uint256 amount,
        bool isBuy,
        bytes32[] calldata relayerProof
    ) external returns (uint256 orderId) {
        _charge(sessionId, trader, PLACE_MARGIN_LIMIT, _notional(price, amount), relayerProof);
        return _placeLimit(trader, price, amount, isBuy, true);
    }

    /// @notice Charges the session `amount` at the best opposite price (not the walked fills).
    function sessionPlaceMarginMarket(
        bytes32 sessionId,
        address trader,
        uint256 amount,
        bool isBuy,
        bytes32[] calldata relayerProof
    ) external returns (uint256 filledAmount) {
        uint256 best = isBuy ? bestAsk : bestBid;
        require(best != 0, "OB: no liq");
        _charge(sessionId, trader, PLACE_MARGIN_MARKET, _notional(best, amount), relayerProof);
        return _placeMarket(trader, amount, isBuy);
    }

    function sessionModifyOrder(
        bytes32 sessionId,
        address trader,
        uint256 orderId,
        uint256 price,
        uint256 amount,
        bytes32[] calldata relayerProof
    ) external returns (uint256 newOrderId) {
        _charge(sessionId, trader, MODIFY_ORDER, _notional(price, amount), relayerProof);
        return _modify(trader, orderId, price, amount);
    }

    function sessionCancelOrder(bytes32 sessionId, address trader, uint256 orderId, bytes32[] calldata relayerProof)
        external
    {
        _charge(sessionId, trader, CANCEL_ORDER, 0, relayerProof);
        _cancel(trader, orderId);
    }

    // --- direct entry points (the sender trades for itself) ------------------------------------

    function placeMarginLimit(uint256 price, uint256 amount, bool isBuy) external returns (uint256 orderId) {
        return _placeLimit(msg.sender, price, amount, isBuy, true);
    }

    function placeMarginMarket(uint256 amount, bool isBuy) external returns (uint256 filledAmount) {
        require((isBuy ? bestAsk : bestBid) != 0, "OB: no liq");
        return _placeMarket(msg.sender, amount, isBuy);
    }

    function modifyOrder(uint256 orderId, uint256 price, uint256 amount) external returns (uint256 newOrderId) {
        return _modify(msg.sender, orderId, price, amount);
    }

    function cancelOrder(uint256 orderId) external {
        _cancel(msg.sender, orderId);
    }

    // --- views ---------------------------------------------------------------------------------

    /// @notice How much of a resting order makers' fills took (a taker's own crossing part is not
    /// counted, as in production).
    function getFilledAmount(uint256 orderId) external view returns (uint256) {
        return _filledAmount[orderId];
    }

    function getUserPosition(address user) external view returns (int256 size) {
        (size,,) = vault.getPositionSummary(user, marketId);
    }

    function marketStatic() external view returns (address, bytes32, bool, uint256) {
        return (address(vault), marketId, false, 0);
    }

    function getLeverageInfo() external view returns (bool enabled, uint256 maxLev, uint256 marginReq, address controller) {
        return (marginRequirementBps < BPS, BPS / marginRequirementBps, marginRequirementBps, leverageController);
    }

    /// @notice Margin a resting order of this size reserves: floor(floor(amount*price/1e18) * bps / 1e4),
    /// bps = the market's requirement for a buy and 150 % for a sell.
    function marginFor(uint256 price, uint256 amount, bool isBuy) public view returns (uint256) {
        return _notional(price, amount) * (isBuy ? marginRequirementBps : SELL_MARGIN_BPS) / BPS;
    }

    /// @notice The book's mark (production's non-VWAP rule, as `marketStatic` says useVWAP = false):
    /// the mid when both sides exist; else the mean of the last two trade prices once there were two
    /// trades, else the last trade price (the 1.000000 placeholder on a market that never traded).
    function calculateMarkPrice() public view returns (uint256) {
        uint256 bid = bestBid;
        uint256 ask = bestAsk;
        if (bid != 0 && ask != 0) {
            return _midpoint(bid, ask);
        }
        if (totalTrades >= 2) {
            return _midpoint(lastTradePrice, _previousTradePrice);
        }
        return lastTradePrice;
    }

    // --- order lifecycle -----------------------------------------------------------------------

    function _charge(bytes32 sessionId, address trader, uint8 methodBit, uint256 notional6, bytes32[] calldata proof)
        private
    {
        registry.chargeSession(sessionId, trader, methodBit, notional6, msg.sender, proof);
    }

    /// @dev Reserves the whole order's margin up front (the vault reverts `InvalidAmount()` when it
    /// rounds to 0), matches, keeps only what the rest needs, books the fills, rests the rest, and
    /// logs `OrderPlaced` with the amount left resting (0 when the order filled completely).
    function _placeLimit(address trader, uint256 price, uint256 amount, bool isBuy, bool floorMargin)
        private
        returns (uint256 orderId)
    {
        require(price > 0, "invalid_price");
        require(amount > 0, "invalid_amount");
        require(price % tickSize == 0, "off_tick");
        orderId = _nextOrderId++;
        uint256 reserved =
            marginFor(price, floorMargin && amount < MIN_MARGIN_AMOUNT ? MIN_MARGIN_AMOUNT : amount, isBuy);
        vault.reserveMargin(trader, reserved);
        (Fill[] memory fills, uint256 count, uint256 remaining) = _walk(trader, isBuy, amount, price, true);
        uint256 restMargin = remaining == 0 ? 0 : marginFor(price, remaining, isBuy);
        if (reserved > restMargin) {
            vault.releaseMargin(trader, reserved - restMargin);
        }
        _book(trader, isBuy, fills, count);
        if (remaining > 0) {
            _addOrder(orderId, trader, price, remaining, isBuy, restMargin);
        }
        emit OrderPlaced(orderId, trader, price, remaining, isBuy, true);
    }

    /// @dev Fills within MAX_SLIPPAGE_BPS of the best opposite price; logs `OrderPlaced` with that
    /// bound as its price and the filled amount (the order never rests). The caller checked liquidity.
    function _placeMarket(address trader, uint256 amount, bool isBuy) private returns (uint256 filledAmount) {
        require(amount > 0, "invalid_amount");
        uint256 bound = isBuy
            ? bestAsk * (BPS + MAX_SLIPPAGE_BPS) / BPS
            : bestBid * (BPS - MAX_SLIPPAGE_BPS) / BPS;
        uint256 orderId = _nextOrderId++;
        (Fill[] memory fills, uint256 count, uint256 remaining) = _walk(trader, isBuy, amount, bound, false);
        _book(trader, isBuy, fills, count);
        filledAmount = amount - remaining;
        emit OrderPlaced(orderId, trader, bound, filledAmount, isBuy, true);
    }

    /// @dev Cancels and places anew on the same side (a new id, the back of its level). The new
    /// order's margin has no minimum-amount floor, as in production.
    function _modify(address trader, uint256 orderId, uint256 price, uint256 amount) private returns (uint256 newOrderId) {
        bool isBuy = _ownOrder(trader, orderId).isBuy;
        _cancelResting(orderId);
        newOrderId = _placeLimit(trader, price, amount, isBuy, false);
        emit OrderModified(orderId, newOrderId, trader, price, amount);
    }

    function _cancel(address trader, uint256 orderId) private {
        _ownOrder(trader, orderId);
        _cancelResting(orderId);
    }

    function _ownOrder(address trader, uint256 orderId) private view returns (StoredOrder storage order) {
        order = _orders[orderId];
        require(order.trader != address(0), "unknown_order");
        require(order.trader == trader, "not_order_owner");
    }

    /// @dev Takes a resting order off the book, frees its margin and logs `OrderCancelled`.
    function _cancelResting(uint256 orderId) private {
        StoredOrder storage order = _orders[orderId];
        address trader = order.trader;
        uint256 price = order.price;
        uint256 amount = order.amount;
        bool isBuy = order.isBuy;
        uint256 margin = order.marginRequired;
        _removeOrder(orderId);
        vault.releaseMargin(trader, margin);
        emit OrderCancelled(orderId, trader, price, amount, isBuy);
    }

    // --- matching ------------------------------------------------------------------------------

    /// @dev Pass one: take from the head of the best opposite level while the order has amount left
    /// and the level is within `limitPrice`. A resting order of the taker's own trader is cancelled
    /// and skipped (self-trade prevention). After MAX_FILLS_PER_ORDER fills a market order keeps what
    /// it got; a limit order that would still cross reverts rather than rest crossed.
    function _walk(address taker, bool takerIsBuy, uint256 amount, uint256 limitPrice, bool isLimit)
        private
        returns (Fill[] memory fills, uint256 count, uint256 remaining)
    {
        fills = new Fill[](MAX_FILLS_PER_ORDER);
        remaining = amount;
        while (remaining > 0) {
            uint256 levelPrice = takerIsBuy ? bestAsk : bestBid;
            if (levelPrice == 0 || (takerIsBuy ? levelPrice > limitPrice : levelPrice < limitPrice)) break;
            if (count == MAX_FILLS_PER_ORDER) {
                require(!isLimit, "OB: max fills");
                break;
            }
            uint256 makerId = _headOrderAt(!takerIsBuy, levelPrice);
            if (_orders[makerId].trader == taker) {
                _cancelResting(makerId);
                continue;
            }
            Fill memory fill = _takeFrom(makerId, remaining);
            fills[count++] = fill;
            remaining -= fill.amount;
        }
    }

    /// @dev Fills up to `wanted` of one maker order on the book (shrinking or removing it) and
    /// returns the fill, with the order margin the filled part no longer needs.
    function _takeFrom(uint256 makerId, uint256 wanted) private returns (Fill memory fill) {
        StoredOrder storage maker = _orders[makerId];
        uint256 resting = maker.amount;
        uint256 qty = wanted < resting ? wanted : resting;
        uint256 marginLeft = marginFor(maker.price, resting - qty, maker.isBuy);
        fill = Fill({maker: maker.trader, price: maker.price, amount: qty, releasedMargin: maker.marginRequired - marginLeft});
        _filledAmount[makerId] += qty;
        if (qty == resting) {
            _removeOrder(makerId);
        } else {
            _shrinkOrder(makerId, qty, marginLeft);
        }
    }

    /// @dev Pass two: book every fill in the vault (maker, then taker), log the trades, then set
    /// the last trade price and refresh the vault's mark from `calculateMarkPrice()`.
    function _book(address taker, bool takerIsBuy, Fill[] memory fills, uint256 count) private {
        if (count == 0) {
            return;
        }
        uint256 bps = marginRequirementBps;
        uint256 volume = 0;
        uint256 previous = lastTradePrice;
        uint256 last = previous;
        for (uint256 i = 0; i < count; ++i) {
            Fill memory fill = fills[i];
            vault.applyFill(fill.maker, !takerIsBuy, fill.price, fill.amount, fill.releasedMargin, bps, false);
            vault.applyFill(taker, takerIsBuy, fill.price, fill.amount, 0, bps, true);
            (previous, last) = (last, fill.price);
            volume += fill.amount;
            if (takerIsBuy) {
                emit TradeExecutionCompleted(taker, fill.maker, fill.price, fill.amount);
            } else {
                emit TradeExecutionCompleted(fill.maker, taker, fill.price, fill.amount);
            }
        }
        _previousTradePrice = previous;
        lastTradePrice = last;
        totalTrades += count;
        totalVolume += volume;
        vault.updateMarkPrice(marketId, calculateMarkPrice());
    }

    function _notional(uint256 price, uint256 amount) private pure returns (uint256) {
        return amount * price / AMOUNT_SCALE;
    }

    /// @dev (a + b) / 2 rounded half up, without overflow.
    function _midpoint(uint256 a, uint256 b) private pure returns (uint256) {
        return a / 2 + b / 2 + (a % 2 + b % 2) / 2;
    }
}
