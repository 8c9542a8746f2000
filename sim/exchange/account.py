"""Accounts, positions and live order records; money kept as integer milli-yuan (exact)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sim.exchange import events as E

MILLI = 1000


def to_milli(x: float) -> int:
    """Yuan -> integer milli-yuan (exact for prices with up to 3 decimals)."""
    return round(x * MILLI)


def from_milli(m: int) -> float:
    """Integer milli-yuan -> yuan float."""
    return m / MILLI


@dataclass(slots=True)
class Position:
    code: str
    volume: int = 0
    can_use: int = 0            # sellable now (already net of shares frozen in live sells)
    frozen: int = 0             # shares in live sell orders
    yesterday: int = 0
    cost_milli: int = 0         # total cost basis incl. buy fees
    touched: bool = True


@dataclass(slots=True)
class Order:
    order_id: int
    account_id: str
    code: str
    buy: bool
    volume: int
    req_price_type: int
    broker_price_type: int
    price_milli: int            # limit price (0 for pure market orders until converted)
    price_echo: float           # XtOrder.price
    time_s: int
    strategy: str
    remark: str
    name: str
    secu_account: str
    kind: str = "limit"         # limit | ioc5 | ioc | fok | best5_limit
    status: int = E.ORDER_UNREPORTED
    msg: str = ""
    sysid: str = ""
    traded: int = 0
    traded_milli: int = 0       # sum of price x volume of fills
    commission_milli: int = 0   # commission charged so far (minimum applies per order)
    frozen_milli: int = 0       # cash still frozen for this buy
    frozen_vol: int = 0         # shares still frozen for this sell
    queue_ahead: int | None = None   # shares ahead at the limit price (None = not resting yet)
    auction: bool = False       # entered during an auction phase, waits for the auction match
    protect_milli: int | None = None   # STAR market orders: protection price (no fills beyond it)

    @property
    def remaining(self) -> int:
        return self.volume - self.traded

    def state(self) -> E.OrderState:
        """Immutable XtOrder-shaped snapshot."""
        avg = (self.traded_milli / self.traded / MILLI) if self.traded else 0.0
        return E.OrderState(
            account_type=E.SECURITY_ACCOUNT, account_id=self.account_id, stock_code=self.code,
            order_id=self.order_id, order_sysid=self.sysid, order_time=self.time_s,
            order_type=E.STOCK_BUY if self.buy else E.STOCK_SELL, order_volume=self.volume,
            price_type=self.broker_price_type, price=self.price_echo, traded_volume=self.traded,
            traded_price=round(avg, 4), order_status=self.status, status_msg=self.msg,
            strategy_name=self.strategy, order_remark=self.remark, direction=E.DIRECTION_FLAG_LONG,
            offset_flag=E.OFFSET_FLAG_OPEN if self.buy else E.OFFSET_FLAG_CLOSE,
            secu_account=self.secu_account, instrument_name=self.name)


@dataclass(slots=True)
class Account:
    account_id: str
    cash_milli: int
    frozen_milli: int = 0
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    trades: list[E.TradeState] = field(default_factory=list)
    initial_milli: int = 0

    def secu_account(self, code: str) -> str:
        """Shareholder code per market (fake, stable per account)."""
        digits = "".join(ch for ch in self.account_id if ch.isdigit())[-9:].rjust(9, "0")
        mkt = code.rsplit(".", 1)[-1]
        return {"SH": "A" + digits, "SZ": "0" + digits, "BJ": "8" + digits}.get(mkt, digits)
