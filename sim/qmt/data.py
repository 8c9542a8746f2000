"""Bar data for the QMT runner emulator: aligned numpy matrices per field, one row per code."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import calendar as xcal

FIELDS = ("open", "high", "low", "close", "volume", "amount", "preClose", "suspendFlag")
DAY_MS = 86_400_000
_BJ_OFFSET_MS = 8 * 3_600_000


def day_timetag(d: dt.date) -> int:
    """QMT's daily-bar timetag: 00:00 Asia/Shanghai of the day, ms epoch."""
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp() * 1000) - _BJ_OFFSET_MS


def timetag_label(tt: int, period: str) -> str:
    """Index label QMT uses for a bar: 'YYYYMMDD' for 1d, 'YYYYMMDDHHMMSS' otherwise (Beijing wall time)."""
    t = dt.datetime.fromtimestamp((tt + _BJ_OFFSET_MS) / 1000, dt.UTC)
    return t.strftime("%Y%m%d" if period == "1d" else "%Y%m%d%H%M%S")


@dataclass
class BarStore:
    """Bars of many codes on one timeline: `mat[field]` is a float64 (n_codes, n_bars) matrix, NaN where absent."""

    period: str
    codes: list[str]
    times: np.ndarray                      # int64 ms timetags, ascending
    mat: dict[str, np.ndarray]
    instruments: dict[str, dict] = field(default_factory=dict)
    sectors: dict[str, list[str]] = field(default_factory=dict)
    index: dict[str, int] = field(init=False)
    labels: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.labels = [timetag_label(int(t), self.period) for t in self.times]
        self._frames: dict[str, pd.DataFrame] = {}

    def bar_pos_of(self, timetag: int) -> int:
        """Index of the last bar at or before `timetag` (-1 if none)."""
        return int(np.searchsorted(self.times, timetag, side="right")) - 1

    def frame(self, code: str, fields: tuple[str, ...] = ()) -> pd.DataFrame:
        """Bars of one code as QMT's get_market_data_ex DataFrame (all columns, or just `fields`), built once."""
        key = (code, fields)
        df = self._frames.get(key)
        if df is None:
            i = self.index[code]
            n = len(self.times)
            cols = {}
            for f in fields or ("time", *FIELDS, "settelementPrice", "openInterest"):
                if f == "time":
                    cols[f] = self.times
                elif f in self.mat:
                    cols[f] = self.mat[f][i]
                elif f in ("settelementPrice", "openInterest"):
                    cols[f] = np.zeros(n, np.float64 if f == "settelementPrice" else np.int64)
                else:
                    raise KeyError(f"field {f!r} is not a bar field ({', '.join(('time', *FIELDS))})")
            df = pd.DataFrame(cols, index=pd.Index(self.labels, name="stime"), copy=False)
            self._frames[key] = df
        return df

    def window(self, start_time: str, end_time: str, count: int, upto: int | None) -> slice:
        """Bar slice for QMT start/end/count arguments, never past bar `upto` when given."""
        hi = len(self.times) if upto is None else upto + 1
        if end_time:
            hi = min(hi, int(np.searchsorted(self.times, _parse_time(end_time, end=True), side="right")))
        lo = 0
        if start_time:
            lo = int(np.searchsorted(self.times, _parse_time(start_time, end=False), side="left"))
        if count is not None and count >= 0:
            lo = max(lo, hi - count)
        return slice(lo, max(lo, hi))


def _parse_time(s: str, end: bool) -> int:
    """QMT time strings 'YYYYMMDD[HHMMSS]' -> ms timetag; a bare date as end covers the whole day."""
    s = str(s).replace("-", "").replace(":", "").replace(" ", "")
    d = dt.datetime.strptime(s[:8], "%Y%m%d")
    if len(s) >= 14:
        d = dt.datetime.strptime(s[:14], "%Y%m%d%H%M%S")
    elif end:
        d = d + dt.timedelta(days=1) - dt.timedelta(milliseconds=1)
    return int(d.replace(tzinfo=dt.UTC).timestamp() * 1000) - _BJ_OFFSET_MS


def synthetic_codes(n: int) -> list[str]:
    """n main-board codes alternating SH/SZ: 600000.SH, 000001.SZ, 600001.SH, ..."""
    out = []
    for k in range(n):
        out.append(f"{600000 + k // 2:06d}.SH" if k % 2 == 0 else f"{1 + k // 2:06d}.SZ")
    return out


