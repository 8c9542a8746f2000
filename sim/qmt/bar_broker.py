"""The bar-close fill path of QMT backtests: orders placed in handlebar trade at the bar (fast, A-share rules).

QMT's own backtest fills a passorder against the bar it was placed on; so does this broker. The rules are
sim.rules' (lots, T+1, price limits, fees); only the matching is by bar instead of by order book, which is
what makes a 500-stock x 1,250-day daily backtest run in about a second.
"""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np

from sim import rules
from sim.qmt import records as R
from sim.qmt.data import BarStore


class Fill:
    """One executed or rejected order, as the runner reports it to callbacks."""

    __slots__ = ("deal", "error", "order")

    def __init__(self, order, deal=None, error: str = ""):
        self.order, self.deal, self.error = order, deal, error


class Position:
    """Shares held in one code; cost is the total paid including buy fees."""

    __slots__ = ("can_use", "cost", "volume", "yesterday")

    def __init__(self) -> None:
        self.volume = 0
        self.can_use = 0
        self.yesterday = 0
        self.cost = 0.0


class BarBroker:
    """Cash, positions, orders and deals of one backtest account, filled at bar prices."""

    def __init__(self, store: BarStore, account_id: str, cash: float, slippage: float = 0.0,
                 fees: rules.FeeSchedule | None = None):
        self.store = store
        self.account_id = account_id
        self.cash = float(cash)
        self.slippage = float(slippage)
        self.fees = fees or rules.FeeSchedule()
        self.positions: dict[str, Position] = {}
        self.orders: list[R.DetailData] = []
        self.deals: list[R.DetailData] = []
        self.commission_total = 0.0
        self.realized: list[float] = []          # P&L of each sell (after fees), for the win rate
        self._next_id = 1
        self._held = np.zeros(len(store.codes))
        c = store.mat["close"]
        # forward-filled closes: the mark price of a code on a bar where it has no data
        self._mark = _ffill(c)
        self.pos = 0
        self.date = dt.date(1970, 1, 1)
        self._when = ("19700101", "000000")
        self._kind = {c: _kind(c) for c in store.codes}
        self._up, self._down = _limit_matrices(store, self._kind)
        self._levy_rates: tuple[int, int, int, int] = (0, 1, 0, 1)

    # -- clock ------------------------------------------------------------------------------------------
    def start_bar(self, pos: int, date: dt.date) -> None:
        """Move to bar `pos`; a new date makes yesterday's shares sellable (T+1)."""
        self.pos = pos
        self._when = R.stamp(int(self.store.times[pos]))
        if date != self.date:
            self.date = date
            self._levy_rates = (*_ratio(rules.transfer_rate(date)), *_ratio(rules.stamp_rate(date)))
            for p in self.positions.values():
                p.can_use = p.volume
                p.yesterday = p.volume

    def equity(self) -> float:
        """Cash plus positions marked at the bar's close."""
        return self.cash + float(self._held @ np.nan_to_num(self._mark[:, self.pos]))

    # -- orders -----------------------------------------------------------------------------------------
    def submit(self, op: int, code: str, volume: int, pr_type: int, price: float, strategy: str,
               remark: str) -> Fill:
        """Place and immediately match one order against the current bar."""
        oid = self._next_id
        self._next_id += 1
        ci = self.store.index.get(code)
        name = self.store.instruments.get(code, {}).get("InstrumentName", "")
        order = R.new_order(self.account_id, oid, code, op, volume, price, pr_type, strategy, remark, self._when, name)
        self.orders.append(order)
        if ci is None:
            return self._junk(order, f"证券代码{code}不存在")
        i = self.pos
        close = self.store.mat["close"][ci, i]
        if math.isnan(close) or self.store.mat["suspendFlag"][ci, i] > 0 or self.store.mat["volume"][ci, i] <= 0:
            return self._cancel(order, f"{code} 停牌或无行情, 未成交")
        buy = op == R.OP_BUY
        kind = self._kind[code]
        err = self._volume_error(code, kind, buy, volume)
        if err:
            return self._junk(order, err)
        fill_px = self._fill_price(ci, i, buy, pr_type, price, kind)
        if fill_px is None:
            return self._cancel(order, "委托价格未在当根K线价格范围内, 未成交")
        up, down = self._up[ci, i], self._down[ci, i]
        if buy and close >= up and fill_px >= up:
            return self._cancel(order, f"{code} 涨停封板, 买入未成交")
        if not buy and close <= down and fill_px <= down:
            return self._cancel(order, f"{code} 跌停封板, 卖出未成交")
        amount_units = round(fill_px * 1000) * volume          # exact amount in 0.001 CNY
        amount = amount_units / 1000.0
        fee = self._fee(kind, amount_units, buy)
        if buy and amount + fee > self.cash + 1e-9:
            return self._junk(order, f"可用资金不足: 需要{amount + fee:.2f}, 可用{self.cash:.2f}")
        deal = R.new_deal(order, oid, volume, fill_px, fee, self._when)
        self.deals.append(deal)
        self.commission_total += fee
        p = self.positions.get(code)
        if p is None:
            p = self.positions[code] = Position()
        if buy:
            self.cash -= amount + fee
            p.volume += volume
            p.cost += amount + fee
        else:
            avg = p.cost / p.volume if p.volume else 0.0
            self.cash += amount - fee
            self.realized.append(amount - fee - avg * volume)
            p.cost -= avg * volume
            p.volume -= volume
            p.can_use -= volume
            if p.volume == 0:
                del self.positions[code]
        self._held[ci] = p.volume if p.volume else 0
        order.m_nVolumeTraded = volume
        order.m_nVolumeTotal = 0
        order.m_dTradedPrice = fill_px
        order.m_dTradeAmount = amount
        order.m_nOrderStatus = R.ST_SUCCEEDED
        return Fill(order, deal)

    def cancel(self, order_sysid: str) -> bool:
        """Bar orders are final when submitted: nothing is left to cancel."""
        return False

    def _junk(self, order, msg: str) -> Fill:
        order.m_nOrderStatus = R.ST_JUNK
        order.m_strErrorMsg = msg
        order.m_nErrorID = -1
        order.m_nVolumeTotal = 0
        return Fill(order, None, msg)

    def _cancel(self, order, msg: str) -> Fill:
        order.m_nOrderStatus = R.ST_CANCELED
        order.m_strCancelInfo = msg
        order.m_dCancelAmount = float(order.m_nVolumeTotalOriginal)
        order.m_nVolumeTotal = 0
        return Fill(order)

    def _can_use(self, code: str) -> int:
        p = self.positions.get(code)
        return p.can_use if p else 0

    def _volume_error(self, code: str, kind: str, buy: bool, volume: int) -> str | None:
        """sim.rules' lot checks; main-board/ChiNext/ETF valid volumes are recognised without calling them."""
        can_use = 0 if buy else self._can_use(code)
        if kind in ("stock100", "fund") and volume > 0:
            if buy and volume % 100 == 0:
                return None
            if not buy and volume <= can_use and (volume % 100 == 0 or volume % 100 == can_use % 100):
                return None
        try:
            return rules.check_buy_volume(code, volume) if buy else rules.check_sell_volume(code, volume, can_use)
        except ValueError as exc:
            return str(exc)

    def _fill_price(self, ci: int, i: int, buy: bool, pr_type: int, price: float, kind: str) -> float | None:
        m = self.store.mat
        lo, hi, close = m["low"][ci, i], m["high"][ci, i], m["close"][ci, i]
        if pr_type == R.PR_FIXED:
            # marketable at the close -> the close; otherwise the limit price if the bar traded through it
            if (buy and price < lo) or (not buy and price > hi):
                return None
            px = close if (buy and price >= close) or (not buy and price <= close) else price
        else:
            px = close
            if self.slippage:
                px = px * (1 + self.slippage) if buy else px * (1 - self.slippage)
                px = min(max(px, lo), hi)
        q = 1000 if kind == "fund" else 100
        return int(px * q + 0.5 + 1e-9) / q

    def _fee(self, kind: str, amount_units: int, buy: bool) -> float:
        """Commission (with minimum) + transfer fee + stamp duty in cents, exactly as sim.rules (half-up cents)."""
        f = self.fees
        rate, minimum = (f.fund_commission_rate, f.fund_commission_min) if kind == "fund" else \
            (f.commission_rate, f.commission_min)
        n, d = _ratio(rate)
        cents = max(_half_up(amount_units * n, d * 10), int(minimum * 100)) if amount_units > 0 else 0
        if kind != "fund" and amount_units > 0:
            tn, td, sn, sd = self._levy_rates
            cents += _half_up(amount_units * tn, td * 10)
            if not buy:
                cents += _half_up(amount_units * sn, sd * 10)
        return cents / 100.0

    # -- queries ----------------------------------------------------------------------------------------
    def detail(self, datatype: str) -> list[R.DetailData]:
        """get_trade_detail_data for this account: POSITION / ORDER / DEAL / ACCOUNT."""
        if datatype == "ORDER":
            return list(self.orders)
        if datatype == "DEAL":
            return list(self.deals)
        if datatype == "POSITION":
            out = []
            for code, p in self.positions.items():
                ci = self.store.index[code]
                last = float(self._mark[ci, self.pos])
                name = self.store.instruments.get(code, {}).get("InstrumentName", "")
                out.append(R.position_record(self.account_id, code, p.volume, p.can_use,
                                             p.cost / p.volume if p.volume else 0.0, last, name, 0, p.yesterday))
            return out
        if datatype == "ACCOUNT":
            return [R.account_record(self.account_id, self.cash, 0.0, self.equity() - self.cash,
                                     self.commission_total)]
        return []


