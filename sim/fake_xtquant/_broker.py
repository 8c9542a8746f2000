"""Routes exchange events to XtQuantTrader sessions as xttype pushes, applying latency/dup/reorder faults."""

from __future__ import annotations

import inspect
import itertools
from contextlib import contextmanager
from typing import TYPE_CHECKING

from loguru import logger

from sim.faults import REJECT_ERROR_ID, REJECT_MSG

from . import xtconstant, xttype

if TYPE_CHECKING:
    from ._runtime import Runtime

# exchange event class name -> (callback method, xttype class)
PUSHES = {
    "OrderUpdate": ("on_stock_order", xttype.XtOrder, "order"),
    "TradeEvent": ("on_stock_trade", xttype.XtTrade, "trade"),
    "PositionUpdate": ("on_stock_position", xttype.XtPosition, "position"),
    "AssetUpdate": ("on_stock_asset", xttype.XtAsset, "asset"),
}

FAULT_ORDER_ID_BASE = 900_000_000


def to_xt(cls, state, **override):
    """Build an xttype object from a state object with attributes named like the xttype fields."""
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    obj = cls(**{p: override.get(p, getattr(state, p, None)) for p in params})
    for extra in ("account_type",):
        if hasattr(state, extra):
            setattr(obj, extra, getattr(state, extra))
    return obj


class FaultOrder:
    """An order the (fault-injected) counter rejected before it reached the exchange."""

    def __init__(self, **kw) -> None:
        self.__dict__.update(kw)


