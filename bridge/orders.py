"""Order manager: intents -> checked limit orders (lots, ticks, cage, limit band, cash, T+1) and the order state machine."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bridge import xt_tables as T
from qmt_strategies import ashare

# Forward-only rank of a status (same order as signals_db.status, plus the local 'sent' and 'lost').
RANK: dict[str, int] = {
    "created": 0, "sent": 3, "unknown": 5, "unreported": 10, "wait_reporting": 20, "reported": 30,
    "part_succ": 40, "reported_cancel": 50, "partsucc_cancel": 55,
    "part_cancel": 90, "canceled": 90, "succeeded": 90, "junk": 90, "rejected": 90, "lost": 90,
}
FINAL = T.FINAL_NAMES
BUY_FEE_RATE = 0.0003          # commission + transfer, conservative, for the cash check
MIN_FEE = 5.0


@dataclass(slots=True)
class Order:
    """One order we own, keyed by client_id (sent to the broker as order_remark)."""

    client_id: str
    strategy: str
    code: str
    side: str
    price: float
    quantity: int
    kind: str = "entry"             # entry / exit / manual
    signal_id: str = ""
    reason: str = ""
    created_ms: int = 0
    status: str = "created"
    seq: int | None = None
    order_id: int | None = None
    sysid: str = ""
    filled: int = 0
    avg_price: float = 0.0
    status_msg: str = ""
    sent_ms: int = 0
    updated_ms: int = 0
    cancel_requested: bool = False
    acked_version: int = -1         # portfolio version when the broker first showed this order
    exit_plan: object = None
    notes: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """True while the order can still trade or its outcome is not known."""
        return self.status not in FINAL

    @property
    def remaining(self) -> int:
        """Shares not yet filled (0 once final)."""
        return 0 if not self.live else max(self.quantity - self.filled, 0)


def apply_update(order: Order, status: str, filled: int | None = None, avg_price: float | None = None,
                 msg: str = "", ts_ms: int = 0) -> bool:
    """Apply one broker/local update: status only moves forward, filled only grows, final is final. True if changed."""
    changed = False
    if filled is not None and filled > order.filled and order.status not in ("rejected", "lost"):
        order.filled = min(int(filled), order.quantity) if order.quantity else int(filled)
        if avg_price:
            order.avg_price = float(avg_price)
        changed = True
    if order.status not in FINAL and RANK.get(status, -1) > RANK[order.status]:
        order.status = status
        changed = True
        if status == "succeeded" and order.filled < order.quantity:
            order.filled = order.quantity
    if msg and msg != order.status_msg and changed:
        order.status_msg = msg
    if changed and ts_ms:
        order.updated_ms = ts_ms
    return changed


class ClientIds:
    """Short client ids that survive broker truncation of order_remark: 'Q' + 3 base36 day chars + 4 base36 counter."""

    PREFIX = "Q"
    _DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

    def __init__(self, trade_date: int, start: int = 0):
        import datetime as _dt
        d = _dt.date(trade_date // 10000, trade_date // 100 % 100, trade_date % 100)
        self.day = self._b36((d - _dt.date(2000, 1, 1)).days, 3)
        self.counter = start

    @classmethod
    def _b36(cls, n: int, width: int) -> str:
        out = ""
        for _ in range(width):
            n, r = divmod(n, 36)
            out = cls._DIGITS[r] + out
        return out

    def next(self) -> str:
        """A new id, unique for the day (8 characters)."""
        self.counter += 1
        return f"{self.PREFIX}{self.day}{self._b36(self.counter, 4)}"

    def observe(self, client_id: str) -> None:
        """Move the counter past an id seen at the broker or in the database (restart safety)."""
        if len(client_id) == 8 and client_id.startswith(self.PREFIX) and client_id[1:4] == self.day:
            try:
                self.counter = max(self.counter, int(client_id[4:], 36))
            except ValueError:
                pass


@dataclass(slots=True)
class Holding:
    """Broker position as last seen (shares)."""

    volume: int = 0
    can_use: int = 0
    avg_price: float = 0.0
    version: int = 0


class Portfolio:
    """Cash and positions as the broker reports them, minus what our not-yet-reflected orders reserve."""

    def __init__(self) -> None:
        self.cash = 0.0
        self.frozen_cash = 0.0
        self.total_asset = 0.0
        self.market_value = 0.0
        self.start_equity = 0.0
        self.holdings: dict[str, Holding] = {}
        self.version = 0                # bumps on every asset/position update

    def set_asset(self, cash: float, frozen: float, market_value: float, total: float) -> None:
        """Broker asset snapshot (XtAsset)."""
        self.cash, self.frozen_cash, self.market_value, self.total_asset = cash, frozen, market_value, total
        if not self.start_equity:
            self.start_equity = total
        self.version += 1

    def set_position(self, code: str, volume: int, can_use: int, avg_price: float) -> None:
        """Broker position snapshot (XtPosition)."""
        h = self.holdings.setdefault(code, Holding())
        h.volume, h.can_use, h.avg_price = int(volume), int(can_use), float(avg_price)
        h.version = self.version = self.version + 1
        if h.volume <= 0:
            self.holdings.pop(code, None)

    @staticmethod
    def _unreflected(o: Order, version: int) -> bool:
        return o.live and (o.acked_version < 0 or o.acked_version >= version)

    def available_cash(self, orders) -> float:
        """Broker cash minus buys the broker has not yet reflected in an asset update."""
        res = sum(o.remaining * o.price * (1 + BUY_FEE_RATE) for o in orders
                  if o.side == "buy" and self._unreflected(o, self.version))
        return self.cash - res

    def sellable(self, code: str, orders) -> int:
        """can_use_volume minus sells the broker has not yet reflected."""
        h = self.holdings.get(code)
        if h is None:
            return 0
        res = sum(o.remaining for o in orders if o.side == "sell" and o.code == code
                  and self._unreflected(o, h.version))
        return max(h.can_use - res, 0)


@dataclass(frozen=True, slots=True)
class Rejection:
    """An intent refused before reaching the broker, with the check that refused it."""

    client_id: str
    code: str
    side: str
    check: str
    reason: str


def round_price(price: float, tick_units: int, side: str) -> int:
    """Price in units on the tick grid: buys round down, sells round up (never pay more / get less than asked)."""
    u = price * ashare.PRICE_SCALE
    q = u / tick_units
    n = int(np.floor(q + 1e-9)) if side == "buy" else int(np.ceil(q - 1e-9))
    return n * tick_units


def round_quantity(qty: int, board: int, side: str, sellable: int) -> int:
    """Shares allowed for an order: buys in lots (STAR >=200, BSE >=100), sells in lots unless selling all."""
    qty = int(qty)
    if side == "buy":
        return int(ashare.round_lot(np.array([qty]), np.array([board]))[0])
    qty = min(qty, sellable)
    if qty == sellable:
        return qty
    if board == ashare.BOARD_STAR:
        return qty if qty >= 200 else 0
    if board == ashare.BOARD_BSE:
        return qty if qty >= 100 else 0
    return qty // 100 * 100


class OrderManager:
    """Turns intents into checked Orders against a qmt_strategies Snapshot and the Portfolio."""

    def __init__(self, portfolio: Portfolio, ids: ClientIds):
        self.portfolio = portfolio
        self.ids = ids
        self.orders: dict[str, Order] = {}
        self.by_order_id: dict[int, str] = {}
        self.by_seq: dict[int, str] = {}
        self.by_sysid: dict[str, str] = {}

    def live_orders(self, code: str | None = None) -> list[Order]:
        """Our orders still live (optionally for one code)."""
        return [o for o in self.orders.values() if o.live and (code is None or o.code == code)]

    def prepare(self, *, strategy: str, code: str, side: str, price: float, quantity: int, snap, ts_ms: int,
                kind: str = "entry", signal_id: str = "", reason: str = "", client_id: str | None = None,
                max_value: float | None = None) -> Order | Rejection:
        """Validate and shape an order (tick, limit band, cage, lot, cash, sellable). Nothing is sent here."""
        cid = client_id or self.ids.next()

        def rej(check: str, why: str) -> Rejection:
            return Rejection(cid, code, side, check, why)

        if side not in ("buy", "sell"):
            return rej("side", f"side {side!r} is not buy/sell")
        row = snap.index.get(code)
        if row is None or not snap.valid[row]:
            return rej("market_data", f"no valid quote for {code}")
        last = float(snap.last[row])
        if not np.isfinite(price) or price <= 0:
            return rej("price", f"price {price!r} is not a positive number")
        board, tick = int(snap.board[row]), int(snap.tick[row])
        up_u, dn_u = int(snap.up_units[row]), int(snap.down_units[row])
        pu = round_price(price, tick, side)
        notes = []
        if side == "buy" and pu > up_u:
            pu, _ = up_u, notes.append("clamped to limit-up")
        if side == "sell" and pu < dn_u:
            pu, _ = dn_u, notes.append("clamped to limit-down")
        if pu > up_u or pu < dn_u or pu <= 0:
            return rej("limit_band", f"price {pu / 1000:.3f} outside limit band [{dn_u / 1000:.3f}, {up_u / 1000:.3f}]")
        buy_max, sell_min = ashare.cage_units(np.array([ashare.to_units(last)]), np.array([board]), np.array([tick]))
        if side == "buy" and pu > int(buy_max[0]):
            pu = int(buy_max[0])
            notes.append("clamped into price cage")
        if side == "sell" and pu < int(sell_min[0]):
            pu = int(sell_min[0])
            notes.append("clamped into price cage")
        px = pu / ashare.PRICE_SCALE
        live = self.live_orders()
        if side == "sell":
            can = self.portfolio.sellable(code, live)
            if can <= 0:
                return rej("sellable", f"nothing sellable in {code} today (T+1 / already being sold)")
            qty = round_quantity(quantity, board, "sell", can)
            if qty <= 0:
                return rej("lot", f"{quantity} shares of {code} is not a sellable amount (sellable {can})")
        else:
            qty = int(quantity)
            capped = max_value is not None and qty * px > max_value
            if capped:
                qty = int(max_value // px)
                notes.append(f"sized to {max_value:.0f} CNY")
            cash = self.portfolio.available_cash(live)
            afford = int(max(cash - MIN_FEE, 0) / (px * (1 + BUY_FEE_RATE)))
            if qty > afford:
                qty = afford
                notes.append("sized to available cash")
            qty = round_quantity(qty, board, "buy", 0)
            if qty <= 0 and capped and afford >= quantity:
                return rej("risk_room", f"risk limits leave {max_value:.0f} CNY for {code}, less than one lot at "
                                        f"{px:.3f}")
            if qty <= 0:
                why = "insufficient cash" if afford < quantity else f"{quantity} shares is below one lot"
                return rej("cash" if afford < quantity else "lot", f"{why} for {code} at {px:.3f} (cash {cash:.2f})")
        return Order(client_id=cid, strategy=strategy, code=code, side=side, price=px, quantity=qty, kind=kind,
                     signal_id=signal_id, reason=reason, created_ms=ts_ms, updated_ms=ts_ms, notes=notes)

    def add(self, order: Order) -> None:
        """Track an order (before sending)."""
        self.orders[order.client_id] = order

    def find(self, *, client_id: str | None = None, order_id: int | None = None, seq: int | None = None,
             remark: str | None = None, sysid: str | None = None) -> Order | None:
        """Our order by any of its keys (the remark may be truncated by the broker: prefix match)."""
        if client_id and client_id in self.orders:
            return self.orders[client_id]
        if order_id is not None and order_id in self.by_order_id:
            return self.orders.get(self.by_order_id[order_id])
        if seq is not None and seq in self.by_seq:
            return self.orders.get(self.by_seq[seq])
        if sysid and sysid in self.by_sysid:
            return self.orders.get(self.by_sysid[sysid])
        if remark:
            if remark in self.orders:
                return self.orders[remark]
            if len(remark) >= 6:
                hits = [o for cid, o in self.orders.items() if cid.startswith(remark)]
                if len(hits) == 1:
                    return hits[0]
        return None

    def bind(self, order: Order, *, seq: int | None = None, order_id: int | None = None, sysid: str = "") -> None:
        """Record the broker's keys for an order (seq -> order id -> sysid)."""
        if seq is not None:
            order.seq = seq
            self.by_seq[seq] = order.client_id
        if order_id is not None and order_id > 0:
            order.order_id = order_id
            self.by_order_id[order_id] = order.client_id
        if sysid:
            order.sysid = sysid
            self.by_sysid[sysid] = order.client_id
