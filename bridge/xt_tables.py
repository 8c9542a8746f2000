"""xtquant translation tables as module constants (values from xtquant 250807 xtconstant; tested exhaustively)."""
from __future__ import annotations

# ---------------------------------------------------------------- order status (xtconstant.ORDER_*)
# Names match signals_db.status (orders.status column).
ORDER_STATUS: dict[int, str] = {
    48: "unreported",        # ORDER_UNREPORTED 未报
    49: "wait_reporting",    # ORDER_WAIT_REPORTING 待报
    50: "reported",          # ORDER_REPORTED 已报
    51: "reported_cancel",   # ORDER_REPORTED_CANCEL 已报待撤 (still live)
    52: "partsucc_cancel",   # ORDER_PARTSUCC_CANCEL 部成待撤 (still live)
    53: "part_cancel",       # ORDER_PART_CANCEL 部撤 (final)
    54: "canceled",          # ORDER_CANCELED 已撤 (final)
    55: "part_succ",         # ORDER_PART_SUCC 部成
    56: "succeeded",         # ORDER_SUCCEEDED 已成 (final)
    57: "junk",              # ORDER_JUNK 废单 (final, reason in status_msg)
    255: "unknown",          # ORDER_UNKNOWN 未知: outcome unknown, reconcile before acting
}
# Statuses an order can still trade or be cancelled in.
LIVE_STATUS: frozenset[int] = frozenset({48, 49, 50, 51, 52, 55})
FINAL_STATUS: frozenset[int] = frozenset({53, 54, 56, 57})
UNKNOWN_STATUS: frozenset[int] = frozenset({255})
CANCEL_PENDING_STATUS: frozenset[int] = frozenset({51, 52})

# Local statuses that never come from the broker.
LOCAL_STATUSES = ("created", "sent", "rejected", "lost")
FINAL_NAMES: frozenset[str] = frozenset({ORDER_STATUS[s] for s in FINAL_STATUS} | {"rejected", "lost"})
LIVE_NAMES: frozenset[str] = frozenset({ORDER_STATUS[s] for s in LIVE_STATUS} | {"created", "sent", "unknown"})

# ---------------------------------------------------------------- side (xtconstant.STOCK_BUY / STOCK_SELL)
SIDE_TO_ORDER_TYPE: dict[str, int] = {"buy": 23, "sell": 24}
ORDER_TYPE_TO_SIDE: dict[int, str] = {23: "buy", 24: "sell"}
# XtOrder/XtTrade.offset_flag / direction for stocks (xtconstant.DIRECTION_FLAG_BUY / _SELL)
DIRECTION_TO_SIDE: dict[int, str] = {48: "buy", 49: "sell"}

# ---------------------------------------------------------------- price type of a REQUEST (order_stock*)
# Our names -> xtconstant request value, per exchange (market orders differ between SH/BJ and SZ).
PRICE_TYPE_REQUEST: dict[tuple[str, str], int] = {
    ("limit", "SH"): 11, ("limit", "SZ"): 11, ("limit", "BJ"): 11,          # FIX_PRICE
    ("latest", "SH"): 5, ("latest", "SZ"): 5, ("latest", "BJ"): 5,          # LATEST_PRICE
    ("market_peer", "SH"): 44, ("market_peer", "SZ"): 44, ("market_peer", "BJ"): 44,   # MARKET_PEER_PRICE_FIRST
    ("market_mine", "SH"): 45, ("market_mine", "SZ"): 45, ("market_mine", "BJ"): 45,   # MARKET_MINE_PRICE_FIRST
    ("market_5_cancel", "SH"): 42, ("market_5_cancel", "BJ"): 42,            # MARKET_SH_CONVERT_5_CANCEL
    ("market_5_cancel", "SZ"): 47,                                           # MARKET_SZ_CONVERT_5_CANCEL
    ("market_5_limit", "SH"): 43, ("market_5_limit", "BJ"): 43,              # MARKET_SH_CONVERT_5_LIMIT
    ("market_ioc", "SZ"): 46,                                                # MARKET_SZ_INSTBUSI_RESTCANCEL
    ("market_fok", "SZ"): 48,                                                # MARKET_SZ_FULL_OR_CANCEL
}
# Request price-type values that are futures-only and never sent for stocks/ETFs.
FUTURES_ONLY_PRICE_TYPES: frozenset[int] = frozenset({18, 19, 20, 21, 22, 23, 24})
# Every request value -> our name (for logs/DB of what we sent).
REQUEST_PRICE_TYPE_NAME: dict[int, str] = {v: k[0] for k, v in PRICE_TYPE_REQUEST.items()}

