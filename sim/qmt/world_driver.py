"""Simulation (and tick/minute backtests) of a QMT script against a World: snapshots drive handlebar, orders go
to the World's Exchange (the same matching engine the fake xttrader uses), exchange events become callbacks."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from loguru import logger

from sim.exchange import events as E
from sim.qmt import records as R
from sim.qmt.context import frame_slice, restore_state, user_state
from sim.qmt.runner import QmtRunner, RunResult
from sim.qmt.script import ScriptError
from sim.world import SimConfig, World

FIX_PRICE = 11   # xtconstant.FIX_PRICE: the emulator sends every passorder as a limit order at a concrete price


def order_record(o: E.OrderState) -> R.DetailData:
    """An exchange OrderState as QMT's ORDER detail record."""
    rec = R.new_order(o.account_id, o.order_id, o.stock_code, o.order_type, o.order_volume, o.price, 0,
                      o.strategy_name, o.order_remark, R.stamp(o.order_time * 1000), o.instrument_name)
    rec.m_strOrderSysID = str(o.order_sysid or o.order_id)
    rec.m_nOrderStatus = o.order_status
    rec.m_nVolumeTraded = o.traded_volume
    rec.m_nVolumeTotal = 0 if o.order_status in E.FINAL_STATUSES else o.order_volume - o.traded_volume
    rec.m_dTradedPrice = o.traded_price
    rec.m_dTradeAmount = o.traded_price * o.traded_volume
    rec.m_nOrderPriceType = o.price_type
    if o.order_status == E.ORDER_JUNK:
        rec.m_strErrorMsg = o.status_msg
    elif o.order_status in (E.ORDER_CANCELED, E.ORDER_PART_CANCEL):
        rec.m_strCancelInfo = o.status_msg
    return rec


def deal_record(t: E.TradeState) -> R.DetailData:
    """An exchange TradeState as QMT's DEAL detail record."""
    num, mkt = R.split_code(t.stock_code)
    d, hms = R.stamp(t.traded_time * 1000)
    flag = R.FLAG_BUY if t.order_type == E.STOCK_BUY else R.FLAG_SELL
    return R.DetailData(
        m_strAccountID=t.account_id, m_strTradeID=str(t.traded_id), m_strOrderSysID=str(t.order_sysid or t.order_id),
        m_strOrderRef=str(t.order_id), m_strInstrumentID=num, m_strExchangeID=mkt,
        m_strInstrumentName=t.instrument_name, m_nOffsetFlag=flag, m_nDirection=flag,
        m_strOptName="限价买入" if flag == R.FLAG_BUY else "限价卖出", m_dPrice=t.traded_price, m_nVolume=t.traded_volume,
        m_dTradeAmount=t.traded_amount, m_dComssion=t.commission, m_strTradeDate=d, m_strTradeTime=hms,
        m_strRemark=t.order_remark, m_strStrategyName=t.strategy_name)


