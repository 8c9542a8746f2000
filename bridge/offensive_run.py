"""Run the offensive and stable layers once (after the close) and record the results in signals_db.

Data come from xtdata (miniQMT, or the sim after sim.install()) or from the store's daily_quote (filled by
`python -m bridge refdata update`); fundamentals (EPS, payout) from finance_data. Scores and rules are
qmt_strategies.offensive / .stable; this module only gathers arrays and writes rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from loguru import logger

from qmt_strategies import offensive as off
from qmt_strategies import sector_flow as sf
from qmt_strategies.stable import StableLayerMonitor
from qmt_strategies.types import ACTION_ALERT

SH = ZoneInfo("Asia/Shanghai")
BOARD_SECTORS_PREFIX = "SW1"   # QMT's (and the sim's) Shenwan level-1 industry sectors


@dataclass
class Universe:
    """Per-stock arrays aligned with `codes`; bars are [stocks x days] (oldest first)."""

    codes: list[str]
    industries: list[str | None]
    dates: list[dt.date]
    bars: dict[str, np.ndarray]          # open, high, low, close, volume (shares), amount
    pe: np.ndarray
    pb: np.ndarray
    float_shares: np.ndarray | None


def _matrix(frames: dict[str, pd.DataFrame], codes: list[str], fields: list[str]) -> tuple[list, dict]:
    index = sorted(set().union(*[set(f.index) for f in frames.values()])) if frames else []
    out = {f: np.full((len(codes), len(index)), np.nan) for f in fields}
    for i, c in enumerate(codes):
        df = frames.get(c)
        if df is None or not len(df):
            continue
        df = df.reindex(index)
        for f in fields:
            out[f][i] = df[f].to_numpy(float)
    return index, out


def universe_from_xtdata(xtdata, days: int = 250, eps: dict[str, float] | None = None) -> Universe:
    """All A shares with `days` daily bars, SW1 industries and float shares from xtdata."""
    codes = sorted(xtdata.get_stock_list_in_sector("沪深A股"))
    industry_of: dict[str, str] = {}
    for sector in xtdata.get_sector_list():
        if sector.startswith(BOARD_SECTORS_PREFIX):
            for c in xtdata.get_stock_list_in_sector(sector):
                industry_of[c] = sector[len(BOARD_SECTORS_PREFIX):]
    fields = ["open", "high", "low", "close", "volume", "amount"]
    frames = xtdata.get_market_data_ex(fields, codes, period="1d", count=days, dividend_type="none")
    index, bars = _matrix(frames, codes, fields)
    bars["volume"] = bars["volume"] * 100           # xtdata daily volume is in lots
    details = xtdata.get_instrument_detail_list(codes)
    fs = np.array([float((details.get(c) or {}).get("FloatVolume") or np.nan) for c in codes])
    return Universe(codes, [industry_of.get(c) for c in codes],
                    [dt.datetime.strptime(str(i)[:8], "%Y%m%d").date() for i in index], bars,
                    _pe_from_eps(codes, bars["close"], eps or {}), np.full(len(codes), np.nan), fs)


def universe_from_store(store, days: int = 250, min_days: int = 60) -> Universe:
    """Stocks with at least `min_days` stored bars (daily_quote) and their stored industries."""
    rows = store.query("SELECT q.code, q.trade_date, q.open, q.high, q.low, q.close, q.volume, q.amount "
                       "FROM daily_quote q JOIN stock_info s ON s.code = q.code ORDER BY q.code, q.trade_date")
    df = pd.DataFrame(rows, columns=["code", "trade_date", "open", "high", "low", "close", "volume", "amount"])
    counts = df.groupby("code").size()
    codes = sorted(counts[counts >= min_days].index)
    df = df[df["code"].isin(codes)]
    frames = {c: g.set_index("trade_date").iloc[-days:] for c, g in df.groupby("code")}
    fields = ["open", "high", "low", "close", "volume", "amount"]
    index, bars = _matrix(frames, codes, fields)
    inds = dict(store.query("SELECT code, industry_sw1 FROM stock_info"))
    return Universe(codes, [inds.get(c) for c in codes], [dt.date.fromisoformat(str(d)[:10]) for d in index], bars,
                    _pe_from_eps(codes, bars["close"], _latest_eps_ttm(store)), np.full(len(codes), np.nan), None)


def _latest_eps_ttm(store) -> dict[str, float]:
    """EPS-TTM per code from stored year-to-date EPS: last annual + latest YTD - same YTD a year earlier."""
    rows = store.query("SELECT code, report_period, eps FROM finance_data WHERE eps IS NOT NULL ORDER BY code, report_period")
    by: dict[str, dict[dt.date, float]] = {}
    for c, p, e in rows:
        by.setdefault(c, {})[dt.date.fromisoformat(str(p)[:10])] = float(e)
    out = {}
    for c, m in by.items():
        last = max(m)
        if last.month == 12:
            out[c] = m[last]
            continue
        annual = dt.date(last.year - 1, 12, 31)
        prior = dt.date(last.year - 1, last.month, last.day)
        if annual in m and prior in m:
            out[c] = m[annual] + m[last] - m[prior]
    return out


def _pe_from_eps(codes, close, eps: dict[str, float]) -> np.ndarray:
    last = np.array([row[np.isfinite(row)][-1] if np.isfinite(row).any() else np.nan for row in close])
    e = np.array([eps.get(c, np.nan) for c in codes])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(e) & (e != 0), last / e, np.nan)


def industry_scores_from_bars(u: Universe) -> dict[str, float]:
    """Industry flow score 0..10 from constituents' last bar: Chaikin money flow summed per industry,
    its share of turnover, and the average change (used when no sector-ETF ranking is available)."""
    c = u.bars["close"]
    flow = sf.chaikin_flow(u.bars["amount"][:, -1], u.bars["high"][:, -1], u.bars["low"][:, -1], c[:, -1])
    chg = (c[:, -1] / c[:, -2] - 1.0) * 100.0
    names = sorted({i for i in u.industries if i})
    if not names:
        return {}
    g = np.array([names.index(i) if i else -1 for i in u.industries])
    ok = (g >= 0) & np.isfinite(flow) & np.isfinite(chg)
    tot_flow = np.bincount(g[ok], weights=flow[ok], minlength=len(names))
    tot_amt = np.bincount(g[ok], weights=u.bars["amount"][ok, -1], minlength=len(names))
    b = sf.breadth([u.industries[i] for i in range(len(g))], chg, np.ones(len(g)))
    avg_chg = dict(zip(b.sector, b.avg_change_pct))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tot_amt > 0, tot_flow / tot_amt, 0.0)
    score = off.industry_flow_score(tot_flow, ratio, np.array([avg_chg.get(n, 0.0) for n in names]))
    return dict(zip(names, (float(s) for s in score)))


def industry_scores_from_store(store, day: dt.date, industries: list[str | None]) -> dict[str, float] | None:
    """Industry scores 0..10 from stored money flow of `day` (or the latest day before it): the industry
    ranking (scope 'industry', main-force net inflow ranked), completed by the sector-ETF ranking
    (scope 'sector_etf'); None when they cover less than half of the universe's industries."""
    wanted = {i for i in industries if i}
    if not wanted:
        return None
    got = store.query("SELECT MAX(trade_date) FROM funds_flow WHERE scope IN ('industry', 'sector_etf') "
                      "AND trade_date <= ?", (day.isoformat(),))
    if not got or not got[0][0]:
        return None
    last = str(got[0][0])[:10]
    scores: dict[str, float] = {}
    for scope in ("industry", "sector_etf"):
        rows = store.query("SELECT subject, main_net_inflow FROM funds_flow WHERE scope=? AND trade_date=? "
                           "AND main_net_inflow IS NOT NULL", (scope, last))
        if rows:
            s = off.industry_flow_score(np.array([float(v) for _, v in rows]))
            for (name, _), v in zip(rows, s):
                scores.setdefault(name, float(v))
    covered = len(wanted & set(scores)) / len(wanted)
    return scores if covered >= 0.5 else None


