"""XtQuantTrader adapter: sessions, async orders/cancels/queries, callbacks that only translate and enqueue.

The same code runs against the real miniQMT and against the sim (call `sim.install()` before importing this
module's xtquant). Sync queries are never made from callbacks; reconcile uses the async queries.
"""
from __future__ import annotations

import itertools
import os
import random
import time
from collections.abc import Callable

from loguru import logger

from bridge import events as E
from bridge import xt_tables as T


def _xt():
    """The xtquant modules (imported lazily so that sim.install() can come first)."""
    from xtquant import xtconstant, xttrader, xttype
    return xttrader, xttype, xtconstant


class _Callback:
    """XtQuantTraderCallback that translates every push into a bridge.events value and puts it on the queue."""

    def __init__(self, put: Callable[[object], None], session: int):
        self.put, self.session = put, session

    # Every method: translate, enqueue, return. Nothing else (never query from here).
    def on_connected(self):
        pass

    def on_disconnected(self):
        self.put(E.Disconnected("trader", self.session))

    def on_account_status(self, status):
        self.put(E.AccountStatus(int(status.status), T.ACCOUNT_STATUS.get(int(status.status), "unknown")))

    def on_stock_asset(self, asset):
        self.put(E.AssetUpdate.of(asset))

    def on_stock_order(self, order):
        self.put(E.OrderUpdate.of(order))

    def on_stock_trade(self, trade):
        self.put(E.TradeUpdate.of(trade))

    def on_stock_position(self, position):
        self.put(E.PositionUpdate.of(position))

    def on_order_error(self, err):
        self.put(E.OrderError(int(err.order_id or 0), int(err.error_id or 0), str(err.error_msg or ""),
                              str(getattr(err, "order_remark", "") or ""), getattr(err, "seq", None)))

    def on_cancel_error(self, err):
        self.put(E.CancelError(int(err.order_id or 0), str(getattr(err, "order_sysid", "") or ""), int(err.error_id or 0),
                               str(err.error_msg or "")))

    def on_order_stock_async_response(self, resp):
        self.put(E.OrderResponse(int(resp.seq), int(resp.order_id), str(resp.order_remark or ""),
                                 str(getattr(resp, "error_msg", "") or "")))

    def on_cancel_order_stock_async_response(self, resp):
        self.put(E.CancelResponse(int(resp.seq), int(resp.order_id), str(resp.order_sysid or ""),
                                  int(resp.cancel_result), str(getattr(resp, "error_msg", "") or "")))

    def on_smt_appointment_async_response(self, resp):
        pass

    def on_bank_transfer_async_response(self, resp):
        pass

    def on_ctp_internal_transfer_async_response(self, resp):
        pass

    def on_smart_algo_order_async_response(self, resp):
        pass

    def on_operate_smart_task_async_response(self, resp):
        pass


class Backoff:
    """Exponential backoff with jitter (seeded: reproducible in the sim)."""

    def __init__(self, base_ms: int = 1000, cap_ms: int = 60_000, seed: int = 0):
        self.base_ms, self.cap_ms = base_ms, cap_ms
        self.rng = random.Random(seed)
        self.attempt = 0

    def next_delay_ms(self) -> int:
        """Delay before the next attempt: min(cap, base*2^n) scaled by a jitter in [0.5, 1.0]."""
        d = min(self.cap_ms, self.base_ms * (2 ** self.attempt))
        self.attempt += 1
        return int(d * (0.5 + 0.5 * self.rng.random()))

    def reset(self) -> None:
        """After a success."""
        self.attempt = 0


