"""Offensive layer: factor scores over the universe, composite, buy/sell signals with TP/SL, rotation.

Every factor score is on a 0..10 scale; the composite is the weighted mean of the factors (weights are
normalised to sum to 1), so it is also 0..10 and the default buy threshold 5 means "better than neutral
on balance". Python 3.6, numpy + pandas, no I/O. Per-stock inputs are 1-D arrays aligned with `codes`;
bars are [stocks x days] arrays (see indicators.py).

Chip / main-force proxy (no level-2 data needed), documented in docs/offensive_layer.md:
  * volume-at-price concentration: share of the last `window` days' volume traded within +-band of the
    volume-weighted average price (VWAP ~ average holding cost); concentrated chips = a holder in control;
  * profit of the average holder: close / VWAP - 1 (holders in profit do not sell into rises);
  * turnover shrink: 5-day over `window`-day mean volume (float shares cancel out); shrinking turnover while
    price holds above cost = chips locked up; a very high daily turnover (> 10% of float) costs a point.
"""
import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd

from qmt_strategies import ashare
from qmt_strategies import indicators as ind
from qmt_strategies.types import (
    ACTION_BUY,
    ACTION_SELL,
    LEVEL_HIGH,
    LEVEL_LOW,
    LEVEL_MID,
    Signal,
)

STRATEGY = "offensive"
FACTORS = ("industry", "valuation", "technical", "chip")
DEFAULT_WEIGHTS = {"industry": 0.25, "valuation": 0.20, "technical": 0.35, "chip": 0.20}

class Scores(NamedTuple):
    codes: list
    industry: np.ndarray
    valuation: np.ndarray
    technical: np.ndarray
    chip: np.ndarray
    composite: np.ndarray


def _clip01(x):
    return np.clip(x, 0.0, 1.0)


def _nan0(x):
    a = np.asarray(x, dtype=np.float64)
    return np.where(np.isnan(a), 0.0, a)


def mid_rank(values, groups=None):
    """Mid-point percentile (rank - 0.5) / n in (0, 1), optionally within groups; a group of one is 0.5."""
    s = pd.Series(np.asarray(values, dtype=np.float64))
    if groups is None:
        r = s.rank(method="average")
        n = float(s.count())
        return ((r - 0.5) / n).values if n else r.values
    g = s.groupby(np.asarray(groups))
    return ((g.rank(method="average") - 0.5) / g.transform("count")).values


def pct_rank(values, groups=None):
    """Percentile rank in (0, 1] (average rank for ties), optionally within groups; NaN stays NaN."""
    s = pd.Series(np.asarray(values, dtype=np.float64))
    if groups is None:
        return s.rank(pct=True, method="average").values
    return s.groupby(np.asarray(groups)).rank(pct=True, method="average").values


# ---------------------------------------------------------------- industry flow

def industry_flow_score(main_net_inflow, net_ratio=None, change_pct=None):
    """Industry score 0..10 from money flow: 50% rank of net inflow, 30% of its ratio, 20% of price change."""
    flow = pct_rank(main_net_inflow)
    parts = [(0.5, flow)]
    if net_ratio is not None:
        parts.append((0.3, pct_rank(net_ratio)))
    if change_pct is not None:
        parts.append((0.2, pct_rank(change_pct)))
    total = sum(w for w, _ in parts)
    score = sum(w * _nan0(p) for w, p in parts) / total
    return 10.0 * score


def stock_industry_score(stock_industries, industry_scores, default=5.0):
    """Broadcast {industry: score} to stocks; unknown industries get the neutral default."""
    return np.array([float(industry_scores.get(i, default)) if i else default for i in stock_industries])


# ---------------------------------------------------------------- valuation

