"""Reading fields out of xtquant tick dicts: fast C-level passes and a per-dict fallback that names the reason.

The fast readers (`col`, `lvl1`, `book`) raise TypeError/ValueError/KeyError/IndexError on any wrong value;
the caller then uses `slow_getters`, which records one reason code per dict. Python 3.6, numpy only.
"""
from itertools import chain
from operator import itemgetter, pos

import numpy as np

REASONS = ("missing_field", "bad_type", "nan", "nonpositive_price", "stale_time", "outside_band")
R_MISSING, R_TYPE, R_NAN, R_NONPOS, R_STALE, R_BAND = range(1, 7)
LEVELS = 5

G_THL = itemgetter("time", "high", "low")
DETAIL_FIELDS = (("open", "open"), ("amount", "amount"), ("pvolume", "volume"), ("stockStatus", "status"))
G_BID = itemgetter("bidPrice")
G_ASK = itemgetter("askPrice")
G_BIDV = itemgetter("bidVol")
G_ASKV = itemgetter("askVol")
G_FIRST = itemgetter(0)
G_FIVE = itemgetter(slice(0, 5))
BOOK_FIELDS = ((G_BID, "bid"), (G_ASK, "ask"), (G_BIDV, "bid_vol"), (G_ASKV, "ask_vol"))
G_DETAILS = itemgetter(*[k for k, _ in DETAIL_FIELDS])
_SCALARS = {False: ("time", "high", "low"), True: ("time", "high", "low", "amount", "pvolume")}
_SCALAR_GETTERS = dict((k, itemgetter(*v)) for k, v in _SCALARS.items())
BOOK_KEYS = {G_BID: "bidPrice", G_ASK: "askPrice", G_BIDV: "bidVol", G_ASKV: "askVol"}
_G = dict((k, itemgetter(k)) for k in ("time", "lastPrice", "high", "low", "open", "lastClose",
                                       "amount", "pvolume", "volume", "stockStatus"))


def col(vals, key):
    """One float column from the dicts; TypeError/KeyError for wrong types or missing keys."""
    return np.fromiter(map(pos, map(_G[key], vals)), np.float64, len(vals))


def multi(vals, getter, k):
    """(n, k) floats from a k-key itemgetter, one pass over the dicts."""
    n = len(vals)
    return np.fromiter(map(pos, chain.from_iterable(map(getter, vals))), np.float64, k * n).reshape(n, k)


def lvl1(vals, getter):
    """Level 1 (first element) of a book list per dict."""
    return np.fromiter(map(pos, map(G_FIRST, map(getter, vals))), np.float64, len(vals))


def book(vals, getter):
    """(n, 5) levels; longer lists (e.g. 10-level L2) are cut to 5, shorter ones raise (slow path)."""
    n = len(vals)
    flat = np.fromiter(map(pos, chain.from_iterable(map(G_FIVE, map(getter, vals)))), np.float64, n * LEVELS)
    return flat.reshape(n, LEVELS)


def quote_fields(vals, quotes=True, av=True):
    """time, high, low (+ amount, volume) of each dict in one pass, and (+) bid/ask level 1 as (n, 1) columns.

    Raises like `col`/`lvl1` on any wrong value."""
    keys = _SCALARS[bool(av)]
    a = multi(vals, _SCALAR_GETTERS[bool(av)], len(keys))
    cols = {}
    for j, key in enumerate(keys):
        cols["volume" if key == "pvolume" else key] = a[:, j].copy()
    if quotes:
        cols["bid"] = lvl1(vals, G_BID)[:, None]
        cols["ask"] = lvl1(vals, G_ASK)[:, None]
    return cols


def details(vals):
    """{name: column} of DETAIL_FIELDS and (n, 5) books of BOOK_FIELDS."""
    n = len(vals)
    a = multi(vals, G_DETAILS, len(DETAIL_FIELDS))
    cols = {}
    for j, (_, name) in enumerate(DETAIL_FIELDS):
        cols[name] = a[:, j].copy()
    for g, name in BOOK_FIELDS:
        cols[name] = book(vals, g) if n else np.zeros((0, LEVELS))
    return cols


def pick(vals, positions):
    """The dicts at some positions of the push (C-speed for many)."""
    p = positions.tolist()
    if len(p) < 2:
        return [vals[i] for i in p]
    return list(itemgetter(*p)(vals))


def _num(v):
    """Scalar check for the slow path: float value, or a reason code."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        return R_TYPE
    return float(v)



def slow_getters(reason):
    """Per-dict extractors (col, lvl1, book) that record a reason per row in `reason` instead of raising."""
    def col(vs, key):
        out = np.full(len(vs), np.nan)
        for i, d in enumerate(vs):
            v = d.get(key) if isinstance(d, dict) else None
            x = R_MISSING if v is None else _num(v)
            if isinstance(x, float):
                out[i] = x
            elif reason[i] == 0:
                reason[i] = x
        return out

    def lvl(vs, getter, levels=1):
        key = BOOK_KEYS[getter]
        out = np.zeros((len(vs), levels))
        for i, d in enumerate(vs):
            seq = d.get(key) if isinstance(d, dict) else None
            if not isinstance(seq, (list, tuple)) or len(seq) < levels:
                if reason[i] == 0:
                    reason[i] = R_MISSING if seq is None else R_TYPE
                continue
            for j in range(levels):
                x = _num(seq[j])
                if not isinstance(x, float):
                    if reason[i] == 0:
                        reason[i] = R_TYPE
                    break
                out[i, j] = x
        return out

    def book(vs, getter):
        return lvl(vs, getter, LEVELS)

    def lvl1(vs, getter):
        return lvl(vs, getter, 1)[:, 0]
    return col, lvl1, book
