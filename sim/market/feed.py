"""Replays a generated day snapshot by snapshot as Frames (running OHLC/volume state + 5-level books)."""
from __future__ import annotations

import numpy as np

from sim.market import day as dd
from sim.market.ticks import (
    ST_AUCTION,
    ST_CLOSE_AUCTION,
    ST_CLOSED,
    ST_CONTINUOUS,
    ST_HALTED,
    Frame,
)
from sim.market.universe import Universe

LEVELS = np.arange(5)


class GeneratedFeed:
    """Turns DayData rows into Frames; keeps the running open/high/low/volume/amount of every code."""

    def __init__(self, u: Universe, day: dd.DayData, seed: int, epoch_ms_of):
        self.u, self.day, self.seed = u, day, seed
        self.epoch_ms_of = epoch_ms_of
        n = u.n
        self.div = u.tick_div.astype(np.float64)
        self.pre_t = np.rint(u.pre_close * self.div).astype(np.int64)
        self.up_t = np.rint(u.up_stop * self.div).astype(np.int64)
        self.dn_t = np.rint(u.down_stop * self.div).astype(np.int64)
        self.has_lim = self.up_t > 0
        self.lu = np.where(self.has_lim, np.log(np.maximum(u.up_stop, 1e-9)), np.inf)
        self.ld = np.where(self.has_lim, np.log(np.maximum(u.down_stop, 1e-9)), -np.inf)
        self.open = np.zeros(n)
        self.high = np.zeros(n)
        self.low = np.zeros(n)
        self.cum_lots = np.zeros(n, dtype=np.int64)
        self.amount = np.zeros(n)
        self.txn = np.zeros(n, dtype=np.int64)
        self.last_px = u.pre_close.astype(np.float64).copy()   # last traded price (frozen during the closing call)
        m = max(int((day.sod >= dd.CONT_START).sum()), 1)
        self.depth = np.maximum(u.turnover * u.float_shares / 100.0 / m * 4.0, 3.0)
        self.gap = np.where(u.activity < 0.35, 2, 1).astype(np.int64)
        self.row = -1

    @property
    def n_rows(self) -> int:
        return len(self.day.sod)

    def price_ticks(self, r: int, idx: np.ndarray) -> np.ndarray:
        """Displayed price (in ticks) of columns idx at row r: rounded latent, clipped inside the limits."""
        d = self.day
        pt = np.rint(np.exp(d.lat[r, idx].astype(np.float64)) * self.div[idx]).astype(np.int64)
        st = d.state[r, idx]
        up, dn = self.up_t[idx], self.dn_t[idx]
        lim = self.has_lim[idx]
        pt = np.where(lim, np.clip(pt, dn + 1, np.maximum(up - 1, dn + 1)), np.maximum(pt, 1))
        pt = np.where(st == dd.SEALED_UP, up, pt)
        pt = np.where(st == dd.SEALED_DOWN, dn, pt)
        return np.where(st == dd.HALTED, self.pre_t[idx], pt)

    def frame(self, r: int) -> Frame:
        """The Frame of row r (rows must be visited in order)."""
        d = self.day
        self.row = r
        sod = int(d.sod[r])
        idx = np.flatnonzero(d.active[r])
        k = idx.size
        pt = self.price_ticks(r, idx)
        div = self.div[idx]
        px = pt / div
        st = d.state[r, idx]
        v = d.vol[r, idx].astype(np.int64)
        rng = np.random.default_rng([self.seed, 33, r])
        auction = sod < dd.AUCTION_END
        in_call = np.zeros(k, dtype=bool)
        if dd.CLOSE_CALL < sod < dd.DAY_END:
            in_call = d.close_call[idx]
        if not auction:
            traded = v > 0
            first = traded & (self.open[idx] == 0)
            o = self.open[idx]
            o[first] = px[first]
            self.open[idx] = o
            hi, lo = self.high[idx], self.low[idx]
            hi = np.where(traded, np.maximum(hi, px), hi)
            lo = np.where(traded & ((lo == 0) | (px < lo)), px, lo)
            self.high[idx], self.low[idx] = hi, lo
            self.cum_lots[idx] += v
            self.amount[idx] += v * 100.0 * px
            self.txn[idx] += np.where(traded, v // 8 + 1, 0)
            self.last_px[idx] = np.where(traded, px, self.last_px[idx])
        open_int = np.full(k, ST_AUCTION if auction else ST_CONTINUOUS, dtype=np.int64)
        open_int[in_call] = ST_CLOSE_AUCTION
        if sod >= dd.DAY_END:
            open_int[:] = ST_CLOSED
        open_int[st == dd.HALTED] = ST_HALTED
        ask_t, bid_t, ask_v, bid_v = self._book(r, idx, pt, st, auction, rng)
        if in_call.any():   # closing call: last trade frozen, the book shows the indicative uncross
            px = np.where(in_call, self.last_px[idx], px)
            a2, b2, av2, bv2 = self._book(r, idx[in_call], pt[in_call], st[in_call], True, rng)
            ask_t[in_call], bid_t[in_call], ask_v[in_call], bid_v[in_call] = a2, b2, av2, bv2
        lots = self.cum_lots[idx]
        f = Frame(time_ms=self.epoch_ms_of(sod), idx=idx,
                  last=px, open=self.open[idx], high=self.high[idx], low=self.low[idx],
                  pre=self.u.pre_close[idx], amount=np.round(self.amount[idx], 2), volume=lots.copy(),
                  pvolume=lots * 100, stock_status=np.zeros(k, dtype=np.int64), open_int=open_int,
                  txn=self.txn[idx].copy(), ask_p=ask_t / div[:, None], bid_p=bid_t / div[:, None],
                  ask_v=ask_v, bid_v=bid_v)
        if auction:
            f.open = np.zeros(k)
            f.high = np.zeros(k)
            f.low = np.zeros(k)
        return f

    def _book(self, r, idx, pt, st, auction, rng):
        k = idx.size
        if auction:
            ask_t = np.zeros((k, 5), dtype=np.int64)
            bid_t = np.zeros((k, 5), dtype=np.int64)
            ask_t[:, 0] = pt
            bid_t[:, 0] = pt
            frac = min(max((int(self.day.sod[r]) - dd.parse_hms("09:15:00")) / 600.0, 0.05), 1.0)
            matched = np.maximum(np.rint(self.depth[idx] * 3 * frac * rng.gamma(2.0, 0.5, k)), 1).astype(np.int64)
            surplus = np.rint(self.depth[idx] * rng.gamma(1.0, 1.0, k)).astype(np.int64)
            ask_v = np.zeros((k, 5), dtype=np.int64)
            bid_v = np.zeros((k, 5), dtype=np.int64)
            ask_v[:, 0] = matched
            bid_v[:, 0] = matched
            side = rng.random(k) < 0.5
            su, sd = st == dd.SEALED_UP, st == dd.SEALED_DOWN
            side[su], side[sd] = False, True          # a board at the limit: the surplus is the seal
            surplus = np.where(su | sd, np.rint(self.day.seal_base[idx]).astype(np.int64), surplus)
            ask_v[:, 1] = np.where(side, surplus, 0)
            bid_v[:, 1] = np.where(side, 0, surplus)
            halted = st == dd.HALTED
            for a in (ask_t, bid_t, ask_v, bid_v):
                a[halted] = 0
            return ask_t, bid_t, ask_v, bid_v
        gap = self.gap[idx][:, None]
        at_ask = rng.random(k) < 0.5
        a1 = np.where(at_ask, pt, pt + 1)
        b1 = a1 - 1
        ask_t = a1[:, None] + LEVELS * gap
        bid_t = b1[:, None] - LEVELS * gap
        depth = self.depth[idx][:, None, None]
        both = np.maximum(np.rint(depth * (0.3 + rng.standard_exponential((k, 2, 5)))), 1).astype(np.int64)
        ask_v, bid_v = both[:, 0], both[:, 1]
        lim = self.has_lim[idx][:, None]
        up, dn = self.up_t[idx][:, None], self.dn_t[idx][:, None]
        bad_a = lim & (ask_t > up)
        bad_b = (lim & (bid_t < dn)) | (bid_t <= 0)
        ask_t[bad_a] = 0
        ask_v[bad_a] = 0
        bid_t[bad_b] = 0
        bid_v[bad_b] = 0
        su, sd = st == dd.SEALED_UP, st == dd.SEALED_DOWN
        if su.any() or sd.any():
            lat = self.day.lat[r, idx].astype(np.float64)
            seal = np.rint(self.day.seal_base[idx] * np.clip(1 + 60 * np.where(su, lat - self.lu[idx],
                                                                                self.ld[idx] - lat), 0.05, 5))
            seal = seal.astype(np.int64)
            ask_t[su] = 0
            ask_v[su] = 0
            bid_t[su] = up[su] - LEVELS
            bid_v[su, 0] = seal[su]
            bid_t[sd] = 0
            bid_v[sd] = 0
            ask_t[sd] = dn[sd] + LEVELS
            ask_v[sd, 0] = seal[sd]
        halted = st == dd.HALTED
        for a in (ask_t, bid_t, ask_v, bid_v):
            a[halted] = 0
        return ask_t, bid_t, ask_v, bid_v

    def price_ticks_col(self, rows: np.ndarray, i: int) -> np.ndarray:
        """Displayed price (ticks) of column i at each row, held at its last quote change (for minute bars)."""
        d = self.day
        act = d.vol[rows, i] > 0          # the price a bar sees changes only with trades
        eff = np.where(act, rows, -1)
        np.maximum.accumulate(eff, out=eff)
        eff = np.where(eff < 0, rows[0], eff)
        pt = np.rint(np.exp(d.lat[eff, i].astype(np.float64)) * self.div[i]).astype(np.int64)
        st = d.state[eff, i]
        up, dn = self.up_t[i], self.dn_t[i]
        if self.has_lim[i]:
            pt = np.clip(pt, dn + 1, max(up - 1, dn + 1))
        pt = np.where(st == dd.SEALED_UP, up, pt)
        pt = np.where(st == dd.SEALED_DOWN, dn, pt)
        return np.where(st == dd.HALTED, self.pre_t[i], pt)

    def preopen_frame(self, time_ms: int) -> Frame:
        """Every code's snapshot as of the previous session's close (what a live QMT shows before 09:15).

        Approximate: the previous day's open is taken flat at its own pre-close (high/low = max/min of open and
        close) and its volume is the code's typical daily turnover.
        """
        u, n = self.u, self.u.n
        idx = np.arange(n, dtype=np.int64)
        close = u.pre_close.astype(np.float64)
        prev = u.hist_close[-2] if u.hist_close is not None and len(u.hist_close) >= 2 else close
        lots = np.maximum(np.rint(u.turnover * u.float_shares / 100.0), 1).astype(np.int64)
        zeros_p = np.zeros((n, 5))
        zeros_v = np.zeros((n, 5), dtype=np.int64)
        return Frame(time_ms=time_ms, idx=idx, last=close, open=prev.copy(), high=np.maximum(prev, close),
                     low=np.minimum(prev, close), pre=prev.copy(), amount=np.round(lots * 100.0 * (prev + close) / 2, 2),
                     volume=lots, pvolume=lots * 100, stock_status=np.zeros(n, dtype=np.int64),
                     open_int=np.full(n, ST_CLOSED, dtype=np.int64), txn=lots // 8 + 1,
                     ask_p=zeros_p, bid_p=zeros_p.copy(), ask_v=zeros_v, bid_v=zeros_v.copy())