def record_signal(store, sig, layer: str) -> bool:
    """Store one qmt_strategies Signal in `signals` (idempotent on signal_id); True if new."""
    kind = sig.signal_id.rsplit(":", 1)[-1] if sig.action != ACTION_ALERT else sig.details.get("rule", "alert")
    fields = {"layer": layer, "reason": sig.reason[:1000], "composite_score": sig.score}
    if sig.action != ACTION_ALERT:
        fields.update(factor_scores=sig.details, price=sig.price or None, take_profit=sig.take_profit or None,
                      stop_loss=sig.stop_loss or None)
    else:
        fields["factor_scores"] = sig.details
    return store.add_signal(strategy=sig.strategy, code=sig.code, ts=sig.ts_ms, action=sig.action, kind=kind,
                            signal_id=sig.signal_id, **fields)[1]


def run_offensive(store, u: Universe, strategy: off.OffensiveLayerStrategy, trade_date: dt.date,
                  industry_scores: dict[str, float] | None = None, prev_trade_date: dt.date | None = None) -> list:
    """Score the universe, produce buy/sell signals with TP/SL, record them; returns the signals."""
    ind_scores = industry_scores if industry_scores is not None else industry_scores_from_bars(u)
    scores = strategy.scores(u.codes, u.bars, u.pe, u.pb, u.industries, ind_scores, u.float_shares)
    ts_ms = _close_ms(trade_date)
    last = u.bars["close"][:, -1]
    sigs = strategy.on_day(int(trade_date.strftime("%Y%m%d")), ts_ms, scores, last, u.industries, ind_scores,
                           int(prev_trade_date.strftime("%Y%m%d")) if prev_trade_date else None)
    new = sum(record_signal(store, s, "offensive") for s in sigs)
    logger.info("offensive run date={} universe={} signals={} new={} max_score={:.2f}", trade_date, len(u.codes),
                len(sigs), new, float(np.nanmax(scores.composite)) if len(u.codes) else float("nan"))
    return sigs


