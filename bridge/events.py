"""Plain events on the run-loop queue: what xtquant callbacks become after translation (no xtquant objects inside)."""
from __future__ import annotations

from dataclasses import dataclass, field

from bridge import xt_tables as T


@dataclass(frozen=True, slots=True)
class Quotes:
    """A whole-quote push {code: tick dict} (the dicts are the xtquant ones, read-only by convention)."""

    ticks: dict
    recv_ns: int = 0


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """XtOrder translated."""

    order_id: int
    sysid: str
    code: str
    side: str | None
    quantity: int
    price: float
    price_type: str
    status: str
    status_code: int
    filled: int
    avg_price: float
    msg: str
    remark: str
    strategy: str
    order_time: int

    @classmethod
    def of(cls, o) -> OrderUpdate:
        """From an xttype.XtOrder (real or sim)."""
        return cls(int(o.order_id), str(o.order_sysid or ""), o.stock_code,
                   T.side_of(o.order_type, getattr(o, "offset_flag", None)), int(o.order_volume), float(o.price),
                   T.BROKER_PRICE_TYPE.get(int(o.price_type), T.REQUEST_PRICE_TYPE_NAME.get(int(o.price_type), "other")),
                   T.status_name(o.order_status), int(o.order_status), int(o.traded_volume), float(o.traded_price or 0.0),
                   str(o.status_msg or ""), str(o.order_remark or ""), str(o.strategy_name or ""), int(o.order_time or 0))


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """XtTrade translated."""

    traded_id: str
    order_id: int
    sysid: str
    code: str
    side: str | None
    price: float
    quantity: int
    amount: float
    commission: float
    remark: str
    strategy: str
    traded_time: int

    @classmethod
    def of(cls, t) -> TradeUpdate:
        """From an xttype.XtTrade."""
        return cls(str(t.traded_id), int(t.order_id), str(t.order_sysid or ""), t.stock_code,
                   T.side_of(t.order_type, getattr(t, "offset_flag", None)), float(t.traded_price),
                   int(t.traded_volume), float(t.traded_amount or 0.0), float(getattr(t, "commission", 0.0) or 0.0),
                   str(t.order_remark or ""), str(t.strategy_name or ""), int(t.traded_time or 0))


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    """XtPosition translated."""

    code: str
    volume: int
    can_use: int
    avg_price: float
    market_value: float

    @classmethod
    def of(cls, p) -> PositionUpdate:
        """From an xttype.XtPosition."""
        return cls(p.stock_code, int(p.volume), int(p.can_use_volume), float(p.avg_price or p.open_price or 0.0),
                   float(p.market_value or 0.0))


@dataclass(frozen=True, slots=True)
class AssetUpdate:
    """XtAsset translated."""

    cash: float
    frozen_cash: float
    market_value: float
    total_asset: float

    @classmethod
    def of(cls, a) -> AssetUpdate:
        """From an xttype.XtAsset."""
        return cls(float(a.cash), float(a.frozen_cash), float(a.market_value), float(a.total_asset))


@dataclass(frozen=True, slots=True)
class OrderError:
    """XtOrderError translated (a reject, possibly before any order push)."""

    order_id: int
    error_id: int
    msg: str
    remark: str
    seq: int | None


@dataclass(frozen=True, slots=True)
class CancelError:
    """XtCancelError translated."""

    order_id: int
    sysid: str
    error_id: int
    msg: str


@dataclass(frozen=True, slots=True)
class OrderResponse:
    """on_order_stock_async_response: seq -> order id (order_id <= 0 means refused)."""

    seq: int
    order_id: int
    remark: str
    msg: str


@dataclass(frozen=True, slots=True)
class CancelResponse:
    """on_cancel_order_stock_async_response."""

    seq: int
    order_id: int
    sysid: str
    result: int
    msg: str


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """on_account_status."""

    status: int
    name: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    """on_disconnected (trader) or a detected market-data outage."""

    source: str       # trader / market
    session: int = 0


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One async query answered (orders / trades / positions / asset) for a reconcile round `tag`."""

    tag: int
    kind: str
    items: tuple = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Tick:
    """A timer tick (live mode: wall clock, once a second) so timeouts fire without market data."""

    now_ms: int
