"""xtquant.xttrader for the sim: XtQuantTrader / XtQuantTraderCallback with the real signatures.

Threading follows the real client: pushes and sync-call responses run on one worker lane per trader
(`executor`); with set_relaxed_response_order_enabled(True), query responses use a second lane. A sync
call that would deadlock the real client (made from the lane that must deliver its answer) raises
SimDeadlock naming the fix instead of hanging.
"""

from __future__ import annotations

import itertools

from loguru import logger

from sim.driver import Gate, Lane, SimDeadlock

from . import xtconstant as _XTCONST_
from . import xttype as _XTTYPE_
from ._broker import broker_price_type, to_xt
from ._runtime import get_runtime
from ._trader_support import XtAccountInfo, deadlock_message
from ._unsupported import UnsupportedTraderMethods


class XtQuantTraderCallback:
    """Override the pushes you need; on_connected is never called (as in the real client)."""

    def on_connected(self):
        """Never called by the real client nor by the sim."""

    def on_disconnected(self):
        """The connection to miniQMT was lost; call connect() again (it may fail for a while)."""

    def on_account_status(self, status):
        """XtAccountStatus push."""

    def on_stock_asset(self, asset):
        """XtAsset push."""

    def on_stock_order(self, order):
        """XtOrder push."""

    def on_stock_trade(self, trade):
        """XtTrade push."""

    def on_stock_position(self, position):
        """XtPosition push."""

    def on_order_error(self, order_error):
        """XtOrderError push."""

    def on_cancel_error(self, cancel_error):
        """XtCancelError push."""

    def on_order_stock_async_response(self, response):
        """XtOrderResponse for order_stock_async."""

    def on_cancel_order_stock_async_response(self, response):
        """XtCancelOrderResponse for cancel_order_stock[_sysid]_async."""

    def on_smt_appointment_async_response(self, response):
        """Not simulated."""

    def on_bank_transfer_async_response(self, response):
        """Not simulated."""

    def on_ctp_internal_transfer_async_response(self, response):
        """Not simulated."""

    def on_smart_algo_order_async_response(self, response):
        """Not simulated."""

    def on_operate_smart_task_async_response(self, response):
        """Not simulated."""


