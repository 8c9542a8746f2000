"""Columnar snapshot frames and their conversion to xtquant full-tick dicts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# key order of a real full tick (xtdata.md 附录 tick + l2quote extras)
TICK_KEYS = ("time", "lastPrice", "open", "high", "low", "lastClose", "amount", "volume", "pvolume",
             "stockStatus", "openInt", "transactionNum", "lastSettlementPrice", "settlementPrice", "pe",
             "askPrice", "bidPrice", "askVol", "bidVol")

# openInt: security status codes (xtdata.md 数据字典 证券状态)
ST_AUCTION, ST_CONTINUOUS, ST_BREAK, ST_CLOSED, ST_HALTED, ST_CLOSE_AUCTION = 12, 13, 14, 15, 17, 18

FLOAT_FIELDS = ("last", "open", "high", "low", "pre", "amount")
INT_FIELDS = ("volume", "pvolume", "stock_status", "open_int", "txn")
BOOK_FIELDS = ("ask_p", "bid_p", "ask_v", "bid_v")


@dataclass(slots=True)
class Frame:
    """The codes whose quote changed at one snapshot, as column arrays (K codes)."""
    time_ms: int
    idx: np.ndarray       # int64 [K] universe columns
    last: np.ndarray      # float64 [K]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    pre: np.ndarray
    amount: np.ndarray
    volume: np.ndarray    # int64 lots (cumulative)
    pvolume: np.ndarray   # int64 shares (cumulative)
    stock_status: np.ndarray
    open_int: np.ndarray
    txn: np.ndarray
    ask_p: np.ndarray     # float64 [K, 5]
    bid_p: np.ndarray
    ask_v: np.ndarray     # int64 [K, 5] lots
    bid_v: np.ndarray
    times: np.ndarray | None = None   # int64 [K] per-code tick times (recorded tapes); None = all time_ms

    def __len__(self) -> int:
        return int(self.idx.size)


def build_ticks(codes: np.ndarray, f: Frame, times: list | None = None) -> dict[str, dict]:
    """{code: tick dict} for a frame; one dict literal per code from per-field .tolist() columns."""
    k = len(f)
    if k == 0:
        return {}
    if times is None:
        times = f.times.tolist() if f.times is not None else [f.time_ms] * k
    t = times
    zero = [0.0] * k
    return {
        c: {"time": tm, "lastPrice": lp, "open": op, "high": hi, "low": lo, "lastClose": pc, "amount": am,
            "volume": vo, "pvolume": pv, "stockStatus": ss, "openInt": oi, "transactionNum": tn,
            "lastSettlementPrice": z, "settlementPrice": z, "pe": z,
            "askPrice": ap, "bidPrice": bp, "askVol": av, "bidVol": bv}
        for c, tm, lp, op, hi, lo, pc, am, vo, pv, ss, oi, tn, z, ap, bp, av, bv in zip(
            codes[f.idx].tolist(), t, f.last.tolist(), f.open.tolist(), f.high.tolist(), f.low.tolist(),
            f.pre.tolist(), f.amount.tolist(), f.volume.tolist(), f.pvolume.tolist(), f.stock_status.tolist(),
            f.open_int.tolist(), f.txn.tolist(), zero, f.ask_p.tolist(), f.bid_p.tolist(), f.ask_v.tolist(),
            f.bid_v.tolist())
    }


class Latest:
    """Latest quote of every code (what get_full_tick returns), updated by scattering frames."""

    def __init__(self, codes: list[str], pre_close: np.ndarray):
        n = len(codes)
        self.codes = np.array(codes, dtype=object)
        self.index = {c: i for i, c in enumerate(codes)}
        self.time = np.zeros(n, dtype=np.int64)
        self.seen = np.zeros(n, dtype=bool)
        for name in FLOAT_FIELDS:
            setattr(self, name, np.zeros(n))
        self.pre[:] = pre_close
        self.last[:] = pre_close
        for name in INT_FIELDS:
            setattr(self, name, np.zeros(n, dtype=np.int64))
        for name in BOOK_FIELDS:
            setattr(self, name, np.zeros((n, 5), dtype=np.float64 if name.endswith("_p") else np.int64))

    def apply(self, f: Frame) -> None:
        """Record a frame's values as the codes' latest."""
        i = f.idx
        self.time[i] = f.times if f.times is not None else f.time_ms
        self.seen[i] = True
        for name in FLOAT_FIELDS + INT_FIELDS + BOOK_FIELDS:
            getattr(self, name)[i] = getattr(f, name)

    def frame(self, idx: np.ndarray) -> Frame:
        """A frame holding the latest values of the given columns."""
        kw = {name: getattr(self, name)[idx] for name in FLOAT_FIELDS + INT_FIELDS + BOOK_FIELDS}
        return Frame(time_ms=0, idx=idx, **kw)

    def last_price(self, code: str) -> float | None:
        """Latest lastPrice of one code (None if never quoted); cheap, for valuations."""
        i = self.index.get(code)
        if i is None or not self.seen[i]:
            return None
        return float(self.last[i])

    def tick(self, code: str) -> dict | None:
        """Latest tick of one code, or None if it was never quoted."""
        i = self.index.get(code)
        if i is None or not self.seen[i]:
            return None
        return self.ticks([code])[code]

    def ticks(self, codes: list[str] | None = None) -> dict[str, dict]:
        """{code: tick} of the latest values (codes never quoted yet are left out)."""
        if codes is None:
            idx = np.flatnonzero(self.seen)
        else:
            idx = np.array([self.index[c] for c in codes if c in self.index and self.seen[self.index[c]]],
                           dtype=np.int64)
        f = self.frame(idx)
        return build_ticks(self.codes, f, self.time[idx].tolist())


def concat_frames(a: Frame, b: Frame | None) -> Frame:
    """One frame holding a's codes then b's (same snapshot time)."""
    if b is None or len(b) == 0:
        return a
    kw = {name: np.concatenate([getattr(a, name), getattr(b, name)]) for name in
          ("idx",) + FLOAT_FIELDS + INT_FIELDS + BOOK_FIELDS}
    times = None
    if a.times is not None or b.times is not None:
        times = np.concatenate([a.times if a.times is not None else np.full(len(a), a.time_ms),
                                b.times if b.times is not None else np.full(len(b), b.time_ms)])
    return Frame(time_ms=a.time_ms, times=times, **kw)
