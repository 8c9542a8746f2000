"""Signal evaluation for (limit-up stock, ETF) pairs: confidence, risk, filters, de-duplication.

All thresholds come from a params object (LimitUpEtfParams: same names as config/settings.yaml).
Levels are ints internally (2 = 高, 1 = 中, 0 = 低) so whole candidate sets are scored at once.
"""
import datetime

import numpy as np

from .types import LEVEL_HIGH, LEVEL_LOW, LEVEL_MID

LEVEL_NAMES = (LEVEL_LOW, LEVEL_MID, LEVEL_HIGH)
TZ_OFFSET_S = 8 * 3600                      # Asia/Shanghai, no DST
AM_OPEN, AM_CLOSE, PM_OPEN, PM_CLOSE = 9 * 3600 + 1800, 11 * 3600 + 1800, 13 * 3600, 15 * 3600

FILTER_REASONS = ("etf_volume", "time_to_close", "premium_priced_in", "no_quote", "not_trading")


class LimitUpEtfParams(object):
    """Parameters of the limit-up -> ETF strategy; unknown names are errors."""

    DEFAULTS = (
        ("min_weight", 0.05),                 # stock weight in the ETF to count as related
        ("min_etf_volume", 5000.0),           # ETF turnover today, 万元 (10,000 CNY)
        ("min_time_to_close", 1800),          # trading seconds left before 15:00
        ("scan_interval", 60),                # seconds between full evaluations (new seals evaluate at once)
        ("confidence_high_weight", 0.10),
        ("confidence_low_weight", 0.05),
        ("confidence_high_rank", 3),
        ("confidence_low_rank", 10),
        ("risk_high_time_seconds", 600),
        ("risk_low_time_seconds", 3600),
        ("risk_top10_ratio_high", 0.70),
        ("risk_morning_hour", 10),
        ("premium_priced_in_fraction", 0.5),  # skip when premium >= fraction x weight x stock limit ratio
        ("signal_states", ("sealed", "one_word")),
        ("position_budget", 100000.0),        # CNY per ETF position
        ("max_positions", 5),                 # ETF positions opened per day
        ("buy_price_ticks", 2),               # limit price = ask1 + ticks, capped by cage and limit-up
        ("stop_loss_pct", 0.02),
        ("take_profit_pct", 0.03),
        ("trailing_pct", 0.015),
        ("exit_after_days", 1),
        ("exit_time", "14:50:00"),
        ("max_tick_age_ms", 180000),          # ticks older than this at scan time are ignored
        ("watch_near_limit_pct", 0.03),       # read the 5-level book of ETFs holding stocks this close to limit-up
        ("strategy_name", "limit_up_etf"),
    )

    def __init__(self, **kwargs):
        names = [k for k, _ in self.DEFAULTS]
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            raise ValueError("unknown LimitUpEtfParams field(s) %s; valid names: %s" % (unknown, ", ".join(names)))
        for k, v in self.DEFAULTS:
            setattr(self, k, kwargs.get(k, v))

    @classmethod
    def from_sections(cls, *sections, **overrides):
        """Build from config sections (dicts, e.g. settings.yaml `strategy` + `signal_evaluation`)."""
        kw = {}
        for sec in sections:
            kw.update(sec or {})
        kw.update(overrides)
        return cls(**kw)

    def as_dict(self):
        """All fields as a plain dict."""
        return dict((k, getattr(self, k)) for k, _ in self.DEFAULTS)

    def __repr__(self):
        return "LimitUpEtfParams(%s)" % ", ".join("%s=%r" % kv for kv in sorted(self.as_dict().items()))


