"""Daily-bar history ending the session before the trade date, with the last close == today's pre-close."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim import calendar, rules
from sim.market.universe import Universe

BAR_COLUMNS = ["time", "open", "high", "low", "close", "volume", "amount", "settelementPrice", "openInterest",
               "preClose", "suspendFlag"]


def midnight_ms(d: dt.date) -> int:
    """ms epoch of 00:00 Asia/Shanghai (UTC+8, no DST) on date d."""
    return (dt.datetime(d.year, d.month, d.day) - dt.datetime(1970, 1, 1)).days * 86_400_000 - 8 * 3_600_000


def daily_history(u: Universe, i: int, seed: int, days: int) -> pd.DataFrame:
    """`days` daily bars of column i before u.trade_date (index 'YYYYMMDD', xtquant K-line columns)."""
    code = u.codes[i]
    rng = np.random.default_rng([seed, 44, i])
    vol = float(u.daily_vol[i])
    ratio = rules.limit_ratio(code, u.trade_date, bool(u.is_st[i]), etf_limit_20=bool(u.etf_limit_20[i]))
    lim = float(ratio) if ratio is not None else 0.1
    div = float(u.tick_div[i])
    if u.hist_close is not None and len(u.hist_dates) >= 2:   # the shared daily series (chained days agree)
        n = min(days, len(u.hist_dates) - 1)
        dates = u.hist_dates[-n:]
        close = u.hist_close[-n:, i].copy()
        pre = u.hist_close[-n - 1:-1, i].copy()
        days = n
    else:
        dates = calendar.previous_sessions(u.trade_date, days)
        r = np.clip(rng.normal(0.0003, vol, days), -0.9 * lim, 0.9 * lim)
        suffix = np.concatenate([np.cumsum(r[::-1])[::-1][1:], [0.0]])   # sum of returns after each day
        close = np.maximum(np.rint(np.exp(np.log(u.pre_close[i]) - suffix) * div), 1) / div
        close[-1] = u.pre_close[i]
        pre = np.concatenate([[close[0] / np.exp(r[0])], close[:-1]])
        pre = np.maximum(np.rint(pre * div), 1) / div
    op = np.rint(pre * np.exp(rng.normal(0, 0.3 * vol, days)) * div) / div
    hi_raw = np.maximum(op, close) * (1 + np.abs(rng.normal(0, 0.4 * vol, days)))
    lo_raw = np.minimum(op, close) * (1 - np.abs(rng.normal(0, 0.4 * vol, days)))
    hi = np.minimum(np.rint(hi_raw * div), np.floor(pre * (1 + lim) * div + 1e-9)) / div
    lo = np.maximum(np.rint(lo_raw * div), np.ceil(pre * (1 - lim) * div - 1e-9)) / div
    hi = np.maximum(hi, np.maximum(op, close))
    lo = np.minimum(lo, np.minimum(op, close))
    lots = np.maximum(np.rint(u.turnover[i] * u.float_shares[i] / 100 * np.exp(rng.normal(0, 0.4, days))), 1)
    amount = np.round(lots * 100 * (op + hi + lo + close) / 4, 2)
    df = pd.DataFrame({
        "time": [midnight_ms(d) for d in dates], "open": op, "high": hi, "low": lo, "close": close,
        "volume": lots.astype(np.int64), "amount": amount, "settelementPrice": 0.0, "openInterest": 15,
        "preClose": pre, "suspendFlag": 0}, index=[d.strftime("%Y%m%d") for d in dates])
    return df[BAR_COLUMNS]
