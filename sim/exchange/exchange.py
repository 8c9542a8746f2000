"""The simulated exchange + broker counter: order entry checks, cash/share freezing, matching, fees, events."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from loguru import logger

from sim import rules
from sim.exchange import events as E
from sim.exchange import orders as O
from sim.exchange.account import Account, Order, Position, from_milli, to_milli
from sim.exchange.matching import Matcher

MARKET_ENUM = {"SH": 0, "SZ": 1, "BJ": 70}


@dataclass(frozen=True, slots=True)
class ExchangeConfig:
    """Counter/exchange behaviour knobs."""
    fees: rules.FeeSchedule = field(default_factory=rules.FeeSchedule)
    participation: float = 0.5          # share of displayed depth / traded volume one order may take
    remark_max_len: int | None = None   # truncate order_remark to this many characters (some brokers do)
    first_order_id: int = 1
    first_sysid: int = 1_000_001


def _sod(now_ms: int) -> int:
    return (now_ms // 1000 + 8 * 3600) % 86400


class Exchange:
    """Accounts + order book matching against the simulated level-1 quotes; events delivered synchronously."""

    def __init__(self, instruments: dict[str, dict], trade_date: dt.date, config: ExchangeConfig = ExchangeConfig(),
                 t0_codes: frozenset[str] | set[str] = frozenset(), suspended: frozenset[str] | set[str] = frozenset(),
                 quote_source: Callable[[str], dict | None] | None = None,
                 price_source: Callable[[str], float | None] | None = None):
        self.instruments = instruments
        self.trade_date = trade_date
        self.config = config
        self.t0_codes = frozenset(t0_codes)
        self.suspended = frozenset(suspended)
        self.quote_source = quote_source   # optional code -> latest tick; else the exchange caches every pushed tick
        self.price_source = price_source   # optional code -> latest lastPrice (cheap valuations)
        self.accounts: dict[str, Account] = {}
        self.now_ms = 0
        self._listeners: list[Callable[[object], None]] = []
        self._next_order_id = config.first_order_id
        self._next_sysid = config.first_sysid
        self._next_trade_id = 1
        self.matcher = Matcher(self)
        self._orders: dict[int, Order] = {}
        self._live: dict[int, Order] = {}   # live orders in time priority (insertion order = order id order)

    # ---- plumbing ------------------------------------------------------------------------------------
    def add_listener(self, fn: Callable[[object], None]) -> None:
        """Receive every event (OrderUpdate, TradeEvent, ...) synchronously, in order."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[object], None]) -> None:
        """Stop delivering events to fn."""
        if fn in self._listeners:
            self._listeners.remove(fn)

    def emit(self, event: object) -> None:
        for fn in list(self._listeners):
            fn(event)

    def set_time(self, now_ms: int) -> None:
        """Move the exchange clock (ms epoch) without a snapshot."""
        self.now_ms = now_ms
        self.matcher.on_time()

    def phase(self, code: str) -> str:
        """Trading phase of code now."""
        return rules.phase(code, _sod(self.now_ms), self.trade_date)

    # ---- accounts ------------------------------------------------------------------------------------
    def open_account(self, account_id: str, cash: float = 1_000_000.0, positions: dict[str, int] | None = None) -> None:
        """Create an account with cash and (sellable, carried-over) positions."""
        acct = Account(account_id=account_id, cash_milli=to_milli(cash), initial_milli=to_milli(cash))
        for code, vol in (positions or {}).items():
            pc = self.instruments.get(code, {}).get("PreClose", 0.0)
            acct.positions[code] = Position(code=code, volume=int(vol), can_use=int(vol), yesterday=int(vol),
                                            cost_milli=to_milli(pc) * int(vol))
        self.accounts[account_id] = acct

    # ---- order entry ---------------------------------------------------------------------------------
    def submit(self, account_id: str, stock_code: str, order_type: int, order_volume: int, price_type: int,
               price: float, strategy_name: str = "", order_remark: str = "") -> int:
        """Enter an order; returns its id (>0), or -1 if the account is unknown. Rejects end as status 57."""
        acct = self.accounts.get(account_id)
        if acct is None:
            return -1
        if self.config.remark_max_len is not None:
            order_remark = order_remark[: self.config.remark_max_len]
        oid = self._next_order_id
        self._next_order_id += 1
        inst = self.instruments.get(stock_code)
        buy = order_type == E.STOCK_BUY
        pt = O.PRICE_TYPES.get(price_type)
        o = Order(order_id=oid, account_id=account_id, code=stock_code, buy=buy, volume=int(order_volume),
                  req_price_type=price_type, broker_price_type=pt[0] if pt else O.BROKER_PRICE_LIMIT,
                  price_milli=0, price_echo=float(price), time_s=self.now_ms // 1000, strategy=strategy_name,
                  remark=order_remark, name=inst["InstrumentName"] if inst else "",
                  secu_account=acct.secu_account(stock_code))
        acct.orders[oid] = o
        self._orders[oid] = o
        err = self._check(acct, o, order_type, inst, pt, price)
        if err is not None:
            self._reject(o, *err)
            return oid
        self._live[oid] = o
        ph = self.phase(stock_code)
        if ph == rules.PRE_OPEN:
            o.status = E.ORDER_WAIT_REPORTING
            self.emit(E.OrderUpdate(o.state()))
        else:
            self._report(o)
        self._emit_holdings(acct, o.code)
        logger.debug("sim order id={} acct={} code={} side={} vol={} price={} pt={}", oid, account_id, stock_code,
                     "buy" if buy else "sell", order_volume, price, price_type)
        if o.status == E.ORDER_REPORTED:
            self.matcher.on_new_order(o)
        return oid

    def _check(self, acct: Account, o: Order, order_type: int, inst, pt, price: float):
        code = o.code
        if order_type not in (E.STOCK_BUY, E.STOCK_SELL):
            return O.ERR_ORDER_TYPE, f"不支持的委托类型{order_type}"
        if inst is None:
            return O.ERR_UNKNOWN_CODE, f"证券代码{code}不存在"
        if code in self.suspended:
            return O.ERR_SUSPENDED, f"{code}停牌, 不能委托"
        if rules.board(code) == rules.INDEX:
            return O.ERR_UNKNOWN_CODE, f"{code}是指数, 不能交易"
        ph = self.phase(code)
        if ph == rules.CLOSED:
            return O.ERR_CLOSED, "非交易时间, 不能委托"
        if pt is None:
            return O.ERR_PRICE_TYPE, f"不支持的报价类型{o.req_price_type}"
        _, kind, markets = pt
        mkt = code.rsplit(".", 1)[1]
        if mkt not in markets:
            return O.ERR_PRICE_TYPE, f"报价类型{o.req_price_type}不适用于{mkt}市场"
        o.kind = kind
        market = kind in O.MARKET_KINDS
        if market and ph != rules.CONTINUOUS:
            return O.ERR_MARKET_PHASE, "市价委托只能在连续竞价时段申报"
        up, down = inst["UpStopPrice"], inst["DownStopPrice"]
        if kind == "limit":
            if price <= 0:
                return O.ERR_PRICE_TICK, f"委托价格{price}必须大于0"
            div = 1000 if rules.is_fund(code) else 100
            if abs(price * div - round(price * div)) > 1e-6:
                return O.ERR_PRICE_TICK, f"委托价格{price}不是最小价位{1 / div}的整数倍"
            if up > 0 and not (down - 1e-9 <= price <= up + 1e-9):
                return O.ERR_PRICE_LIMIT, f"委托价格{price}超出涨跌停价格范围[{down}, {up}]"
            o.price_milli = to_milli(price)
        elif kind == "latest":
            last = self.matcher.last_price(code)
            o.price_milli = to_milli(last)
            o.price_echo = last
        else:
            o.price_echo = 0.0
            if up > 0:
                o.price_milli = to_milli(up if o.buy else down)
            else:
                o.price_milli = to_milli(self.matcher.last_price(code) * (1.2 if o.buy else 0.8))
            if rules.board(code) == rules.STAR and price > 0:   # STAR market orders carry a protection price
                o.price_echo = float(price)
                o.protect_milli = to_milli(price)
                if o.buy:
                    o.price_milli = min(o.price_milli, o.protect_milli)
        if o.buy:
            msg = rules.check_buy_volume(code, o.volume, market_order=market)
            if msg:
                return O.ERR_VOLUME, msg
            freeze = self._buy_cost(o, o.volume, o.price_milli)
            if freeze > acct.cash_milli:
                return O.ERR_CASH, f"可用资金不足: 需要{from_milli(freeze):.2f}, 可用{from_milli(acct.cash_milli):.2f}"
            acct.cash_milli -= freeze
            acct.frozen_milli += freeze
            o.frozen_milli = freeze
        else:
            pos = acct.positions.get(code)
            sellable = pos.can_use if pos else 0
            msg = rules.check_sell_volume(code, o.volume, sellable, market_order=market)
            if msg:
                return O.ERR_SELLABLE if o.volume > sellable else O.ERR_VOLUME, msg
            pos.can_use -= o.volume
            pos.frozen += o.volume
            o.frozen_vol = o.volume
        return None

    def _buy_cost(self, o: Order, volume: int, price_milli: int) -> int:
        amount = price_milli * volume
        com = rules.commission(o.code, Decimal(amount) / 1000, self.config.fees)
        lev = rules.levies(o.code, Decimal(amount) / 1000, True, self.trade_date)
        return amount + int((com + lev) * 1000)

    def _reject(self, o: Order, error_id: int, msg: str) -> None:
        o.status = E.ORDER_JUNK
        o.msg = msg
        self.emit(E.OrderUpdate(o.state()))
        self.emit(E.OrderError(o.account_id, o.order_id, error_id, msg, o.strategy, o.remark))
        logger.info("sim order rejected id={} code={} error_id={} msg={}", o.order_id, o.code, error_id, msg)

    def _report(self, o: Order) -> None:
        o.sysid = str(self._next_sysid)
        self._next_sysid += 1
        o.status = E.ORDER_REPORTED
        o.auction = self.phase(o.code) in (rules.PRE_OPEN, rules.CALL_OPEN, rules.CALL_OPEN_LOCKED)
        self.emit(E.OrderUpdate(o.state()))

    def report_held(self) -> None:
        """Report orders the counter held before 09:15 (called when the clock passes 09:15)."""
        for o in list(self._live.values()):
            if o.status == E.ORDER_WAIT_REPORTING and self.phase(o.code) != rules.PRE_OPEN:
                self._report(o)

    # ---- cancels -------------------------------------------------------------------------------------
    def cancel(self, account_id: str, order_id: int) -> int:
        """Cancel an order: 0 if accepted (51/52 then 53/54 pushed), -1 otherwise (+ CancelError)."""
        acct = self.accounts.get(account_id)
        o = acct.orders.get(order_id) if acct else None
        if o is None:
            self.emit(E.CancelError(account_id, order_id, -1, "", O.ERR_CANCEL_NOT_FOUND, f"委托{order_id}不存在"))
            return -1
        return self._cancel(o)

    def cancel_by_sysid(self, account_id: str, market: int, order_sysid: str) -> int:
        """Cancel by counter id and market (0 SH, 1 SZ, 70 BJ); same results as cancel()."""
        acct = self.accounts.get(account_id)
        for o in (acct.orders.values() if acct else ()):
            if o.sysid == str(order_sysid) and MARKET_ENUM.get(o.code.rsplit(".", 1)[1]) == market:
                return self._cancel(o)
        self.emit(E.CancelError(account_id, -1, market, str(order_sysid), O.ERR_CANCEL_NOT_FOUND,
                                f"柜台委托编号{order_sysid}不存在"))
        return -1

    def _cancel(self, o: Order) -> int:
        market = MARKET_ENUM.get(o.code.rsplit(".", 1)[1], -1)
        if o.status not in E.CANCELABLE_STATUSES:
            self.emit(E.CancelError(o.account_id, o.order_id, market, o.sysid, O.ERR_CANCEL_FINAL,
                                    f"委托{o.order_id}状态{o.status}不可撤单"))
            return -1
        if o.status in (E.ORDER_UNREPORTED, E.ORDER_WAIT_REPORTING):
            self.finish(o, E.ORDER_CANCELED, "撤单成功")
            return 0
        if self.phase(o.code) not in rules.CANCEL_PHASES:
            self.emit(E.CancelError(o.account_id, o.order_id, market, o.sysid, O.ERR_CANCEL_WINDOW,
                                    "当前时间不允许撤单(集合竞价不可撤单时段或已收市)"))
            return -1
        o.status = E.ORDER_PARTSUCC_CANCEL if o.traded else E.ORDER_REPORTED_CANCEL
        self.emit(E.OrderUpdate(o.state()))
        self.finish(o, E.ORDER_PART_CANCEL if o.traded else E.ORDER_CANCELED, "撤单成功")
        return 0

    def finish(self, o: Order, status: int, msg: str = "") -> None:
        """Move a live order to a final status, release what it still freezes, push the events."""
        acct = self.accounts[o.account_id]
        o.status = status
        self._live.pop(o.order_id, None)
        if msg:
            o.msg = msg
        if o.frozen_milli:
            acct.cash_milli += o.frozen_milli
            acct.frozen_milli -= o.frozen_milli
            o.frozen_milli = 0
        if o.frozen_vol:
            pos = acct.positions[o.code]
            pos.can_use += o.frozen_vol
            pos.frozen -= o.frozen_vol
            o.frozen_vol = 0
        self.emit(E.OrderUpdate(o.state()))
        self._emit_holdings(acct, o.code)

    # ---- fills ---------------------------------------------------------------------------------------
    def fill(self, o: Order, qty: int, price_milli: int) -> None:
        """Execute qty shares of o at price: fees, cash, position, events."""
        acct = self.accounts[o.account_id]
        amount = price_milli * qty
        o.traded += qty
        o.traded_milli += amount
        com_total = int(rules.commission(o.code, Decimal(o.traded_milli) / 1000, self.config.fees) * 1000)
        com = com_total - o.commission_milli
        o.commission_milli = com_total
        lev = int(rules.levies(o.code, Decimal(amount) / 1000, o.buy, self.trade_date) * 1000)
        fees = com + lev
        pos = acct.positions.get(o.code)
        if pos is None:
            pos = acct.positions[o.code] = Position(code=o.code)
        pos.touched = True
        if o.buy:
            cost = amount + fees
            use = min(cost, o.frozen_milli)
            o.frozen_milli -= use
            acct.frozen_milli -= use
            acct.cash_milli -= cost - use
            pos.volume += qty
            pos.cost_milli += cost
            if o.code in self.t0_codes:
                pos.can_use += qty
        else:
            acct.cash_milli += amount - fees
            before = pos.volume
            pos.cost_milli -= pos.cost_milli * qty // before if before else 0
            pos.volume -= qty
            pos.frozen -= qty
            o.frozen_vol -= qty
        tid = self._next_trade_id
        self._next_trade_id += 1
        trade = E.TradeState(
            account_type=E.SECURITY_ACCOUNT, account_id=o.account_id, order_type=E.STOCK_BUY if o.buy else E.STOCK_SELL,
            stock_code=o.code, traded_id=str(tid), traded_time=self.now_ms // 1000, traded_price=from_milli(price_milli),
            traded_volume=qty, traded_amount=from_milli(amount), order_id=o.order_id, order_sysid=o.sysid,
            strategy_name=o.strategy, order_remark=o.remark, direction=E.DIRECTION_FLAG_LONG,
            offset_flag=E.OFFSET_FLAG_OPEN if o.buy else E.OFFSET_FLAG_CLOSE, commission=from_milli(fees),
            secu_account=o.secu_account, instrument_name=o.name)
        acct.trades.append(trade)
        self.emit(E.TradeEvent(trade))
        if o.traded >= o.volume:
            self.finish(o, E.ORDER_SUCCEEDED, "")
        else:
            o.status = E.ORDER_PART_SUCC
            self.emit(E.OrderUpdate(o.state()))
            self._emit_holdings(acct, o.code)

    def _emit_holdings(self, acct: Account, code: str) -> None:
        pos = acct.positions.get(code)
        if pos is not None:
            self.emit(E.PositionUpdate(self._position_state(acct, pos)))
        self.emit(E.AssetUpdate(self.asset(acct.account_id)))

    # ---- queries -------------------------------------------------------------------------------------
    def orders(self, account_id: str, cancelable_only: bool = False) -> list[E.OrderState]:
        """Today's orders of the account (only cancelable ones if asked)."""
        acct = self.accounts.get(account_id)
        if acct is None:
            return []
        return [o.state() for o in acct.orders.values()
                if not cancelable_only or o.status in E.CANCELABLE_STATUSES]

    def order(self, account_id: str, order_id: int) -> E.OrderState | None:
        """One order, or None."""
        acct = self.accounts.get(account_id)
        o = acct.orders.get(order_id) if acct else None
        return o.state() if o else None

    def trades(self, account_id: str) -> list[E.TradeState]:
        """Today's fills of the account."""
        acct = self.accounts.get(account_id)
        return list(acct.trades) if acct else []

    def positions(self, account_id: str) -> list[E.PositionState]:
        """Holdings (including ones sold out today)."""
        acct = self.accounts.get(account_id)
        if acct is None:
            return []
        return [self._position_state(acct, p) for p in acct.positions.values() if p.volume or p.touched]

    def _position_state(self, acct: Account, p: Position) -> E.PositionState:
        last = self.matcher.last_price(p.code)
        avg = p.cost_milli / p.volume / 1000 if p.volume else 0.0
        return E.PositionState(
            account_type=E.SECURITY_ACCOUNT, account_id=acct.account_id, stock_code=p.code, volume=p.volume,
            can_use_volume=p.can_use, open_price=round(avg, 4), market_value=round(p.volume * last, 2),
            frozen_volume=p.frozen, on_road_volume=0, yesterday_volume=p.yesterday, avg_price=round(avg, 4),
            direction=E.DIRECTION_FLAG_LONG, last_price=last,
            profit_rate=round((last - avg) / avg, 6) if avg else 0.0, secu_account=acct.secu_account(p.code),
            instrument_name=self.instruments.get(p.code, {}).get("InstrumentName", ""))

    def asset(self, account_id: str) -> E.AssetState | None:
        """Cash (available), frozen cash, market value, total asset."""
        acct = self.accounts.get(account_id)
        if acct is None:
            return None
        mv = sum(p.volume * self.matcher.last_price(p.code) for p in acct.positions.values())
        cash, frozen = from_milli(acct.cash_milli), from_milli(acct.frozen_milli)
        return E.AssetState(account_type=E.SECURITY_ACCOUNT, account_id=account_id, cash=cash, frozen_cash=frozen,
                            market_value=round(float(mv), 2), total_asset=round(cash + frozen + mv, 2), fetch_balance=cash)

    # ---- market side ---------------------------------------------------------------------------------
    def on_snapshot(self, ticks: dict[str, dict], now_ms: int) -> None:
        """A new level-1 snapshot: advance the clock, run auctions, match resting orders."""
        self.now_ms = now_ms
        self.matcher.on_snapshot(ticks)

    def live_orders(self) -> list[Order]:
        """All live orders of all accounts in time priority."""
        return list(self._live.values())

    def settle_day(self, next_date: dt.date | None = None) -> None:
        """End of day: unfilled orders are cancelled, T+1 rollover (can_use_volume = volume), today's lists cleared."""
        for o in self.live_orders():
            self.finish(o, E.ORDER_PART_CANCEL if o.traded else E.ORDER_CANCELED, "收市撤单")
        for acct in self.accounts.values():
            for code in list(acct.positions):
                p = acct.positions[code]
                if p.volume == 0:
                    del acct.positions[code]
                    continue
                p.can_use = p.volume
                p.yesterday = p.volume
                p.frozen = 0
                p.touched = False
            acct.orders.clear()
            acct.trades.clear()
        self._orders.clear()
        self._live.clear()
        if next_date is not None:
            self.trade_date = next_date
        self.matcher.reset_day()