def synthetic_daily(codes: list[str], start, end, seed: int = 0) -> BarStore:
    """Seeded daily bars on the XSHG calendar: random walks clipped to the ±10% limit, prices on the 0.01 tick."""
    days = xcal.sessions(start, end)
    if not days:
        raise ValueError(f"no XSHG trading days between {start} and {end}: widen --start/--end")
    rng = np.random.default_rng(seed)
    n, t = len(codes), len(days)
    drift = rng.normal(0.0002, 0.0004, (n, 1))
    vol = rng.uniform(0.012, 0.03, (n, 1))
    rets = np.clip(drift + vol * rng.standard_t(5, (n, t)) / 1.29, -0.0999, 0.0999)
    p0 = rng.uniform(4.0, 60.0, (n, 1))
    close = np.round(p0 * np.exp(np.cumsum(np.log1p(rets), axis=1)), 2)
    close = np.maximum(close, 0.5)
    pre = np.concatenate([np.round(p0, 2), close[:, :-1]], axis=1)
    up, dn = np.round(pre * 1.1 + 1e-9, 2), np.round(pre * 0.9 + 1e-9, 2)
    close = np.clip(close, dn, up)
    gap = rng.normal(0, 0.4, (n, t)) * vol
    open_ = np.clip(np.round(pre * (1 + gap), 2), dn, up)
    wig = np.abs(rng.normal(0, 0.5, (n, t))) * vol
    high = np.clip(np.round(np.maximum(open_, close) * (1 + wig), 2), dn, up)
    low = np.clip(np.round(np.minimum(open_, close) * (1 - wig[:, ::-1]), 2), dn, up)
    volume = np.round(rng.lognormal(11, 0.6, (n, t)))             # lots
    amount = volume * 100 * (open_ + close) / 2
    susp = rng.random((n, t)) < 0.003
    for m in (open_, high, low, close):
        m[susp] = pre[susp]
    volume[susp] = 0
    amount[susp] = 0
    mat = {"open": open_, "high": high, "low": low, "close": close, "volume": volume, "amount": amount,
           "preClose": pre, "suspendFlag": susp.astype(np.float64)}
    times = np.array([day_timetag(d) for d in days], np.int64)
    instruments = {c: _instrument(c, float(close[i, -1]), float(pre[i, -1])) for i, c in enumerate(codes)}
    sectors = {"沪深A股": list(codes), "上证A股": [c for c in codes if c.endswith(".SH")],
               "深证A股": [c for c in codes if c.endswith(".SZ")]}
    return BarStore("1d", list(codes), times, mat, instruments, sectors)


def from_frames(frames: dict[str, pd.DataFrame], period: str, instruments: dict[str, dict] | None = None,
                sectors: dict[str, list[str]] | None = None) -> BarStore:
    """Build a store from per-code bar DataFrames with a `time` column (World.bars / xtdata shape)."""
    codes = list(frames)
    times = np.unique(np.concatenate([np.asarray(f["time"], np.int64) for f in frames.values()])) if frames \
        else np.zeros(0, np.int64)
    mat = {f: np.full((len(codes), len(times)), np.nan) for f in FIELDS}
    for i, c in enumerate(codes):
        df = frames[c]
        pos = np.searchsorted(times, np.asarray(df["time"], np.int64))
        for f in FIELDS:
            if f in df:
                mat[f][i, pos] = np.asarray(df[f], np.float64)
    return BarStore(period, codes, times, mat, dict(instruments or {}), dict(sectors or {}))


def _instrument(code: str, last: float, pre: float) -> dict:
    num, _, mkt = code.partition(".")
    return {"ExchangeID": mkt, "InstrumentID": num, "InstrumentName": f"模拟{num}", "PreClose": pre,
            "UpStopPrice": round(pre * 1.1 + 1e-9, 2), "DownStopPrice": round(pre * 0.9 + 1e-9, 2),
            "PriceTick": 0.01, "VolumeMultiple": 1, "OpenDate": "20000101", "InstrumentStatus": 0,
            "FloatVolume": 1e9, "TotalVolume": 1e9, "IsTrading": True}


def market_daily(n_stocks: int, n_etfs: int, start, end, seed: int = 0, warmup: int = 60) -> BarStore:
    """Daily bars of the sim market's universe (sim.market: codes, names, industries, ST, ETFs) over [start, end].

    The generator's history ends the session before its trade date, so the universe is built for the session
    after `end`; `warmup` extra sessions before `start` feed indicators on the first bars.
    """
    from sim.market import history, refdata
    from sim.market.universe import build_universe

    days = xcal.sessions(start, end)
    if not days:
        raise ValueError(f"no XSHG trading days between {start} and {end}: widen --start/--end")
    u = build_universe(n_stocks, n_etfs, xcal.next_session(days[-1]), seed)
    n_days = len(days) + warmup
    frames = {c: history.daily_history(u, i, seed, n_days) for i, c in enumerate(u.codes)}
    instruments = {c: refdata.instrument_detail(u, i) for i, c in enumerate(u.codes)}
    return from_frames(frames, "1d", instruments, refdata.sectors(u))