def valuation_score(pe, pb, industries=None, pe_hist_pct=None, pe_weight=0.6):
    """Cheapness 0..10: low PE/PB rank within the industry (and low own-history percentile if given).

    Loss-making (PE <= 0) or unknown PE scores 0. `pe_hist_pct` is each stock's PE percentile over its own
    history (0..100); when given it counts half.
    """
    pe = np.asarray(pe, dtype=np.float64)
    pb = np.asarray(pb, dtype=np.float64)
    valid = np.isfinite(pe) & (pe > 0)
    pe_rank = mid_rank(np.where(valid, pe, np.nan), industries)
    pb_rank = mid_rank(np.where(valid & np.isfinite(pb) & (pb > 0), pb, np.nan), industries)
    pb_rank = np.where(np.isnan(pb_rank), pe_rank, pb_rank)
    cheap = 1.0 - (pe_weight * pe_rank + (1.0 - pe_weight) * pb_rank)
    if pe_hist_pct is not None:
        hist = np.asarray(pe_hist_pct, dtype=np.float64) / 100.0
        cheap = np.where(np.isfinite(hist), 0.5 * cheap + 0.5 * (1.0 - hist), cheap)
    # mid-ranks: the cheapest of n scores 10 - 5/n, the dearest 5/n, a stock alone in its industry 5
    score = 10.0 * _clip01(cheap)
    return np.where(valid, score, 0.0)


# ---------------------------------------------------------------- technical

def technical_score_matrix(close, high, volume, vr_days=5, breakout_days=20, cross_within=3):
    """Technical score 0..10 for every stock and day [stocks x days].

    MACD: DIF > DEA +2, golden cross in the last `cross_within` days +2, DIF > 0 +1;
    volume ratio (today / previous 5-day mean) >= 1.5 +2, >= 1.2 +1;
    breakout above the previous `breakout_days` high +2; close > MA20 > MA60 +1.
    """
    c = ind.ffill(close)
    dif, dea, _ = ind.macd(c)
    with np.errstate(invalid="ignore"):
        pts = 2.0 * (dif > dea)
        pts += 2.0 * ind.crossed_above(dif, dea, within=cross_within)
        pts += 1.0 * (dif > 0)
        vr = ind.volume_ratio(volume, vr_days)
        pts += np.where(vr >= 1.5, 2.0, np.where(vr >= 1.2, 1.0, 0.0))
        pts += 2.0 * ind.breakout(c, ind.ffill(high), breakout_days)
        ma20 = ind.sma(c, 20)
        ma60 = ind.sma(c, 60)
        pts += 1.0 * ((c > ma20) & (ma20 > ma60))
    pts[np.isnan(c)] = 0.0
    return pts


