"""Technical indicators vectorised over the universe: every input and output is a float array
shaped [stocks x days] (oldest day first). Python 3.6, numpy only, no I/O.

Loops run over days (or window offsets), never over stocks: 250 numpy operations on 5,000-wide
vectors, not 5,000 Python loops. Missing values are NaN; suspended days should be forward-filled
by the caller with `ffill` before computing price indicators.
"""
import numpy as np


def as_matrix(x):
    """Return x as a 2-D float64 array [stocks x days] (a 1-D input becomes one stock)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"expected a [stocks x days] array, got shape {a.shape!r}")
    return a


def ffill(x):
    """Forward-fill NaNs along days; leading NaNs stay NaN."""
    a = as_matrix(x)
    n_days = a.shape[1]
    idx = np.where(np.isnan(a), 0, np.arange(n_days)[None, :])
    np.maximum.accumulate(idx, axis=1, out=idx)
    out = a[np.arange(a.shape[0])[:, None], idx]
    return out


def shift(x, k):
    """Shift along days by k (>0: value from k days earlier); vacated cells are NaN."""
    a = as_matrix(x)
    out = np.full_like(a, np.nan)
    if k == 0:
        out[:] = a
    elif k > 0:
        if k < a.shape[1]:
            out[:, k:] = a[:, :-k]
    else:
        if -k < a.shape[1]:
            out[:, :k] = a[:, -k:]
    return out


def sma(x, n):
    """Simple moving average over n days; the first n-1 days are NaN."""
    a = as_matrix(x)
    if n < 1:
        raise ValueError(f"window n must be >= 1, got {n!r}")
    out = np.full_like(a, np.nan)
    if a.shape[1] < n:
        return out
    valid = np.isfinite(a)
    zero = np.zeros((a.shape[0], 1))
    c = np.cumsum(np.concatenate([zero, np.where(valid, a, 0.0)], axis=1), axis=1)
    k = np.cumsum(np.concatenate([zero, valid.astype(np.float64)], axis=1), axis=1)
    full = (k[:, n:] - k[:, :-n]) == n       # a NaN inside the window makes the average NaN, not later ones
    out[:, n - 1:] = np.where(full, (c[:, n:] - c[:, :-n]) / float(n), np.nan)
    return out


def ema(x, n):
    """Exponential moving average, alpha = 2/(n+1), seeded with the first valid value (as QMT/TDX do)."""
    a = as_matrix(x)
    alpha = 2.0 / (n + 1.0)
    t = np.ascontiguousarray(a.T)          # [days x stocks]: each step reads one contiguous row
    out = np.empty_like(t)
    prev = t[0].copy()
    out[0] = prev
    has_nan = bool(np.isnan(t).any())
    for j in range(1, t.shape[0]):
        cur = t[j]
        nxt = prev + alpha * (cur - prev)
        if has_nan:
            # a NaN today keeps yesterday's average; a NaN yesterday (not yet started) starts at today's value
            nxt = np.where(np.isnan(cur), prev, np.where(np.isnan(prev), cur, nxt))
        out[j] = nxt
        prev = nxt
    return np.ascontiguousarray(out.T)


def macd(close, fast=12, slow=26, signal=9):
    """MACD as Chinese terminals show it: (DIF, DEA, histogram = 2 * (DIF - DEA))."""
    c = as_matrix(close)
    dif = ema(c, fast) - ema(c, slow)
    dea = ema(dif, signal)
    return dif, dea, 2.0 * (dif - dea)


def crossed_above(a, b, within=1):
    """True where a crossed above b on one of the last `within` days (a>b that day, a<=b the day before)."""
    with np.errstate(invalid="ignore"):
        above = as_matrix(a) > as_matrix(b)
    cross = np.zeros_like(above)
    cross[:, 1:] = above[:, 1:] & ~above[:, :-1]
    out = cross.copy()
    for k in range(1, min(within, cross.shape[1])):
        out[:, k:] |= cross[:, :-k]
    return out


def rolling_max(x, n, include_today=True):
    """Maximum over the last n days (or the n days before today); NaN until the window is full."""
    a = as_matrix(x)
    src = a if include_today else shift(a, 1)
    out = src.copy()
    for k in range(1, min(n, a.shape[1])):
        np.fmax(out[:, k:], src[:, :-k], out=out[:, k:])
    start = n - 1 if include_today else n
    out[:, :min(start, a.shape[1])] = np.nan
    return out


def rolling_min(x, n, include_today=True):
    """Minimum over the last n days (or the n days before today); NaN until the window is full."""
    return -rolling_max(-as_matrix(x), n, include_today)


def volume_ratio(volume, n=5):
    """Today's volume over the average volume of the previous n days (量比 on daily bars)."""
    v = as_matrix(volume)
    base = shift(sma(v, n), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = v / base
    r[~np.isfinite(r)] = np.nan
    return r


def breakout(close, high, n=20):
    """True where the close is above the highest high of the previous n days."""
    prior = rolling_max(high, n, include_today=False)
    with np.errstate(invalid="ignore"):
        return as_matrix(close) > prior


def atr(high, low, close, n=14):
    """Average true range (simple average of the true range over n days)."""
    h = as_matrix(high)
    lo = as_matrix(low)
    c = as_matrix(close)
    pc = shift(c, 1)
    tr = np.fmax(h - lo, np.fmax(np.abs(h - pc), np.abs(lo - pc)))
    return sma(tr, n)


def pct_change(x, k=1):
    """Percent change over k days, in percent."""
    a = as_matrix(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a / shift(a, k) - 1.0) * 100.0
