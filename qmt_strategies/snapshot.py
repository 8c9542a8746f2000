"""Full-market snapshot: xtquant tick dicts {code: tick} -> numpy arrays on a stable code index.

Extracting values from thousands of fresh dicts, not the numpy work, is the cost, so a push is read in two
phases. First every row's lastPrice (IOPVs and limit detection need it); then, for ETF rows, watched rows
(set_watch) and rows near a limit (lastPrice, or today's high/low, within near_limit_pct), time/high/low/
bid1/ask1, ETF turnover, and the 5-level book and details of rows whose book sits at a limit. The other rows'
time/high/low (and bid1/ask1 with quotes='all') come in complete(): at once, or with update(defer=True) when
the caller is done with the signals. Either way the arrays end as if every field had been read at once
(tests compare with full=True, which reads every field of every row). lastClose is read once per row per day.
Bad values are masked and counted per reason; a far row's tick found bad in complete() is undone.
"""
import datetime
import operator

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
        self._is_etf = None
        self._pending = None
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
            new = np.zeros((cap, LEVELS), np.float64, order="F")   # level 1 of every row contiguous
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
        self._pending = None                 # the rest of a deferred push of the old day is dropped

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
    def update(self, ticks, now_ms=None, defer=False):
        """Apply a push {code: tick_dict}; only its rows change. Returns the rows written.

        Every row gets lastPrice; ETF, watched and near-limit rows (last, or today's high/low,
        within near_limit_pct of a limit) get time/high/low/bid1/ask1 (ETF rows their turnover, rows at a
        limit their book). The other rows' time/high/low (and bid1/ask1 with quotes='all') and the watched
        rows' book are read by complete(): at once, or, with defer=True, when the caller calls it (or at the
        next update) -- after the signals, which need only last there."""
        self.complete()
        rows = self._push_rows(ticks)
        vals = list(ticks.values())
        m = len(vals)
        if self._probe_day(vals):
            rows = self._push_rows(ticks)
        reason = np.zeros(m, np.int8)
        new = ~self.seen[rows]
        if new.any():
            self._read_pre_close(vals, rows, np.nonzero(new)[0], reason)
        last = self._col(vals, "lastPrice", reason)
        if self.full:
            cpos = np.arange(m)
        else:
            cpos = np.nonzero(self._candidates(rows, last))[0]
        csub = vals if len(cpos) == m else tf.pick(vals, cpos)
        crows = rows[cpos]
        creason = reason[cpos]
        cols = self._read(csub, creason, True, None if self.full else self._is_etf[cpos])
        if self._roll_day(cols["time"]):                 # a new trading day: start again on reset arrays
            return self.update(ticks, now_ms, defer)
        cols["last"] = last[cpos]
        self._check(crows, cols, creason, now_ms)
        reason[cpos] = creason
        rest = np.ones(m, bool)
        rest[cpos] = False
        rpos = np.nonzero(rest)[0]
        pending = {"ticks": ticks, "vals": vals, "rows": rows, "now": now_ms, "far": None, "depth": None}
        if len(rpos):                                     # far from limits: last now (checked alone)
            rrows, rlast = rows[rpos], last[rpos]
            rreason = reason[rpos]
            self._check_last(rrows, rlast, rreason)
            reason[rpos] = rreason
            good = rreason == 0
            self.valid[rrows[~good]] = False
            gpos, grows = rpos[good], rrows[good]
            pending["far"] = (gpos, grows, self.last[grows].copy())
            self.last[grows] = rlast[good]
        av = None if self.full else (cols.pop("amount"), cols.pop("volume"))   # kept for ETF rows only
        r = self._write(crows, cols, creason)
        if self.full:
            self.detail_time[r] = self.time[r]
        else:
            watched = self._eager_details(csub, crows, creason, self._is_etf[cpos], av)
            reason[cpos] = creason
            if len(watched):
                pending["depth"] = cpos[watched]
        self.version += 1
        pending["counts"] = self._count(reason, fresh=True)
        ok = rows[reason == 0]
        self.pushed_rows = ok
        self._pending = pending
        if not defer:
            self.complete()
            ok = self.pushed_rows
        return ok

    def complete(self):
        """Read what update() left for later: far rows' other fields, watched rows' book; no-op if nothing."""
        p, self._pending = self._pending, None
        if p is None:
            return
        if p["far"] is not None and self._complete_far(p):
            return
        if p["depth"] is not None:
            self._depth(p["vals"], p["rows"], p["depth"])

    def final(self, rows):
        """True where a row's values are final for the current push: not a far row whose time/high/low are
        still to be read (and checked) by complete(). Rows outside the pending push are final."""
        rows = np.asarray(rows, np.int64)
        p = self._pending
        if p is None or p["far"] is None or not len(rows):
            return np.ones(len(rows), bool)
        far = np.zeros(self.n, bool)
        far[p["far"][1]] = True
        return ~far[rows]

    def codes_final(self, codes):
        """True when every known one of `codes` is final for the current push (see final): what a runner asks
        before order checks that read those codes' rows go out ahead of complete()."""
        index = self.index
        return bool(self.final([index[c] for c in codes if c in index]).all())

    def read_depth(self, rows):
        """Read now the 5-level book and details of `rows` from a deferred push (rows not in it: unchanged).

        For a strategy that needs depth on its decision path (e.g. the loop edge of the ETFs it signals):
        watched rows otherwise get it in complete(). No-op when no push is pending."""
        p = self._pending
        if p is None:
            return
        want = np.zeros(self.n, bool)
        want[rows] = True
        pos_ = np.nonzero(want[p["rows"]])[0]
        if len(pos_):
            self._depth(p["vals"], p["rows"], pos_)

    def _depth(self, vals, push_rows, pos_):
        """5-level book and details of push positions whose details are not from this tick yet."""
        rows = push_rows[pos_]
        need = self.valid[rows] & (self.detail_time[rows] != self.time[rows])
        pos_ = pos_[need]
        if not len(pos_):
            return
        reason = np.zeros(len(pos_), np.int8)
        self._read_details(tf.pick(vals, pos_), push_rows[pos_], np.arange(len(pos_)), reason)
        self._count(reason, fresh=False)
        if reason.any():
            self.pushed_rows = np.setdiff1d(self.pushed_rows, push_rows[pos_][reason > 0])

    def _complete_far(self, p):
        """Far rows' time/high/low (+ quotes); True when the push was redone on a new trading day."""
        pos_, rows, prev_last = p["far"]
        sub = tf.pick(p["vals"], pos_)
        reason = np.zeros(len(rows), np.int8)
        cols = self._read(sub, reason, self.quotes == "all")
        if self._roll_day(cols["time"]):                 # the day turned in this push: redo it on the new day
            for i, r in enumerate(REASONS):
                self.bad_counts[r] -= int(p["counts"][i + 1])
            self.update(p["ticks"], p["now"])
            return True
        cols["last"] = self.last[rows]
        self._check(rows, cols, reason, p["now"])
        good = reason == 0
        self.last[rows[~good]] = prev_last[~good]        # a bad tick writes nothing (as if read at once)
        r = self._write(rows, cols, reason)
        if self.quotes == "needed":                      # level 1 of rows far from limits: unknown
            self.bid[r, 0] = self.ask[r, 0] = np.nan
        self._count(reason, fresh=False)
        if not good.all():
            self.pushed_rows = np.setdiff1d(self.pushed_rows, rows[~good])
        return False

    def _write(self, rows, cols, reason):
        """Write the columns of good rows (reason 0) and mark them valid; mask bad rows, except stale ones
        (they keep their earlier data and validity). Returns the rows written."""
        ok = reason == 0
        r = rows[ok]
        for name, arr in cols.items():
            if arr.ndim == 1 or self.full:
                getattr(self, name)[r] = arr[ok]
            else:
                getattr(self, name)[r, 0] = arr[ok, 0]
        self.valid[r] = True
        self.valid[rows[(reason > 0) & (reason != tf.R_STALE)]] = False
        return r

    def _count(self, reason, fresh):
        counts = np.bincount(reason, minlength=len(REASONS) + 1)
        for i, r in enumerate(REASONS):
            c = int(counts[i + 1])
            self.last_bad[r] = c if fresh else self.last_bad[r] + c
            self.bad_counts[r] += c
        return counts

    def _push_rows(self, ticks):
        keys = list(ticks)
        if keys != self._keys:                 # runner pushes carry the changed codes: no per-code Python here
            try:
                self._rows = self._lookup(keys)
            except KeyError:
                self.add_codes(keys)
                self._rows = self._lookup(keys)
            self._keys = keys
            self._is_etf = self.board[self._rows] == ashare.BOARD_ETF
        return self._rows

    def _lookup(self, keys):
        """Rows of codes in one C loop (itemgetter of several keys returns a tuple; of one, the bare value)."""
        if len(keys) < 2:
            return np.asarray([self.index[k] for k in keys], np.int64)
        return np.fromiter(operator.itemgetter(*keys)(self.index), np.int64, len(keys))

    def _col(self, vals, key, reason):
        try:
            return tf.col(vals, key)
        except (TypeError, ValueError, KeyError, IndexError):
            return tf.slow_getters(reason)[0](vals, key)

    def _candidates(self, rows, last):
        """Positions that get every field now: ETF, watched, or near a limit (last, or today's high/low)."""
        k = 1.0 - self.near_limit_pct
        up = self.up[rows] * k
        dn = self.down[rows]
        dn_k = np.where(dn > 0, dn / k, -1.0)
        low = self.low[rows]
        return (self._is_etf | self.watch[rows] | (last >= up) | (last <= dn_k) | (self.high[rows] >= up) |
                ((low > 0) & (low <= dn_k)))

    def _read(self, sub, reason, quotes, etf=None):
        """time/high/low (+ bid1/ask1 as (n, 1)) of some dicts; given `etf` (a mask over them) also amount/
        volume (the slow path reads them for ETF rows only); full=True: every field."""
        if self.full:
            try:
                cols = dict(zip(("time", "high", "low"), tf.multi(sub, tf.G_THL, 3).T.copy()))
                cols.update(tf.details(sub))
                cols["bid_vol"] *= self.book_lot
                cols["ask_vol"] *= self.book_lot
                return cols
            except (TypeError, ValueError, KeyError, IndexError):
                g = tf.slow_getters(reason)
                cols = dict((k, g[0](sub, k)) for k in ("time", "high", "low"))
                cols.update(self._details(sub, g[0], g[2]))
                return cols
        try:
            return tf.quote_fields(sub, quotes, etf is not None)
        except (TypeError, ValueError, KeyError, IndexError):
            return self._read_slow(sub, reason, quotes, etf)

    @staticmethod
    def _read_slow(sub, reason, quotes, is_etf):
        """Per-dict reading that records a reason per row (after the fast reader raised)."""
        col, lvl1, _ = tf.slow_getters(reason)
        cols = dict((k, col(sub, k)) for k in ("time", "high", "low"))
        if quotes:
            cols["bid"], cols["ask"] = lvl1(sub, tf.G_BID)[:, None], lvl1(sub, tf.G_ASK)[:, None]
        if is_etf is not None:
            e = np.nonzero(is_etf)[0]
            ereason = np.zeros(len(e), np.int8)
            ecol = tf.slow_getters(ereason)[0]
            esub = tf.pick(sub, e)
            cols["amount"], cols["volume"] = np.zeros(len(sub)), np.zeros(len(sub))
            cols["amount"][e], cols["volume"][e] = ecol(esub, "amount"), ecol(esub, "pvolume")
            take = reason[e] == 0
            reason[e[take]] = ereason[take]
        return cols

    def _probe_day(self, vals):
        """Roll the day from the first and last tick of a push (update() checks all the rows it reads)."""
        if not vals:
            return False
        rolled = False
        for d in (vals[0], vals[-1]):
            try:
                rolled = self._roll_to(float(d["time"])) or rolled
            except (TypeError, ValueError, KeyError, IndexError):
                pass
        return rolled

    def _roll_day(self, times):
        """Start a new trading day when ticks carry a later Asia/Shanghai date than the one held."""
        return bool(len(times)) and self._roll_to(float(np.fmax.reduce(times)))     # fmax skips NaN

    def _roll_to(self, tmax):
        if not 0 < tmax < 1e15:                          # NaN, inf, non-positive: nothing to learn
            return False
        day_no = (int(tmax) // 1000 + 8 * 3600) // 86400
        if day_no <= self._day_no:
            return False
        d = datetime.date(1970, 1, 1) + datetime.timedelta(days=day_no)
        yyyymmdd = d.year * 10000 + d.month * 100 + d.day
        rolled = bool(self._day_no)
        if rolled:
            self.new_day(yyyymmdd)
        elif self.trade_date is None:
            self.trade_date = yyyymmdd
        self._day_no = day_no
        return rolled

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

    def _check_last(self, rows, last, reason):
        """Checks on lastPrice alone (rows whose other fields come in complete())."""
        bad = np.zeros(len(reason), np.int8)
        band = (last > self.up[rows] + 1e-9) | (last < self.down[rows] - 1e-9)
        for mask, code in ((band, tf.R_BAND), (last <= 0, tf.R_NONPOS), (~np.isfinite(last), tf.R_NAN)):
            if mask.any():
                bad[mask] = code
        np.copyto(reason, bad, where=reason == 0)

    def _check(self, rows, cols, reason, now_ms):
        last, high, low, t = cols["last"], cols["high"], cols["low"], cols["time"]
        if "bid" in cols:
            bid1, ask1 = cols["bid"][:, 0], cols["ask"][:, 0]
        else:                                 # quotes not read: unknown, not errors
            bid1 = ask1 = np.zeros(len(rows))
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
    def _eager_details(self, vals, rows, reason, is_etf, av):
        """ETF rows: turnover (read with the quotes). Rows whose book sits at a limit: all details now (the
        seal size needs bidVol). Returns the positions of the other watched rows: their book comes in
        complete() (or read_depth())."""
        amount, volume = av
        epos = np.nonzero(is_etf & (reason == 0))[0]
        if len(epos):
            self._store(rows, epos, np.zeros(len(epos), np.int8), reason,
                        {"amount": amount[epos], "volume": volume[epos]})
        okpos = np.nonzero(reason == 0)[0]
        r_ok = rows[okpos]
        b1 = np.rint(self.bid[r_ok, 0] * ashare.PRICE_SCALE)
        a1 = np.rint(self.ask[r_ok, 0] * ashare.PRICE_SCALE)
        at_limit = (b1 == self.up_units[r_ok]) | (a1 == self.down_units[r_ok])
        want = okpos[at_limit]
        if len(want):
            self._read_details(vals, rows, want, reason)
        return okpos[~at_limit & self.watch[r_ok]]

    def _read_details(self, vals, rows, want, reason):
        """Details and 5-level book of vals[want] (rows[want]); bad values set reason and mask the row."""
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
        k = len(positions)
        fin = np.isfinite(np.column_stack([a.reshape(k, -1) for a in cols.values()])).all(axis=1) if k else \
            np.ones(0, bool)
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
