"""IOPV from the PCF basket, buyer premium / seller discount, and the net edge of a creation/redemption loop.

IOPV = (sum of component values + estimated cash component) / creation unit, where a component is valued
at qty x current price (last, else last known, else pre-close for suspended ones) and must-cash components
(现金替代标志 2/4/6/8) at their fixed 申购替代金额. Call Holdings.update(snapshot) first.
"""
import numpy as np

from .etf_exposure import ALLOW_CASH_FLAG


class LoopCosts(object):
    """Fee rates for the creation/redemption loop (fractions of traded value)."""

    def __init__(self, commission=0.00025, stamp_duty=0.0005, transfer_fee=0.00001, etf_commission=0.00025,
                 creation_fee=0.0005, redemption_fee=0.0005):
        self.commission = commission
        self.stamp_duty = stamp_duty
        self.transfer_fee = transfer_fee
        self.etf_commission = etf_commission
        self.creation_fee = creation_fee
        self.redemption_fee = redemption_fee


def iopv(h, snap):
    """IOPV per ETF of the holdings (NaN when it cannot be computed)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if h.source == "pcf":
            return np.where(h.unit > 0, h.total / h.unit, np.nan)
        # disclosed weights: pre-close x drift of the basket since the close (unlisted part held flat)
        pre = snap.pre_close[h.etf_rows]
        return np.where(pre > 0, pre * h.total, np.nan)


def premium(h, snap, nav):
    """(buyer premium (ask1 - IOPV)/IOPV, seller discount (IOPV - bid1)/IOPV) per ETF; NaN without a quote."""
    ask1 = snap.ask[h.etf_rows, 0]
    bid1 = snap.bid[h.etf_rows, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = nav > 0
        buy = np.where(ok & (ask1 > 0), (ask1 - nav) / nav, np.nan)
        sell = np.where(ok & (bid1 > 0), (nav - bid1) / nav, np.nan)
    return buy, sell


def walk_book(qty, prices, vols):
    """Value and filled quantity of taking `qty` through 5-level books (rows of prices/vols)."""
    qty = np.asarray(qty, np.float64)
    cum = np.cumsum(vols, axis=1)
    take = np.clip(qty[:, None] - (cum - vols), 0.0, vols)
    return (take * prices).sum(axis=1), take.sum(axis=1)


def _take(qty, prices, vols, touch):
    """Value of qty through the book; the part beyond the known depth at the worst level seen (or touch)."""
    value, filled = walk_book(qty, prices, vols)
    deepest = (vols > 0).sum(axis=1) - 1
    worst = np.where(deepest >= 0, prices[np.arange(len(prices)), np.maximum(deepest, 0)], touch)
    return value + (qty - filled) * worst, filled


class LoopEdge(object):
    """Per-ETF loop estimates (CNY per creation unit and as a fraction of the basket)."""

    def __init__(self, etfs, create_edge, create_ratio, redeem_edge, redeem_ratio, etf_fill, feasible):
        self.etfs = etfs
        self.create_edge = create_edge
        self.create_ratio = create_ratio
        self.redeem_edge = redeem_edge
        self.redeem_ratio = redeem_ratio
        self.etf_fill = etf_fill          # fraction of one unit the ETF's 5 levels can absorb
        self.feasible = feasible          # False when a component can neither be bought nor cash-substituted


def loop_edge(h, snap, etfs, costs=None):
    """Net edge of creating (buy basket, sell ETF) and redeeming (buy ETF, sell basket) one unit, per ETF."""
    costs = costs or LoopCosts()
    etfs = np.asarray(etfs, np.int64)
    ne = len(etfs)
    nan = np.full(ne, np.nan)
    if h.source != "pcf" or not ne:
        return LoopEdge(etfs, nan, nan, nan, nan, nan, np.zeros(ne, bool))
    parts = h.loop_parts(etfs)
    seg, rows, qty = parts["seg"], parts["rows"], parts["qty"]
    last = snap.last[rows]
    px = np.where(last > 0, last, snap.pre_close[rows])      # h.component_prices(snap)[idx], for idx only
    must = parts["must"]
    ask1 = snap.ask[rows, 0]
    bid1 = snap.bid[rows, 0]
    ask_known, bid_known = np.isfinite(ask1), np.isfinite(bid1)   # unknown quote: estimate from last
    ask1 = np.where(ask_known, ask1, px)
    bid1 = np.where(bid_known, bid1, px)
    # a component's book is walked only when it is from this tick (rows at a limit, watched rows); a stale or
    # unread book would contribute nothing beyond the touch, where all of its quantity goes (same figures)
    d = np.flatnonzero(snap.book_fresh(rows))
    dr, dq = rows[d], qty[d]
    er, unit, cash = parts["etf_rows"], parts["unit"], parts["cash"]
    edepth = snap.book_fresh(er)[:, None]
    ebid, eask = snap.bid[er], snap.ask[er]
    # one walk for all four books: the basket's asks (buy) and bids (sell), then the ETF's bids and asks
    val, got = _take(np.concatenate((dq, dq, unit, unit)),
                     np.concatenate((np.where(ask_known[d, None], snap.ask[dr], 0.0),
                                     np.where(bid_known[d, None], snap.bid[dr], 0.0), ebid, eask)),
                     np.concatenate((snap.ask_vol[dr], snap.bid_vol[dr],
                                     np.where(edepth, snap.bid_vol[er], 0.0), np.where(edepth, snap.ask_vol[er], 0.0))),
                     np.concatenate((ask1[d], bid1[d], ebid[:, 0], eask[:, 0])))
    m = len(d)
    buy_val, sell_val = qty * ask1, qty * bid1
    buy_val[d], sell_val[d] = val[:m], val[m:2 * m]
    etf_sell, etf_buy, sold, bought = val[2 * m:2 * m + ne], val[2 * m + ne:], got[2 * m:2 * m + ne], got[2 * m + ne:]
    can_buy = ask1 > 0
    subst = qty * px * parts["sub_k"]
    buy_cost = np.where(must, parts["sub_amount"], np.where(can_buy, buy_val, subst))
    blocked = ~can_buy & parts["forbid"]
    traded_buy = np.where(~must & can_buy, buy_val, 0.0)
    can_sell = bid1 > 0
    stuck = qty * px * parts["red_k"]
    sell_get = np.where(must, parts["red_amount"], np.where(can_sell, sell_val, stuck))
    traded_sell = np.where(~must & can_sell, sell_val, 0.0)
    basket_buy = np.bincount(seg, buy_cost, minlength=ne)
    basket_sell = np.bincount(seg, sell_get, minlength=ne)
    fee_buy = np.bincount(seg, traded_buy, minlength=ne) * (costs.commission + costs.transfer_fee)
    fee_sell = np.bincount(seg, traded_sell, minlength=ne) * (costs.commission + costs.transfer_fee +
                                                               costs.stamp_duty)
    feasible = np.bincount(seg, blocked, minlength=ne) == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        etf_fill = np.minimum(sold, bought) / unit
        create = (etf_sell * (1 - costs.etf_commission) - basket_buy - cash - fee_buy -
                  basket_buy * costs.creation_fee)
        redeem = (basket_sell + cash - fee_sell - basket_sell * costs.redemption_fee -
                  etf_buy * (1 + costs.etf_commission))
        quoted = (snap.bid[er, 0] > 0) & (snap.ask[er, 0] > 0) & (unit > 0)
        create = np.where(quoted & feasible, create, np.nan)
        redeem = np.where(quoted, redeem, np.nan)
        return LoopEdge(etfs, create, create / basket_buy, redeem, redeem / etf_buy, etf_fill, feasible)


__all__ = ["ALLOW_CASH_FLAG", "LoopCosts", "LoopEdge", "iopv", "loop_edge", "premium", "walk_book"]
