"""Stable layer: watch fundamentals of long-term holdings and raise alerts for a human. It never trades.

Rules (thresholds are constructor arguments, defaults in config/offensive.yaml `stable:`):
  * payout_low      - cash payout ratio below `min_payout_pct` in the two latest periods in a row;
  * pe_spike/pb_spike - latest PE (PB) at least `spike_ratio` x the median of the previous `spike_window`
                      observations (a jump in valuation that the price alone does not explain away);
  * earnings_down   - single-quarter net profit below the same quarter a year earlier in the two latest
                      quarters (year-on-year, so seasonality does not trigger it). A-share reports are
                      year-to-date cumulative; `single_quarters` turns them into single quarters.
Python 3.6, numpy only, no I/O. Alerts are Signals with action 'alert' and quantity 0.
"""
import datetime

import numpy as np

from qmt_strategies.types import ACTION_ALERT, LEVEL_HIGH, LEVEL_MID, Signal

STRATEGY = "stable"
RULES = ("payout_low", "pe_spike", "pb_spike", "earnings_down")


def _as_date(d):
    if isinstance(d, datetime.date):
        return d
    s = str(d).replace("-", "")[:8]
    return datetime.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def single_quarters(periods, cumulative):
    """Year-to-date cumulative values by report period -> {(year, quarter): single-quarter value}.

    A quarter whose previous cumulative value of the same year is missing is left out (unknowable).
    """
    cum = {}
    for p, v in zip(periods, cumulative):
        if v is None or not np.isfinite(float(v)):
            continue
        d = _as_date(p)
        cum[(d.year, (d.month - 1) // 3 + 1)] = float(v)
    out = {}
    for (y, q), v in cum.items():
        if q == 1:
            out[(y, q)] = v
        elif (y, q - 1) in cum:
            out[(y, q)] = v - cum[(y, q - 1)]
    return out


def earnings_falling(periods, cumulative_profit, quarters=2):
    """(True, detail) when single-quarter profit fell year on year in each of the latest `quarters` quarters."""
    sq = single_quarters(periods, cumulative_profit)
    if not sq:
        return False, "no quarterly data"
    latest = sorted(sq)[-quarters:]
    if len(latest) < quarters:
        return False, f"fewer than {quarters} quarters"
    # the latest quarters must be consecutive
    for (y0, q0), (y1, q1) in zip(latest, latest[1:]):  # noqa: RUF007 - Python 3.6 has no pairwise
        if (y0 * 4 + q0) + 1 != (y1 * 4 + q1):
            return False, "quarters not consecutive"
    parts = []
    for (y, q) in latest:
        prev = sq.get((y - 1, q))
        # "below" beyond float noise from de-cumulating (0.85 - 0.75 is not below 0.1)
        if prev is None or not sq[(y, q)] < prev - 1e-9 * max(1.0, abs(prev)):
            return False, f"Q{q} {y} not below a year earlier"
        parts.append(f"{y}Q{q} {sq[(y, q)]:.4g} < {prev:.4g}")
    return True, "; ".join(parts)


def payout_low(payout_pcts, min_payout_pct, periods=2):
    """True when each of the latest `periods` payout ratios (percent, oldest first) is below the minimum."""
    vals = [float(x) for x in payout_pcts if x is not None and np.isfinite(float(x))]
    if len(vals) < periods:
        return False
    return all(v < min_payout_pct for v in vals[-periods:])


def spike(series, ratio, window):
    """(True, latest, median) when the latest value >= ratio x median of the previous `window` positive values."""
    a = np.asarray([float(x) for x in series if x is not None], dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size < 2:
        return False, float("nan"), float("nan")
    latest = a[-1]
    prev = a[:-1][-window:]
    prev = prev[prev > 0]
    if prev.size == 0 or latest <= 0:
        return False, latest, float("nan")
    med = float(np.median(prev))
    return bool(latest >= ratio * med), float(latest), med


class StableLayerMonitor:
    """Evaluate the stable-layer rules for each watched code and return alert Signals (never orders)."""

    def __init__(self, min_payout_pct=30.0, payout_periods=2, spike_ratio=1.3, spike_window=60,
                 earnings_quarters=2, name=STRATEGY):
        self.min_payout_pct = float(min_payout_pct)
        self.payout_periods = int(payout_periods)
        self.spike_ratio = float(spike_ratio)
        self.spike_window = int(spike_window)
        self.earnings_quarters = int(earnings_quarters)
        self.name = name

    @classmethod
    def from_config(cls, cfg):
        """Build from a StableConfig-like object or dict."""
        d = cfg if isinstance(cfg, dict) else cfg.model_dump()
        keys = ("min_payout_pct", "payout_periods", "spike_ratio", "spike_window", "earnings_quarters")
        return cls(**{k: d[k] for k in keys if k in d})

    def _alert(self, code, rule, trade_date, ts_ms, level, value, reason, details):
        sid = f"{self.name}:{int(trade_date)}:{code}:{rule}"
        d = dict(details)
        d["rule"] = rule
        return Signal(sid, self.name, code, ACTION_ALERT, int(ts_ms), int(trade_date), 0.0, 0, 0.0, 0.0,
                      "", level, float(value), reason, d)

    def check(self, code, trade_date, ts_ms, payout_pcts=(), pe_series=(), pb_series=(),
              report_periods=(), cumulative_profit=()):
        """All rules for one code; inputs oldest first. Returns a list of alert Signals (possibly empty)."""
        out = []
        if payout_low(payout_pcts, self.min_payout_pct, self.payout_periods):
            last = [float(x) for x in payout_pcts][-self.payout_periods:]
            out.append(self._alert(code, "payout_low", trade_date, ts_ms, LEVEL_MID, last[-1],
                                   "分红率连续{}期低于{:.0f}%: {}".format(self.payout_periods, self.min_payout_pct,
                                                                      ", ".join(f"{v:.1f}%" for v in last)),
                                   {"payouts": last, "threshold": self.min_payout_pct}))
        for rule, label, series in (("pe_spike", "PE", pe_series), ("pb_spike", "PB", pb_series)):
            hit, latest, med = spike(series, self.spike_ratio, self.spike_window)
            if hit:
                out.append(self._alert(code, rule, trade_date, ts_ms, LEVEL_MID, latest,
                                       f"{label} 异常升高: {latest:.2f} >= {self.spike_ratio:.2f} x 中位数 {med:.2f}",
                                       {"latest": latest, "median": med, "ratio": self.spike_ratio}))
        hit, detail = earnings_falling(report_periods, cumulative_profit, self.earnings_quarters)
        if hit:
            sq = single_quarters(report_periods, cumulative_profit)
            out.append(self._alert(code, "earnings_down", trade_date, ts_ms, LEVEL_HIGH, sq[max(sq)],
                                   f"单季净利润连续{self.earnings_quarters}季同比下降: {detail}",
                                   {"detail": detail}))
        return out

    def check_all(self, trade_date, ts_ms, data):
        """`data` {code: dict of check() keyword inputs} -> alerts for every code, sorted by code."""
        out = []
        for code in sorted(data):
            out.extend(self.check(code, trade_date, ts_ms, **data[code]))
        return out