def technical_score(close, high, volume, vr_days=5, breakout_days=20, cross_within=3):
    """Technical score 0..10 on the last day (the rules of technical_score_matrix, computing only what the
    last day needs: full EMAs for MACD, then the tail of every other indicator)."""
    c = ind.ffill(close)
    h = ind.ffill(high)
    v = ind.as_matrix(volume)
    n_days = c.shape[1]
    dif, dea, _ = ind.macd(c)
    tail = cross_within + 1
    dif_t, dea_t = dif[:, -tail:], dea[:, -tail:]
    last = c[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        above = dif_t > dea_t
        cross = (above[:, 1:] & ~above[:, :-1]).any(axis=1) if n_days > 1 else np.zeros(len(last), bool)
        pts = 2.0 * above[:, -1] + 2.0 * cross + 1.0 * (dif_t[:, -1] > 0)
        if n_days > vr_days:
            vr = v[:, -1] / v[:, -vr_days - 1:-1].mean(axis=1)
            pts += np.where(vr >= 1.5, 2.0, np.where(vr >= 1.2, 1.0, 0.0))
        if n_days > breakout_days:
            pts += 2.0 * (last > np.fmax.reduce(h[:, -breakout_days - 1:-1], axis=1))
        if n_days >= 60:
            ma20 = c[:, -20:].mean(axis=1)
            ma60 = c[:, -60:].mean(axis=1)
            pts += 1.0 * ((last > ma20) & (ma20 > ma60))
    pts[np.isnan(last)] = 0.0
    return pts


# ---------------------------------------------------------------- chip / main force

def chip_score(high, low, close, volume, float_shares=None, window=60, band=0.10):
    """Chip / main-force control score 0..10 on the last day (volume-at-price proxy, see module doc)."""
    h = ind.as_matrix(high)[:, -window:]
    lo = ind.as_matrix(low)[:, -window:]
    c = ind.as_matrix(close)[:, -window:]
    v = _nan0(ind.as_matrix(volume)[:, -window:])
    tp = (h + lo + c) / 3.0
    ok = np.isfinite(tp)
    v = np.where(ok, v, 0.0)
    tp = np.where(ok, tp, 0.0)
    vol_sum = v.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = (v * tp).sum(axis=1) / vol_sum
        near = np.abs(tp / vwap[:, None] - 1.0) <= band
        conc = (v * near).sum(axis=1) / vol_sum
        last = ind.ffill(c)[:, -1]
        profit = last / vwap - 1.0
        short = v[:, -5:].mean(axis=1)
        shrink = short / v.mean(axis=1)
    pts = 5.0 * _clip01((conc - 0.5) / 0.4)
    pts += 3.0 * _clip01(profit / 0.15)
    pts += np.where((shrink < 0.8) & (profit > 0), 2.0, np.where((shrink < 1.0) & (profit > 0), 1.0, 0.0))
    if float_shares is not None:
        fs = np.asarray(float_shares, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            daily_turnover = short / fs
        pts -= np.where(daily_turnover > 0.10, 1.0, 0.0)
    pts = np.clip(pts, 0.0, 10.0)
    return np.where(np.isfinite(pts) & (vol_sum > 0), pts, 0.0)


# ---------------------------------------------------------------- composite and signals

def normalised_weights(weights=None):
    """Factor weights as a dict summing to 1 (missing factors weigh 0)."""
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(FACTORS)
    if unknown:
        raise ValueError("unknown factor weight(s) {}; known: {}".format(sorted(unknown), ", ".join(FACTORS)))
    total = float(sum(max(0.0, float(w.get(f, 0.0))) for f in FACTORS))
    if total <= 0:
        raise ValueError("factor weights must not all be zero")
    return {f: max(0.0, float(w.get(f, 0.0))) / total for f in FACTORS}


def composite_score(factors, weights=None):
    """Weighted mean (0..10) of the factor arrays in `factors` {name: array}; NaN factors count 0."""
    w = normalised_weights(weights)
    out = None
    for f in FACTORS:
        part = w[f] * _nan0(factors[f])
        out = part if out is None else out + part
    return out


def compute_scores(codes, bars, pe, pb, industries, industry_scores, float_shares=None, weights=None,
                   pe_hist_pct=None, default_industry_score=5.0):
    """All four factor scores and the composite for the universe, on the last day of `bars`.

    `bars` is a dict of [stocks x days] arrays: open (optional), high, low, close, volume.
    """
    ind_s = stock_industry_score(industries, industry_scores, default_industry_score)
    val_s = valuation_score(pe, pb, industries, pe_hist_pct)
    tech_s = technical_score(bars["close"], bars["high"], bars["volume"])
    chip_s = chip_score(bars["high"], bars["low"], bars["close"], bars["volume"], float_shares)
    comp = composite_score({"industry": ind_s, "valuation": val_s, "technical": tech_s, "chip": chip_s}, weights)
    return Scores(list(codes), ind_s, val_s, tech_s, chip_s, comp)


def round_to_tick(price, tick=0.01):
    """Round a price half-up to the tick grid (0.01 stocks, 0.001 ETFs)."""
    units = round(tick * 1000)
    return ashare.to_price(ashare._half_up(ashare.to_units(price), units) * units)


def exit_prices(price, take_profit_pct, stop_loss_pct, tick=0.01):
    """(take_profit, stop_loss) prices for an entry at `price`: exact half-up on the tick grid (integer math)."""
    units = ashare.to_units(price)
    t = np.int64(round(tick * ashare.PRICE_SCALE))
    tp, _ = ashare.limit_units(units, np.int64(round(take_profit_pct * ashare.BP)), t)
    _, sl = ashare.limit_units(units, np.int64(round(stop_loss_pct * ashare.BP)), t)
    return float(ashare.to_price(tp)), float(ashare.to_price(sl))


def confidence_of(score, threshold):
    """高 at threshold+2 or more, 中 at threshold+1, else 低."""
    if score >= threshold + 2.0:
        return LEVEL_HIGH
    if score >= threshold + 1.0:
        return LEVEL_MID
    return LEVEL_LOW


# ---------------------------------------------------------------- rotation

def is_rotation_day(trade_date, prev_trade_date, frequency):
    """True on the first trading day of a new ISO week ('weekly') or month ('monthly'); 'daily' always."""
    if frequency == "daily" or prev_trade_date is None:
        return True
    d = _as_date(trade_date)
    p = _as_date(prev_trade_date)
    if frequency == "weekly":
        return d.isocalendar()[:2] != p.isocalendar()[:2]
    if frequency == "monthly":
        return (d.year, d.month) != (p.year, p.month)
    raise ValueError(f"rotation frequency must be daily, weekly or monthly, got {frequency!r}")


def _as_date(d):
    if isinstance(d, datetime.date):
        return d
    s = str(int(d))
    return datetime.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def rotation_targets(codes, industries, composite, industry_scores, top_industries=3, top_stocks=3,
                     max_industry_weight=0.4, max_stock_weight=0.15, min_score=5.0):
    """Target weights {code: weight}: top N industries by score, top M stocks (composite >= min_score)
    in each, equal weights capped per stock and per industry; the rest stays cash."""
    ranked_ind = sorted(industry_scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_industries]
    comp = np.asarray(composite, dtype=np.float64)
    inds = np.asarray(industries, dtype=object)
    picks = []
    for name, _ in ranked_ind:
        idx = np.where((inds == name) & (comp >= min_score))[0]
        idx = idx[np.lexsort((np.asarray(codes, dtype=object)[idx], -comp[idx]))][:top_stocks]
        picks.append((name, [codes[i] for i in idx]))
    n = sum(len(p) for _, p in picks)
    if n == 0:
        return {}
    w = min(1.0 / n, max_stock_weight)
    out = {}
    for name, chosen in picks:
        if not chosen:
            continue
        per = min(w, max_industry_weight / len(chosen))
        for code in chosen:
            out[code] = per
    return out


# ---------------------------------------------------------------- the strategy

class OffensiveLayerStrategy:
    """Daily scoring -> buy/sell Signals with TP/SL; intraday `on_prices` checks exits of held names.

    Runners call `on_day` after the close (or before the open) with fresh scores, `on_prices` with last
    prices during the session, and `on_fill` with each Fill so the strategy knows what it holds.
    """

    def __init__(self, buy_threshold=5.0, sell_threshold=3.0, decay_drop=2.5, take_profit_pct=0.15,
                 stop_loss_pct=0.07, weights=None, rotation="weekly", top_industries=3, top_stocks=3,
                 max_industry_weight=0.4, max_stock_weight=0.15, capital=0.0, name=STRATEGY):
        self.buy_threshold = float(buy_threshold)
        self.sell_threshold = float(sell_threshold)
        self.decay_drop = float(decay_drop)
        self.take_profit_pct = float(take_profit_pct)
        self.stop_loss_pct = float(stop_loss_pct)
        self.weights = normalised_weights(weights)
        self.rotation = rotation
        self.top_industries = int(top_industries)
        self.top_stocks = int(top_stocks)
        self.max_industry_weight = float(max_industry_weight)
        self.max_stock_weight = float(max_stock_weight)
        self.capital = float(capital)
        self.name = name
        self.holdings = {}          # code -> {'qty', 'entry_price', 'entry_score', 'take_profit', 'stop_loss'}
        self.pending_exits = set()  # codes with a sell signal already issued and not yet filled
        self.last_rotation_date = None

    @classmethod
    def from_config(cls, cfg):
        """Build from an OffensiveConfig-like object or dict (config/offensive_schema.py)."""
        d = cfg if isinstance(cfg, dict) else cfg.model_dump()
        keys = ("buy_threshold", "sell_threshold", "decay_drop", "take_profit_pct", "stop_loss_pct", "weights",
                "rotation", "top_industries", "top_stocks", "max_industry_weight", "max_stock_weight", "capital")
        return cls(**{k: d[k] for k in keys if k in d})

    def scores(self, codes, bars, pe, pb, industries, industry_scores, float_shares=None, pe_hist_pct=None):
        """Scores for the universe with this strategy's weights."""
        return compute_scores(codes, bars, pe, pb, industries, industry_scores, float_shares, self.weights,
                              pe_hist_pct)

    def _signal(self, action, kind, code, trade_date, ts_ms, price, qty, tp, sl, score, reason, details):
        sid = f"{self.name}:{int(trade_date)}:{code}:{action}:{kind}"
        conf = confidence_of(score, self.buy_threshold) if action == ACTION_BUY else ""
        return Signal(sid, self.name, code, action, int(ts_ms), int(trade_date), float(price), int(qty),
                      float(sl), float(tp), conf, "", float(score), reason, details)

    def _quantity(self, code, price, weight):
        if self.capital <= 0 or price <= 0:
            return 0
        board = ashare.board_of_code(code)
        return int(ashare.round_lot(np.array([int(self.capital * weight / price)]), np.array([board]))[0])

    def on_day(self, trade_date, ts_ms, scores, last_close, industries=None, industry_scores=None,
               prev_trade_date=None):
        """Daily decisions: decay/stop sells for holdings, then buys.

        With `industry_scores` (rotation mode): on a rotation day the rotation targets are bought and holdings
        outside them sold; on other days only exits. Without them (threshold mode): every stock at or above
        the buy threshold is a buy candidate, every day.
        """
        close = dict(zip(scores.codes, np.asarray(last_close, dtype=np.float64)))
        comp = dict(zip(scores.codes, scores.composite))
        out = []
        for code in sorted(self.holdings):
            out.extend(self._exit_checks(code, close.get(code), comp.get(code), trade_date, ts_ms))
        if industry_scores is not None and not is_rotation_day(trade_date, prev_trade_date, self.rotation):
            targets = {}                       # rotation mode between rotation days: exits only
        elif industry_scores is not None:
            targets = rotation_targets(scores.codes, industries, scores.composite, industry_scores,
                                       self.top_industries, self.top_stocks, self.max_industry_weight,
                                       self.max_stock_weight, self.buy_threshold)
            self.last_rotation_date = int(trade_date)
            for code in sorted(self.holdings):
                if code not in targets and code not in self.pending_exits:
                    out.append(self._sell(code, close.get(code) or 0.0, comp.get(code) or 0.0, trade_date,
                                          ts_ms, "rotation", "轮动调出: not among the top industries/stocks"))
        else:                                  # threshold mode (no industry scores): every stock at the threshold
            idx = np.where(scores.composite >= self.buy_threshold)[0]
            targets = {scores.codes[i]: self.max_stock_weight for i in idx}
        factor_of = {c: i for i, c in enumerate(scores.codes)}
        for code in sorted(targets, key=lambda c: (-comp[c], c)):
            if code in self.holdings:
                continue
            px = close.get(code)
            if px is None or not np.isfinite(px) or px <= 0:
                continue
            i = factor_of[code]
            tick = 0.001 if ashare.board_of_code(code) == ashare.BOARD_ETF else 0.01
            px = float(round_to_tick(px, tick))
            tp, sl = exit_prices(px, self.take_profit_pct, self.stop_loss_pct, tick)
            details = {f: round(float(getattr(scores, f)[i]), 3) for f in FACTORS}
            details["weight"] = round(float(targets[code]), 4)
            reason = "综合评分 {:.2f} >= {:.1f} (行业 {:.1f}, 估值 {:.1f}, 技术 {:.1f}, 筹码 {:.1f})".format(
                comp[code], self.buy_threshold, details["industry"], details["valuation"],
                details["technical"], details["chip"])
            out.append(self._signal(ACTION_BUY, "entry", code, trade_date, ts_ms, px,
                                    self._quantity(code, px, targets[code]), tp, sl, comp[code], reason, details))
        return out

    def _sell(self, code, price, score, trade_date, ts_ms, kind, reason):
        self.pending_exits.add(code)
        h = self.holdings.get(code, {})
        details = {"entry_price": h.get("entry_price", 0.0), "entry_score": h.get("entry_score", 0.0)}
        return self._signal(ACTION_SELL, kind, code, trade_date, ts_ms, price, h.get("qty", 0),
                            h.get("take_profit", 0.0), h.get("stop_loss", 0.0), score, reason, details)

    def _exit_checks(self, code, price, score, trade_date, ts_ms):
        if code in self.pending_exits:
            return []
        h = self.holdings[code]
        if price is not None and np.isfinite(price):
            if h["stop_loss"] > 0 and price <= h["stop_loss"]:
                return [self._sell(code, price, score or 0.0, trade_date, ts_ms, "stop_loss",
                                   "止损: {:.3f} <= {:.3f}".format(price, h["stop_loss"]))]
            if h["take_profit"] > 0 and price >= h["take_profit"]:
                return [self._sell(code, price, score or 0.0, trade_date, ts_ms, "take_profit",
                                   "止盈: {:.3f} >= {:.3f}".format(price, h["take_profit"]))]
        if score is not None:
            if score < self.sell_threshold:
                return [self._sell(code, price or 0.0, score, trade_date, ts_ms, "decay",
                                   f"评分衰减: {score:.2f} < {self.sell_threshold:.1f}")]
            if score <= h["entry_score"] - self.decay_drop:
                return [self._sell(code, price or 0.0, score, trade_date, ts_ms, "decay",
                                   "评分衰减: {:.2f}, entry {:.2f}".format(score, h["entry_score"]))]
        return []

    def on_prices(self, trade_date, ts_ms, prices):
        """Intraday exits: {code: last price} -> sell Signals for holdings at their stop or target."""
        out = []
        for code in sorted(self.holdings):
            if code in prices:
                out.extend(self._exit_checks(code, float(prices[code]), None, trade_date, ts_ms))
        return out

    def cancel_exit(self, code):
        """The exit order for `code` ended without selling everything: allow a new exit signal."""
        self.pending_exits.discard(code)

    def on_fill(self, fill, signal=None):
        """Track holdings from fills; a buy fill uses its signal's TP/SL (or the default percentages)."""
        if fill.side == ACTION_BUY:
            h = self.holdings.get(fill.code)
            if h is None:
                tick = 0.001 if ashare.board_of_code(fill.code) == ashare.BOARD_ETF else 0.01
                tp, sl = exit_prices(fill.price, self.take_profit_pct, self.stop_loss_pct, tick)
                if signal is not None and signal.take_profit > 0:
                    tp, sl = signal.take_profit, signal.stop_loss
                score = signal.score if signal is not None else self.buy_threshold
                self.holdings[fill.code] = {"qty": int(fill.quantity), "entry_price": float(fill.price),
                                            "entry_score": float(score), "take_profit": float(tp),
                                            "stop_loss": float(sl)}
            else:
                h["qty"] += int(fill.quantity)
        elif fill.side == ACTION_SELL and fill.code in self.holdings:
            h = self.holdings[fill.code]
            h["qty"] -= int(fill.quantity)
            if h["qty"] <= 0:
                del self.holdings[fill.code]
                self.pending_exits.discard(fill.code)
