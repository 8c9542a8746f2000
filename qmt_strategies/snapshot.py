"""Full-market snapshot: xtquant tick dicts {code: tick} -> numpy arrays on a stable code index.

Only the fields the signals use are pulled from the dicts on every push (that extraction, not the
numpy work, is the cost): time, lastPrice, high, low, bid1, ask1 for every row; amount, pvolume and the
5-level book for ETF rows; level-1 volumes for rows at a limit price; lastClose once per row per day.
`full=True` pulls every field for every row. Bad values are masked and counted per reason.
"""
from itertools import chain
from operator import itemgetter, pos

import numpy as np

from . import ashare

REASONS = ("missing_field", "bad_type", "nan", "nonpositive_price", "stale_time", "outside_band")
_R_MISSING, _R_TYPE, _R_NAN, _R_NONPOS, _R_STALE, _R_BAND = range(1, 7)
LEVELS = 5

_ROW_FIELDS = ("time", "lastPrice", "high", "low")
_G_BID = itemgetter("bidPrice")
_G_ASK = itemgetter("askPrice")
_G_BIDV = itemgetter("bidVol")
_G_ASKV = itemgetter("askVol")
_G_FIRST = itemgetter(0)
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
               ("valid", bool, False), ("seen", bool, False))
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
        self._etf_pos = None
        self._details = {}
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
            if c in self._details:
                self._apply_detail(self.index[c], self._details[c])
        self._keys = None
        return np.asarray([self.index[c] for c in codes], np.int64)

    def rows_of(self, codes):
        """Rows of known codes (KeyError for unknown ones)."""
        return np.asarray([self.index[c] for c in codes], np.int64)

    def set_instruments(self, details):
        """Reference data {code: get_instrument_detail dict}: UpStopPrice/DownStopPrice, FloatVolume, ST name."""
        self._details.update(details)
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
            self._etf_pos = np.nonzero(self.board[self._rows] == ashare.BOARD_ETF)[0]
        rows = self._rows
        vals = list(ticks.values())
        m = len(vals)
        reason = np.zeros(m, np.int8)
        try:
            cols = self._extract_fast(vals)
        except (TypeError, ValueError, KeyError, IndexError):
            cols = self._extract_slow(vals, reason)
        new = ~self.seen[rows]
        if new.any():
            pos_new = np.nonzero(new)[0]
            pc = self._column_slow([vals[i] for i in pos_new], "lastClose", reason, pos_new)
            bad_pc = ~(pc > 0)
            reason[pos_new[bad_pc & (reason[pos_new] == 0)]] = _R_NONPOS
            ok_new = pos_new[~bad_pc]
            self.pre_close[rows[ok_new]] = pc[~bad_pc]
            self.seen[rows[ok_new]] = True
            self._recompute_limits(rows[ok_new])
        self._validate(rows, cols, reason, now_ms)
        okpos = np.nonzero(reason == 0)[0]
        ok = rows[okpos]
        for name, arr in cols.items():
            if arr.ndim == 1 and len(arr) == m:
                getattr(self, name)[ok] = arr[okpos]
        if self.full:
            for name in self._BOOKS:
                getattr(self, name)[ok] = cols[name][okpos]
        else:
            self.bid[ok, 0] = cols["bid"][okpos, 0]
            self.ask[ok, 0] = cols["ask"][okpos, 0]
            self._extract_extras(vals, rows, reason, cols)
        self.valid[ok] = True
        # stale rows keep their earlier data and validity; other bad rows are masked until fixed
        self.valid[rows[(reason > 0) & (reason != _R_STALE)]] = False
        ok = rows[reason == 0]
        counts = np.bincount(reason, minlength=len(REASONS) + 1)
        for i, r in enumerate(REASONS):
            c = int(counts[i + 1])
            self.last_bad[r] = c
            self.bad_counts[r] += c
        self.pushed_rows = ok
        self.version += 1
        return ok

    def _extract_fast(self, vals):
        cols = {}
        for k, name in (("time", "time"), ("lastPrice", "last"), ("high", "high"), ("low", "low")):
            cols[name] = _col(vals, k)
        if self.full:
            for k, name in (("open", "open"), ("amount", "amount"), ("pvolume", "volume"),
                            ("stockStatus", "status")):
                cols[name] = _col(vals, k)
            cols["bid"] = _book(vals, _G_BID)
            cols["ask"] = _book(vals, _G_ASK)
            cols["bid_vol"] = _book(vals, _G_BIDV) * self.book_lot
            cols["ask_vol"] = _book(vals, _G_ASKV) * self.book_lot
        else:
            cols["bid"] = _lvl1(vals, _G_BID)[:, None]
            cols["ask"] = _lvl1(vals, _G_ASK)[:, None]
        return cols

    def _column_slow(self, vals, key, reason, positions):
        out = np.full(len(vals), np.nan)
        for i, d in enumerate(vals):
            v = d.get(key) if isinstance(d, dict) else None
            if v is None:
                if reason[positions[i]] == 0:
                    reason[positions[i]] = _R_MISSING
                continue
            x = _num(v)
            if isinstance(x, int) and x == _R_TYPE:
                if reason[positions[i]] == 0:
                    reason[positions[i]] = _R_TYPE
                continue
            out[i] = x
        return out

    def _book_slow(self, vals, key, reason, levels):
        out = np.zeros((len(vals), levels))
        for i, d in enumerate(vals):
            seq = d.get(key) if isinstance(d, dict) else None
            if not isinstance(seq, (list, tuple)) or len(seq) < levels:
                if reason[i] == 0:
                    reason[i] = _R_MISSING if seq is None else _R_TYPE
                continue
            for j in range(levels):
                x = _num(seq[j])
                if isinstance(x, int) and x == _R_TYPE:
                    if reason[i] == 0:
                        reason[i] = _R_TYPE
                    break
                out[i, j] = x
        return out

    def _extract_slow(self, vals, reason):
        idx = np.arange(len(vals))
        cols = {}
        for k, name in (("time", "time"), ("lastPrice", "last"), ("high", "high"), ("low", "low")):
            cols[name] = self._column_slow(vals, k, reason, idx)
        if self.full:
            for k, name in (("open", "open"), ("amount", "amount"), ("pvolume", "volume"),
                            ("stockStatus", "status")):
                cols[name] = self._column_slow(vals, k, reason, idx)
            cols["bid"] = self._book_slow(vals, "bidPrice", reason, LEVELS)
            cols["ask"] = self._book_slow(vals, "askPrice", reason, LEVELS)
            cols["bid_vol"] = self._book_slow(vals, "bidVol", reason, LEVELS) * self.book_lot
            cols["ask_vol"] = self._book_slow(vals, "askVol", reason, LEVELS) * self.book_lot
        else:
            cols["bid"] = self._book_slow(vals, "bidPrice", reason, 1)
            cols["ask"] = self._book_slow(vals, "askPrice", reason, 1)
        return cols

    def _validate(self, rows, cols, reason, now_ms):
        last, high, low, t = cols["last"], cols["high"], cols["low"], cols["time"]
        bid1, ask1 = cols["bid"][:, 0], cols["ask"][:, 0]
        stacked = np.column_stack((last, high, low, t, bid1, ask1))
        free = reason == 0
        nan = ~np.isfinite(stacked).all(axis=1)
        reason[free & nan] = _R_NAN
        free = reason == 0
        nonpos = (last <= 0) | (high <= 0) | (low <= 0) | (bid1 < 0) | (ask1 < 0) | (t <= 0)
        reason[free & nonpos] = _R_NONPOS
        free = reason == 0
        stale = t < self.time[rows]
        if now_ms is not None and self.max_age_ms:
            stale |= t < (now_ms - self.max_age_ms)
        reason[free & stale] = _R_STALE
        free = reason == 0
        up = self.up[rows] + 1e-9
        dn = self.down[rows] - 1e-9
        hi = np.maximum(high, np.maximum(last, np.where(ask1 > 0, ask1, 0.0)))
        hi = np.maximum(hi, bid1)
        lo = np.minimum(np.minimum(low, last), np.where(bid1 > 0, bid1, np.inf))
        lo = np.minimum(lo, np.where(ask1 > 0, ask1, np.inf))
        band = (hi > up) | (lo < dn) | (low > high)
        reason[free & band] = _R_BAND

    def _extract_extras(self, vals, rows, reason, cols):
        """ETF rows: amount, volume, 5-level book. Rows at a limit: level-1 volumes."""
        epos = self._etf_pos
        if len(epos):
            epos = epos[reason[epos] == 0]
        if len(epos):
            ev = [vals[i] for i in epos]
            er = rows[epos]
            sub = np.zeros(len(ev), np.int8)
            try:
                amount, vol = _col(ev, "amount"), _col(ev, "pvolume")
                books = [_book(ev, g) for g in (_G_BID, _G_ASK, _G_BIDV, _G_ASKV)]
            except (TypeError, ValueError, KeyError, IndexError):
                idx = np.arange(len(ev))
                amount = self._column_slow(ev, "amount", sub, idx)
                vol = self._column_slow(ev, "pvolume", sub, idx)
                books = [self._book_slow(ev, k, sub, LEVELS)
                         for k in ("bidPrice", "askPrice", "bidVol", "askVol")]
            good = sub == 0
            for arr in [amount, vol] + books:
                good &= np.isfinite(arr).reshape(len(ev), -1).all(axis=1)
            self.amount[er[good]] = amount[good]
            self.volume[er[good]] = vol[good]
            self.bid[er[good]] = books[0][good]
            self.ask[er[good]] = books[1][good]
            self.bid_vol[er[good]] = books[2][good] * self.book_lot
            self.ask_vol[er[good]] = books[3][good] * self.book_lot
            self.valid[er[~good]] = False
            bad = epos[~good]
            reason[bad] = np.where(sub[~good] > 0, sub[~good], _R_NAN)
        # level-1 volumes where the book sits at a limit (seal size); few rows, so a plain loop
        up_u = self.up_units[rows]
        dn_u = self.down_units[rows]
        b1 = np.rint(cols["bid"][:, 0] * ashare.PRICE_SCALE)
        a1 = np.rint(cols["ask"][:, 0] * ashare.PRICE_SCALE)
        stock = (reason == 0) & (self.board[rows] != ashare.BOARD_ETF)
        self.bid_vol[rows[stock], 0] = 0.0     # unknown unless at a limit in this mode
        self.ask_vol[rows[stock], 0] = 0.0
        at = np.nonzero(stock & ((b1 == up_u) | (a1 == dn_u)))[0]
        for i in at.tolist():
            d = vals[i]
            try:
                bv = float(pos(d["bidVol"][0]))
                av = float(pos(d["askVol"][0]))
            except (TypeError, ValueError, KeyError, IndexError):
                bv = av = 0.0
            r = rows[i]
            self.bid_vol[r, 0] = bv * self.book_lot
            self.ask_vol[r, 0] = av * self.book_lot
    # ---- views ----------------------------------------------------------------------------------
    def view(self, name):
        """Array of one field over the live rows (a view, do not keep across updates)."""
        return getattr(self, name)[:self.n]