def shanghai_clock(now_ms):
    """(trade_date YYYYMMDD, seconds since local midnight) for a ms epoch, Asia/Shanghai."""
    s = int(now_ms // 1000) + TZ_OFFSET_S
    day = datetime.date(1970, 1, 1) + datetime.timedelta(days=s // 86400)
    return day.year * 10000 + day.month * 100 + day.day, s % 86400


def in_continuous_session(sod):
    """True during 09:30-11:30 and 13:00-15:00 local time."""
    return AM_OPEN <= sod < AM_CLOSE or PM_OPEN <= sod < PM_CLOSE


def time_to_close(sod):
    """Trading seconds left until 15:00 (the lunch break does not count)."""
    if sod < AM_CLOSE:
        return (AM_CLOSE - max(sod, AM_OPEN)) + (PM_CLOSE - PM_OPEN)
    if sod < PM_OPEN:
        return PM_CLOSE - PM_OPEN
    return max(0, PM_CLOSE - sod)


def confidence(weight, rank, p):
    """高 when weight >= high weight and rank <= high rank; 低 when weight < low weight or rank > low rank; else 中."""
    weight = np.asarray(weight, np.float64)
    rank = np.asarray(rank)
    high = (weight >= p.confidence_high_weight) & (rank <= p.confidence_high_rank)
    low = (weight < p.confidence_low_weight) | (rank > p.confidence_low_rank)
    return np.where(high, 2, np.where(low, 0, 1)).astype(np.int8)


def risk(ttc, top10, sod, p):
    """高 when < risk_high_time_seconds to close or two of (< risk_low_time_seconds to close,
    top-10 >= risk_top10_ratio_high, before risk_morning_hour); 低 when none of them; else 中."""
    top10 = np.asarray(top10, np.float64)
    points = (np.int64(ttc < p.risk_low_time_seconds) + (top10 >= p.risk_top10_ratio_high).astype(np.int64) +
              np.int64(sod < p.risk_morning_hour * 3600))
    high = (ttc < p.risk_high_time_seconds) | (points >= 2)
    return np.where(high, 2, np.where(points == 0, 0, 1)).astype(np.int8)


def filters(etf_amount, ttc, premium_buy, weight, stock_limit_ratio, p, trading=True):
    """Index into FILTER_REASONS of the first failed filter per pair, -1 when all pass."""
    etf_amount = np.asarray(etf_amount, np.float64)
    out = np.full(etf_amount.shape, -1, np.int8)
    priced_in = premium_buy >= p.premium_priced_in_fraction * weight * stock_limit_ratio
    checks = (
        (etf_amount < p.min_etf_volume * 10000.0, 0),
        (np.full(out.shape, ttc < p.min_time_to_close), 1),
        (priced_in, 2),
        (np.isnan(premium_buy), 3),
        (np.full(out.shape, not trading), 4),
    )
    for failed, code in reversed(checks):
        out[failed] = code
    return out


def score(conf, rsk, weight, seal_ratio):
    """One number to order candidates: confidence first, then risk, weight and seal strength."""
    seal = np.asarray(seal_ratio, np.float64)
    seal = np.where(np.isnan(seal), 0.0, seal)
    return conf * 10.0 - rsk * 5.0 + np.asarray(weight) * 100.0 + np.minimum(seal * 100.0, 5.0)


class SignalMemory(object):
    """One signal per (stock, ETF, day) unless it strengthens (confidence up or risk down).

    `admit` (per pair, by codes) decides. Callers that also pass an int64 `key` per pair (e.g. stock_row *
    KEY_BASE + etf_row on one snapshot) can first ask `could_admit` for a whole batch with numpy: it is False
    only where `admit` would refuse, so skipping those pairs changes nothing. The numeric index is a copy of
    the per-pair best, rebuilt lazily after admits; `forget_keys()` drops it when the key numbering changes
    (the dict, which decides, is kept; the index refills from later admits).
    """

    KEY_BASE = 1 << 32

    def __init__(self):
        self.day = None
        self.best = {}
        self.forget_keys()

    def forget_keys(self):
        """Drop the numeric index (keys no longer mean the same pairs); `could_admit` then says True."""
        self._keys = np.zeros(0, np.int64)
        self._kconf = np.zeros(0, np.int64)
        self._krsk = np.zeros(0, np.int64)
        self._pend_k, self._pend_c, self._pend_r = [], [], []

    def admit(self, day, stock, etf, conf, rsk, key=None):
        """True (and remembered) when the pair is new today or stronger than what was signalled."""
        if day != self.day:
            self.day = day
            self.best = {}
            self.forget_keys()
        pair = (stock, etf)
        old = self.best.get(pair)
        if old is not None and not (conf > old[0] or (conf == old[0] and rsk < old[1])):
            if key is not None:                 # teach the index what the dict knows (after forget_keys)
                self._remember(key, old[0], old[1])
            return False
        self.best[pair] = (conf, rsk, 1 if old is None else old[2] + 1, old)
        if key is not None:
            self._remember(key, conf, rsk)
        return True

    def revoke(self, stock, etf, key=None):
        """Undo the last admit of a pair whose signal was not emitted after all: it can be admitted again."""
        pair = (stock, etf)
        cur = self.best.get(pair)
        if cur is None:
            return
        prev = cur[3]
        if prev is None:
            del self.best[pair]
        else:
            self.best[pair] = prev
        if key is not None:                     # the index's latest record of the key: the restored one
            if prev is None:
                self._remember(key, -1, 0)      # no record: could_admit lets any level through
            else:
                self._remember(key, prev[0], prev[1])

    def _remember(self, key, conf, rsk):
        self._pend_k.append(int(key))
        self._pend_c.append(int(conf))
        self._pend_r.append(int(rsk))

    def _merge(self):
        if not self._pend_k:
            return
        keys = np.concatenate([self._keys, np.asarray(self._pend_k, np.int64)])
        conf = np.concatenate([self._kconf, np.asarray(self._pend_c, np.int64)])
        rsk = np.concatenate([self._krsk, np.asarray(self._pend_r, np.int64)])
        self._pend_k, self._pend_c, self._pend_r = [], [], []
        order = np.argsort(keys, kind="mergesort")      # stable: the latest record of a key comes last
        keys, conf, rsk = keys[order], conf[order], rsk[order]
        last = np.ones(len(keys), bool)
        last[:-1] = keys[1:] != keys[:-1]
        self._keys, self._kconf, self._krsk = keys[last], conf[last], rsk[last]

    def could_admit(self, day, keys, conf, rsk):
        """Per pair (int64 keys with conf/rsk arrays): False only where admit() would surely refuse now."""
        keys = np.asarray(keys, np.int64)
        if day != self.day or not self.best:
            return np.ones(len(keys), bool)
        self._merge()
        if not len(self._keys) or not len(keys):
            return np.ones(len(keys), bool)
        pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        found = self._keys[pos] == keys
        bc, br = self._kconf[pos], self._krsk[pos]
        conf = np.asarray(conf, np.int64)
        rsk = np.asarray(rsk, np.int64)
        return ~found | (conf > bc) | ((conf == bc) & (rsk < br))

    def version(self, stock, etf):
        """How many signals this pair produced today (1 = first)."""
        return self.best.get((stock, etf), (0, 0, 0))[2]
