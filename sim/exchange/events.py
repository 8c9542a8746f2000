"""Exchange state records (fields named exactly like xttype's attributes) and the events the exchange emits."""
from __future__ import annotations

from dataclasses import dataclass

SECURITY_ACCOUNT = 2   # xtconstant.SECURITY_ACCOUNT

# xtconstant order status values
ORDER_UNREPORTED, ORDER_WAIT_REPORTING, ORDER_REPORTED = 48, 49, 50
ORDER_REPORTED_CANCEL, ORDER_PARTSUCC_CANCEL, ORDER_PART_CANCEL, ORDER_CANCELED = 51, 52, 53, 54
ORDER_PART_SUCC, ORDER_SUCCEEDED, ORDER_JUNK, ORDER_UNKNOWN = 55, 56, 57, 255
FINAL_STATUSES = frozenset({ORDER_PART_CANCEL, ORDER_CANCELED, ORDER_SUCCEEDED, ORDER_JUNK})
LIVE_STATUSES = frozenset({ORDER_UNREPORTED, ORDER_WAIT_REPORTING, ORDER_REPORTED, ORDER_REPORTED_CANCEL,
                           ORDER_PARTSUCC_CANCEL, ORDER_PART_SUCC})
CANCELABLE_STATUSES = frozenset({ORDER_UNREPORTED, ORDER_WAIT_REPORTING, ORDER_REPORTED, ORDER_PART_SUCC})

STOCK_BUY, STOCK_SELL = 23, 24
DIRECTION_FLAG_LONG = 48
OFFSET_FLAG_OPEN, OFFSET_FLAG_CLOSE = 48, 49


@dataclass(frozen=True, slots=True)
class OrderState:
    """Snapshot of an order; attributes as xttype.XtOrder."""
    account_type: int
    account_id: str
    stock_code: str
    order_id: int
    order_sysid: str
    order_time: int
    order_type: int
    order_volume: int
    price_type: int
    price: float
    traded_volume: int
    traded_price: float
    order_status: int
    status_msg: str
    strategy_name: str
    order_remark: str
    direction: int
    offset_flag: int
    secu_account: str
    instrument_name: str


@dataclass(frozen=True, slots=True)
class TradeState:
    """One fill; attributes as xttype.XtTrade (commission = all fees of the fill)."""
    account_type: int
    account_id: str
    order_type: int
    stock_code: str
    traded_id: str
    traded_time: int
    traded_price: float
    traded_volume: int
    traded_amount: float
    order_id: int
    order_sysid: str
    strategy_name: str
    order_remark: str
    direction: int
    offset_flag: int
    commission: float
    secu_account: str
    instrument_name: str


@dataclass(frozen=True, slots=True)
class PositionState:
    """A holding; attributes as xttype.XtPosition."""
    account_type: int
    account_id: str
    stock_code: str
    volume: int
    can_use_volume: int
    open_price: float
    market_value: float
    frozen_volume: int
    on_road_volume: int
    yesterday_volume: int
    avg_price: float
    direction: int
    last_price: float
    profit_rate: float
    secu_account: str
    instrument_name: str


@dataclass(frozen=True, slots=True)
class AssetState:
    """Account money; attributes as xttype.XtAsset."""
    account_type: int
    account_id: str
    cash: float
    frozen_cash: float
    market_value: float
    total_asset: float
    fetch_balance: float


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    order: OrderState


@dataclass(frozen=True, slots=True)
class TradeEvent:
    trade: TradeState


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    position: PositionState


@dataclass(frozen=True, slots=True)
class AssetUpdate:
    asset: AssetState


@dataclass(frozen=True, slots=True)
class OrderError:
    account_id: str
    order_id: int
    error_id: int
    error_msg: str
    strategy_name: str
    order_remark: str


@dataclass(frozen=True, slots=True)
class CancelError:
    account_id: str
    order_id: int
    market: int
    order_sysid: str
    error_id: int
    error_msg: str
