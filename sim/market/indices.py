"""Market indexes computed from the simulated constituents (float-cap weighted), as index quotes and bars."""
from __future__ import annotations

import numpy as np

from sim import rules
from sim.market.ticks import ST_AUCTION, ST_CLOSED, ST_CONTINUOUS, Frame
from sim.market.universe import Universe

A_SHARE = (rules.SH_MAIN, rules.SZ_MAIN, rules.CHINEXT, rules.STAR)
# code, name, boards of the pool, (skip, take) by float market value, base level at the reference prices
INDEXES = (
    ("000001.SH", "上证指数", (rules.SH_MAIN, rules.STAR), (0, None), 3300.0),
    ("000016.SH", "上证50", (rules.SH_MAIN,), (0, 50), 2700.0),
    ("000300.SH", "沪深300", A_SHARE, (0, 300), 3900.0),
    ("000905.SH", "中证500", A_SHARE, (300, 500), 5900.0),
    ("000852.SH", "中证1000", A_SHARE, (800, 1000), 6200.0),
    ("000688.SH", "科创50", (rules.STAR,), (0, 50), 1000.0),
    ("399001.SZ", "深证成指", (rules.SZ_MAIN, rules.CHINEXT), (0, 500), 10500.0),
    ("399006.SZ", "创业板指", (rules.CHINEXT,), (0, 100), 2100.0),
)


class IndexSet:
    """Constituents and weights of the indexes that have at least one constituent in the universe."""

    def __init__(self, u: Universe):
        ref = u.ref_price if u.ref_price is not None else u.pre_close
        cap = ref * u.float_shares
        self.codes, self.names, self.cons, self.shares, self.denom, self.base = [], [], [], [], [], []
        for code, name, boards, (skip, take), base in INDEXES:
            pool = np.array([i for i, b in enumerate(u.boards) if b in boards and not u.is_st[i]], dtype=np.int64)
            if pool.size == 0:
                continue
            order = pool[np.argsort(-cap[pool], kind="stable")]
            cons = order[skip:skip + take] if take is not None else order[skip:]
            if cons.size == 0:
                continue
            sh = u.float_shares[cons].astype(np.float64)
            self.codes.append(code)
            self.names.append(name)
            self.cons.append(cons)
            self.shares.append(sh)
            self.denom.append(float(sh @ ref[cons]))
            self.base.append(base)

    def __len__(self) -> int:
        return len(self.codes)

    def levels(self, prices: np.ndarray) -> np.ndarray:
        """Index levels for a price vector over the universe (rounded to 0.01)."""
        out = np.array([b * float(s @ prices[c]) / d for c, s, d, b in zip(self.cons, self.shares, self.denom,
                                                                          self.base)])
        return np.round(out, 2)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of a per-code quantity (volume, amount) over each index's constituents."""
        return np.array([float(values[c].sum()) for c in self.cons])

    def history(self, closes: np.ndarray) -> np.ndarray:
        """Levels for rows of closes [days, N] -> [days, K]."""
        return np.round(np.stack([b * (closes[:, c] @ s) / d for c, s, d, b in zip(self.cons, self.shares,
                                                                                  self.denom, self.base)], axis=1), 2)

    def instrument(self, k: int, pre_close: float) -> dict:
        """get_instrument_detail-shaped dict of index k."""
        num, mkt = rules.split_code(self.codes[k])
        return {"ExchangeID": mkt, "InstrumentID": num, "InstrumentName": self.names[k], "ProductID": "",
                "ProductName": "", "ProductType": -1, "ExchangeCode": num, "UniCode": num, "CreateDate": "0",
                "OpenDate": "", "ExpireDate": 99999999, "PreClose": pre_close, "SettlementPrice": pre_close,
                "UpStopPrice": 0.0, "DownStopPrice": 0.0, "FloatVolume": 0.0, "TotalVolume": 0.0,
                "LongMarginRatio": 0.0, "ShortMarginRatio": 0.0, "PriceTick": 0.01, "VolumeMultiple": 1,
                "MainContract": 0, "LastVolume": 0, "InstrumentStatus": 0, "IsTrading": False, "IsRecent": False}


