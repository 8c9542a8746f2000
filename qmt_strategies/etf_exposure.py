"""ETF holdings on a Snapshot's code index, weights at current prices, ranks, related ETFs, sealed weight.

Holdings are flat arrays sorted by ETF (one entry per (ETF, component)), so every per-snapshot step is a
gather plus a bincount over ~50k entries; ranks and top-10 sums are computed only for candidate pairs.
"""
import numpy as np

from . import ashare

# 现金替代标志 (xtdata.md): 2/4/6/8 must be paid in cash (fixed 申购/赎回替代金额); 0 forbids cash;
# 1 allows cash when the stock is short; 3/5/7 are refund/supplement (退补) cash at market value.
MUST_CASH_FLAGS = (2, 4, 6, 8)
FORBID_CASH_FLAG = 0
ALLOW_CASH_FLAG = 1


def _f(d, *keys):
    for k in keys:
        v = d.get(k)
        if v not in (None, ""):
            try:
                return float(v)
            except (TypeError, ValueError):
                return 0.0
    return 0.0


class Holdings(object):
    """Flat (ETF, component) holdings bound to a Snapshot; build with from_etf_info or from_rows."""

    def __init__(self, snap, etf_codes, entries, unit, cash, other_weight, source):
        """entries: list of (etf_index, code, qty, weight, flag, sub_amount, red_amount, sub_ratio, red_ratio)."""
        self.source = source
        self.etf_codes = list(etf_codes)
        self.etf_rows = snap.add_codes(self.etf_codes)
        entries = sorted(entries, key=lambda e: e[0])
        n = len(entries)
        cols = list(zip(*entries)) if n else [[] for _ in range(9)]
        self.etf_of = np.asarray(cols[0], np.int64)
        self.comp_codes = list(cols[1])
        self.comp_row = snap.add_codes(self.comp_codes) if n else np.zeros(0, np.int64)
        self.qty = np.asarray(cols[2], np.float64)
        self.disclosed_weight = np.asarray(cols[3], np.float64)
        self.is_weight = self.disclosed_weight > 0
        self.flag = np.asarray(cols[4], np.int64)
        self.sub_amount = np.asarray(cols[5], np.float64)
        self.red_amount = np.asarray(cols[6], np.float64)
        self.sub_ratio = np.asarray(cols[7], np.float64)
        self.red_ratio = np.asarray(cols[8], np.float64)
        self.must_cash = np.isin(self.flag, MUST_CASH_FLAGS)
        ne = len(self.etf_codes)
        self.unit = np.asarray(unit, np.float64)
        self.cash = np.asarray(cash, np.float64)
        self.other_weight = np.asarray(other_weight, np.float64)
        counts = np.bincount(self.etf_of, minlength=ne)
        self.ends = np.cumsum(counts)
        self.starts = self.ends - counts
        self.etf_index = dict((c, i) for i, c in enumerate(self.etf_codes))
        self._nonempty = np.nonzero(counts > 0)[0]
        self._seg_starts = self.starts[self._nonempty]
        # static parts of the valuation: value = coef x price + const (weight rows handled apart)
        self._coef = np.where(self.must_cash | self.is_weight, 0.0, self.qty)
        self._const = np.where(self.must_cash, self.sub_amount, 0.0)
        self._wpos = np.nonzero(self.is_weight & ~self.must_cash)[0]
        self._priced_by_market = ~self.must_cash & ~self.is_weight
        # inverse index: snapshot row -> entries
        self._by_row = np.argsort(self.comp_row, kind="mergesort")
        self._row_counts = np.bincount(self.comp_row, minlength=snap.n)
        self._row_starts = np.cumsum(self._row_counts) - self._row_counts
        # outputs of update()
        self.value = np.zeros(n)
        self._weight = np.zeros(n)
        self.total = np.zeros(ne)
        self.priced = np.ones(n, bool)
        self._wm_index = (None, None, None)  # (ETFs, entry index, padding) of the last _weight_matrix
        self._loop_parts = {}                # ETF set -> loop_parts()

    @classmethod
    def from_etf_info(cls, etf_info, snap, codes=None):
        """From xtdata.get_etf_info(): {'510300.SH': {'最小申购、赎回单位', '预估现金差额', '成份股信息': [...]}}."""
        etf_codes, entries, unit, cash = [], [], [], []
        for code in sorted(codes if codes is not None else etf_info):
            info = etf_info.get(code)
            if not info:
                continue
            i = len(etf_codes)
            etf_codes.append(code)
            unit.append(_f(info, "最小申购、赎回单位"))
            cash.append(_f(info, "预估现金差额", "现金差额"))
            for c in info.get("成份股信息") or []:
                ccode = str(c.get("成份股代码") or "")
                if not ccode:
                    continue
                entries.append((i, ccode, _f(c, "成份股数量"), 0.0, int(_f(c, "现金替代标志")),
                                _f(c, "申购替代金额"), _f(c, "赎回替代金额"),
                                _f(c, "申购现金替代溢价比率"), _f(c, "赎回现金替代折价比率")))
        return cls(snap, etf_codes, entries, unit, cash, np.zeros(len(etf_codes)), "pcf")

    @classmethod
    def from_rows(cls, rows, snap):
        """From disclosed holdings rows: dicts with etf_code, stock_code and weight (fraction of NAV) or shares."""
        by_etf = {}
        for r in rows:
            by_etf.setdefault(r["etf_code"], []).append(r)
        etf_codes, entries, other = [], [], []
        for i, code in enumerate(sorted(by_etf)):
            etf_codes.append(code)
            wsum = 0.0
            for r in by_etf[code]:
                w = float(r.get("weight") or 0.0)
                sh = float(r.get("shares") or 0.0)
                wsum += w
                entries.append((i, r["stock_code"], sh, w, 1, 0.0, 0.0, 0.0, 0.0))
            other.append(max(0.0, 1.0 - wsum))
        ne = len(etf_codes)
        return cls(snap, etf_codes, entries, np.zeros(ne), np.zeros(ne), other, "disclosed")

    def infer_wide_limits(self, snap):
        """Flag ETFs whose basket is all ChiNext/STAR as 20%-limit (instrument-detail limits still win)."""
        wide_board = np.isin(snap.board[self.comp_row], (ashare.BOARD_CHINEXT, ashare.BOARD_STAR))
        n_all = np.bincount(self.etf_of, minlength=len(self.etf_codes))
        n_wide = np.bincount(self.etf_of, wide_board, minlength=len(self.etf_codes))
        wide = (n_all > 0) & (n_wide == n_all)
        codes = [c for c, w in zip(self.etf_codes, wide.tolist()) if w]
        if codes:
            snap.set_flags(codes, wide_limit=True)
        return codes

    def __len__(self):
        return len(self.etf_of)

    def component_prices(self, snap):
        """Price of each entry: last when valid, else the last known price, else pre-close (suspended)."""
        n = snap.n
        px = np.where(snap.last[:n] > 0, snap.last[:n], snap.pre_close[:n])
        return px[self.comp_row]

    def update(self, snap):
        """Value every entry at current prices; fills value and total (per ETF); weight on demand."""
        px = self.component_prices(snap)
        val = self._coef * px + self._const
        if len(self._wpos):
            w = self._wpos
            pre = snap.pre_close[self.comp_row[w]]
            ok = (pre > 0) & (px[w] > 0)
            val[w] = np.where(ok, self.disclosed_weight[w] * px[w] / np.where(ok, pre, 1.0),
                              self.disclosed_weight[w])
        zero = (px <= 0) & self._priced_by_market
        if zero.any():
            val[zero] = self.sub_amount[zero]        # unknown price: the PCF's cash amount, if any
        self.priced = ~zero
        self.value = val
        sums = np.add.reduceat(val, self._seg_starts) if len(val) else np.zeros(0)
        total = self.cash + self.other_weight
        total[self._nonempty] += sums
        self.total = total
        self._weight = None
        return val

    @property
    def weight(self):
        """Weight of every entry in its ETF at the prices of the last update()."""
        if self._weight is None:
            tot = self.total[self.etf_of]
            with np.errstate(divide="ignore", invalid="ignore"):
                self._weight = np.where(tot > 0, self.value / tot, 0.0)
        return self._weight

    def weights_of(self, entries):
        """Weights of some entries only (cheaper than the full array)."""
        tot = self.total[self.etf_of[entries]]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(tot > 0, self.value[entries] / tot, 0.0)

    def entries_of_rows(self, rows):
        """Entries (all ETFs) whose component is one of the snapshot `rows`."""
        rows = np.asarray(rows, np.int64)
        rows = rows[rows < len(self._row_counts)]
        lens = self._row_counts[rows]
        tot = int(lens.sum())
        if not tot:
            return np.zeros(0, np.int64)
        offs = np.cumsum(lens) - lens
        idx = np.repeat(self._row_starts[rows] - offs, lens) + np.arange(tot)
        return np.sort(self._by_row[idx])

    def related(self, stock_mask, min_weight):
        """Entries whose component is flagged in stock_mask (per snapshot row) with weight >= min_weight."""
        ent = self.entries_of_rows(np.nonzero(stock_mask)[0])
        return ent[self.weights_of(ent) >= min_weight]

    def sealed_weight(self, sealed_mask):
        """Per ETF: total weight of components currently sealed (sealed_mask per snapshot row)."""
        ent = self.entries_of_rows(np.nonzero(sealed_mask)[0])
        return np.bincount(self.etf_of[ent], self.weights_of(ent), minlength=len(self.etf_codes))

    def _segments(self, etfs):
        lens = self.ends[etfs] - self.starts[etfs]
        tot = int(lens.sum())
        offs = np.cumsum(lens) - lens
        seg = np.repeat(np.arange(len(etfs)), lens)
        idx = np.repeat(self.starts[etfs] - offs, lens) + np.arange(tot)
        return idx, seg, offs

    def loop_parts(self, etfs):
        """The static inputs of iopv.loop_edge for some ETFs (their baskets' entries, quantities, cash rules),
        kept for the ETF sets asked for today (a day signals a few hundred ETFs at most)."""
        etfs = np.asarray(etfs, np.int64)
        key = etfs.tobytes()
        parts = self._loop_parts.get(key)
        if parts is None:
            if len(self._loop_parts) >= 1024:
                self._loop_parts.clear()
            idx, seg, _ = self._segments(etfs)
            must = self.must_cash[idx]
            qty, unit = self.qty[idx], self.unit[etfs]
            parts = {"seg": seg, "rows": self.comp_row[idx], "qty": qty,
                     "must": must,
                     "forbid": ~must & (self.flag[idx] == FORBID_CASH_FLAG),
                     "sub_amount": self.sub_amount[idx], "red_amount": self.red_amount[idx],
                     "sub_k": 1.0 + self.sub_ratio[idx], "red_k": 1.0 - self.red_ratio[idx],
                     "etf_rows": self.etf_rows[etfs], "unit": unit,
                     "cash": self.cash[etfs]}
            self._loop_parts[key] = parts
        return parts

    def ranks(self, entries):
        """Rank (1 = largest weight) of each entry inside its ETF at current weights."""
        entries = np.asarray(entries, np.int64)
        if not len(entries):
            return np.zeros(0, np.int64)
        idx, seg, _ = self._segments(self.etf_of[entries])
        greater = self.weights_of(idx) > self.weights_of(entries)[seg]
        return np.bincount(seg, greater, minlength=len(entries)).astype(np.int64) + 1

    def _weight_matrix(self, etfs):
        """(len(etfs) x widest basket) current weights, one row per ETF in holdings order, -inf padded."""
        etfs = np.asarray(etfs, np.int64)
        key = etfs.tobytes()
        if self._wm_index[0] != key:          # scans of one day mostly ask for the same ETFs again
            starts = self.starts[etfs]
            lens = self.ends[etfs] - starts
            col = np.arange(max(int(lens.max()) if len(lens) else 0, 1))
            pad = col >= lens[:, None]
            idx = np.where(pad, 0, starts[:, None] + col)   # entry per (ETF, column); padding reads entry 0
            self._wm_index = (key, idx, pad)
        _, idx, pad = self._wm_index
        tot = self.total[etfs][:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(tot > 0, self.value[idx] / tot, 0.0) if len(self.value) else np.zeros(idx.shape)
        w[pad] = -np.inf
        return w

    @staticmethod
    def _top_rows(mat, k, ordered=False):
        """Sum of the k largest of each row (-inf = padding; rows already descending when `ordered`). The k
        values are summed largest first, always k terms (zeros pad short baskets), so an ETF's figure does
        not depend on the other rows."""
        if not ordered:
            if mat.shape[1] > k:
                mat = -np.partition(-mat, k - 1, axis=1)[:, :k]
            mat = -np.sort(-mat, axis=1)
        top = np.zeros((mat.shape[0], k))
        top[:, :min(k, mat.shape[1])] = mat[:, :k]
        top[np.isneginf(top)] = 0.0
        return top.sum(axis=1)

    def top_sum(self, etfs, k=10):
        """Per given ETF: sum of its k largest component weights (concentration)."""
        etfs = np.asarray(etfs, np.int64)
        if not len(etfs):
            return np.zeros(0)
        return self._top_rows(self._weight_matrix(etfs), k)

    def rank_top(self, entries, weights=None, k=10):
        """(rank in its ETF, top-k weight sum of its ETF) per entry, the ETFs' baskets read once.

        Same figures as ranks(entries) and top_sum(etf_of[entries], k); `weights` = weights_of(entries)
        when the caller has them already.
        """
        entries = np.asarray(entries, np.int64)
        if not len(entries):
            return np.zeros(0, np.int64), np.zeros(0)
        e = self.etf_of[entries]
        if len(e) > 1 and bool((e[1:] >= e[:-1]).all()):   # entries sorted: ETFs too (flat arrays by ETF)
            first = np.ones(len(e), bool)
            first[1:] = e[1:] != e[:-1]
            ue, inv = e[first], np.cumsum(first) - 1
        else:
            ue, inv = np.unique(e, return_inverse=True)
        w = self.weights_of(entries) if weights is None else np.asarray(weights, np.float64)
        mat = -np.sort(-self._weight_matrix(ue), axis=1)       # each ETF's weights, largest first
        rank = np.count_nonzero(mat[inv] > w[:, None], axis=1).astype(np.int64) + 1
        return rank, self._top_rows(mat, k, ordered=True)[inv]
