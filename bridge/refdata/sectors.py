"""Sector money flow via sector ETFs (data side): today's ETF spot + yesterday's turnover -> ranking -> funds_flow.

The math is qmt_strategies.sector_flow; this module gathers its inputs (akshare or the store) and stores results.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from tqdm import tqdm

from bridge.refdata import loaders as L
from qmt_strategies import sector_flow as sf

SCOPE = "sector_etf"


def _prev_amounts(store, codes: list[str], day: dt.date, quiet: bool) -> dict[str, tuple[dt.date, float]]:
    """{code: (date, amount)} of the last session before `day`: from daily_quote, else fetched and stored."""
    out = {}
    for code in tqdm(codes, desc="previous turnover", disable=quiet, leave=False):
        got = store.query("SELECT trade_date, amount FROM daily_quote WHERE code=? AND trade_date<? "
                          "AND amount IS NOT NULL ORDER BY trade_date DESC LIMIT 1", (code, day.isoformat()))
        if not got:
            bars = L.load_etf_bars(code, day - dt.timedelta(days=14), day - dt.timedelta(days=1))
            if len(bars):
                from bridge.refdata.update import BAR_COLS, _rows, put
                put(store, "daily_quote", _rows(bars, BAR_COLS))
                got = [(bars["trade_date"].iloc[-1], bars["amount"].iloc[-1])]
        if got:
            out[code] = (dt.date.fromisoformat(str(got[0][0])[:10]), float(got[0][1]))
    return out


def _prev_flow_ratio(store, sector: str, prev: tuple[dt.date, float] | None) -> float:
    if prev is None or not prev[1]:
        return float("nan")
    got = store.query("SELECT net_inflow FROM funds_flow WHERE scope=? AND subject=? AND trade_date=?",
                      (SCOPE, sector, prev[0].isoformat()))
    return float(got[0][0]) / prev[1] if got and got[0][0] is not None else float("nan")


def sector_ranking(store, table: list[tuple[str, str]], day: dt.date, quiet: bool = False) -> pd.DataFrame:
    """Ranked DataFrame: rank, code, sector, change_pct, amount, turnover_pct, volume_ratio, net_flow, flow_ratio, score, stars, label."""
    spot = L.load_etf_spot().set_index("code")
    rows = [(c, s) for c, s in table if c in spot.index]
    codes = [c for c, _ in rows]
    trade_day = spot.loc[codes, "trade_date"].dropna()
    day = trade_day.iloc[0] if len(trade_day) else day
    prev = _prev_amounts(store, codes, day, quiet)
    s = spot.loc[codes]
    r = sf.etf_sector_flow(
        change_pct=s["change_pct"].to_numpy(float), amount=s["amount"].to_numpy(float),
        prev_amount=np.array([prev[c][1] if c in prev else np.nan for c in codes]),
        high=s["high"].to_numpy(float), low=s["low"].to_numpy(float), close=s["close"].to_numpy(float),
        main_net_inflow=s["main_net_inflow"].to_numpy(float),
        prev_flow_ratio=np.array([_prev_flow_ratio(store, sec, prev.get(c)) for c, sec in rows]))
    df = pd.DataFrame({"rank": r.rank, "code": codes, "sector": [sec for _, sec in rows], "change_pct": r.change_pct,
                       "amount": r.amount, "turnover_pct": s["turnover_pct"].to_numpy(float),
                       "volume_ratio": r.volume_ratio, "net_flow": r.net_flow,
                       "flow_ratio": r.flow_ratio, "score": r.score, "stars": r.stars, "label": r.label,
                       "trade_date": day})
    return df.sort_values("rank").reset_index(drop=True)


def store_ranking(store, df: pd.DataFrame) -> int:
    """funds_flow rows (scope 'sector_etf', subject = sector) with the estimated net flow."""
    rows = [{"scope": SCOPE, "subject": r.sector, "trade_date": r.trade_date,
             "main_net_inflow": round(float(r.net_flow), 2), "net_inflow": round(float(r.net_flow), 2)}
            for r in df.itertuples(index=False) if np.isfinite(r.net_flow)]
    from bridge.refdata.update import put

    return put(store, "funds_flow", rows)


def industry_scores(df: pd.DataFrame) -> dict[str, float]:
    """{sector: 0..10} for the offensive layer's industry score."""
    return sf.industry_scores_from_flow(df["sector"].tolist(), df["score"].to_numpy(float))


def breadth_table(store) -> pd.DataFrame:
    """Constituent breadth per industry: today's A-share spot grouped by stored industry membership."""
    spot = L.load_stock_list()
    ind = dict(store.query("SELECT code, industry_sw1 FROM stock_info WHERE industry_sw1 IS NOT NULL"))
    b = sf.breadth([ind.get(c) for c in spot["code"]], spot["change_pct"].to_numpy(float),
                   spot["volume_ratio"].to_numpy(float))
    return pd.DataFrame({"sector": b.sector, "count": b.count, "avg_change_pct": b.avg_change_pct,
                         "avg_volume_ratio": b.avg_volume_ratio, "up_share": b.up_share})