class IndexFeed:
    """Index quotes for each snapshot from the generated feed's running state (columns offset..offset+K)."""

    def __init__(self, ix: IndexSet, feed, offset: int):
        self.ix, self.feed, self.offset = ix, feed, offset
        k = len(ix)
        u = feed.u
        self.pre = ix.levels(u.pre_close)
        self.open = np.zeros(k)
        self.high = np.zeros(k)
        self.low = np.zeros(k)
        self._first_done = False

    def frame(self, f: Frame, sod: int, last: np.ndarray) -> Frame | None:
        """Index quotes when any constituent changed, from 09:25 on; `last` = every universe code's latest price."""
        from sim.market import day as dd

        k = len(self.ix)
        if k == 0 or len(f) == 0:
            return None
        if sod < dd.AUCTION_END:   # the first snapshot quotes every code: indexes at the previous close, no open
            if self._first_done:
                return None
            self._first_done = True
            z5, zk = np.zeros((k, 5)), np.zeros(k)
            return Frame(time_ms=f.time_ms, idx=self.offset + np.arange(k, dtype=np.int64), last=self.pre.copy(),
                         open=zk, high=zk.copy(), low=zk.copy(), pre=self.pre.copy(), amount=zk.copy(),
                         volume=np.zeros(k, dtype=np.int64), pvolume=np.zeros(k, dtype=np.int64),
                         stock_status=np.zeros(k, dtype=np.int64), open_int=np.full(k, ST_AUCTION, dtype=np.int64),
                         txn=np.zeros(k, dtype=np.int64), ask_p=z5, bid_p=z5.copy(),
                         ask_v=np.zeros((k, 5), dtype=np.int64), bid_v=np.zeros((k, 5), dtype=np.int64))
        lv = self.ix.levels(last)
        if not self.open.any():
            self.open[:] = lv
        self.high = np.maximum(self.high, lv)
        self.low = np.where(self.low == 0, lv, np.minimum(self.low, lv))
        lots = self.ix.sums(self.feed.cum_lots).astype(np.int64)
        status = ST_CLOSED if sod >= dd.DAY_END else ST_CONTINUOUS
        z5 = np.zeros((k, 5))
        return Frame(time_ms=f.time_ms, idx=self.offset + np.arange(k, dtype=np.int64), last=lv, open=self.open.copy(),
                     high=self.high.copy(), low=self.low.copy(), pre=self.pre.copy(),
                     amount=np.round(self.ix.sums(self.feed.amount), 2), volume=lots, pvolume=lots * 100,
                     stock_status=np.zeros(k, dtype=np.int64), open_int=np.full(k, status, dtype=np.int64),
                     txn=self.ix.sums(self.feed.txn).astype(np.int64), ask_p=z5, bid_p=z5.copy(),
                     ask_v=np.zeros((k, 5), dtype=np.int64), bid_v=np.zeros((k, 5), dtype=np.int64))

    def preopen_frame(self, uf: Frame) -> Frame:
        """Previous-session close of each index, from the universe's pre-open frame."""
        k = len(self.ix)
        u = self.feed.u
        prev = u.hist_close[-2] if u.hist_close is not None and len(u.hist_close) >= 2 else u.pre_close
        prev_lv = self.ix.levels(prev)
        lots = self.ix.sums(uf.volume).astype(np.int64)
        z5 = np.zeros((k, 5))
        return Frame(time_ms=uf.time_ms, idx=self.offset + np.arange(k, dtype=np.int64), last=self.pre.copy(),
                     open=prev_lv, high=np.maximum(prev_lv, self.pre), low=np.minimum(prev_lv, self.pre),
                     pre=prev_lv.copy(), amount=np.round(self.ix.sums(uf.amount), 2), volume=lots,
                     pvolume=lots * 100, stock_status=np.zeros(k, dtype=np.int64),
                     open_int=np.full(k, ST_CLOSED, dtype=np.int64), txn=self.ix.sums(uf.txn).astype(np.int64),
                     ask_p=z5, bid_p=z5.copy(), ask_v=np.zeros((k, 5), dtype=np.int64),
                     bid_v=np.zeros((k, 5), dtype=np.int64))