# ---------------------------------------------------------------- price type in PUSHES (broker enum EBrokerPriceType)
# XtOrder.price_type in callbacks/queries is the broker's enum, not the request value.
BROKER_PRICE_TYPE: dict[int, str] = {
    49: "market",            # BROKER_PRICE_ANY 市价
    50: "limit",             # BROKER_PRICE_LIMIT 限价
    51: "best",              # BROKER_PRICE_BEST 最优价
    84: "market_peer",       # BROKER_PRICE_PROP_PEER_PRICE_FIRST 对手方最优
    85: "market_5_limit",    # BROKER_PRICE_PROP_L5_FIRST_LIMITPX 最优五档剩转限价
    86: "market_mine",       # BROKER_PRICE_PROP_MIME_PRICE_FIRST 本方最优
    87: "market_ioc",        # BROKER_PRICE_PROP_INSTBUSI_RESTCANCEL 即时成交剩余撤销
    88: "market_5_cancel",   # BROKER_PRICE_PROP_L5_FIRST_CANCEL 最优五档剩余撤销
    89: "market_fok",        # BROKER_PRICE_PROP_FULL_REAL_CANCEL 全额成交或撤销
}

# ---------------------------------------------------------------- markets (cancel_order_stock_sysid)
MARKET_OF_SUFFIX: dict[str, int] = {"SH": 0, "SZ": 1, "BJ": 70}   # SH_MARKET, SZ_MARKET, MARKET_ENUM_BEIJING

# ---------------------------------------------------------------- account status (xtconstant.ACCOUNT_STATUS_*)
ACCOUNT_STATUS: dict[int, str] = {
    -1: "invalid", 0: "ok", 1: "waiting_login", 2: "logging_in", 3: "failed", 4: "initing",
    5: "correcting", 6: "closed", 7: "assis_fail", 8: "disabled_by_sys", 9: "disabled_by_user",
}
ACCOUNT_TRADABLE: frozenset[int] = frozenset({0})


def status_name(status: int) -> str:
    """Our name for an xtquant order_status; unmapped values become 'unknown' (reconcile, never guess)."""
    return ORDER_STATUS.get(int(status), "unknown")


def side_of(order_type: int, offset_flag: int | None = None) -> str | None:
    """'buy'/'sell' from XtOrder.order_type (23/24), falling back to offset_flag (48/49); None if neither."""
    side = ORDER_TYPE_TO_SIDE.get(int(order_type)) if order_type is not None else None
    if side is None and offset_flag is not None:
        side = DIRECTION_TO_SIDE.get(int(offset_flag))
    return side


def request_price_type(kind: str, code: str) -> int:
    """xtconstant request price type for our kind ('limit', 'market_5_cancel', ...) on the code's exchange."""
    market = code.rpartition(".")[2]
    try:
        return PRICE_TYPE_REQUEST[(kind, market)]
    except KeyError:
        raise ValueError(f"price type {kind!r} is not available on market {market!r} for {code}") from None


def market_of(code: str) -> int:
    """xtconstant market enum (0 SH, 1 SZ, 70 BJ) of a code."""
    return MARKET_OF_SUFFIX[code.rpartition(".")[2]]