def stable_inputs(store, code: str, close: np.ndarray | None, eps_ttm: float | None) -> dict:
    """Inputs of StableLayerMonitor.check for one code from finance_data (+ a PE series from prices)."""
    fin = store.query("SELECT report_period, eps, dividend_payout FROM finance_data WHERE code=? ORDER BY report_period",
                      (code,))
    payouts = [pay for period, _, pay in fin if pay is not None and str(period)[5:10] == "12-31"]
    periods = [str(p)[:10] for p, e, _ in fin if e is not None]
    eps = [float(e) for _, e, _ in fin if e is not None]
    pe = []
    if close is not None and eps_ttm:
        pe = list(close[np.isfinite(close)] / eps_ttm)
    return {"payout_pcts": payouts, "pe_series": pe, "report_periods": periods, "cumulative_profit": eps}


def run_stable(store, monitor: StableLayerMonitor, codes: list[str], trade_date: dt.date,
               u: Universe | None = None) -> list:
    """Check the watched codes, record alerts in alerts_log and signals (action 'alert'); returns them."""
    eps_ttm = _latest_eps_ttm(store)
    pos = {c: i for i, c in enumerate(u.codes)} if u is not None else {}
    data = {c: stable_inputs(store, c, u.bars["close"][pos[c]] if c in pos else None, eps_ttm.get(c)) for c in codes}
    alerts = monitor.check_all(int(trade_date.strftime("%Y%m%d")), _close_ms(trade_date), data)
    for a in alerts:
        record_signal(store, a, "stable")
        store.add_alert(a.reason[:1000], ts=a.ts_ms, level="critical" if a.risk == "高" else "warning",
                        source="stable", code=a.code, kind=a.details["rule"], alert_id=a.signal_id)
    logger.info("stable run date={} watched={} alerts={}", trade_date, len(codes), len(alerts))
    return alerts


def _close_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=SH).timestamp() * 1000)
