"""QmtRunner: loads a built-in script and drives init / handlebar / callbacks the way QMT's strategy runner does."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from loguru import logger

from sim import calendar as xcal
from sim import rules
from sim.qmt import records as R
from sim.qmt.bar_broker import BarBroker, Fill
from sim.qmt.context import (
    ContextInfo,
    datetime_to_timetag,
    restore_state,
    timetag_to_datetime,
    user_state,
)
from sim.qmt.data import BarStore
from sim.qmt.script import ScriptError, check_py36, guarded_builtins, read_source

MODES = ("backtest", "simulation")
CALLBACKS = ("account_callback", "order_callback", "deal_callback", "position_callback", "orderError_callback")


@dataclass
class RunResult:
    """What a run produced: per-day equity, orders, deals, painted series, metrics inputs."""

    script: str
    mode: str
    period: str
    account_id: str
    start_cash: float
    dates: list[dt.date] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    orders: list[R.DetailData] = field(default_factory=list)
    deals: list[R.DetailData] = field(default_factory=list)
    realized: list[float] = field(default_factory=list)
    paints: dict[str, dict[int, float]] = field(default_factory=dict)
    handlebar_calls: int = 0
    errors: list[str] = field(default_factory=list)


class QmtRunner:
    """One script, one account, one run (backtest over a BarStore; simulation lives in sim.qmt.world_driver)."""

    def __init__(self, script: str | Path, mode: str = "backtest", period: str = "1d", start: str = "",
                 end: str = "", stock_code: str = "", account_id: str = "", cash: float = 1_000_000.0,
                 user_args: dict | None = None, enforce_imports: bool = True, check_syntax: bool = True):
        if mode not in MODES:
            raise ScriptError(f"--mode {mode!r} is not one of {', '.join(MODES)}")
        self.path = Path(script)
        self.source, self.encoding = read_source(self.path)
        if check_syntax:
            check_py36(self.source, self.path)
        self.mode, self.period, self.start, self.end = mode, period, start, end
        self.account_id = account_id
        self.cash = float(cash)
        self.auto_trade_callback = True
        self.callbacks_account = ""
        self.new_bar = True
        self.subscriptions: dict[int, tuple[list[str], object, bool]] = {}
        self.pending_callbacks: list[tuple] = []
        self.last_order_id = "-1"
        self.last_deal_id = "-1"
        self.result = RunResult(str(self.path), mode, period, account_id, self.cash)
        self.C = ContextInfo(self)
        self.C.trade_mode = mode
        self.C.do_back_test = 1 if mode == "backtest" else 0
        self.C.period = period
        self.C.start_time, self.C.end_time = start, end
        self.C.user_script = str(self.path)
        self.C.title = self.path.stem
        self.C.asset = self.cash
        if stock_code:
            self._set_main_code(stock_code)
        self.g = self._script_globals(user_args or {}, enforce_imports)
        self.store: BarStore | None = None
        self.broker: BarBroker | None = None

    # -- script namespace -----------------------------------------------------------------------------------
    def _script_globals(self, user_args: dict, enforce_imports: bool) -> dict:
        g = {"__name__": "__main__", "__file__": str(self.path), "__builtins__": guarded_builtins(enforce_imports)}
        self.user_args = dict(user_args)
        g.update({
            "passorder": self._global_passorder, "cancel": self._global_cancel,
            "get_trade_detail_data": self._global_trade_detail, "get_last_order_id": self._global_last_order_id,
            "timetag_to_datetime": timetag_to_datetime, "datetime_to_timetag": datetime_to_timetag,
            "download_history_data": lambda *a, **k: None, "ContextInfo": ContextInfo,
        })
        return g

    def load(self) -> None:
        """Execute the script's top level (definitions, constants) in its namespace."""
        code = compile(self.source, str(self.path), "exec")
        exec(code, self.g)  # noqa: S102 (running the user's strategy is the point)
        self.g.update(self.user_args)          # --set NAME=VALUE overrides the script's settings before init
        if not callable(self.g.get("handlebar")) and not callable(self.g.get("init")):
            raise ScriptError(f"{self.path} defines neither init(C) nor handlebar(C): not a QMT strategy script")

    def _set_main_code(self, code: str) -> None:
        self.C.stock_code = code
        self.C.stockcode, _, self.C.market = code.partition(".")

    def _call(self, name: str, *args) -> None:
        fn = self.g.get(name)
        if callable(fn):
            fn(self.C, *args)

    # -- global functions the script calls ------------------------------------------------------------------
    def _global_passorder(self, opType, orderType, accountid, orderCode, prType, modelprice, volume, *rest):
        # passorder(opType, orderType, acc, code, prType, price, volume[, strategyName, quickTrade, userOrderId], C)
        if not rest or not isinstance(rest[-1], ContextInfo):
            raise TypeError("passorder: the last argument must be the ContextInfo object C")
        extra = list(rest[:-1]) + ["", 0, ""][len(rest) - 1:]
        return self.passorder(opType, orderType, accountid, orderCode, prType, modelprice, volume, *extra[:3])

    def _global_cancel(self, orderId, accountId="", accountType="STOCK", C=None) -> bool:
        return self.cancel(str(orderId), str(accountId))

    def _global_trade_detail(self, accountid, accounttype, datatype, strategyname="") -> list:
        if not self._account_ok(str(accountid)):
            return []
        out = self.detail(str(datatype).upper())
        if strategyname:
            out = [d for d in out if getattr(d, "m_strStrategyName", strategyname) == strategyname]
        return out

    def _global_last_order_id(self, accountid, accounttype="STOCK", datatype="order", strategyname="") -> str:
        return self.last_deal_id if str(datatype).lower() == "deal" else self.last_order_id

    def _account_ok(self, acc: str) -> bool:
        if not self.account_id:
            self.account_id = acc
            self.result.account_id = acc
        return acc == self.account_id

    def set_account(self, acc: str) -> None:
        """C.set_account: the account whose callbacks reach the script."""
        self._account_ok(acc)
        self.callbacks_account = acc

    # -- orders ---------------------------------------------------------------------------------------------
    def passorder(self, opType, orderType, accountid, orderCode, prType, modelprice, volume,
                  strategyName="", quickTrade=0, userOrderId=""):
        """Place an order with QMT's codes; the outcome reaches the script through callbacks / detail data."""
        acc, code = str(accountid), str(orderCode)
        args = R.DetailData(opType=opType, orderType=orderType, accountID=acc, orderCode=code, prType=prType,
                            modelPrice=modelprice, volume=volume, strategyName=strategyName,
                            quickTrade=quickTrade, userOrderId=userOrderId, m_strRemark=userOrderId)
        if not self._account_ok(acc):
            self._queue("orderError_callback", args, f"账号{acc}未登录")
            return None
        if opType not in (R.OP_BUY, R.OP_SELL):
            self._queue("orderError_callback", args, f"opType {opType} 不支持 (股票: 23 买入, 24 卖出)")
            return None
        vol = self._shares(orderType, code, prType, modelprice, volume)
        if vol is None:
            self._queue("orderError_callback", args, f"orderType {orderType} 不支持 (1101 按股数, 1102 按金额)")
            return None
        if not self.accepts(quickTrade):
            return None
        return self.submit(args, int(opType), code, vol, int(prType), float(modelprice), str(strategyName),
                           str(userOrderId))

    def accepts(self, quick_trade) -> bool:
        """Whether an order placed now is sent (backtest: always; live modes: see world_driver)."""
        return True

    def _shares(self, order_type, code, pr_type, price, volume) -> int | None:
        if order_type == R.ORDER_BY_SHARES:
            return int(volume)
        if order_type == R.ORDER_BY_AMOUNT:
            px = float(price) if pr_type == R.PR_FIXED and price and price > 0 else self.ref_price(code)
            return int(float(volume) / px // 100 * 100) if px > 0 else 0
        return None

    def submit(self, args, op: int, code: str, vol: int, pr_type: int, price: float, strategy: str, remark: str):
        """Send to the bar broker (backtest)."""
        fill = self.broker.submit(op, code, vol, pr_type, price, strategy, remark)
        self._report(args, fill)

    def _report(self, args, fill: Fill) -> None:
        self.last_order_id = fill.order.m_strOrderSysID
        if fill.error:
            self._queue("orderError_callback", args, fill.error)
        self._queue("order_callback", fill.order)
        if fill.deal is not None:
            self.last_deal_id = fill.deal.m_strTradeID
            self._queue("deal_callback", fill.deal)

    def _queue(self, name: str, *payload) -> None:
        if self.auto_trade_callback and callable(self.g.get(name)):
            self.pending_callbacks.append((name, payload))

    def flush_callbacks(self) -> None:
        """Deliver queued callbacks (QMT runs them on the strategy thread once the current call returns)."""
        while self.pending_callbacks:
            batch, self.pending_callbacks = self.pending_callbacks, []
            for name, payload in batch:
                payload = tuple(p.copy() if isinstance(p, R.DetailData) else p for p in payload)
                self._call(name, *payload)

    def cancel(self, order_sysid: str, acc: str) -> bool:
        """cancel(orderId, accountId, accountType, C): True if a cancel request went out."""
        return self._account_ok(acc) and self.broker.cancel(order_sysid)

    def detail(self, datatype: str) -> list:
        """get_trade_detail_data rows of the run's account."""
        return self.broker.detail(datatype)

    # -- data the ContextInfo methods read ------------------------------------------------------------------
    def now_ms(self) -> int:
        """The current bar's timetag (bar time for backtests)."""
        return int(self.C.timelist[self.C.barpos]) if self.C.barpos >= 0 else 0

    def ref_price(self, code: str) -> float:
        """Latest price of a code at the current bar."""
        ci = self.store.index.get(code)
        if ci is None or self.C.barpos < 0:
            return 0.0
        v = self.broker._mark[ci, self.C.barpos]
        return 0.0 if math.isnan(v) else float(v)

    def market_data(self, fields, codes, period, start_time, end_time, count) -> dict:
        """get_market_data_ex over the bar store; capped at the current bar inside handlebar."""
        if period != self.store.period:
            raise ScriptError(f"get_market_data_ex(period={period!r}): this run has {self.store.period} bars; "
                              f"run with --period {period}")
        upto = self.C.barpos if self.C.barpos >= 0 else None
        sl = self.store.window(start_time, end_time, count, upto)
        out = {}
        key = tuple(fields)
        for c in codes:
            if c in self.store.index:
                df = self.store.frame(c, key)
                out[c] = df if sl.start == 0 and sl.stop >= len(df) else df.iloc[sl]
            else:
                out[c] = pd.DataFrame(columns=fields or [])
        return out

    def full_tick(self, codes) -> dict:
        """The current bar of each code as a tick dict (real xtquant keys)."""
        i = max(self.C.barpos, 0)
        m = self.store.mat
        out = {}
        for c in codes:
            ci = self.store.index.get(c)
            if ci is None:
                continue
            last = float(self.broker._mark[ci, i])
            v = m["volume"][ci, i]
            vol = 0 if math.isnan(v) else int(v)
            out[c] = {
                "time": int(self.store.times[i]), "lastPrice": last, "open": float(m["open"][ci, i]),
                "high": float(m["high"][ci, i]), "low": float(m["low"][ci, i]),
                "lastClose": float(m["preClose"][ci, i]), "amount": float(m["amount"][ci, i]),
                "volume": vol, "pvolume": vol * 100, "stockStatus": 0,
                "openInt": 1 if m["suspendFlag"][ci, i] > 0 else 0, "transactionNum": 0,
                "lastSettlementPrice": 0.0, "settlementPrice": 0.0, "pe": 0.0,
                "askPrice": [last, 0.0, 0.0, 0.0, 0.0], "bidPrice": [last, 0.0, 0.0, 0.0, 0.0],
                "askVol": [0] * 5, "bidVol": [0] * 5,
            }
        return out

    def instrument(self, code: str) -> dict:
        """get_instrument_detail with limit prices of the current bar (sim.rules, half-up)."""
        base = dict(self.store.instruments.get(code, {}))
        ci = self.store.index.get(code)
        if ci is None or not base:
            return base
        pre = float(self.store.mat["preClose"][ci, max(self.C.barpos, 0)])
        if pre > 0:
            d = self.bar_date(max(self.C.barpos, 0))
            try:
                up, down = rules.limit_prices(pre, rules.limit_ratio(code, d), code)
            except ValueError:
                up, down = 0.0, 0.0
            base.update(PreClose=pre, UpStopPrice=up, DownStopPrice=down)
        return base

    def sectors(self) -> dict:
        """Sector name -> codes."""
        return self.store.sectors

    def trading_days(self, start, end) -> list[str]:
        """XSHG sessions as 'YYYYMMDD' strings."""
        s = xcal.to_date(start) if start else xcal.covered_range()[0]
        e = xcal.to_date(end) if end else xcal.covered_range()[1]
        return [d.strftime("%Y%m%d") for d in xcal.sessions(s, e)]

    def is_suspended(self, code: str) -> bool:
        """True when the code has no trade on the current bar."""
        ci = self.store.index.get(code)
        if ci is None:
            return True
        i = max(self.C.barpos, 0)
        return bool(self.store.mat["suspendFlag"][ci, i] > 0 or not self.store.mat["volume"][ci, i] > 0)

    def subscribe(self, codes, callback, whole: bool) -> int:
        """Register a quote subscription (pushes happen in simulation only)."""
        sid = len(self.subscriptions) + 1
        self.subscriptions[sid] = (codes, callback, whole)
        return sid

    def paint(self, name: str, value) -> None:
        """Record a painted value at the current bar."""
        try:
            self.result.paints.setdefault(name, {})[self.now_ms()] = float(value)
        except (TypeError, ValueError):
            pass

    def bar_date(self, i: int) -> dt.date:
        """Beijing date of bar i."""
        return dt.datetime.fromtimestamp(int(self.store.times[i]) / 1000 + 8 * 3600, dt.UTC).date()

    # -- the backtest loop ----------------------------------------------------------------------------------
    def run_bars(self, store: BarStore) -> RunResult:
        """QMT's backtest: init, after_init, handlebar on every bar in [start, end], on_backtest_finished, stop."""
        self.store = store
        self.broker = BarBroker(store, self.account_id or "backtest", self.cash, float(self.C.slippage or 0))
        if not self.C.stock_code:
            self._set_main_code(store.codes[0])
        self.load()
        self._call("init")                                 # as in QMT: timelist is still empty during init
        self.C.timelist = [int(t) for t in store.times]
        if float(self.C.asset) != self.cash and not self.broker.orders:     # C.capital = ... in init sets the cash
            self.cash = self.broker.cash = float(self.C.asset)
            self.result.start_cash = self.cash
        if self.C.slippage and int(self.C.slippage_type) == 2:               # ratio slippage (type 2)
            self.broker.slippage = float(self.C.slippage)
        self.broker.account_id = self.account_id or self.broker.account_id
        self.result.account_id = self.broker.account_id
        self._set_main_code(self.C.stock_code)
        self.flush_callbacks()
        self._call("after_init")
        lo = int(np.searchsorted(store.times, _bound(self.start, False), "left")) if self.start else 0
        hi = int(np.searchsorted(store.times, _bound(self.end, True), "right")) if self.end else len(store.times)
        if lo >= hi:
            raise ScriptError(f"no {store.period} bars between --start {self.start!r} and --end {self.end!r}")
        handlebar = self.g.get("handlebar")
        C, broker, res = self.C, self.broker, self.result
        timelist = C.timelist
        dates = [dt.datetime.fromtimestamp(t / 1000 + 8 * 3600, dt.UTC).date() for t in timelist]
        daily = store.period == "1d"
        logger.info("qmt backtest start script={} bars={} codes={} start={} end={}", self.path.name, hi - lo,
                    len(store.codes), dates[lo], dates[hi - 1])
        for i in range(lo, hi):
            C.barpos = i
            d = dates[i]
            broker.start_bar(i, d)
            if handlebar is not None:
                handlebar(C)
                res.handlebar_calls += 1
            if self.pending_callbacks:
                self.flush_callbacks()
            C.lastrunbarpos = i
            if daily or i + 1 == hi or dates[i + 1] != d:
                res.dates.append(d)
                res.equity.append(broker.equity())
        self._call("on_backtest_finished")
        self._call("stop")
        res.orders, res.deals, res.realized = broker.orders, broker.deals, broker.realized
        logger.info("qmt backtest done script={} orders={} deals={} final_equity={:.2f}", self.path.name,
                    len(res.orders), len(res.deals), res.equity[-1])
        return res


def _bound(s: str, end: bool) -> int:
    """--start/--end 'YYYYMMDD' or 'YYYY-MM-DD[ HH:MM:SS]' -> ms timetag bound."""
    digits = "".join(ch for ch in str(s) if ch.isdigit())
    if len(digits) == 8:
        t = datetime_to_timetag(digits, "%Y%m%d")
        return t + 86_400_000 - 1 if end else t
    return datetime_to_timetag(digits[:14], "%Y%m%d%H%M%S")


__all__ = ["QmtRunner", "RunResult", "ScriptError", "restore_state", "user_state"]