class XtQuantTrader(UnsupportedTraderMethods):
    """The sim's miniQMT trading client; any userdata path, any session id."""

    def __init__(self, path, session, callback=None):
        self.path = path
        self.session = session
        self.callback = callback
        self.connected = False
        self.cbs = {}
        self.executor = None
        self.resp_executor = None
        self.relaxed_resp_order_enabled = False
        self.relaxed_resp_executor = None
        self._rt = get_runtime()
        self._seqs = itertools.count(1)
        self._subscribed: set[str] = set()
        self._forever: list[Gate] = []
        self._timeout = 0

    # -- lifecycle ---------------------------------------------------------------------------------
    def register_callback(self, callback):
        """Set the XtQuantTraderCallback that receives pushes."""
        self.callback = callback

    def start(self):
        """Start the worker threads (as the real client does, before connect)."""
        sched = self._rt.sched
        with sched.baton():
            if self.executor is None:
                self.executor = Lane(sched, f"xttrader-{self.session}", self._callback_failed)
                self.relaxed_resp_executor = Lane(sched, f"xttrader-{self.session}-resp", self._callback_failed)
            self.resp_executor = self.relaxed_resp_executor if self.relaxed_resp_order_enabled else self.executor
            if self not in self._rt.broker.sessions:
                self._rt.broker.sessions.append(self)

    def stop(self):
        """Stop the worker threads; run_forever() returns."""
        rt = self._rt
        with rt.sched.baton():
            if self in rt.broker.sessions:
                rt.broker.sessions.remove(self)
            self.connected = False
            for gate in self._forever:
                rt.sched.open(gate, value=False)
            self._forever.clear()
        self.close_lanes()

    def close_lanes(self):
        """Close the lanes (internal)."""
        for lane in (self.executor, self.relaxed_resp_executor):
            if lane is not None:
                lane.close(wait=True)

    def connect(self):
        """0 on success, -1 while the (fault-injected) outage lasts. Never reconnects by itself."""
        rt = self._rt
        with rt.sched.baton():
            now = rt.world.now_ms
            if rt.faults.trader_down(now) and not rt.ended:     # outages end with the session
                logger.info("sim trader connect failed session={} down_until_ms={}", self.session,
                            rt.faults.trader_down_until_ms)
                self.connected = False
                return -1
            self.connected = True
            return 0

    def sleep(self, time):
        """Block for `time` simulated seconds."""
        self._rt.sleep(time)

    def run_forever(self):
        """Block until the simulated session ends (or stop() is called)."""
        rt = self._rt
        rt.check_can_wait_for_time("XtQuantTrader.run_forever()")
        with rt.sched.baton():
            if rt.ended:
                return
            gate = Gate("clock")
            self._forever.append(gate)
            rt.sched.wait(gate)

    def set_relaxed_response_order_enabled(self, enabled):
        """Deliver query responses on a dedicated thread (sync queries in callbacks then work)."""
        self.relaxed_resp_order_enabled = enabled
        self.resp_executor = self.relaxed_resp_executor if self.relaxed_resp_order_enabled else self.executor

    def set_timeout(self, timeout=0):
        """Accepted; the sim never times out a request."""
        self._timeout = timeout

    def common_op_async_with_seq(self, seq, callable, callback):
        """Internal plumbing of the real client (talks to its C++ core); not part of the sim."""
        raise NotImplementedError("sim: XtQuantTrader.common_op_async_with_seq is internal plumbing of the real "
                                  "client; call the public *_async methods")

    def common_op_sync_with_seq(self, seq, callable):
        """Internal plumbing of the real client (talks to its C++ core); not part of the sim."""
        raise NotImplementedError("sim: XtQuantTrader.common_op_sync_with_seq is internal plumbing of the real "
                                  "client; call the public query/order methods")

    def __del__(self):
        pass

    def _time_to_timestamp(self, time_str):
        """'HH:MM:SS' of the simulated trade date -> seconds epoch."""
        from datetime import datetime

        try:
            time_obj = datetime.strptime(time_str, "%H:%M:%S").time()
        except ValueError:
            raise ValueError("错误的时间格式: ", time_str) from None
        from ._runtime import SH_TZ

        return int(datetime.combine(self._rt.world.trade_date, time_obj, tzinfo=SH_TZ).timestamp())

    # -- plumbing ----------------------------------------------------------------------------------
    def _callback_failed(self, exc: BaseException) -> None:
        logger.opt(exception=exc).error("xttrader callback raised session={}", self.session)

    def wants_push(self, account_id: str) -> bool:
        """True when pushes for this account go to this session."""
        return self.connected and account_id in self._subscribed

    def push(self, method: str, obj) -> None:
        """Queue callback.method(obj) on the worker lane."""
        if self.executor is None or self.callback is None:
            return
        self.executor.submit(self._call_back, method, obj)

    def _call_back(self, method: str, obj) -> None:
        if self.callback is not None:
            getattr(self.callback, method)(obj)

    def lose_connection(self, now_ms: int) -> None:
        """Fault: connection dropped -> on_disconnected; subscriptions are gone."""
        if not self.connected:
            return
        self.connected = False
        self._subscribed.clear()
        logger.info("sim trader disconnected session={} now_ms={}", self.session, now_ms)
        if self.executor is not None and self.callback is not None:
            self.executor.submit(self._call_back_noarg, "on_disconnected")

    def _call_back_noarg(self, method: str) -> None:
        if self.callback is not None:
            getattr(self.callback, method)()

    def _require_started(self, name: str) -> None:
        if self.executor is None:
            raise RuntimeError(f"sim: XtQuantTrader.{name}() called before start(); call start() then connect() first")

    def _stock_account(self, name: str, account) -> str:
        self._check_account_type(name, account)
        self._rt.broker.ensure_account(account.account_id)
        return account.account_id

    def _check_account_type(self, name: str, account) -> None:
        if getattr(account, "account_type", None) != _XTCONST_.SECURITY_ACCOUNT:
            raise NotImplementedError(
                f"sim: XtQuantTrader.{name} on account type {getattr(account, 'account_type', account)!r} is not "
                "simulated; the sim covers STOCK accounts (StockAccount(id) / StockAccount(id, 'STOCK')) only")

    def _sync(self, name: str, work, via_push: bool, relaxed_helps: bool):
        """Run a request: work(seq) -> (response, events); the response resolves on the proper lane."""
        rt = self._rt
        with rt.sched.baton():
            self._require_started(name)
            lane = self.executor if via_push else self.resp_executor
            if lane.in_lane():
                raise SimDeadlock(deadlock_message(name, lane.name, relaxed_helps))
            seq = next(self._seqs)
            gate = Gate()
            resp, events = work(seq)
            lane.submit(rt.sched.open, gate, resp)
            rt.broker.deliver(events)
            return rt.sched.wait(gate)

    def _async(self, name: str, work, callback, lane: Lane | None = None, defer: bool = False) -> int:
        """Run a request whose response goes to callback on a lane; returns seq. defer: the request itself runs
        on the lane, after everything queued before it (as the real client only sends it and returns)."""
        rt = self._rt
        if defer:
            self._require_started(name)
            seq = next(self._seqs)
            (lane or self.resp_executor).submit(self._run_request, work, callback, seq)
            return seq
        with rt.sched.baton():
            self._require_started(name)
            seq = next(self._seqs)
            resp, events = work(seq)
            if resp is not _SILENT:
                (lane or self.resp_executor).submit(callback, resp)
            rt.broker.deliver(events)
            return seq

    def _run_request(self, work, callback, seq: int) -> None:
        """A deferred request, on its lane: the response first, then the pushes it caused."""
        resp, events = work(seq)
        if resp is not _SILENT:
            try:
                callback(resp)
            except Exception as exc:  # noqa: BLE001 - as a lane reports a failed callback, and the pushes still go
                self._callback_failed(exc)
        self._rt.broker.deliver(events)

    def _connected_or_warn(self, name: str) -> bool:
        if not self.connected:
            logger.warning("sim xttrader {} while not connected session={}", name, self.session)
        return self.connected

    # -- subscribe ---------------------------------------------------------------------------------
    def subscribe(self, account):
        """Receive pushes for account; 0 on success, -1 when not connected."""
        def work(seq):
            if not self._connected_or_warn("subscribe"):
                return -1, []
            acc = self._stock_account("subscribe", account)
            self._subscribed.add(acc)
            status = _XTTYPE_.XtAccountStatus(acc, account.account_type, _XTCONST_.ACCOUNT_STATUS_OK)
            return 0, [(acc, "on_account_status", status)]
        return self._sync("subscribe", work, via_push=False, relaxed_helps=True)

    def unsubscribe(self, account):
        """Stop pushes for account; 0."""
        def work(seq):
            self._subscribed.discard(account.account_id)
            return 0, []
        return self._sync("unsubscribe", work, via_push=False, relaxed_helps=True)

    # -- orders ------------------------------------------------------------------------------------
    def _place(self, account, stock_code, order_type, order_volume, price_type, price, strategy_name,
               order_remark, seq, asynchronous):
        rt = self._rt
        acc = self._stock_account("order_stock_async" if asynchronous else "order_stock", account)
        limit = rt.options.remark_max_len
        remark = order_remark[:limit] if (limit is not None and isinstance(order_remark, str)) else order_remark
        if not self._connected_or_warn("order_stock"):
            return _XTTYPE_.XtOrderResponse(acc, -1, strategy_name, remark, "not connected", seq), []
        if asynchronous and rt.faults.silent():
            logger.info("sim fault silent reject account_id={} code={} seq={}", acc, stock_code, seq)
            return _SILENT, []
        if rt.faults.reject():
            order_id, pushes = rt.broker.reject_order(acc, stock_code, order_type, int(order_volume), price_type,
                                                      price, strategy_name, remark)
            rt.broker.seq_of_order[order_id] = seq
            return _XTTYPE_.XtOrderResponse(acc, order_id, strategy_name, remark, "", seq), pushes
        with rt.broker.capture() as events:
            order_id = rt.world.exchange.submit(acc, stock_code, order_type, int(order_volume), price_type, price,
                                                strategy_name, remark)
        rt.broker.seq_of_order[order_id] = seq
        return _XTTYPE_.XtOrderResponse(acc, order_id, strategy_name, remark, "", seq), list(events)

    def order_stock_async(self, account, stock_code, order_type, order_volume, price_type, price, strategy_name='',
                          order_remark=''):
        """Place an order; returns the request seq at once (the request is sent, as the real client does), the
        order id arrives in on_order_stock_async_response."""
        self._check_account_type("order_stock_async", account)

        def work(seq):
            return self._place(account, stock_code, order_type, order_volume, price_type, price, strategy_name,
                               order_remark, seq, True)
        return self._async("order_stock_async", work, self._response_cb("on_order_stock_async_response"),
                           lane=self.executor, defer=True)

    def order_stock(self, account, stock_code, order_type, order_volume, price_type, price, strategy_name='',
                          order_remark=''):
        """Place an order; returns the order id (> 0) or -1."""
        def work(seq):
            return self._place(account, stock_code, order_type, order_volume, price_type, price, strategy_name,
                               order_remark, seq, False)
        resp = self._sync("order_stock", work, via_push=True, relaxed_helps=False)
        return resp.order_id

    def _cancel(self, name, account, seq, order_id=None, market=None, sysid=None):
        rt = self._rt
        acc = self._stock_account(name, account)
        if not self._connected_or_warn(name):
            return _XTTYPE_.XtCancelOrderResponse(acc, -1, order_id if order_id is not None else -1,
                                                  sysid or "", seq, "not connected"), []
        if sysid is not None:
            mkt = _XTCONST_.MARKET_STR_TO_ENUM_MAPPING.get(market, -1) if isinstance(market, str) else market
            with rt.broker.capture() as events:
                result = rt.world.exchange.cancel_by_sysid(acc, mkt, sysid)
            oid = next((o.order_id for o in rt.world.exchange.orders(acc) if o.order_sysid == sysid), -1)
            return _XTTYPE_.XtCancelOrderResponse(acc, result, oid, sysid, seq, ""), list(events)
        fault = rt.broker.fault_order(acc, order_id)
        if fault is not None:
            err = _XTTYPE_.XtCancelError(acc, order_id, _market_of(fault.stock_code), "", -1,
                                         "[模拟柜台] 委托已是最终状态, 不能撤单")
            return _XTTYPE_.XtCancelOrderResponse(acc, -1, order_id, "", seq, ""), [(acc, "on_cancel_error", err)]
        with rt.broker.capture() as events:
            result = rt.world.exchange.cancel(acc, order_id)
        return _XTTYPE_.XtCancelOrderResponse(acc, result, order_id, "", seq, ""), list(events)

    def cancel_order_stock(self, account, order_id):
        """Cancel by order id: 0 when the cancel request is accepted, -1 otherwise."""
        resp = self._sync("cancel_order_stock", lambda seq: self._cancel("cancel_order_stock", account, seq,
                                                                          order_id=order_id),
                          via_push=True, relaxed_helps=False)
        return resp.cancel_result

    def cancel_order_stock_async(self, account, order_id):
        """Cancel by order id; returns seq, the answer arrives in on_cancel_order_stock_async_response."""
        return self._async("cancel_order_stock_async",
                           lambda seq: self._cancel("cancel_order_stock_async", account, seq, order_id=order_id),
                           self._response_cb("on_cancel_order_stock_async_response"), lane=self.executor)

    def cancel_order_stock_sysid(self, account, market, sysid):
        """Cancel by counter id (market 0 SH / 1 SZ, or 'SH'/'SZ'): 0 or -1."""
        resp = self._sync("cancel_order_stock_sysid",
                          lambda seq: self._cancel("cancel_order_stock_sysid", account, seq, market=market,
                                                   sysid=sysid),
                          via_push=True, relaxed_helps=False)
        return resp.cancel_result

    def cancel_order_stock_sysid_async(self, account, market, sysid):
        """Cancel by counter id; returns seq."""
        return self._async("cancel_order_stock_sysid_async",
                           lambda seq: self._cancel("cancel_order_stock_sysid_async", account, seq, market=market,
                                                    sysid=sysid),
                           self._response_cb("on_cancel_order_stock_async_response"), lane=self.executor)

    def _response_cb(self, method: str):
        def deliver(resp):
            if self.callback is not None:
                getattr(self.callback, method)(resp)
        return deliver

    # -- queries -----------------------------------------------------------------------------------
    def _orders(self, acc: str, cancelable_only: bool = False) -> list:
        rt = self._rt
        states = list(rt.world.exchange.orders(acc, cancelable_only=cancelable_only))
        out = [to_xt(_XTTYPE_.XtOrder, s) for s in states]
        if not cancelable_only:
            out += [to_xt(_XTTYPE_.XtOrder, o) for o in rt.broker.fault_orders.get(acc, ())]
            out.sort(key=lambda o: o.order_id)
        return out

    def _query(self, name, account, build, empty):
        def work(seq):
            if not self._connected_or_warn(name):
                return empty, []
            return build(self._stock_account(name, account)), []
        return work

    def query_account_infos(self):
        """Accounts known to this session (those used so far)."""
        def work(seq):
            return [XtAccountInfo(_XTCONST_.SECURITY_ACCOUNT, a, _XTCONST_.SECURITY_ACCOUNT, 0, 0,
                                  _XTCONST_.ACCOUNT_STATUS_OK) for a in sorted(self._subscribed)], []
        return self._sync("query_account_infos", work, via_push=False, relaxed_helps=True)

    query_account_info = query_account_infos

    def query_account_infos_async(self, callback):
        """Async query_account_infos; returns seq."""
        return self._async("query_account_infos_async", lambda seq: (
            [XtAccountInfo(_XTCONST_.SECURITY_ACCOUNT, a, _XTCONST_.SECURITY_ACCOUNT, 0, 0,
                           _XTCONST_.ACCOUNT_STATUS_OK) for a in sorted(self._subscribed)], []), callback)

    def _statuses(self):
        return [_XTTYPE_.XtAccountStatus(a, _XTCONST_.SECURITY_ACCOUNT, _XTCONST_.ACCOUNT_STATUS_OK)
                for a in sorted(self._subscribed)]

    def query_account_status(self):
        """XtAccountStatus of every subscribed account."""
        return self._sync("query_account_status", lambda seq: (self._statuses(), []), via_push=False,
                          relaxed_helps=True)

    def query_account_status_async(self, callback):
        """Async query_account_status; returns seq."""
        return self._async("query_account_status_async", lambda seq: (self._statuses(), []), callback)

    def _asset(self, acc):
        return to_xt(_XTTYPE_.XtAsset, self._rt.world.exchange.asset(acc))

    def query_stock_asset(self, account):
        """XtAsset or None."""
        return self._sync("query_stock_asset", self._query("query_stock_asset", account, self._asset, None),
                          via_push=False, relaxed_helps=True)

    def query_stock_asset_async(self, account, callback):
        """Async query_stock_asset: callback(XtAsset or None); returns None like the real client."""
        self._async("query_stock_asset_async", self._query("query_stock_asset_async", account, self._asset, None),
                    callback)

    def query_stock_order(self, account, order_id):
        """XtOrder for order_id or None."""
        def build(acc):
            return next((o for o in self._orders(acc) if o.order_id == order_id), None)
        return self._sync("query_stock_order", self._query("query_stock_order", account, build, None),
                          via_push=False, relaxed_helps=True)

    def query_stock_orders(self, account, cancelable_only = False):
        """Today's XtOrder list (only cancelable ones if asked)."""
        return self._sync("query_stock_orders",
                          self._query("query_stock_orders", account, lambda acc: self._orders(acc, cancelable_only),
                                      []),
                          via_push=False, relaxed_helps=True)

    def query_stock_orders_async(self, account, callback, cancelable_only = False):
        """Async query_stock_orders; returns seq."""
        return self._async("query_stock_orders_async",
                           self._query("query_stock_orders_async", account,
                                       lambda acc: self._orders(acc, cancelable_only), []), callback)

    def _trades(self, acc):
        return [to_xt(_XTTYPE_.XtTrade, t) for t in self._rt.world.exchange.trades(acc)]

    def query_stock_trades(self, account):
        """Today's XtTrade list."""
        return self._sync("query_stock_trades", self._query("query_stock_trades", account, self._trades, []),
                          via_push=False, relaxed_helps=True)

    def query_stock_trades_async(self, account, callback):
        """Async query_stock_trades; returns seq."""
        return self._async("query_stock_trades_async",
                           self._query("query_stock_trades_async", account, self._trades, []), callback)

    def _positions(self, acc):
        return [to_xt(_XTTYPE_.XtPosition, p) for p in self._rt.world.exchange.positions(acc)]

    def query_stock_position(self, account, stock_code):
        """XtPosition for stock_code or None."""
        def build(acc):
            return next((p for p in self._positions(acc) if p.stock_code == stock_code), None)
        return self._sync("query_stock_position", self._query("query_stock_position", account, build, None),
                          via_push=False, relaxed_helps=True)

    def query_stock_positions(self, account):
        """XtPosition list."""
        return self._sync("query_stock_positions",
                          self._query("query_stock_positions", account, self._positions, []),
                          via_push=False, relaxed_helps=True)

    def query_stock_positions_async(self, account, callback):
        """Async query_stock_positions; returns seq."""
        return self._async("query_stock_positions_async",
                           self._query("query_stock_positions_async", account, self._positions, []), callback)


_SILENT = object()


def _market_of(stock_code: str) -> int:
    suffix = stock_code.rsplit(".", 1)[-1] if isinstance(stock_code, str) else ""
    return _XTCONST_.MARKET_STR_TO_ENUM_MAPPING.get(suffix, -1)


__all__ = ["XtQuantTrader", "XtQuantTraderCallback", "broker_price_type"]
