// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoreVault} from "./ICoreVault.sol";
import {ISessionRegistry} from "./ISessionRegistry.sol";

/// @title A central limit order book for one market, with price-time priority and partial fills.
/// @notice Speaks the production OrderBook ABI (views, session entry points, events). Relayers trade
/// for traders through the session entry points; any account may also trade for itself directly.
/// @dev Each side is a doubly-linked list of price levels, best first; each level is a FIFO
/// doubly-linked list of orders (`Order.nextOrderId` forward, `_prevOrderId` back), so placing at a
/// known level, cancelling and filling are O(1); a new level walks from the best price (or appends
/// at the worst). Matching fills at most MAX_FILLS_PER_ORDER resting orders per call.
contract OrderBook {
    struct Order {
        uint256 orderId;
        address trader;
        uint256 price;
        uint256 amount;
        bool isBuy;
        uint256 timestamp;
        uint256 nextOrderId;
        uint256 marginRequired;
        bool isMarginOrder;
    }

    struct PriceLevel {
        uint256 totalAmount;
        uint256 headOrderId;
        uint256 tailOrderId;
        uint256 better;
        uint256 worse;
        bool exists;
    }

    uint8 private constant PLACE_LIMIT = 0;
    uint8 private constant PLACE_MARGIN_LIMIT = 1;
    uint8 private constant PLACE_MARKET = 2;
    uint8 private constant PLACE_MARGIN_MARKET = 3;
    uint8 private constant MODIFY_ORDER = 4;
    uint8 private constant CANCEL_ORDER = 5;

    uint256 private constant AMOUNT_SCALE = 1e18;
    uint256 private constant BPS = 10_000;
    uint256 private constant SELL_MARGIN_BPS = 15_000;
    uint256 public constant MAX_FILLS_PER_ORDER = 50;

    ICoreVault public immutable vault;
    ISessionRegistry public immutable registry;
    bytes32 public immutable marketId;
    uint256 public immutable tickSize;
    uint256 public immutable marginRequirementBps;
    address public immutable leverageController;

    uint256 public bestBid;
    uint256 public bestAsk;
    uint256 public lastTradePrice;
    uint256 public totalTrades;
    uint256 public totalVolume;
    uint256 public activeBuyOrders;
    uint256 public activeSellOrders;

    uint256 private _worstBid;
    uint256 private _worstAsk;
    uint256 private _nextOrderId = 1;
    mapping(uint256 => Order) private _orders;
    mapping(uint256 => uint256) private _prevOrderId;
    mapping(uint256 => uint256) private _filledAmount;
    mapping(uint256 => PriceLevel) private _bidLevels;
    mapping(uint256 => PriceLevel) private _askLevels;
    mapping(address => uint256[]) private _userOrders;
    mapping(uint256 => uint256) private _userOrderSlot;

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

    function sessionPlaceLimit(
        bytes32 sessionId,
        address trader,
        uint256 price,
        uint256 amount,
        bool isBuy,
        bytes32[] calldata relayerProof
    ) external returns (uint256 orderId) {
        _charge(sessionId, trader, PLACE_LIMIT, _notional(price, amount), relayerProof);
        return _placeLimit(trader, price, amount, isBuy, false);
    }

    function sessionPlaceMarginMarket(
        bytes32 sessionId,
        address trader,
        uint256 amount,
        bool isBuy,
        bytes32[] calldata relayerProof
    ) external returns (uint256 filledAmount) {
        _charge(sessionId, trader, PLACE_MARGIN_MARKET, _quoteMarket(amount, isBuy), relayerProof);
        return _placeMarket(trader, amount, isBuy);
    }

    function sessionPlaceMarket(
        bytes32 sessionId,
        address trader,
        uint256 amount,
        bool isBuy,
        bytes32[] calldata relayerProof
    ) external returns (uint256 filledAmount) {
        _charge(sessionId, trader, PLACE_MARKET, _quoteMarket(amount, isBuy), relayerProof);
        return _placeMarket(trader, amount, isBuy);
    }

    function sessionModifyOrder(
        bytes32 sessionId,
        address trader,
        uint256 orderId,
        uint256 price,
        uint256 amount,
        bytes32[] calldata relayerProof
    ) external {
        _charge(sessionId, trader, MODIFY_ORDER, _notional(price, amount), relayerProof);
        _modify(trader, orderId, price, amount);
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
        return _placeMarket(msg.sender, amount, isBuy);
    }

    function modifyOrder(uint256 orderId, uint256 price, uint256 amount) external returns (uint256 newOrderId) {
        return _modify(msg.sender, orderId, price, amount);
    }

    function cancelOrder(uint256 orderId) external {
        _cancel(msg.sender, orderId);
    }

    // --- views ---------------------------------------------------------------------------------

    /// @notice A deleted (filled or cancelled) order comes back all zero, so `trader == address(0)`.
    function getOrder(uint256 orderId) external view returns (Order memory) {
        return _orders[orderId];
    }

    /// @notice The trader's resting order ids (unordered).
    function getUserOrders(address user) external view returns (uint256[] memory) {
        return _userOrders[user];
    }

    function getBestPrices() external view returns (uint256 bidPrice, uint256 askPrice) {
        return (bestBid, bestAsk);
    }

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

    function getActiveOrdersCount() external view returns (uint256 buyCount, uint256 sellCount) {
        return (activeBuyOrders, activeSellOrders);
    }

    /// @notice Aggregated depth, best level first, at most `levels` levels per side.
    function getOrderBookDepth(uint256 levels)
        external
        view
        returns (uint256[] memory bidPrices, uint256[] memory bidAmounts, uint256[] memory askPrices, uint256[] memory askAmounts)
    {
        (bidPrices, bidAmounts) = _depth(true, levels);
        (askPrices, askAmounts) = _depth(false, levels);
    }

    /// @notice Margin a resting order of this size reserves: floor(floor(amount*price/1e18) * bps / 1e4),
    /// bps = the market's requirement for a buy and 150 % for a sell.
    function marginFor(uint256 price, uint256 amount, bool isBuy) public view returns (uint256) {
        return _notional(price, amount) * (isBuy ? marginRequirementBps : SELL_MARGIN_BPS) / BPS;
    }

    // --- order lifecycle -----------------------------------------------------------------------

    function _charge(bytes32 sessionId, address trader, uint8 methodBit, uint256 notional6, bytes32[] calldata proof)
        private
    {
        registry.chargeSession(sessionId, trader, msg.sender, methodBit, notional6, marketId, proof);
    }

    function _placeLimit(address trader, uint256 price, uint256 amount, bool isBuy, bool isMargin)
        private
        returns (uint256 orderId)
    {
        require(price > 0, "invalid_price");
        require(amount > 0, "invalid_amount");
        require(price % tickSize == 0, "off_tick");
        orderId = _nextOrderId++;
        emit OrderPlaced(orderId, trader, price, amount, isBuy, isMargin);
        uint256 remaining = _match(trader, isBuy, amount, price, true);
        if (remaining < amount) {
            _filledAmount[orderId] = amount - remaining;
        }
        if (remaining > 0) {
            _rest(orderId, trader, price, remaining, isBuy, isMargin);
        }
    }

    function _placeMarket(address trader, uint256 amount, bool isBuy) private returns (uint256 filledAmount) {
        require(amount > 0, "invalid_amount");
        require((isBuy ? bestAsk : bestBid) != 0, "OB: no liq");
        return amount - _match(trader, isBuy, amount, 0, false);
    }

    function _modify(address trader, uint256 orderId, uint256 price, uint256 amount) private returns (uint256 newOrderId) {
        Order storage order = _orders[orderId];
        require(order.trader != address(0), "unknown_order");
        require(order.trader == trader, "not_order_owner");
        bool isBuy = order.isBuy;
        bool isMargin = order.isMarginOrder;
        _cancel(trader, orderId);
        newOrderId = _placeLimit(trader, price, amount, isBuy, isMargin);
        emit OrderModified(orderId, newOrderId, trader, price, amount);
    }

    function _cancel(address trader, uint256 orderId) private {
        Order storage order = _orders[orderId];
        address owner_ = order.trader;
        require(owner_ != address(0), "unknown_order");
        require(owner_ == trader, "not_order_owner");
        uint256 price = order.price;
        uint256 amount = order.amount;
        bool isBuy = order.isBuy;
        uint256 margin = order.marginRequired;
        _levels(isBuy)[price].totalAmount -= amount;
        _removeOrder(orderId, trader, price, isBuy);
        vault.releaseMargin(trader, margin);
        emit OrderCancelled(orderId, trader, price, amount, isBuy);
    }

    function _rest(uint256 orderId, address trader, uint256 price, uint256 amount, bool isBuy, bool isMargin) private {
        uint256 margin = marginFor(price, amount, isBuy);
        vault.reserveMargin(trader, margin);
        _orders[orderId] = Order({
            orderId: orderId,
            trader: trader,
            price: price,
            amount: amount,
            isBuy: isBuy,
            timestamp: block.timestamp,
            nextOrderId: 0,
            marginRequired: margin,
            isMarginOrder: isMargin
        });
        _appendToLevel(orderId, price, amount, isBuy);
        _userOrders[trader].push(orderId);
        _userOrderSlot[orderId] = _userOrders[trader].length;
        if (isBuy) {
            ++activeBuyOrders;
        } else {
            ++activeSellOrders;
        }
    }

    /// @dev Unlinks and deletes a resting order; the caller has already taken its amount off the level.
    function _removeOrder(uint256 orderId, address trader, uint256 price, bool isBuy) private {
        _unlink(orderId, price, isBuy);
        uint256[] storage list = _userOrders[trader];
        uint256 slot = _userOrderSlot[orderId];
        uint256 last = list[list.length - 1];
        if (last != orderId) {
            list[slot - 1] = last;
            _userOrderSlot[last] = slot;
        }
        list.pop();
        delete _userOrderSlot[orderId];
        delete _orders[orderId];
        if (isBuy) {
            --activeBuyOrders;
        } else {
            --activeSellOrders;
        }
    }

    // --- matching ------------------------------------------------------------------------------

    /// @dev Fills the head of the best opposite level until the order is done, the book no longer
    /// crosses the limit, or the fill budget is spent (a limit order then reverts rather than rest
    /// crossed; a market order keeps what it got). Returns the unfilled amount.
    function _match(address taker, bool takerIsBuy, uint256 amount, uint256 limitPrice, bool isLimit)
        private
        returns (uint256 remaining)
    {
        remaining = amount;
        uint256 fills = 0;
        while (remaining > 0) {
            uint256 levelPrice = takerIsBuy ? bestAsk : bestBid;
            if (levelPrice == 0) break;
            if (isLimit && (takerIsBuy ? levelPrice > limitPrice : levelPrice < limitPrice)) break;
            if (fills == MAX_FILLS_PER_ORDER) {
                require(!isLimit, "OB: max fills");
                break;
            }
            uint256 makerId = _levels(!takerIsBuy)[levelPrice].headOrderId;
            remaining -= _fillMaker(makerId, taker, takerIsBuy, remaining);
            ++fills;
        }
    }

    function _fillMaker(uint256 makerId, address taker, bool takerIsBuy, uint256 wanted) private returns (uint256 qty) {
        Order storage maker = _orders[makerId];
        uint256 price = maker.price;
        address makerTrader = maker.trader;
        uint256 release;
        {
            uint256 resting = maker.amount;
            qty = wanted < resting ? wanted : resting;
            uint256 left = resting - qty;
            uint256 marginLeft = marginFor(price, left, !takerIsBuy);
            release = maker.marginRequired - marginLeft;
            _filledAmount[makerId] += qty;
            _levels(!takerIsBuy)[price].totalAmount -= qty;
            if (left == 0) {
                _removeOrder(makerId, makerTrader, price, !takerIsBuy);
            } else {
                maker.amount = left;
                maker.marginRequired = marginLeft;
            }
        }
        vault.applyFill(makerTrader, !takerIsBuy, price, qty, release, marginRequirementBps, false);
        vault.applyFill(taker, takerIsBuy, price, qty, 0, marginRequirementBps, true);
        lastTradePrice = price;
        ++totalTrades;
        totalVolume += qty;
        if (takerIsBuy) {
            emit TradeExecutionCompleted(taker, makerTrader, price, qty);
        } else {
            emit TradeExecutionCompleted(makerTrader, taker, price, qty);
        }
    }

    /// @dev The notional a market order would trade right now, walking the book like `_match`.
    function _quoteMarket(uint256 amount, bool isBuy) private view returns (uint256 notional6) {
        mapping(uint256 => PriceLevel) storage levels = _levels(!isBuy);
        uint256 remaining = amount;
        uint256 fills = 0;
        uint256 price = isBuy ? bestAsk : bestBid;
        while (price != 0 && remaining > 0 && fills < MAX_FILLS_PER_ORDER) {
            uint256 id = levels[price].headOrderId;
            while (id != 0 && remaining > 0 && fills < MAX_FILLS_PER_ORDER) {
                uint256 resting = _orders[id].amount;
                uint256 qty = remaining < resting ? remaining : resting;
                notional6 += _notional(price, qty);
                remaining -= qty;
                ++fills;
                id = _orders[id].nextOrderId;
            }
            price = levels[price].worse;
        }
    }

    // --- price levels --------------------------------------------------------------------------

    function _levels(bool isBuy) private view returns (mapping(uint256 => PriceLevel) storage) {
        return isBuy ? _bidLevels : _askLevels;
    }

    function _appendToLevel(uint256 orderId, uint256 price, uint256 amount, bool isBuy) private {
        mapping(uint256 => PriceLevel) storage levels = _levels(isBuy);
        PriceLevel storage level = levels[price];
        if (!level.exists) {
            _insertLevel(levels, price, isBuy);
        }
        uint256 tail = level.tailOrderId;
        if (tail == 0) {
            level.headOrderId = orderId;
        } else {
            _orders[tail].nextOrderId = orderId;
            _prevOrderId[orderId] = tail;
        }
        level.tailOrderId = orderId;
        level.totalAmount += amount;
    }

    function _insertLevel(mapping(uint256 => PriceLevel) storage levels, uint256 price, bool isBuy) private {
        levels[price].exists = true;
        uint256 best = isBuy ? bestBid : bestAsk;
        if (best == 0) {
            _setBest(isBuy, price);
            _setWorst(isBuy, price);
            return;
        }
        if (_isBetter(price, best, isBuy)) {
            levels[price].worse = best;
            levels[best].better = price;
            _setBest(isBuy, price);
            return;
        }
        uint256 worst = isBuy ? _worstBid : _worstAsk;
        if (_isBetter(worst, price, isBuy)) {
            levels[price].better = worst;
            levels[worst].worse = price;
            _setWorst(isBuy, price);
            return;
        }
        // strictly between best and worst: the walk stops before the worst level
        uint256 cursor = best;
        while (_isBetter(levels[cursor].worse, price, isBuy)) {
            cursor = levels[cursor].worse;
        }
        uint256 next = levels[cursor].worse;
        levels[price].better = cursor;
        levels[price].worse = next;
        levels[cursor].worse = price;
        levels[next].better = price;
    }

    function _unlink(uint256 orderId, uint256 price, bool isBuy) private {
        mapping(uint256 => PriceLevel) storage levels = _levels(isBuy);
        PriceLevel storage level = levels[price];
        uint256 prev = _prevOrderId[orderId];
        uint256 next = _orders[orderId].nextOrderId;
        if (prev == 0) {
            level.headOrderId = next;
        } else {
            _orders[prev].nextOrderId = next;
        }
        if (next == 0) {
            level.tailOrderId = prev;
        } else {
            _prevOrderId[next] = prev;
        }
        delete _prevOrderId[orderId];
        if (level.headOrderId == 0) {
            _removeLevel(levels, price, isBuy);
        }
    }

    function _removeLevel(mapping(uint256 => PriceLevel) storage levels, uint256 price, bool isBuy) private {
        uint256 better = levels[price].better;
        uint256 worse = levels[price].worse;
        if (better == 0) {
            _setBest(isBuy, worse);
        } else {
            levels[better].worse = worse;
        }
        if (worse == 0) {
            _setWorst(isBuy, better);
        } else {
            levels[worse].better = better;
        }
        delete levels[price];
    }

    function _depth(bool isBuy, uint256 maxLevels)
        private
        view
        returns (uint256[] memory prices, uint256[] memory amounts)
    {
        mapping(uint256 => PriceLevel) storage levels = _levels(isBuy);
        uint256 best = isBuy ? bestBid : bestAsk;
        uint256 count = 0;
        for (uint256 cursor = best; cursor != 0 && count < maxLevels; cursor = levels[cursor].worse) {
            ++count;
        }
        prices = new uint256[](count);
        amounts = new uint256[](count);
        uint256 price = best;
        for (uint256 i = 0; i < count; ++i) {
            prices[i] = price;
            amounts[i] = levels[price].totalAmount;
            price = levels[price].worse;
        }
    }

    function _setBest(bool isBuy, uint256 price) private {
        if (isBuy) {
            bestBid = price;
        } else {
            bestAsk = price;
        }
    }

    function _setWorst(bool isBuy, uint256 price) private {
        if (isBuy) {
            _worstBid = price;
        } else {
            _worstAsk = price;
        }
    }

    function _isBetter(uint256 a, uint256 b, bool isBuy) private pure returns (bool) {
        return isBuy ? a > b : a < b;
    }

    function _notional(uint256 price, uint256 amount) private pure returns (uint256) {
        return amount * price / AMOUNT_SCALE;
    }
}
