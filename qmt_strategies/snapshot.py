"""Full-market snapshot: xtquant tick dicts {code: tick} -> numpy arrays on a stable code index.

Only the fields every signal needs are pulled from all dicts on each push (that extraction, not the numpy
work, is the cost): time, lastPrice, high, low, bid1, ask1; lastClose once per row per day. Detail fields
(open, amount, pvolume, stockStatus, 5-level book) are read lazily with load_details(rows) for the few rows
that need them (rows at a limit price are loaded automatically); the push dicts are kept by reference.
`full=True` pulls every field for every row. Bad values are masked and counted per reason.
"""
from itertools import chain
from operator import itemgetter, pos

import numpy as np

from . import ashare

REASONS = ("missing_field", "bad_type", "nan", "nonpositive_price", "stale_time", "outside_band")
_R_MISSING, _R_TYPE, _R_NAN, _R_NONPOS, _R_STALE, _R_BAND = range(1, 7)
LEVELS = 5

_ROW_FIELDS = (("time", "time"), ("lastPrice", "last"), ("high", "high"), ("low", "low"))
_DETAIL_FIELDS = (("open", "open"), ("amount", "amount"), ("pvolume", "volume"), ("stockStatus", "status"))
_G_BID = itemgetter("bidPrice")
_G_ASK = itemgetter("askPrice")
_G_BIDV = itemgetter("bidVol")
_G_ASKV = itemgetter("askVol")
_G_FIRST = itemgetter(0)
_BOOK_FIELDS = ((_G_BID, "bid"), (_G_ASK, "ask"), (_G_BIDV, "bid_vol"), (_G_ASKV, "ask_vol"))
_BOOK_KEYS = {_G_BID: "bidPrice", _G_ASK: "askPrice", _G_BIDV: "bidVol", _G_ASKV: "askVol"}
_G = dict((k, itemgetter(k)) for k in ("time", "lastPrice", "high", "low", "open", "lastClose",
                                       "amount", "pvolume", "volume", "stockStatus"))


def _col(vals, key):
    """One float column from the dicts; TypeError/KeyError for wrong types or missing keys."""
    return np.fromiter(map(pos, map(_G[key], vals)), np.float64, len(vals))


def _lvl1(vals, getter):
    return np.fromiter(map(pos, map(_G_FIRST, map(getter, vals))), np.float64, len(vals))


def _book(vals, getter):
    n = len(vals)
    flat = np.fromiter(map(pos, chain.from_iterable(map(getter, vals))), np.float64, n * LEVELS)
    return flat.reshape(n, LEVELS)


