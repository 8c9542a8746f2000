"""Full-market snapshot: xtquant tick dicts {code: tick} -> numpy arrays on a stable code index.

Only the fields every signal needs are pulled from all dicts on each push (that extraction, not the numpy
work, is the cost): time, lastPrice, high, low, bid1, ask1; lastClose once per row per day. Detail fields
(open, amount, pvolume, stockStatus, 5-level book) are read only for rows whose book sits at a limit price
and rows the strategy watches (set_watch); ETF rows always get amount/pvolume. No reference to the push is
kept (freeing it stays the caller's cost, after the signals).
`full=True` pulls every field for every row. Bad values are masked and counted per reason.
"""
import datetime

import numpy as np

from . import ashare
from . import tick_fields as tf

REASONS = tf.REASONS          # masking reasons, in the order they are checked
LEVELS = tf.LEVELS


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
               ("valid", bool, False), ("seen", bool, False), ("watch", bool, False),
               ("detail_time", np.float64, -1.0))
    _BOOKS = ("bid", "ask", "bid_vol", "ask_vol")

    def __init__(self, codes=(), trade_date=None, full=False, max_age_ms=0, book_lot=100,
                 capacity=1024, quotes="all", near_limit_pct=0.02):
        """codes: optional initial universe; book_lot: shares per unit of bidVol/askVol (xtquant: lots);
        quotes='all' reads bid1/ask1 of every row; 'needed' only of ETF, watched and near-limit rows (high or
        low within near_limit_pct of a limit), the other rows then hold NaN (unknown): for signal-only use."""
        if quotes not in ("all", "needed"):
            raise ValueError("Snapshot quotes must be 'all' or 'needed', got %r" % (quotes,))
        self.trade_date = trade_date
        self.full = full
        self.quotes = quotes
        self.near_limit_pct = near_limit_pct
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
        self._etf_pick = None
        self._etf_av = None
        self._contig = None
        self._day_no = 0
        self._watch_sets = {}
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
        d = ashare._as_date(trade_date)
        if d is not None:
            self._day_no = (d - datetime.date(1970, 1, 1)).days   # pushes of this day will not roll again
        n = self.n
        for name in ("pre_close", "time", "last", "high", "low", "open", "amount", "volume"):
            getattr(self, name)[:n] = 0.0
        for name in self._BOOKS:
            getattr(self, name)[:n] = 0.0
        self.valid[:n] = False
        self.seen[:n] = False
        self.up[:n] = np.inf
        self.down[:n] = 0.0
        self.up_given[:n] = 0.0              # yesterday's instrument limits: call set_instruments again
        self.down_given[:n] = 0.0
        self.limit_disagree[:n] = False
        self.detail_time[:n] = -1.0
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
        if keys != self._keys:                 # runner pushes carry the changed codes: no per-code Python here
            try:
                self._rows = np.fromiter(map(self.index.__getitem__, keys), np.int64, len(keys))
            except KeyError:
                self.add_codes(keys)
                self._rows = np.fromiter(map(self.index.__getitem__, keys), np.int64, len(keys))
            self._keys = keys
            self._etf_pos = np.nonzero(self.board[self._rows] == ashare.BOARD_ETF)[0]
            self._etf_pick = tf.picker(self._etf_pos)
            r = self._rows
            contiguous = len(r) > 0 and r[-1] - r[0] == len(r) - 1 and bool(np.all(np.diff(r) == 1))
            self._contig = slice(int(r[0]), int(r[-1]) + 1) if contiguous else None
        rows = self._rows
        vals = list(ticks.values())
        m = len(vals)
        reason = np.zeros(m, np.int8)
        some_quotes = self.quotes == "needed" and not self.full
        self._etf_av = None
        try:
            cols = self._extract(vals, tf.col, tf.lvl1, tf.book, some_quotes)
        except (TypeError, ValueError, KeyError, IndexError):
            cols = self._extract(vals, *tf.slow_getters(reason), some_quotes=some_quotes)
        self._roll_day(cols["time"])
        new = ~self.seen[rows]
        if new.any():
            self._read_pre_close(vals, rows, np.nonzero(new)[0], reason)
        known = self._needed_quotes(vals, rows, cols, reason) if some_quotes else None
        self._validate(rows, cols, reason, now_ms, known)
        okpos = np.nonzero(reason == 0)[0]
        ok = rows[okpos]
        if self._contig is not None and len(okpos) == m:
            dst, src = self._contig, slice(None)   # the push is rows start..start+m in order: plain copies
        else:
            dst, src = ok, okpos
        for name, arr in cols.items():
            if arr.ndim == 1 or self.full:
                getattr(self, name)[dst] = arr[src]
            else:
                getattr(self, name)[dst, 0] = arr[src, 0]
        self.valid[dst] = True
        # stale rows keep their earlier data and validity; other bad rows are masked until fixed
        self.valid[rows[(reason > 0) & (reason != tf.R_STALE)]] = False
        if self.full:
            self.detail_time[ok] = self.time[ok]
        else:
            self._eager_details(vals, rows, okpos, reason)
            okpos = np.nonzero(reason == 0)[0]
            ok = rows[okpos]
        self.version += 1
        counts = np.bincount(reason, minlength=len(REASONS) + 1)
        for i, r in enumerate(REASONS):
            c = int(counts[i + 1])
            self.last_bad[r] = c
            self.bad_counts[r] += c
        self.pushed_rows = ok
        return ok

    def _roll_day(self, times):
        """Start a new trading day when ticks carry a later Asia/Shanghai date than the one held."""
        if not len(times):
            return
        tmax = float(np.max(np.where(np.isfinite(times), times, 0.0)))
        if tmax <= 0:
            return
        day_no = (int(tmax) // 1000 + 8 * 3600) // 86400
        if day_no <= self._day_no:
            return
        d = datetime.date(1970, 1, 1) + datetime.timedelta(days=day_no)
        yyyymmdd = d.year * 10000 + d.month * 100 + d.day
        if self._day_no:
            self.new_day(yyyymmdd)
        elif self.trade_date is None:
            self.trade_date = yyyymmdd
        self._day_no = day_no

    def _extract(self, vals, col, lvl1, book, some_quotes=False):
        cols = {}
        if col is tf.col:                      # fast path: one pass for the scalars, one each for bid1/ask1
            a = tf.multi(vals, tf.G_ROW4, 4).T.copy()       # contiguous columns: faster checks below
            for j, (_, name) in enumerate(tf.ROW_FIELDS):
                cols[name] = a[j]
            if some_quotes:
                return cols
            if not self.full:
                cols["bid"] = tf.lvl1(vals, tf.G_BID)[:, None]
                cols["ask"] = tf.lvl1(vals, tf.G_ASK)[:, None]
                return cols
        else:
            for k, name in tf.ROW_FIELDS:
                cols[name] = col(vals, k)
            if some_quotes:
                return cols
        if self.full:
            cols.update(self._details(vals, col, book))
        else:
            cols["bid"] = lvl1(vals, tf.G_BID)[:, None]
            cols["ask"] = lvl1(vals, tf.G_ASK)[:, None]
        return cols


    def _read_pre_close(self, vals, rows, positions, reason):
        sub = [vals[i] for i in positions]
        sub_reason = np.zeros(len(sub), np.int8)
        col = tf.slow_getters(sub_reason)[0]
        pc = col(sub, "lastClose")
        bad = ~(pc > 0)
        sub_reason[bad & (sub_reason == 0)] = tf.R_NONPOS
        take = reason[positions] == 0
        reason[positions[take]] = sub_reason[take]
        good = positions[~bad]
        self.pre_close[rows[good]] = pc[~bad]
        self.seen[rows[good]] = True
        self._recompute_limits(rows[good])

    def _needed_quotes(self, vals, rows, cols, reason):
        """quotes='needed': bid1/ask1 of ETF, watched and near-limit rows only; NaN elsewhere. Returns the mask.

        ETF rows are read with their amount/pvolume in the same pass (kept in self._etf_av for the details)."""
        m = len(vals)
        k = 1.0 - self.near_limit_pct
        dn = self.down[rows]
        is_etf = np.zeros(m, bool)
        is_etf[self._etf_pos] = True
        other = ((cols["high"] >= self.up[rows] * k) | ((dn > 0) & (cols["low"] * k <= dn)) | self.watch[rows])
        need = other | is_etf
        cols["bid"] = np.full((m, 1), np.nan)
        cols["ask"] = np.full((m, 1), np.nan)
        p_etf, p_other = self._etf_pos, np.nonzero(other & ~is_etf)[0]
        try:
            if len(p_etf):
                b, a, amount, volume = tf.quotes_av(self._etf_pick(vals))
                cols["bid"][p_etf, 0], cols["ask"][p_etf, 0] = b, a
                self._etf_av = {"amount": amount, "volume": volume}
            if len(p_other):
                sub = tf.pick(vals, p_other)
                cols["bid"][p_other, 0], cols["ask"][p_other, 0] = tf.lvl1(sub, tf.G_BID), tf.lvl1(sub, tf.G_ASK)
            return need
        except (TypeError, ValueError, KeyError, IndexError):
            self._etf_av = None
        p = np.nonzero(need)[0]
        if len(p):
            sub = tf.pick(vals, p)
            try:
                cols["bid"][p, 0], cols["ask"][p, 0] = tf.lvl1(sub, tf.G_BID), tf.lvl1(sub, tf.G_ASK)
            except (TypeError, ValueError, KeyError, IndexError):
                sub_reason = np.zeros(len(sub), np.int8)
                lvl1 = tf.slow_getters(sub_reason)[1]
                cols["bid"][p, 0], cols["ask"][p, 0] = lvl1(sub, tf.G_BID), lvl1(sub, tf.G_ASK)
                take = reason[p] == 0
                reason[p[take]] = sub_reason[take]
        return need

    def _validate(self, rows, cols, reason, now_ms, known=None):
        last, high, low, t = cols["last"], cols["high"], cols["low"], cols["time"]
        bid1, ask1 = cols["bid"][:, 0], cols["ask"][:, 0]
        if known is not None:                # quotes='needed': quotes not read are unknown, not errors
            bid1, ask1 = np.where(known, bid1, 0.0), np.where(known, ask1, 0.0)
        # the checks below only decide rows that are not NaN (NaN rows are R_NAN whatever they say), so
        # min/max over several fields equal the per-field comparisons they replace
        nan = ~np.isfinite(last + high + low + t + bid1 + ask1)
        lo_all = np.minimum(np.minimum(last, high), np.minimum(low, t))
        nonpos = (lo_all <= 0) | (np.minimum(bid1, ask1) < 0)
        stale = t < self.time[rows]
        if now_ms is not None and self.max_age_ms:
            stale |= t < (now_ms - self.max_age_ms)
        up = self.up[rows] + 1e-9
        dn = self.down[rows] - 1e-9
        band = ((np.maximum(np.maximum(high, last), np.maximum(bid1, ask1)) > up) |
                (np.minimum(low, last) < dn) | (low > high))
        band |= ((bid1 > 0) & (bid1 < dn)) | ((ask1 > 0) & (ask1 < dn))
        bad = np.zeros(len(reason), np.int8)
        for mask, code in ((band, tf.R_BAND), (stale, tf.R_STALE), (nonpos, tf.R_NONPOS), (nan, tf.R_NAN)):
            if mask.any():                   # later codes take precedence: NaN, non-positive, stale, band
                bad[mask] = code
        np.copyto(reason, bad, where=reason == 0)

    # ---- detail fields (amount, volume, open, status, 5-level book) -------------------------------
    def _eager_details(self, vals, rows, okpos, reason):
        """ETF rows: turnover. Watched rows and rows whose book sits at a limit: all details."""
        r_ok = rows[okpos]
        b1 = np.rint(self.bid[r_ok, 0] * ashare.PRICE_SCALE)
        a1 = np.rint(self.ask[r_ok, 0] * ashare.PRICE_SCALE)
        want = okpos[(b1 == self.up_units[r_ok]) | (a1 == self.down_units[r_ok]) | self.watch[r_ok]]
        epos = self._etf_pos[reason[self._etf_pos] == 0] if len(self._etf_pos) else self._etf_pos
        if len(epos) and self._etf_av is not None:      # read with the quotes (quotes='needed')
            keep = reason[self._etf_pos] == 0
            self._store(rows, epos, np.zeros(len(epos), np.int8), reason,
                        {k: v[keep] for k, v in self._etf_av.items()})
        elif len(epos):
            sub = self._etf_pick(vals) if len(epos) == len(self._etf_pos) else tf.pick(vals, epos)
            sub_reason = np.zeros(len(sub), np.int8)
            try:
                av = tf.multi(sub, tf.G_AV, 2)
                amount, volume = av[:, 0], av[:, 1]
            except (TypeError, ValueError, KeyError, IndexError):
                col = tf.slow_getters(sub_reason)[0]
                amount, volume = col(sub, "amount"), col(sub, "pvolume")
            self._store(rows, epos, sub_reason, reason, {"amount": amount, "volume": volume})
        if len(want):
            want = want[reason[want] == 0]
            sub = tf.pick(vals, want)
            sub_reason = np.zeros(len(sub), np.int8)
            try:
                cols = tf.details(sub)
                cols["bid_vol"] *= self.book_lot
                cols["ask_vol"] *= self.book_lot
            except (TypeError, ValueError, KeyError, IndexError):
                g = tf.slow_getters(sub_reason)
                cols = self._details(sub, g[0], g[2])
            good = self._store(rows, want, sub_reason, reason, cols)
            self.detail_time[good] = self.time[good]

    def _store(self, rows, positions, sub_reason, reason, cols):
        """Write detail columns for good positions; NaN/inf or bad types mask the row. Returns rows written."""
        fin = np.ones(len(positions), bool)
        for arr in cols.values():
            fin &= np.isfinite(arr.reshape(len(positions), -1)).all(axis=1)
        sub_reason[(sub_reason == 0) & ~fin] = tf.R_NAN
        good = sub_reason == 0
        r = rows[positions[good]]
        for name, arr in cols.items():
            getattr(self, name)[r] = arr[good]
        bad = positions[~good]
        reason[bad] = sub_reason[~good]
        self.valid[rows[bad]] = False
        return r

    def set_watch(self, rows, owner="default"):
        """Rows whose detail fields (5-level book, amount...) are read on every push; one set per owner."""
        self._watch_sets[owner] = np.asarray(rows, np.int64)
        self.watch[:] = False
        for r in self._watch_sets.values():
            self.watch[r] = True

    def book_fresh(self, rows):
        """True where the 5-level book of `rows` comes from the row's latest tick."""
        rows = np.asarray(rows, np.int64)
        return self.detail_time[rows] == self.time[rows]

    def details_known(self, rows):
        """True where amount/volume are current: ETF rows, rows at a limit, watched rows, or full mode."""
        rows = np.asarray(rows, np.int64)
        if self.full:
            return np.ones(len(rows), bool)
        return (self.board[rows] == ashare.BOARD_ETF) | self.book_fresh(rows)

    def _details(self, vals, col, book):
        cols = {}
        for k, name in tf.DETAIL_FIELDS:
            cols[name] = col(vals, k)
        for g, name in tf.BOOK_FIELDS:
            cols[name] = book(vals, g)
        cols["bid_vol"] *= self.book_lot
        cols["ask_vol"] *= self.book_lot
        return cols

    # ---- views ----------------------------------------------------------------------------------
    def view(self, name):
        """Array of one field over the live rows (a view, do not keep across updates)."""
        return getattr(self, name)[:self.n]
