"""Sector money flow, two methods. Python 3.6, numpy only, no I/O; inputs are 1-D arrays per sector.

ETF method (one liquid ETF per sector): today's change, turnover (成交额), volume ratio vs yesterday,
estimated net flow, a 0..100 score, 1..5 stars, a direction label and a rank.
  * estimated net flow = the exchange's main-force net inflow when the feed has it (fund_etf_spot_em
    主力净流入-净额); otherwise the Chaikin money-flow estimate amount x ((C-L) - (H-C)) / (H-L), which
    books turnover as inflow when the ETF closes near its high and as outflow near its low;
  * score = 40 x change term + 30 x volume-ratio term + 30 x flow-ratio term, each clipped to 0..1:
    change (-3%..+3%), volume ratio (0.5..2.0), flow / turnover (-0.5..+0.5);
  * stars: >=80 5, >=65 4, >=50 3, >=35 2, else 1.
Breadth method (constituents grouped by sector): average change, average volume ratio, share rising.
"""
from typing import NamedTuple

import numpy as np

INFLOW_STRONG = "强势流入"
INFLOW_STEADY = "持续流入"
INFLOW_SMALL = "小幅流入"
FLAT = "震荡"
OUTFLOW_SMALL = "小幅流出"
OUTFLOW_STEADY = "持续流出"
OUTFLOW_HEAVY = "大幅流出"
LABELS = (INFLOW_STRONG, INFLOW_STEADY, INFLOW_SMALL, FLAT, OUTFLOW_SMALL, OUTFLOW_STEADY, OUTFLOW_HEAVY)

class SectorFlow(NamedTuple):
    change_pct: np.ndarray
    amount: np.ndarray
    volume_ratio: np.ndarray
    net_flow: np.ndarray
    flow_ratio: np.ndarray
    score: np.ndarray
    stars: np.ndarray
    label: list
    rank: np.ndarray

class Breadth(NamedTuple):
    sector: list
    count: np.ndarray
    avg_change_pct: np.ndarray
    avg_volume_ratio: np.ndarray
    up_share: np.ndarray


def _f(x):
    return np.asarray(x, dtype=np.float64)


def chaikin_flow(amount, high, low, close):
    """Estimated net flow: amount x ((C-L) - (H-C)) / (H-L); 0 when the day had no range."""
    h, lo, c, a = _f(high), _f(low), _f(close), _f(amount)
    rng = h - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        mult = np.where(rng > 0, ((c - lo) - (h - c)) / rng, 0.0)
    return a * mult


def stars_of(score):
    """1..5 stars from a 0..100 score."""
    s = _f(score)
    return 1 + (s >= 35) + (s >= 50) + (s >= 65) + (s >= 80)


def direction_label(change_pct, volume_ratio, flow_ratio, prev_flow_ratio=None):
    """强势流入 / 持续流入 / 小幅流入 / 震荡 / 小幅流出 / 持续流出 / 大幅流出 for one sector."""
    chg, vr, fr = float(change_pct), float(volume_ratio), float(flow_ratio)
    prev = None if prev_flow_ratio is None or not np.isfinite(prev_flow_ratio) else float(prev_flow_ratio)
    if abs(chg) < 0.3 and abs(fr) < 0.1:
        return FLAT
    if fr > 0:
        if fr >= 0.3 and chg >= 1.0 and vr >= 1.2:
            return INFLOW_STRONG
        if (prev is not None and prev > 0) or (prev is None and chg > 0):
            return INFLOW_STEADY
        return INFLOW_SMALL
    if fr <= -0.3 and chg <= -1.0 and vr >= 1.2:
        return OUTFLOW_HEAVY
    if prev is not None and prev < 0:
        return OUTFLOW_STEADY
    if fr < 0:
        return OUTFLOW_SMALL
    return FLAT


def etf_sector_flow(change_pct, amount, prev_amount, high=None, low=None, close=None, main_net_inflow=None,
                    prev_flow_ratio=None):
    """ETF-method sector flow for n sectors (arrays of length n); see the module doc for the formulas."""
    chg = _f(change_pct)
    amt = _f(amount)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        vr = np.where(_f(prev_amount) > 0, amt / _f(prev_amount), np.nan)
    if main_net_inflow is not None:
        flow = _f(main_net_inflow)
        if high is not None:
            est = chaikin_flow(amt, high, low, close)
            flow = np.where(np.isfinite(flow), flow, est)
    elif high is not None:
        flow = chaikin_flow(amt, high, low, close)
    else:
        raise ValueError("need main_net_inflow or high/low/close to estimate the net flow")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fr = np.where(amt > 0, flow / amt, 0.0)
    c_term = np.clip((np.where(np.isfinite(chg), chg, 0.0) + 3.0) / 6.0, 0, 1)
    v_term = np.clip((np.where(np.isfinite(vr), vr, 1.0) - 0.5) / 1.5, 0, 1)
    f_term = np.clip((np.where(np.isfinite(fr), fr, 0.0) + 0.5) / 1.0, 0, 1)
    score = 40.0 * c_term + 30.0 * v_term + 30.0 * f_term
    prev = [None] * len(chg) if prev_flow_ratio is None else list(_f(prev_flow_ratio))
    labels = [direction_label(chg[i] if np.isfinite(chg[i]) else 0.0,
                              vr[i] if np.isfinite(vr[i]) else 1.0,
                              fr[i] if np.isfinite(fr[i]) else 0.0, prev[i]) for i in range(len(chg))]
    order = np.lexsort((-np.where(np.isfinite(fr), fr, 0.0), -score))
    rank = np.empty(len(chg), dtype=np.int64)
    rank[order] = np.arange(1, len(chg) + 1)
    return SectorFlow(chg, amt, vr, flow, fr, score, stars_of(score), labels, rank)


def breadth(sectors, change_pct, volume_ratio):
    """Constituent-breadth method: per sector average change, average volume ratio and share rising."""
    sec = np.asarray(sectors, dtype=object)
    names = sorted({s for s in sec if s})
    pos = {n: i for i, n in enumerate(names)}
    g = np.array([pos.get(s, -1) for s in sec], dtype=np.int64)
    chg = _f(change_pct)
    vr = _f(volume_ratio)
    ok = (g >= 0) & np.isfinite(chg)
    n = np.bincount(g[ok], minlength=len(names)).astype(np.float64)
    sum_chg = np.bincount(g[ok], weights=chg[ok], minlength=len(names))
    up = np.bincount(g[ok], weights=(chg[ok] > 0).astype(np.float64), minlength=len(names))
    okv = ok & np.isfinite(vr)
    nv = np.bincount(g[okv], minlength=len(names)).astype(np.float64)
    sum_vr = np.bincount(g[okv], weights=vr[okv], minlength=len(names))
    with np.errstate(divide="ignore", invalid="ignore"):
        return Breadth(names, n.astype(np.int64), sum_chg / n, sum_vr / nv, up / n)


def industry_scores_from_flow(sector_names, score):
    """{sector: 0..10} industry scores for the offensive layer from 0..100 sector-flow scores."""
    return {n: float(s) / 10.0 for n, s in zip(sector_names, _f(score)) if np.isfinite(s)}