def _num(v):
    """Scalar check for the slow path: float value, or a reason code."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        return _R_TYPE
    return float(v)


class Snapshot(object):
    """Arrays for the whole market, one row per code; `update(ticks)` applies a (partial) push."""

    _ARRAYS = (("board", np.int8, 0), ("tick", np.int64, 10), ("bp", np.int64, 0),
               ("is_st", bool, False), ("wide_limit", bool, False), ("no_limit", bool, False),
               ("pre_close", np.float64, 0.0), ("up_units", np.int64, 0), ("down_units", np.int64, 0),
               ("up", np.float64, np.inf), ("down", np.float64, 0.0),
               ("up_given", np.float64, 0.0), ("down_given", np.float64, 0.0),
               ("limit_disagree", bool, False), ("float_volume", np.float64, 0.0),
               ("time", np.float64, 0.0), ("last", np.float64, 0.0), ("high", np.float64, 0.0),
               ("low", np.float64, 0.0), ("open", np.float64, 0.0), ("amount", np.float64, 0.0),
               ("volume", np.float64, 0.0), ("status", np.float64, 0.0),
               ("valid", bool, False), ("seen", bool, False), ("row_push", np.int64, 0),
               ("detail_push", np.int64, 0), ("_ref", object, None))
    _BOOKS = ("bid", "ask", "bid_vol", "ask_vol")

    def __init__(self, codes=(), trade_date=None, full=False, max_age_ms=0, book_lot=100,
                 capacity=1024):
        """codes: optional initial universe; book_lot: shares per unit of bidVol/askVol (xtquant: lots)."""
        self.trade_date = trade_date
        self.full = full
        self.max_age_ms = max_age_ms
        self.book_lot = book_lot
        self.codes = []
        self.index = {}
        self.n = 0
        self._cap = 0
        self._grow(max(capacity, len(codes)))
        self.bad_counts = dict((r, 0) for r in REASONS)
        self.last_bad = dict((r, 0) for r in REASONS)
        self.pushed_rows = np.zeros(0, np.int64)
        self.version = 0
        self._keys = None
        self._rows = None
        self._pos = None
        self._covers_all = False
        self._pushes = {}
        self._prev_push = (0, None)
        self._instr = {}
        self.add_codes(codes)

    # ---- universe -------------------------------------------------------------------------------
    def _grow(self, need):
        cap = max(need, 2 * self._cap, 16)
        for name, dt, fill in self._ARRAYS:
            new = np.full(cap, fill, dt)
            if self._cap:
                new[:self._cap] = getattr(self, name)
            setattr(self, name, new)
        for name in self._BOOKS:
            new = np.zeros((cap, LEVELS), np.float64)
            if self._cap:
                new[:self._cap] = getattr(self, name)
            setattr(self, name, new)
        self._cap = cap

    def add_codes(self, codes):
        """Give new codes a row (existing codes keep theirs); returns their rows."""
        new = [c for c in dict.fromkeys(codes) if c not in self.index]
        if not new:
            return np.asarray([self.index[c] for c in codes], np.int64)
        start = self.n
        if start + len(new) > self._cap:
            self._grow(start + len(new))
        for i, c in enumerate(new):
            self.index[c] = start + i
        self.codes.extend(new)
        self.n = start + len(new)
        sl = slice(start, self.n)
        self.board[sl] = ashare.boards(new)
        self.tick[sl] = ashare.tick_units(self.board[sl])
        self.wide_limit[sl] = [ashare.default_wide_limit(c) for c in new]
        for c in new:
            if c in self._instr:
                self._apply_detail(self.index[c], self._instr[c])
        self._keys = None
        return np.asarray([self.index[c] for c in codes], np.int64)

    def rows_of(self, codes):
        """Rows of known codes (KeyError for unknown ones)."""
        return np.asarray([self.index[c] for c in codes], np.int64)

    def set_instruments(self, details):
        """Reference data {code: get_instrument_detail dict}: UpStopPrice/DownStopPrice, FloatVolume, ST name."""
        self._instr.update(details)
        self.add_codes(list(details))
        for c, d in details.items():
            self._apply_detail(self.index[c], d)
        self._recompute_limits(np.arange(self.n))

    def _apply_detail(self, r, d):
        name = d.get("InstrumentName") or ""
        self.is_st[r] = "ST" in name.upper()
        self.up_given[r] = float(d.get("UpStopPrice") or 0.0)
        self.down_given[r] = float(d.get("DownStopPrice") or 0.0)
        self.float_volume[r] = float(d.get("FloatVolume") or 0.0)
        if not self.pre_close[r] and d.get("PreClose"):
            self.pre_close[r] = float(d["PreClose"])

    def set_flags(self, codes, is_st=None, wide_limit=None, no_limit=None):
        """Override per-code rule flags (ST, 20% ETF, no limit e.g. first listing days)."""
        rows = self.add_codes(codes)
        for name, val in (("is_st", is_st), ("wide_limit", wide_limit), ("no_limit", no_limit)):
            if val is not None:
                getattr(self, name)[rows] = val
        self._recompute_limits(rows)

    def new_day(self, trade_date):
        """Start a trading day: pre-close is re-read from the next pushes, intraday values reset."""
        self.trade_date = trade_date
        n = self.n
        for name in ("pre_close", "time", "last", "high", "low", "open", "amount", "volume"):
            getattr(self, name)[:n] = 0.0
        for name in self._BOOKS:
            getattr(self, name)[:n] = 0.0
        self.valid[:n] = False
        self.seen[:n] = False
        self.row_push[:n] = 0
        self.detail_push[:n] = 0
        self._pushes = {}
        self.up[:n] = np.inf
        self.down[:n] = 0.0
        self._keys = None

    def _recompute_limits(self, rows):
        rows = np.asarray(rows, np.int64)
        if not len(rows):
            return
        bp = ashare.limit_bp(self.board[rows], self.is_st[rows], self.wide_limit[rows],
                             self.no_limit[rows], self.trade_date)
        self.bp[rows] = bp
        pre_u = ashare.to_units(self.pre_close[rows])
        up_u, dn_u = ashare.limit_units(pre_u, bp, self.tick[rows])
        has = pre_u > 0
        up = np.where(has & (bp > 0), ashare.to_price(up_u), np.inf)
        dn = np.where(has & (bp > 0), ashare.to_price(dn_u), 0.0)
        gu, gd = self.up_given[rows], self.down_given[rows]
        self.limit_disagree[rows] = has & (bp > 0) & (((gu > 0) & (np.abs(gu - up) > 1e-6)) |
                                                       ((gd > 0) & (np.abs(gd - dn) > 1e-6)))
        up = np.where(gu > 0, gu, up)
        dn = np.where(gd > 0, gd, dn)
        self.up[rows] = up
        self.down[rows] = dn
        self.up_units[rows] = np.where(np.isfinite(up), ashare.to_units(np.where(np.isfinite(up), up, 0)),
                                       np.iinfo(np.int64).max // 4)
        self.down_units[rows] = ashare.to_units(dn)

    # ---- pushes ---------------------------------------------------------------------------------
    def update(self, ticks, now_ms=None):
        """Apply a push {code: tick_dict}; only its rows change. Returns the rows written."""
        keys = list(ticks)
        if keys != self._keys:
            self.add_codes(keys)
            self._keys = keys
            self._rows = np.fromiter(map(self.index.__getitem__, keys), np.int64, len(keys))
            self._pos = np.full(self.n, -1, np.int64)
            self._pos[self._rows] = np.arange(len(keys))
            self._covers_all = len(keys) == self.n and np.all(self._pos >= 0)
        rows = self._rows
        vals = list(ticks.values())
        m = len(vals)
        reason = np.zeros(m, np.int8)
        try:
            cols = self._extract(vals, _col, _lvl1, _book)
        except (TypeError, ValueError, KeyError, IndexError):
            cols = self._extract(vals, *self._slow_getters(vals, reason))
        new = ~self.seen[rows]
        if new.any():
            self._read_pre_close(vals, rows, np.nonzero(new)[0], reason)
        self._validate(rows, cols, reason, now_ms)
        okpos = np.nonzero(reason == 0)[0]
        ok = rows[okpos]
        for name, arr in cols.items():
            if arr.ndim == 1:
                getattr(self, name)[ok] = arr[okpos]
            elif self.full:
                getattr(self, name)[ok] = arr[okpos]
            else:
                getattr(self, name)[ok, 0] = arr[okpos, 0]
        self.valid[ok] = True
        # stale rows keep their earlier data and validity; other bad rows are masked until fixed
        self.valid[rows[(reason > 0) & (reason != _R_STALE)]] = False
        self.version += 1
        self._remember_push(vals, ok)
        if self.full:
            self.detail_push[ok] = self.version
        counts = np.bincount(reason, minlength=len(REASONS) + 1)
        for i, r in enumerate(REASONS):
            c = int(counts[i + 1])
            self.last_bad[r] = c
            self.bad_counts[r] += c
        if not self.full:
            self._load_at_limit(ok)
        self.pushed_rows = ok
        return ok

    def _extract(self, vals, col, lvl1, book):
        cols = {}
        for k, name in _ROW_FIELDS:
            cols[name] = col(vals, k)
        if self.full:
            for k, name in _DETAIL_FIELDS:
                cols[name] = col(vals, k)
            for g, name in _BOOK_FIELDS:
                cols[name] = book(vals, g)
            cols["bid_vol"] *= self.book_lot
            cols["ask_vol"] *= self.book_lot
        else:
            cols["bid"] = lvl1(vals, _G_BID)[:, None]
            cols["ask"] = lvl1(vals, _G_ASK)[:, None]
        return cols

    def _slow_getters(self, vals, reason):
        """Per-dict extraction that records a reason per row instead of raising."""
        def col(vs, key):
            out = np.full(len(vs), np.nan)
            for i, d in enumerate(vs):
                v = d.get(key) if isinstance(d, dict) else None
                x = _R_MISSING if v is None else _num(v)
                if isinstance(x, float):
                    out[i] = x
                elif reason[i] == 0:
                    reason[i] = x
            return out

        def lvl(vs, getter, levels=1):
            key = _BOOK_KEYS[getter]
            out = np.zeros((len(vs), levels))
            for i, d in enumerate(vs):
                seq = d.get(key) if isinstance(d, dict) else None
                if not isinstance(seq, (list, tuple)) or len(seq) < levels:
                    if reason[i] == 0:
                        reason[i] = _R_MISSING if seq is None else _R_TYPE
                    continue
                for j in range(levels):
                    x = _num(seq[j])
                    if not isinstance(x, float):
                        if reason[i] == 0:
                            reason[i] = _R_TYPE
                        break
                    out[i, j] = x
            return out

        def book(vs, getter):
            return lvl(vs, getter, LEVELS)

        def lvl1(vs, getter):
            return lvl(vs, getter, 1)[:, 0]
        return col, lvl1, book

    def _read_pre_close(self, vals, rows, positions, reason):
        sub = [vals[i] for i in positions]
        sub_reason = np.zeros(len(sub), np.int8)
        col = self._slow_getters(sub, sub_reason)[0]
        pc = col(sub, "lastClose")
        bad = ~(pc > 0)
        sub_reason[bad & (sub_reason == 0)] = _R_NONPOS
        take = reason[positions] == 0
        reason[positions[take]] = sub_reason[take]
        good = positions[~bad]
        self.pre_close[rows[good]] = pc[~bad]
        self.seen[rows[good]] = True
        self._recompute_limits(rows[good])

    def _validate(self, rows, cols, reason, now_ms):
        last, high, low, t = cols["last"], cols["high"], cols["low"], cols["time"]
        bid1, ask1 = cols["bid"][:, 0], cols["ask"][:, 0]
        nan = ~np.isfinite(last + high + low + t + bid1 + ask1)
        bad = np.where(nan, _R_NAN, 0)
        nonpos = (last <= 0) | (high <= 0) | (low <= 0) | (bid1 < 0) | (ask1 < 0) | (t <= 0)
        bad = np.where((bad == 0) & nonpos, _R_NONPOS, bad)
        stale = t < self.time[rows]
        if now_ms is not None and self.max_age_ms:
            stale |= t < (now_ms - self.max_age_ms)
        bad = np.where((bad == 0) & stale, _R_STALE, bad)
        up = self.up[rows] + 1e-9
        dn = self.down[rows] - 1e-9
        band = (high > up) | (low < dn) | (last > up) | (last < dn) | (low > high) | (bid1 > up) | (ask1 > up)
        band |= ((bid1 > 0) & (bid1 < dn)) | ((ask1 > 0) & (ask1 < dn))
        bad = np.where((bad == 0) & band, _R_BAND, bad)
        np.copyto(reason, bad, where=reason == 0, casting="unsafe")

    # ---- lazy detail fields (amount, volume, open, status, 5-level book) ---------------------------
    def _remember_push(self, vals, ok):
        """Keep the push so detail fields of a few rows can be read later without touching the rest."""
        v = self.version
        if self._covers_all and len(ok) == self.n:
            self._pushes = {}
        elif len(ok) == len(vals) and self._prev_push[1] is self._keys:
            self._pushes.pop(self._prev_push[0], None)     # same codes, all written: fully superseded
        self._prev_push = (v, self._keys)
        self._pushes[v] = (vals, self._pos)
        self.row_push[ok] = v
        if len(self._pushes) > 16:
            oldest = min(self._pushes)
            o_vals, o_pos = self._pushes.pop(oldest)
            r = np.nonzero(self.row_push[:self.n] == oldest)[0]
            if len(r):
                held = np.empty(len(r), object)
                held[:] = [o_vals[i] for i in o_pos[r]]
                self._ref[r] = held
                self.row_push[r] = -1

    def ticks_of(self, rows):
        """The tick dicts that produced the current values of `rows` (None where unknown)."""
        rows = np.asarray(rows, np.int64)
        out = [None] * len(rows)
        pv = self.row_push[rows]
        for v in np.unique(pv).tolist():
            sel = np.nonzero(pv == v)[0]
            if v == -1:
                for i in sel.tolist():
                    out[i] = self._ref[rows[i]]
            elif v in self._pushes:
                vals, posmap = self._pushes[v]
                for i, p in zip(sel.tolist(), posmap[rows[sel]].tolist()):
                    out[i] = vals[p]
        return out

    def load_details(self, rows):
        """Fill amount, volume, open, status and the 5-level book for `rows` (no-op when current)."""
        rows = np.asarray(rows, np.int64)
        if self.full or not len(rows):
            return rows
        rows = rows[(self.detail_push[rows] != self.row_push[rows]) & self.valid[rows]]
        if not len(rows):
            return rows
        vals = self.ticks_of(rows)
        have = np.array([d is not None for d in vals], bool)
        rows = rows[have]
        vals = [d for d in vals if d is not None]
        reason = np.zeros(len(vals), np.int8)
        try:
            cols = self._details(vals, _col, _book)
        except (TypeError, ValueError, KeyError, IndexError):
            g = self._slow_getters(vals, reason)
            cols = self._details(vals, g[0], g[2])
        fin = np.ones(len(vals), bool)
        for arr in cols.values():
            fin &= np.isfinite(arr.reshape(len(vals), -1)).all(axis=1)
        reason[(reason == 0) & ~fin] = _R_NAN
        okp = reason == 0
        ok = rows[okp]
        for name, arr in cols.items():
            getattr(self, name)[ok] = arr[okp]
        self.detail_push[ok] = self.row_push[ok]
        bad = rows[~okp]
        self.valid[bad] = False
        counts = np.bincount(reason, minlength=len(REASONS) + 1)
        for i, r in enumerate(REASONS):
            self.last_bad[r] += int(counts[i + 1])
            self.bad_counts[r] += int(counts[i + 1])
        return ok

    def _details(self, vals, col, book):
        cols = {}
        for k, name in _DETAIL_FIELDS:
            cols[name] = col(vals, k)
        for g, name in _BOOK_FIELDS:
            cols[name] = book(vals, g)
        cols["bid_vol"] *= self.book_lot
        cols["ask_vol"] *= self.book_lot
        return cols

    def _load_at_limit(self, ok):
        """Rows whose book sits at a limit price: load their details (seal volume), few rows."""
        b1 = np.rint(self.bid[ok, 0] * ashare.PRICE_SCALE)
        a1 = np.rint(self.ask[ok, 0] * ashare.PRICE_SCALE)
        at = ok[(b1 == self.up_units[ok]) | (a1 == self.down_units[ok])]
        if len(at):
            self.load_details(at)

    # ---- views ----------------------------------------------------------------------------------
    def view(self, name):
        """Array of one field over the live rows (a view, do not keep across updates)."""
        return getattr(self, name)[:self.n]