class WorldRunner(QmtRunner):
    """QmtRunner whose data, clock and orders come from a World."""

    def attach(self, world: World) -> None:
        """Use `world` for quotes and its Exchange for orders; open the account with the run's cash."""
        self.world = world
        self.pending_orders: list[tuple] = []
        self.saved_state: dict | None = None
        self._tick_cache: dict[str, dict] = {}
        world.exchange.add_listener(self._on_event)

    def _ensure_account(self) -> None:
        if self.account_id and self.account_id not in self.world.exchange.accounts:
            self.world.exchange.open_account(self.account_id, self.cash)
            self.result.account_id = self.account_id

    def _account_ok(self, acc: str) -> bool:
        ok = super()._account_ok(acc)
        if ok:
            self._ensure_account()
        return ok

    # -- exchange events -> QMT callbacks -------------------------------------------------------------------
    def _on_event(self, ev) -> None:
        if isinstance(ev, E.OrderUpdate) and ev.order.account_id == self.account_id:
            self.last_order_id = str(ev.order.order_sysid or ev.order.order_id)
            self._queue("order_callback", order_record(ev.order))
        elif isinstance(ev, E.TradeEvent) and ev.trade.account_id == self.account_id:
            self.last_deal_id = str(ev.trade.traded_id)
            self._queue("deal_callback", deal_record(ev.trade))
        elif isinstance(ev, E.OrderError) and ev.account_id == self.account_id:
            args = R.DetailData(accountID=ev.account_id, orderId=ev.order_id, userOrderId=ev.order_remark,
                                m_strRemark=ev.order_remark, strategyName=ev.strategy_name)
            self._queue("orderError_callback", args, ev.error_msg)

    def _queue(self, name: str, *payload) -> None:
        if name != "orderError_callback" and self.callbacks_account != self.account_id:
            return                         # QMT pushes order/deal callbacks for accounts bound with set_account
        super()._queue(name, *payload)

    # -- orders ---------------------------------------------------------------------------------------------
    def accepts(self, quick_trade) -> bool:
        """quickTrade: 2 always sends; 1 only on the last bar; 0 at the close of the bar (queued)."""
        if self.mode == "backtest":
            return True
        q = int(quick_trade or 0)
        if q >= 2:
            return True
        return self.C.is_last_bar()

    def passorder(self, opType, orderType, accountid, orderCode, prType, modelprice, volume,
                  strategyName="", quickTrade=0, userOrderId=""):
        """quickTrade=0 orders wait for the bar to complete (dropped if the bar's handlebar runs again)."""
        if self.mode != "backtest" and int(quickTrade or 0) == 0:
            if self.C.is_last_bar():
                self.pending_orders.append((opType, orderType, accountid, orderCode, prType, modelprice, volume,
                                            strategyName, 2, userOrderId))
            return None
        return super().passorder(opType, orderType, accountid, orderCode, prType, modelprice, volume,
                                 strategyName, quickTrade, userOrderId)

    def submit(self, args, op, code, vol, pr_type, price, strategy, remark):
        """Price the order from the current tick as QMT does for the prType, then send it as a limit order."""
        px = self._price_for(code, op == R.OP_BUY, pr_type, price)
        if px <= 0:
            self._queue("orderError_callback", args, f"{code} 无有效{R.PR_NAMES.get(pr_type, '委托')}价格, 未报")
            return None
        oid = self.world.exchange.submit(self.account_id, code, op, vol, FIX_PRICE, px, strategy, remark)
        if oid > 0:
            self.last_order_id = str(oid)
        return None

    def _price_for(self, code: str, buy: bool, pr_type: int, price: float) -> float:
        if pr_type == R.PR_FIXED:
            return float(price)
        t = self.world.full_tick([code]).get(code)
        inst = self.world.instruments.get(code, {})
        if pr_type == R.PR_LIMIT:
            return float(inst.get("UpStopPrice" if buy else "DownStopPrice", 0.0))
        if t is None or not t.get("lastPrice"):
            return float(inst.get("PreClose", 0.0))           # before the first tick: the previous close
        ask, bid, last = t["askPrice"][0], t["bidPrice"][0], t["lastPrice"]
        if pr_type == R.PR_SELL1:
            return ask or last
        if pr_type == R.PR_BUY1:
            return bid or last
        if pr_type == R.PR_COUNTERPARTY:
            return (ask if buy else bid) or last
        return last

    def cancel(self, order_sysid: str, acc: str) -> bool:
        """Cancel by QMT order number (m_strOrderSysID)."""
        if not self._account_ok(acc):
            return False
        for o in self.world.exchange.orders(self.account_id, cancelable_only=True):
            if str(o.order_sysid or o.order_id) == str(order_sysid):
                return self.world.exchange.cancel(self.account_id, o.order_id) == 0
        return False

    def detail(self, datatype: str) -> list:
        """Trade detail records from the Exchange's account state."""
        ex, acc = self.world.exchange, self.account_id
        if acc not in ex.accounts:
            return []
        if datatype == "ORDER":
            return [order_record(o) for o in ex.orders(acc)]
        if datatype == "DEAL":
            return [deal_record(t) for t in ex.trades(acc)]
        if datatype == "POSITION":
            return [R.position_record(acc, p.stock_code, p.volume, p.can_use_volume, p.open_price,
                                      p.last_price or p.open_price, p.instrument_name, p.frozen_volume,
                                      p.yesterday_volume) for p in ex.positions(acc) if p.volume > 0]
        if datatype == "ACCOUNT":
            a = ex.asset(acc)
            return [R.account_record(acc, a.cash, a.frozen_cash, a.market_value)] if a else []
        return []

    # -- data -----------------------------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.world.now_ms)

    def ref_price(self, code: str) -> float:
        t = self.world.full_tick([code]).get(code)
        return float(t["lastPrice"]) if t else 0.0

    def market_data(self, fields, codes, period, start_time, end_time, count) -> dict:
        """World bars (history + today so far) or today's ticks for period='tick'."""
        out = {}
        for c in codes:
            if period == "tick":
                rows = self.tick_log.get(c, [])
                df = pd.DataFrame(rows[-count:] if count and count > 0 else rows)
                out[c] = df[fields] if fields and len(df) else df
                continue
            df = self.world.bars(c, period, start_time, end_time, count)
            out[c] = frame_slice(df, fields, slice(None)) if len(df) else df
        return out

    def full_tick(self, codes) -> dict:
        """Latest tick per code: the pushes seen so far (= World.full_tick, without rebuilding every dict)."""
        cache = self._tick_cache
        out = {c: cache[c] for c in codes if c in cache}
        if len(out) < len(codes):
            missing = [c for c in codes if c not in cache]
            out.update(self.world.full_tick(missing))
        return out

    def instrument(self, code: str) -> dict:
        return dict(self.world.instruments.get(code, {}))

    def sectors(self) -> dict:
        return self.world.sectors

    def is_suspended(self, code: str) -> bool:
        return code in self.world.suspended

    # -- the loop -------------------------------------------------------------------------------------------
    def run_world(self) -> RunResult:
        """init, handlebar over history bars, then one handlebar per snapshot (new bar or rerun of the last)."""
        self._start()
        self._run_day()
        return self._finish()

    def run_days(self, worlds) -> RunResult:
        """Several simulated days in a row (one World each): the script keeps running, the account carries over
        (cash and positions, sellable the next day); each day's prices come from its own generated World."""
        first = True
        for w in worlds:
            if first:
                if getattr(self, "world", None) is not w:
                    self.attach(w)
                self._start()
                first = False
            else:
                self._next_world(w)
            self._run_day()
            self._close_day()
        return self._finish(record_day=False)

    def _start(self) -> None:
        w = self.world
        self.tick_log: dict[str, list] = {}
        if not self.C.stock_code:
            self._set_main_code(next(iter(w.sectors.get("沪深A股", []) or w.instruments)))
        self.C.timelist = []
        self.load()
        self._call("init")                                 # as in QMT: the main chart's bars load after init
        self._ensure_account()
        self._set_main_code(self.C.stock_code)
        if self.period == "1d":
            hist = w.bars(self.C.stock_code, "1d")
            self.C.timelist = [int(t) for t in hist["time"]]
        self.flush_callbacks()
        self._call("after_init")
        self._handlebar = self.g.get("handlebar")
        for i in range(len(self.C.timelist)):            # history bars: is_last_bar() is False
            self._bar(self._handlebar, i, new=True)

    def _run_day(self) -> None:
        w = self.world
        today = int(pd.Timestamp(w.trade_date).value // 1_000_000) - 8 * 3_600_000
        logger.info("qmt world run script={} mode={} period={} date={} snapshots={}", self.path.name, self.mode,
                    self.period, w.trade_date, w.n_snapshots)
        while True:
            ticks = w.step()
            if ticks is None:
                break
            self._tick_cache.update(ticks)
            self._log_ticks(ticks)
            self.flush_callbacks()
            self._push_subscriptions(ticks)
            bar_t = self._bar_time(w.now_ms, today)
            new = not self.C.timelist or self.C.timelist[-1] < bar_t
            if new:
                self._send_pending()
                self.C.timelist.append(bar_t)
            self._bar(self._handlebar, len(self.C.timelist) - 1, new=new)
        self.pending_orders = []                         # quickTrade=0 orders of the unfinished last bar never go out
        self.flush_callbacks()

    def _close_day(self) -> None:
        """Record the day's closing equity and its orders/deals."""
        w = self.world
        a = w.exchange.asset(self.account_id) if self.account_id in w.exchange.accounts else None
        self.result.dates.append(w.trade_date)
        self.result.equity.append(float(a.total_asset) if a else self.cash)
        self.result.orders.extend(self.detail("ORDER"))
        deals = self.detail("DEAL")
        self.result.deals.extend(deals)
        self._realize(deals)

    def _realize(self, deals) -> None:
        """Realised P&L of each sell deal against the running average cost (for the win rate)."""
        book = getattr(self, "_cost_book", {})
        self._cost_book = book
        for d in deals:
            code = f"{d.m_strInstrumentID}.{d.m_strExchangeID}"
            vol, cost = book.get(code, (0, 0.0))
            if d.m_nOffsetFlag == R.FLAG_BUY:
                book[code] = (vol + d.m_nVolume, cost + d.m_dTradeAmount + d.m_dComssion)
            elif vol > 0:
                avg = cost / vol
                q = min(d.m_nVolume, vol)
                self.result.realized.append(d.m_dTradeAmount - d.m_dComssion - avg * q)
                book[code] = (vol - q, cost - avg * q)

    def _next_world(self, w: World) -> None:
        """Move the account (cash, positions) to the next day's World and keep the script running."""
        old = self.world
        acc = self.account_id
        cash = old.exchange.asset(acc).cash if acc in old.exchange.accounts else self.cash
        held = {p.stock_code: p.volume for p in old.exchange.positions(acc) if p.volume > 0 and
                p.stock_code in w.instruments} if acc in old.exchange.accounts else {}
        old.exchange.remove_listener(self._on_event)
        self.world = w
        self._tick_cache = {}
        w.exchange.add_listener(self._on_event)
        if acc:
            w.exchange.open_account(acc, cash, held)

    def _finish(self, record_day: bool = True) -> RunResult:
        self._call("stop")
        if record_day:
            self._close_day()
        return self.result

    def _bar(self, handlebar, i: int, new: bool) -> None:
        C = self.C
        if new:
            if self.mode != "backtest":
                self.saved_state = user_state(C)
        elif self.saved_state is not None:
            restore_state(C, self.saved_state)         # QMT: attributes roll back to the end of the last bar
            self.pending_orders = []
        C.barpos = i
        self.new_bar = new
        if handlebar is not None:
            handlebar(C)
            self.result.handlebar_calls += 1
        C.lastrunbarpos = i
        self.flush_callbacks()

    def _send_pending(self) -> None:
        pending, self.pending_orders = self.pending_orders, []
        for args in pending:
            QmtRunner.passorder(self, *args)

    def _bar_time(self, now_ms: int, day_ms: int) -> int:
        if self.period == "1d":
            return day_ms
        if self.period == "1m":
            return int(math.ceil(now_ms / 60_000) * 60_000)
        return int(now_ms)

    def _log_ticks(self, ticks: dict) -> None:
        if self.period == "tick" and self.C.stock_code in ticks:
            self.tick_log.setdefault(self.C.stock_code, []).append(ticks[self.C.stock_code])

    def _push_subscriptions(self, ticks: dict) -> None:
        for codes, cb, whole in list(self.subscriptions.values()):
            if cb is None:
                continue
            got = {c: ticks[c] for c in codes if c in ticks}
            if got:
                cb(got if whole else {c: [t] for c, t in got.items()})


def run_world(args) -> RunResult:
    """`python -m sim qmt --mode simulation` (or --period 1m/tick): one simulated day from a World, or every
    session in --start..--end for a tick/minute backtest."""
    from sim.qmt.cli import user_args

    if args.mode == "backtest" and args.period == "1d":
        raise ScriptError("daily backtests run on bar data; use --mode simulation or --period 1m/tick for a World day")
    tape = getattr(args, "tape", "")
    if args.mode == "backtest" and args.start and args.end and not tape:
        return run_world_days(args)
    if tape:
        world = World(tape=tape)
    else:
        date = dt.date.fromisoformat(args.date) if args.date else None
        world = World(SimConfig(seed=args.seed, n_stocks=args.stocks, n_etfs=args.etfs, trade_date=date,
                                planted_limit_ups=getattr(args, "limit_ups", None)))
    runner = WorldRunner(args.script, mode=args.mode, period=args.period, stock_code=args.stock_code,
                         account_id=args.account, cash=args.cash, user_args=user_args(args.set),
                         enforce_imports=not args.allow_any_import)
    runner.attach(world)
    return runner.run_world()


def run_world_days(args) -> RunResult:
    """A tick/minute backtest over every XSHG session in [--start, --end], one generated World per day."""
    from sim import calendar as xcal
    from sim.qmt.cli import user_args

    days = xcal.sessions(args.start, args.end)
    if not days:
        raise ScriptError(f"no trading days between --start {args.start} and --end {args.end}")
    worlds = (World(SimConfig(seed=args.seed, n_stocks=args.stocks, n_etfs=args.etfs, trade_date=d,
                              planted_limit_ups=getattr(args, "limit_ups", None))) for d in days)
    first = next(worlds)
    runner = WorldRunner(args.script, mode=args.mode, period=args.period, stock_code=args.stock_code,
                         account_id=args.account, cash=args.cash, user_args=user_args(args.set),
                         enforce_imports=not args.allow_any_import)
    runner.attach(first)

    def chain():
        yield first
        yield from worlds

    return runner.run_days(chain())
