"""Daily close series shared by every simulated day of a seed, so chained Worlds line up.

Each code's log deviation from its reference price follows a mean-reverting AR(1) with a market factor, drawn
session by session from a fixed anchor date. The draws for a prefix of sessions do not depend on how far the
series is computed, so World(date D) and World(next session) agree: D's target close is D+1's pre-close, and
each day's history bars are the same closes.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from sim import calendar, rules

ANCHOR = dt.date(2015, 1, 5)
PHI = 0.985              # daily mean reversion toward the reference price
FAMOUS_SCALE = 0.1       # well-known codes stay near their reference price (documented examples keep working)


def _anchor_for(d: dt.date, history_days: int) -> dt.date:
    first = calendar.covered_range()[0]
    need = calendar.previous_sessions(d, min(history_days + 1, 4000))[0] if d > first else first
    return ANCHOR if need >= ANCHOR else first


def deviations(daily_vol: np.ndarray, beta: np.ndarray, limit: np.ndarray, scale: np.ndarray, seed: int,
               trade_date: dt.date, keep: int) -> tuple[list[dt.date], np.ndarray]:
    """The last `keep` sessions through trade_date and the codes' log deviations on them [keep, N]."""
    anchor = _anchor_for(trade_date, keep)
    days = calendar.sessions(anchor, trade_date)
    S, N = len(days), daily_vol.size
    m = np.random.default_rng([seed, 55, anchor.toordinal(), 1]).normal(0.0, 0.011, S)   # separate streams keep
    rng = np.random.default_rng([seed, 55, anchor.toordinal(), 2])                       # prefixes stable
    idio = np.sqrt(np.maximum(daily_vol ** 2 - (beta * 0.011) ** 2, (0.3 * daily_vol) ** 2))
    cap = 0.9 * limit
    keep = min(keep, S)
    out = np.empty((keep, N), dtype=np.float64)
    prev = np.zeros(N)
    B = 256
    for a in range(0, S, B):
        eps = rng.standard_normal((min(B, S - a), N), dtype=np.float32)   # sequential blocks: prefix-stable
        for k in range(eps.shape[0]):
            t = a + k
            r = beta * m[t] + idio * eps[k] - (1 - PHI) * prev
            prev = prev + np.clip(r, -cap, cap)
            if t >= S - keep:
                out[t - (S - keep)] = prev
    return days[S - keep:], out * scale


def closes(base: np.ndarray, x: np.ndarray, tick_div: np.ndarray) -> np.ndarray:
    """Closes rounded to each code's tick (half-up on the scaled price)."""
    p = base * np.exp(x)
    return np.maximum(np.floor(p * tick_div + 0.5), 1) / tick_div


def limit_fraction(codes: list[str], is_st: np.ndarray, etf20: np.ndarray, trade_date: dt.date) -> np.ndarray:
    """Daily limit fraction per code (new listings treated as 10% for the series)."""
    out = np.empty(len(codes))
    for i, c in enumerate(codes):
        r = rules.limit_ratio(c, trade_date, is_st=bool(is_st[i]), etf_limit_20=bool(etf20[i]))
        out[i] = float(r) if r is not None else 0.1
    return out
