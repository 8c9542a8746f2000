"""Limit-up / limit-down state per code, vectorised over a Snapshot.

States: not / touched (reached the limit, never sealed) / sealed (bid1 at the limit, no ask) /
broken (was sealed, open now) / one_word 一字板 (sealed and never traded away from the limit today).
"""
import numpy as np

NOT, TOUCHED, SEALED, BROKEN, ONE_WORD = 0, 1, 2, 3, 4
STATE_NAMES = {NOT: "not", TOUCHED: "touched", SEALED: "sealed", BROKEN: "broken", ONE_WORD: "one_word"}
_EPS = 1e-6
_TZ_S = 8 * 3600                                  # Asia/Shanghai
_OPEN_AUCTION = (9 * 3600 + 15 * 60, 9 * 3600 + 25 * 60)
_CLOSE_AUCTION = 14 * 3600 + 57 * 60


class LimitTracker(object):
    """Per-code limit state for one side ('up' or 'down'); call update(snapshot) after each push."""

    def __init__(self, side="up"):
        if side not in ("up", "down"):
            raise ValueError("side must be 'up' or 'down', got %r" % (side,))
        self.side = side
        self.n = 0
        self._alloc(0)

    def _alloc(self, n):
        old = self.n
        def grow(name, dt, fill):
            arr = np.full(n, fill, dt)
            if old and hasattr(self, name):
                arr[:old] = getattr(self, name)[:old]
            setattr(self, name, arr)
        grow("state", np.int8, NOT)
        grow("sealed", bool, False)
        grow("ever_sealed", bool, False)
        grow("first_seal_ms", np.float64, 0.0)
        grow("breaks", np.int32, 0)
        grow("seal_volume", np.float64, 0.0)
        grow("seal_amount", np.float64, 0.0)
        grow("seal_ratio", np.float64, np.nan)
        self.n = n

    def reset(self):
        """Forget the day (call at a new trading day)."""
        self.n = 0
        self._alloc(0)

    def update(self, snap):
        """Advance the state of every valid row from the snapshot's current arrays."""
        n = snap.n
        if n > self.n:
            self._alloc(n)
        # only rows that reach the limit (price or book) or sealed earlier can be in a non-'not' state
        if self.side == "up":
            lim_all = snap.up[:n]
            near = (snap.high[:n] >= lim_all - _EPS) | (snap.bid[:n, 0] >= lim_all - _EPS)
        else:
            lim_all = snap.down[:n]
            near = (lim_all > 0) & ((snap.low[:n] <= lim_all + _EPS) |
                                    ((snap.ask[:n, 0] > 0) & (snap.ask[:n, 0] <= lim_all + _EPS)))
        r = np.nonzero(near | self.ever_sealed[:n])[0]
        if not len(r):
            return self.state[:n]
        lim = lim_all[r]
        valid = snap.valid[r]
        bid1 = snap.bid[r, 0]
        ask1 = snap.ask[r, 0]
        if self.side == "up":
            book = (np.abs(bid1 - lim) < _EPS) & (ask1 <= 0)
            reached = snap.high[r] >= lim - _EPS
            never_off = snap.low[r] >= lim - _EPS
            vol = snap.bid_vol[r, 0]
        else:
            book = (np.abs(ask1 - lim) < _EPS) & (bid1 <= 0)
            reached = snap.low[r] <= lim + _EPS
            never_off = snap.high[r] <= lim + _EPS
            vol = snap.ask_vol[r, 0]
        finite = np.isfinite(lim)
        sealed = valid & book & finite
        was = self.sealed[r]
        # call auctions (09:15-09:25, 14:57-15:00) show an indicative price on both sides, not a seal
        # or a break: keep the seal state across them
        sod = (snap.time[r] // 1000 + _TZ_S) % 86400
        auction = ((sod >= _OPEN_AUCTION[0]) & (sod < _OPEN_AUCTION[1])) | (sod >= _CLOSE_AUCTION)
        sealed = np.where(auction, was, sealed)
        self.breaks[r] += valid & was & ~sealed
        first = self.first_seal_ms[r]
        self.first_seal_ms[r] = np.where(sealed & (first == 0), snap.time[r], first)
        ever = self.ever_sealed[r] | sealed
        self.ever_sealed[r] = ever
        new_state = np.where(sealed, np.where(never_off, ONE_WORD, SEALED),
                             np.where(ever, BROKEN, np.where(reached, TOUCHED, NOT)))
        self.state[r] = np.where(valid, new_state, self.state[r])
        self.sealed[r] = np.where(valid, sealed, was)
        seal_vol = np.where(auction | ~valid, self.seal_volume[r], np.where(sealed, vol, 0.0))
        self.seal_volume[r] = seal_vol
        self.seal_amount[r] = seal_vol * np.where(finite, lim, 0.0)
        fv = snap.float_volume[r]
        ratio = np.full(len(r), np.nan)
        np.divide(seal_vol, fv, out=ratio, where=fv > 0)
        self.seal_ratio[r] = ratio
        return self.state[:n]

    def rows_in(self, states):
        """Rows whose current state is one of `states`."""
        return np.nonzero(np.isin(self.state[:self.n], list(states)))[0]


class LimitBook(object):
    """Both sides together: `up` and `down` trackers updated from one snapshot."""

    def __init__(self):
        self.up = LimitTracker("up")
        self.down = LimitTracker("down")

    def update(self, snap):
        """Update both sides."""
        self.up.update(snap)
        self.down.update(snap)

    def reset(self):
        """Forget the day."""
        self.up.reset()
        self.down.reset()
