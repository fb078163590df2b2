// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The resting side of an order book: orders, price levels and each trader's open order ids.
/// @notice Holds no money and knows no vault: the book that inherits it reserves and releases margin.
/// @dev Each side is a doubly-linked list of price levels, best first; each level is a FIFO
/// doubly-linked list of orders (`nextOrderId` forward, `prevOrderId` back, both in the `Order`
/// like production's 10-field struct), so resting at a known level, removing and shrinking are
/// O(1); a new level walks from the best price (or appends at the worst).
/// Storage is packed (`StoredOrder`, 3 slots; `PriceLevel`, 2) and `getOrder` answers the 10-field
/// struct: a resting order at a new price took ~17 slots as plain words, and anvil rebuilds the
/// whole state root every block, so a 50 x 6 pack made each later block ~10x dearer.
abstract contract BookLevels {
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
        uint256 prevOrderId;
    }

    /// @dev An order as stored. Prices and ids fit 64 bits, amounts and margins 128 (`_u64`,
    /// `_u128` refuse more rather than truncate).
    struct StoredOrder {
        address trader;
        uint64 timestamp;
        bool isBuy;
        bool isMarginOrder;
        uint64 price;
        uint128 amount;
        uint64 nextOrderId;
        uint128 marginRequired;
        uint64 prevOrderId;
    }

    struct PriceLevel {
        uint128 totalAmount;
        uint64 headOrderId;
        uint64 tailOrderId;
        uint64 better;
        uint64 worse;
        bool exists;
    }

    uint256 public bestBid;
    uint256 public bestAsk;
    uint256 public activeBuyOrders;
    uint256 public activeSellOrders;

    uint256 private _worstBid;
    uint256 private _worstAsk;
    mapping(uint256 => StoredOrder) internal _orders;
    mapping(uint256 => PriceLevel) private _bidLevels;
    mapping(uint256 => PriceLevel) private _askLevels;
    mapping(address => uint256[]) private _userOrders;
    mapping(uint256 => uint256) private _userOrderSlot;

    // --- views ---------------------------------------------------------------------------------

    /// @notice A deleted (filled or cancelled) order comes back all zero, so `trader == address(0)`.
    function getOrder(uint256 orderId) external view returns (Order memory order) {
        StoredOrder storage stored = _orders[orderId];
        if (stored.trader == address(0)) {
            return order;
        }
        order = Order({
            orderId: orderId,
            trader: stored.trader,
            price: stored.price,
            amount: stored.amount,
            isBuy: stored.isBuy,
            timestamp: stored.timestamp,
            nextOrderId: stored.nextOrderId,
            marginRequired: stored.marginRequired,
            isMarginOrder: stored.isMarginOrder,
            prevOrderId: stored.prevOrderId
        });
    }

    /// @notice The trader's resting order ids (unordered).
    function getUserOrders(address user) external view returns (uint256[] memory) {
        return _userOrders[user];
    }

    function getBestPrices() external view returns (uint256 bidPrice, uint256 askPrice) {
        return (bestBid, bestAsk);
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

    // --- orders --------------------------------------------------------------------------------

    /// @dev The first order in time at `price` on one side (0 when the level is empty).
    function _headOrderAt(bool isBuy, uint256 price) internal view returns (uint256) {
        return _levels(isBuy)[price].headOrderId;
    }

    /// @dev Rests a new margin order at the back of its price level.
    function _addOrder(uint256 orderId, address trader, uint256 price, uint256 amount, bool isBuy, uint256 margin)
        internal
    {
        uint64 id = _u64(orderId);
        uint64 priceKey = _u64(price);
        uint128 size = _u128(amount);
        mapping(uint256 => PriceLevel) storage levels = _levels(isBuy);
        PriceLevel storage level = levels[priceKey];
        if (!level.exists) {
            _insertLevel(levels, priceKey, isBuy);
        }
        uint64 tail = level.tailOrderId;
        _orders[orderId] = StoredOrder({
            trader: trader,
            timestamp: uint64(block.timestamp),
            isBuy: isBuy,
            isMarginOrder: true,
            price: priceKey,
            amount: size,
            nextOrderId: 0,
            marginRequired: _u128(margin),
            prevOrderId: tail
        });
        if (tail == 0) {
            level.headOrderId = id;
        } else {
            _orders[tail].nextOrderId = id;
        }
        level.tailOrderId = id;
        level.totalAmount += size;
        _userOrders[trader].push(orderId);
        _userOrderSlot[orderId] = _userOrders[trader].length;
        if (isBuy) {
            ++activeBuyOrders;
        } else {
            ++activeSellOrders;
        }
    }

    /// @dev Takes a filled part off a resting order and sets the margin its rest now holds.
    function _shrinkOrder(uint256 orderId, uint256 qty, uint256 margin) internal {
        StoredOrder storage order = _orders[orderId];
        uint128 taken = _u128(qty);
        order.amount -= taken;
        order.marginRequired = _u128(margin);
        _levels(order.isBuy)[order.price].totalAmount -= taken;
    }

    /// @dev Unlinks and deletes a resting order, with whatever amount it still had.
    function _removeOrder(uint256 orderId) internal {
        StoredOrder storage order = _orders[orderId];
        address trader = order.trader;
        bool isBuy = order.isBuy;
        uint256 price = order.price;
        mapping(uint256 => PriceLevel) storage levels = _levels(isBuy);
        PriceLevel storage level = levels[price];
        level.totalAmount -= order.amount;
        uint64 prev = order.prevOrderId;
        uint64 next = order.nextOrderId;
        if (prev == 0) {
            level.headOrderId = next;
        } else {
            _orders[prev].nextOrderId = next;
        }
        if (next == 0) {
            level.tailOrderId = prev;
        } else {
            _orders[next].prevOrderId = prev;
        }
        if (level.headOrderId == 0) {
            _removeLevel(levels, price, isBuy);
        }
        _dropUserOrder(trader, orderId);
        delete _orders[orderId];
        if (isBuy) {
            --activeBuyOrders;
        } else {
            --activeSellOrders;
        }
    }

    function _dropUserOrder(address trader, uint256 orderId) private {
        uint256[] storage list = _userOrders[trader];
        uint256 slot = _userOrderSlot[orderId];
        uint256 last = list[list.length - 1];
        if (last != orderId) {
            list[slot - 1] = last;
            _userOrderSlot[last] = slot;
        }
        list.pop();
        delete _userOrderSlot[orderId];
    }

    // --- price levels --------------------------------------------------------------------------

    function _levels(bool isBuy) private view returns (mapping(uint256 => PriceLevel) storage) {
        return isBuy ? _bidLevels : _askLevels;
    }

    function _insertLevel(mapping(uint256 => PriceLevel) storage levels, uint64 price, bool isBuy) private {
        levels[price].exists = true;
        uint64 best = uint64(isBuy ? bestBid : bestAsk); // best and worst were stored from uint64 prices
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
        uint64 worst = uint64(isBuy ? _worstBid : _worstAsk);
        if (_isBetter(worst, price, isBuy)) {
            levels[price].better = worst;
            levels[worst].worse = price;
            _setWorst(isBuy, price);
            return;
        }
        // strictly between best and worst: the walk stops before the worst level
        uint64 cursor = best;
        while (_isBetter(levels[cursor].worse, price, isBuy)) {
            cursor = levels[cursor].worse;
        }
        uint64 next = levels[cursor].worse;
        levels[price].better = cursor;
        levels[price].worse = next;
        levels[cursor].worse = price;
        levels[next].better = price;
    }

    function _removeLevel(mapping(uint256 => PriceLevel) storage levels, uint256 price, bool isBuy) private {
        uint64 better = levels[price].better;
        uint64 worse = levels[price].worse;
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

    function _u64(uint256 value) internal pure returns (uint64) {
        require(value <= type(uint64).max, "value_too_large");
        return uint64(value);
    }

    function _u128(uint256 value) internal pure returns (uint128) {
        require(value <= type(uint128).max, "value_too_large");
        return uint128(value);
    }
}