class XtTrader:
    """One account on one XtQuantTrader session at a time; reconnects with a NEW session id."""

    def __init__(self, userdata_path: str, account_id: str, put: Callable[[object], None], *,
                 account_type: str = "STOCK", session_base: int | None = None, strategy_name: str = "qmt_toolkit"):
        self.path = userdata_path
        self.account_id = account_id
        self.account_type = account_type
        self.put = put
        self.strategy_name = strategy_name
        base = session_base if session_base is not None else (int(time.time()) % 1_000_000) * 100 + os.getpid() % 100
        self._sessions = itertools.count(base)
        self.session = 0
        self.trader = None
        self.account = None
        self.connected = False
        self._tags = itertools.count(1)

    # ---- connection -----------------------------------------------------------------------------
    def connect(self) -> bool:
        """Start a new session, connect and subscribe the account; True on success (never retries by itself)."""
        xttrader, xttype, _ = _xt()
        self.close()
        self.session = next(self._sessions)
        cb = _Callback(self.put, self.session)
        trader = xttrader.XtQuantTrader(self.path, self.session, cb)
        trader.start()
        rc = trader.connect()
        if rc != 0:
            logger.warning("trader connect failed session={} rc={}", self.session, rc)
            self._stop(trader)
            return False
        self.account = xttype.StockAccount(self.account_id, self.account_type)
        sub = trader.subscribe(self.account)
        if sub != 0:
            logger.warning("trader subscribe failed session={} rc={}", self.session, sub)
            self._stop(trader)
            return False
        self.trader, self.connected = trader, True
        logger.info("trader connected session={}", self.session)
        return True

    @staticmethod
    def _stop(trader) -> None:
        try:
            trader.stop()
        except Exception as exc:  # noqa: BLE001 - a dead session may fail to stop; it is dropped anyway
            logger.warning("trader stop failed error={}", exc)

    def close(self) -> None:
        """Stop the current session (if any)."""
        if self.trader is not None:
            self._stop(self.trader)
        self.trader, self.connected = None, False

    def mark_disconnected(self, session: int) -> bool:
        """The run loop saw on_disconnected; True if it concerns the current session."""
        if session and session != self.session:
            return False
        self.connected = False
        return True

    # ---- orders ---------------------------------------------------------------------------------
    def place(self, code: str, side: str, quantity: int, price: float, client_id: str, strategy: str = "") -> int:
        """order_stock_async with a FIX_PRICE limit; returns the request seq (-1 when not connected)."""
        if not self.connected or self.trader is None:
            return -1
        return int(self.trader.order_stock_async(self.account, code, T.SIDE_TO_ORDER_TYPE[side], int(quantity),
                                                 T.request_price_type("limit", code), float(price),
                                                 strategy or self.strategy_name, client_id))

    def cancel(self, order_id: int | None, code: str = "", sysid: str = "") -> int:
        """cancel_order_stock_async by order id, else by sysid; returns seq (-1 when not possible)."""
        if not self.connected or self.trader is None:
            return -1
        if order_id and order_id > 0:
            return int(self.trader.cancel_order_stock_async(self.account, int(order_id)))
        if sysid and code:
            return int(self.trader.cancel_order_stock_sysid_async(self.account, T.market_of(code), sysid))
        return -1

    # ---- reconcile ------------------------------------------------------------------------------
    def query_all(self) -> int:
        """Async queries of orders, trades, positions and asset; answers arrive as QueryResult(tag, kind)."""
        if not self.connected or self.trader is None:
            return -1
        tag = next(self._tags)
        put = self.put
        self._ask_orders(tag)
        self.trader.query_stock_trades_async(
            self.account, lambda res: put(E.QueryResult(tag, "trades", tuple(E.TradeUpdate.of(t) for t in res or ()))))
        self.trader.query_stock_positions_async(
            self.account,
            lambda res: put(E.QueryResult(tag, "positions", tuple(E.PositionUpdate.of(p) for p in res or ()))))
        self.trader.query_stock_asset_async(
            self.account, lambda a: put(E.QueryResult(tag, "asset", (E.AssetUpdate.of(a),) if a else ())))
        return tag

    def query_orders(self) -> int:
        """Async query of today's orders only (ack-timeout check)."""
        if not self.connected or self.trader is None:
            return -1
        tag = next(self._tags)
        self._ask_orders(tag)
        return tag

    def _ask_orders(self, tag: int) -> None:
        put = self.put
        self.trader.query_stock_orders_async(
            self.account, lambda res: put(E.QueryResult(tag, "orders", tuple(E.OrderUpdate.of(o) for o in res or ()))))