def _ratio(x: Decimal) -> tuple[int, int]:
    """A Decimal rate as an integer fraction."""
    return Decimal(x).as_integer_ratio()


def _half_up(num: int, den: int) -> int:
    """num/den rounded half-up (num >= 0)."""
    return (2 * num + den) // (2 * den)


def _kind(code: str) -> str:
    """'stock100' (lots of 100), 'fund', or 'other' (STAR/BSE/unknown: full sim.rules checks)."""
    try:
        b = rules.board(code)
    except ValueError:
        return "other"
    if b in rules.FUND_BOARDS:
        return "fund"
    return "stock100" if b in (rules.SH_MAIN, rules.SZ_MAIN, rules.CHINEXT) else "other"


def _limit_matrices(store: BarStore, kinds: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Up/down limit price of every bar from its preClose (half-up to the tick, sim.rules' ratio per code)."""
    pre = store.mat["preClose"]
    up = np.full(pre.shape, np.inf)
    down = np.zeros(pre.shape)
    last = dt.date.fromtimestamp(0)
    if len(store.times):
        last = dt.datetime.fromtimestamp(int(store.times[-1]) / 1000 + 8 * 3600, dt.UTC).date()
    for ci, code in enumerate(store.codes):
        try:
            ratio = rules.limit_ratio(code, last)
        except ValueError:
            ratio = None
        if ratio is None:
            continue
        tick = 1 if kinds[code] == "fund" else 10                 # in 0.001 CNY
        rn, rd = _ratio(ratio)
        p = np.nan_to_num(pre[ci])
        units = np.rint(p * 1000).astype(np.int64)
        u = (2 * units * (rd + rn) + rd * tick) // (2 * rd * tick) * tick
        dn = (2 * units * (rd - rn) + rd * tick) // (2 * rd * tick) * tick
        ok = p > 0
        up[ci] = np.where(ok, u / 1000.0, np.inf)
        down[ci] = np.where(ok, np.maximum(dn, tick) / 1000.0, 0.0)
    return up, down


def _ffill(m: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs along each row."""
    out = m.copy()
    mask = np.isnan(out)
    if not mask.any():
        return out
    idx = np.where(~mask, np.arange(out.shape[1]), 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    out = out[np.arange(out.shape[0])[:, None], idx]
    return out
