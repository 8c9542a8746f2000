"""Valuation percentile over a window and the traffic light. Python 3.6, numpy only, no I/O.

The percentile of the latest value is the share of observations in the window that are <= it
(0..100, the latest included), the usual "PE 百分位" of Chinese valuation tables. Fewer than
`min_points` observations give None: "no percentile" rather than a number from a too-short history.
"""
import datetime

import numpy as np

GREEN = "green"     # cheap: percentile <= low
YELLOW = "yellow"   # fair
RED = "red"         # expensive: percentile >= high
NONE = "none"       # no percentile
LIGHT_LABELS = {GREEN: "绿灯(低估)", YELLOW: "黄灯(适中)", RED: "红灯(高估)", NONE: "无百分位"}


def percentile_of_last(values):
    """Percent of the (finite, positive) values that are <= the last one; None when there is none."""
    a = np.asarray(values, dtype=np.float64)
    a = a[np.isfinite(a) & (a > 0)]
    if a.size == 0:
        return None
    return float(np.count_nonzero(a <= a[-1])) * 100.0 / a.size


def window_start(asof, years):
    """The first date of a `years`-long window ending on `asof` (Feb 29 safe)."""
    try:
        return asof.replace(year=asof.year - int(years)) + datetime.timedelta(days=1)
    except ValueError:
        return asof.replace(year=asof.year - int(years), day=28) + datetime.timedelta(days=1)


def percentile_over_window(dates, values, years=5, asof=None, min_points=250):
    """Percentile (0..100) of the value on `asof` (default: the last date) among values of the preceding
    `years` years; None when fewer than `min_points` observations are available."""
    if len(dates) == 0:
        return None
    ds = [d if isinstance(d, datetime.date) else _parse(d) for d in dates]
    order = sorted(range(len(ds)), key=lambda i: ds[i])
    ds = [ds[i] for i in order]
    vs = np.asarray([values[i] for i in order], dtype=np.float64)
    end = ds[-1] if asof is None else asof
    start = window_start(end, years)
    sel = np.array([start <= d <= end for d in ds])
    w = vs[sel]
    w = w[np.isfinite(w) & (w > 0)]
    if w.size < min_points:
        return None
    return percentile_of_last(w)


def _parse(d):
    s = str(d).replace("-", "")[:8]
    return datetime.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def traffic_light(percentile, low=30.0, high=70.0):
    """green at or below `low`, red at or above `high`, yellow between, none without a percentile."""
    if percentile is None or not np.isfinite(percentile):
        return NONE
    if percentile <= low:
        return GREEN
    if percentile >= high:
        return RED
    return YELLOW