class Broker:
    """One per runtime: account opening, event capture and delivery to trader sessions."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sessions: list = []            # started XtQuantTrader objects
        self._capture: list | None = None
        self._accounts: set[str] = set()
        self._delayed: list[tuple[int, int, object, str, object]] = []
        self._delay_seq = itertools.count()
        self.fault_orders: dict[str, list[FaultOrder]] = {}
        self._fault_ids = itertools.count(FAULT_ORDER_ID_BASE + 1)
        self.seq_of_order: dict[int, int] = {}
        self._seen_orders: set[int] = set()

    # -- accounts ---------------------------------------------------------------------------------
    def ensure_account(self, account_id: str) -> None:
        """Open the account on first use with the configured cash and positions."""
        if account_id in self._accounts:
            return
        ex = self.rt.world.exchange
        if ex.asset(account_id) is None:
            opts = self.rt.options
            ex.open_account(account_id, cash=opts.cash, positions=dict(opts.positions) or None)
            logger.info("sim account opened account_id={} cash={}", account_id, opts.cash)
        self._accounts.add(account_id)

    # -- events -----------------------------------------------------------------------------------
    def on_event(self, event) -> None:
        """Exchange listener: capture during a request, else deliver now."""
        events = [event]
        if type(event).__name__ == "OrderUpdate" and event.order.order_id not in self._seen_orders:
            # the counter first shows every order as 48 (unreported) before the exchange reports it
            self._seen_orders.add(event.order.order_id)
            if event.order.order_status not in (xtconstant.ORDER_UNREPORTED, xtconstant.ORDER_WAIT_REPORTING):
                first = to_xt(xttype.XtOrder, event.order, order_status=xtconstant.ORDER_UNREPORTED,
                              order_sysid="", status_msg="", traded_volume=0, traded_price=0.0)
                events.insert(0, (event.order.account_id, "on_stock_order", first))
        if self._capture is not None:
            self._capture.extend(events)
        else:
            self.deliver(events)

    @contextmanager
    def capture(self):
        """Collect events emitted by a request so they can be pushed after its response."""
        outer = self._capture
        self._capture = []
        try:
            yield self._capture
        finally:
            captured, self._capture = self._capture, outer
            if outer is not None:
                outer.extend(captured)

    def translate(self, event) -> tuple[str, str, object] | None:
        """(account_id, callback name, xttype object) for an exchange event."""
        name = type(event).__name__
        if name in PUSHES:
            method, cls, attr = PUSHES[name]
            state = getattr(event, attr)
            return state.account_id, method, to_xt(cls, state)
        if name == "OrderError":
            obj = xttype.XtOrderError(event.account_id, event.order_id, event.error_id, event.error_msg,
                                      event.strategy_name, event.order_remark)
            obj.seq = self.seq_of_order.get(event.order_id, 0)
            return event.account_id, "on_order_error", obj
        if name == "CancelError":
            obj = xttype.XtCancelError(event.account_id, event.order_id, event.market, event.order_sysid,
                                       event.error_id, event.error_msg)
            return event.account_id, "on_cancel_error", obj
        if isinstance(event, tuple) and len(event) == 3:      # already translated (fault orders)
            return event
        logger.warning("sim broker ignores event type={}", name)
        return None

    def deliver(self, events: list) -> None:
        """Push events to every connected session subscribed to their account."""
        pushes = [p for p in (self.translate(e) for e in events) if p is not None]
        if not pushes:
            return
        now = self.rt.world.now_ms
        latency = self.rt.options.faults.latency_ms
        for session in list(self.sessions):
            mine = [(method, obj) for acc, method, obj in pushes if session.wants_push(acc)]
            for method, obj in self.rt.faults.shape(mine):
                if latency > 0:
                    self._delayed.append((now + latency, next(self._delay_seq), session, method, obj))
                else:
                    session.push(method, obj)

    def has_delayed(self) -> bool:
        """True while late pushes are pending."""
        return bool(self._delayed)

    def on_clock(self, now_ms: int) -> None:
        """Release the late pushes that are due."""
        if not self._delayed:
            return
        due = sorted(d for d in self._delayed if d[0] <= now_ms)
        self._delayed = [d for d in self._delayed if d[0] > now_ms]
        for _, _, session, method, obj in due:
            session.push(method, obj)

    def on_disconnect(self, now_ms: int) -> None:
        """Trader outage: every connected session loses its connection and gets on_disconnected."""
        for session in list(self.sessions):
            session.lose_connection(now_ms)

    # -- fault-injected counter rejects ------------------------------------------------------------
    def reject_order(self, account_id, stock_code, order_type, order_volume, price_type, price,
                     strategy_name, order_remark) -> tuple[int, list]:
        """A counter reject: an order id, then pushes 48 -> 57 and on_order_error."""
        order_id = next(self._fault_ids)
        now_s = self.rt.world.now_ms // 1000
        info = self.rt.world.instruments.get(stock_code, {})
        order = FaultOrder(
            account_type=xtconstant.SECURITY_ACCOUNT, account_id=account_id, stock_code=stock_code,
            order_id=order_id, order_sysid="", order_time=now_s, order_type=order_type, order_volume=order_volume,
            price_type=broker_price_type(price_type), price=price, traded_volume=0, traded_price=0.0,
            order_status=xtconstant.ORDER_UNREPORTED, status_msg="", strategy_name=strategy_name,
            order_remark=order_remark, direction=xtconstant.DIRECTION_FLAG_LONG,
            offset_flag=xtconstant.OFFSET_FLAG_OPEN if order_type == xtconstant.STOCK_BUY else xtconstant.OFFSET_FLAG_CLOSE,
            secu_account="", instrument_name=info.get("InstrumentName", ""))
        self.fault_orders.setdefault(account_id, []).append(order)
        first = to_xt(xttype.XtOrder, order)
        order.order_status, order.status_msg = xtconstant.ORDER_JUNK, REJECT_MSG
        last = to_xt(xttype.XtOrder, order)
        err = xttype.XtOrderError(account_id, order_id, REJECT_ERROR_ID, REJECT_MSG, strategy_name, order_remark)
        logger.info("sim fault reject account_id={} code={} order_id={}", account_id, stock_code, order_id)
        return order_id, [(account_id, "on_stock_order", first), (account_id, "on_stock_order", last),
                          (account_id, "on_order_error", err)]

    def fault_order(self, account_id: str, order_id: int) -> FaultOrder | None:
        """A fault-rejected order by id."""
        for o in self.fault_orders.get(account_id, ()):
            if o.order_id == order_id:
                return o
        return None

    def close(self) -> None:
        """Stop every session's lanes."""
        for session in list(self.sessions):
            session.close_lanes()
        self.sessions.clear()


def broker_price_type(request_price_type: int) -> int:
    """Broker enum reported in XtOrder.price_type (50 limit, 88 market...) for a request price type."""
    from sim.exchange import orders

    entry = orders.PRICE_TYPES.get(request_price_type)
    return entry[0] if entry else orders.BROKER_PRICE_LIMIT
