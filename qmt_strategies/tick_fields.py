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

ROW_FIELDS = (("time", "time"), ("lastPrice", "last"), ("high", "high"), ("low", "low"))
G_ROW4 = itemgetter(*(k for k, _ in ROW_FIELDS))
G_AV = itemgetter("amount", "pvolume")
DETAIL_FIELDS = (("open", "open"), ("amount", "amount"), ("pvolume", "volume"), ("stockStatus", "status"))
G_BID = itemgetter("bidPrice")
G_ASK = itemgetter("askPrice")
G_BIDV = itemgetter("bidVol")
G_ASKV = itemgetter("askVol")
G_FIRST = itemgetter(0)
G_FIVE = itemgetter(slice(0, 5))
BOOK_FIELDS = ((G_BID, "bid"), (G_ASK, "ask"), (G_BIDV, "bid_vol"), (G_ASKV, "ask_vol"))
G_QUOTE_AV = itemgetter("bidPrice", "askPrice", "amount", "pvolume")
G_DETAILS = itemgetter(*([k for k, _ in DETAIL_FIELDS] + ["bidPrice", "askPrice", "bidVol", "askVol"]))
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


def quotes_av(vals):
    """bid1, ask1, amount, pvolume of each dict in one pass over the dicts (raises like `col`/`lvl1`)."""
    n = len(vals)
    if not n:
        e = np.zeros(0)
        return e, e, e, e
    b, a, am, pv = zip(*map(G_QUOTE_AV, vals))
    return (np.fromiter(map(pos, map(G_FIRST, b)), np.float64, n),
            np.fromiter(map(pos, map(G_FIRST, a)), np.float64, n),
            np.fromiter(map(pos, am), np.float64, n), np.fromiter(map(pos, pv), np.float64, n))


def details(vals):
    """{name: column} of DETAIL_FIELDS and (n, 5) books of BOOK_FIELDS, one pass over the dicts."""
    n = len(vals)
    cols = {}
    if not n:
        for _, name in DETAIL_FIELDS:
            cols[name] = np.zeros(0)
        for _, name in BOOK_FIELDS:
            cols[name] = np.zeros((0, LEVELS))
        return cols
    parts = tuple(zip(*map(G_DETAILS, vals)))
    for j, (_, name) in enumerate(DETAIL_FIELDS):
        cols[name] = np.fromiter(map(pos, parts[j]), np.float64, n)
    for j, (_, name) in enumerate(BOOK_FIELDS):
        seq = parts[len(DETAIL_FIELDS) + j]
        cols[name] = np.fromiter(map(pos, chain.from_iterable(map(G_FIVE, seq))), np.float64,
                                 n * LEVELS).reshape(n, LEVELS)
    return cols


def picker(positions):
    """A reusable `pick` for fixed positions (builds the C getter once per key set, not per push)."""
    p = positions.tolist()
    if len(p) < 2:
        return lambda vals: [vals[i] for i in p]
    g = itemgetter(*p)
    return lambda vals: list(g(vals))


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
