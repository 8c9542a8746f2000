"""Fill signals_db with reference data, fetching only what is missing (progress bars, polite pacing).

    store = Store.open("data/signals.db")
    update_all(store, only={"stocks", "bars"}, codes=["600000.SH"])

With QMT present (`from xtquant import xtdata` works and answers), daily bars, financials and ETF baskets come
from xtdata (bridge/refdata/xt.py); everything else from akshare.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import pandas as pd
from loguru import logger
from tqdm import tqdm

from bridge.refdata import loaders as L
from bridge.refdata import xt
from bridge.refdata.source import SourceError
from signals_db.values import SPECS, InvalidRow

PARTS = ("stocks", "industries", "bars", "etfs", "holdings", "flows", "financials", "dividends", "margin")


def _clean(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    return v


def _rows(df: pd.DataFrame, cols: dict[str, str], **const) -> list[dict]:
    out = []
    for rec in df[list(cols)].itertuples(index=False, name=None):
        row = {cols[k]: _clean(v) for k, v in zip(cols, rec)}
        row.update(const)
        out.append(row)
    return out


def _merge(store, table: str, keys: tuple[str, ...], rows: list[dict]) -> list[dict]:
    """Fill columns a partial row leaves out from the stored row, so an upsert never blanks other loaders' data."""
    if not rows:
        return rows
    cols = [c for c in SPECS[table].columns if c not in ("id", "recorded_at")]
    stored = {}
    first = keys[0]
    wanted = sorted({str(r[first]) for r in rows})
    for i in range(0, len(wanted), 500):
        part = wanted[i:i + 500]
        got = store.query(f"SELECT {', '.join(cols)} FROM {table} WHERE {first} IN ({', '.join('?' * len(part))})",
                          tuple(part))
        for rec in got:
            d = dict(zip(cols, rec))
            stored[tuple(str(d[k])[:10] if k.endswith("date") or k == "report_period" else d[k] for k in keys)] = d
    out = []
    for r in rows:
        k = tuple(str(r[k])[:10] if k.endswith("date") or k == "report_period" else r[k] for k in keys)
        old = stored.get(k)
        out.append({**{c: v for c, v in (old or {}).items() if c not in r}, **r} if old else r)
    return out


def put(store, table: str, rows: list[dict]) -> int:
    """Upsert reference rows, leaving out (and logging) rows signals_db refuses, e.g. a code it does not know."""
    good, bad = [], []
    for r in rows:
        try:
            SPECS[table].params(r, "")
            good.append(r)
        except InvalidRow as exc:
            bad.append(str(exc))
    if bad:
        logger.warning("refdata rows skipped table={} skipped={} first={}", table, len(bad), bad[0])
    return store.upsert_reference(table, good) if good else 0


def _progress(items, desc: str, quiet: bool):
    return tqdm(items, desc=desc, unit="item", disable=quiet, leave=False)


def update_stocks(store, quiet: bool = False) -> int:
    """stock_info: code, name, ST flag for every A share (keeps the stored industry)."""
    df = L.load_stock_list()
    rows = _rows(df, {"code": "code", "name": "name", "is_st": "is_st"})
    return put(store, "stock_info", _merge(store, "stock_info", ("code",), rows))


def update_industries(store, refresh: bool = False, quiet: bool = False) -> int:
    """Industry membership (东方财富 industry boards) into stock_info.industry_sw1, for stocks that lack it."""
    missing = {c for (c,) in store.query("SELECT code FROM stock_info WHERE industry_sw1 IS NULL")}
    if not missing and not refresh:
        return 0
    boards = L.load_industry_boards()
    names = dict(store.query("SELECT code, name FROM stock_info"))
    n = 0
    for industry in _progress(list(boards["industry"]), "industries", quiet):
        members = L.load_industry_members(industry)
        rows = [{"code": c, "name": names.get(c) or nm, "industry_sw1": industry}
                for c, nm in zip(members["code"], members["name"]) if refresh or c in missing or c not in names]
        n += put(store, "stock_info", _merge(store, "stock_info", ("code",), rows))
    return n


def _last_dates(store, table: str = "daily_quote") -> dict[str, dt.date]:
    return {c: dt.date.fromisoformat(str(d)[:10]) for c, d in
            store.query(f"SELECT code, MAX(trade_date) FROM {table} GROUP BY code")}


BAR_COLS = {"code": "code", "trade_date": "trade_date", "open": "open", "high": "high", "low": "low",
            "close": "close", "pre_close": "pre_close", "volume": "volume", "amount": "amount"}


def update_bars(store, codes: Iterable[str], days: int = 250, today: dt.date | None = None,
                quiet: bool = False, etf: bool = False) -> int:
    """daily_quote: bars after the last stored date (first run: the last `days` calendar-days x 1.5)."""
    today = today or dt.date.today()
    last = _last_dates(store)
    codes = list(codes)
    todo = [(c, last[c] + dt.timedelta(days=1) if c in last else today - dt.timedelta(days=int(days * 1.5)))
            for c in codes]
    todo = [(c, s) for c, s in todo if s <= today]
    if not todo:
        return 0
    n = 0
    if xt.available():
        frames = xt.daily_bars([c for c, _ in todo], min(s for _, s in todo), today)
        for c, s in todo:
            df = frames.get(c)
            if df is not None:
                n += put(store, "daily_quote", _rows(df[df["trade_date"] >= s], BAR_COLS))
        return n
    for code, start in _progress(todo, "bars", quiet):
        df = L.load_etf_bars(code, start, today) if etf else L.load_daily_bars(code, start, today)
        n += put(store, "daily_quote", _rows(df, BAR_COLS))
    return n


def update_etfs(store, quiet: bool = False) -> tuple[pd.DataFrame, int]:
    """etf_info (code, name) for every exchange ETF; returns (today's ETF spot table, rows changed)."""
    df = L.load_etf_spot()
    rows = _merge(store, "etf_info", ("code",), _rows(df, {"code": "code", "name": "name"}))
    return df, put(store, "etf_info", rows)


def update_holdings(store, etf_codes: Iterable[str], year: int | str = "", quiet: bool = False) -> int:
    """etf_holdings: QMT baskets via xtdata when present, else disclosed holdings (quarterly reports)."""
    n = 0
    for code in _progress(list(etf_codes), "holdings", quiet):
        df, source = (xt.etf_basket(code), "basket") if xt.available() else (None, "")
        if df is None or df.empty:        # no QMT, or no creation basket for this ETF today
            df, source = L.load_etf_holdings(code, year), "disclosed"
        n += put(store, "etf_holdings", _rows(df, {
            "etf_code": "etf_code", "as_of_date": "as_of_date", "component_code": "component_code",
            "component_name": "component_name", "weight": "weight", "shares": "shares"}, source=source))
    return n


def update_flows(store, codes: Iterable[str] = (), today: dt.date | None = None, quiet: bool = False) -> int:
    """funds_flow: industry ranking today (scope 'industry') and per-stock daily main-force flow ('stock')."""
    today = today or dt.date.today()
    df = L.load_sector_flow()
    n = put(store, "funds_flow", _rows(df, {"industry": "subject", "main_net_inflow": "main_net_inflow"},
                                                   scope="industry", trade_date=today))
    have = {(s, str(d)[:10]) for s, d in store.query("SELECT subject, trade_date FROM funds_flow WHERE scope='stock'")}
    for code in _progress(list(codes), "stock flows", quiet):
        f = L.load_stock_flow(code)
        f = f[[(code, d.isoformat()) not in have for d in f["trade_date"]]]
        n += put(store, "funds_flow", _rows(f, {"code": "subject", "trade_date": "trade_date",
                                                            "main_net_inflow": "main_net_inflow"}, scope="stock"))
    return n


def update_margin(store, day: dt.date, quiet: bool = False) -> int:
    """funds_flow scope 'margin': financing balance per stock on `day` (skipped when already stored)."""
    if store.query("SELECT 1 FROM funds_flow WHERE scope='margin' AND trade_date=? LIMIT 1", (day.isoformat(),)):
        return 0
    df = L.load_margin(day)
    return put(store, "funds_flow", _rows(df, {"code": "subject", "trade_date": "trade_date",
                                                           "margin_balance": "margin_balance"}, scope="margin"))


def update_financials(store, codes: Iterable[str], quiet: bool = False) -> int:
    """finance_data roe/eps per report period, for codes without the latest expected period."""
    latest = _latest_report_period(dt.date.today())
    have = {c: str(p)[:10] for c, p in store.query(
        "SELECT code, MAX(report_period) FROM finance_data WHERE eps IS NOT NULL GROUP BY code")}
    n = 0
    for code in _progress([c for c in codes if have.get(c, "") < latest.isoformat()], "financials", quiet):
        df = xt.financials(code) if xt.available() else None
        if df is None or df.empty:        # no QMT, or QMT has no statements for it
            df = L.load_financials(code)
        rows = _rows(df, {"code": "code", "report_period": "report_period", "roe": "roe", "eps": "eps"})
        n += put(store, "finance_data", _merge(store, "finance_data", ("code", "report_period"), rows))
    return n


def update_dividends(store, report_date: dt.date, quiet: bool = False) -> int:
    """finance_data dividend_payout / dividend_yield for one report period (merged with stored roe/eps);
    skipped when that period's dividends are already stored."""
    if store.query("SELECT 1 FROM finance_data WHERE report_period=? AND dividend_payout IS NOT NULL LIMIT 1",
                   (report_date.isoformat(),)):
        return 0
    df = L.load_dividends(report_date)
    rows = _rows(df, {"code": "code", "report_period": "report_period", "payout_pct": "dividend_payout",
                      "dividend_yield": "dividend_yield"})
    return put(store, "finance_data", _merge(store, "finance_data", ("code", "report_period"), rows))


def _latest_report_period(today: dt.date) -> dt.date:
    """The newest quarter end whose report is normally out (reports lag about one month, annual four)."""
    for y, m, d in ((today.year, 9, 30), (today.year, 6, 30), (today.year, 3, 31), (today.year - 1, 12, 31),
                    (today.year - 1, 9, 30)):
        end = dt.date(y, m, d)
        if today >= end + dt.timedelta(days=45 if m != 12 else 120):
            return end
    return dt.date(today.year - 1, 9, 30)


def update_all(store, only: Iterable[str] | None = None, codes: Iterable[str] | None = None,
               etf_codes: Iterable[str] = (), today: dt.date | None = None, quiet: bool = False) -> dict[str, object]:
    """Run the chosen parts in order; returns {part: rows changed or the error sentence}."""
    parts = [p for p in PARTS if only is None or p in set(only)]
    today = today or dt.date.today()
    result: dict[str, object] = {}
    for part in parts:
        try:
            result[part] = _run(store, part, codes, list(etf_codes), today, quiet)
        except SourceError as exc:
            logger.warning("refdata part failed part={} error={}", part, exc)
            result[part] = str(exc)
        except InvalidRow as exc:       # a whole batch refused (a bug, since put() filters rows): say so, go on
            logger.warning("refdata rows rejected part={} error={}", part, exc)
            result[part] = f"rows rejected by signals_db, nothing of this batch stored: {exc}"
    return result


def _codes(store, codes):
    if codes is not None:
        return list(codes)
    return [c for (c,) in store.query("SELECT code FROM stock_info ORDER BY code")]


def _run(store, part, codes, etf_codes, today, quiet):
    if part == "stocks":
        return update_stocks(store, quiet)
    if part == "industries":
        return update_industries(store, quiet=quiet)
    if part == "bars":
        return update_bars(store, _codes(store, codes), today=today, quiet=quiet) + (
            update_bars(store, etf_codes, today=today, quiet=quiet, etf=True) if etf_codes else 0)
    if part == "etfs":
        return update_etfs(store, quiet)[1]
    if part == "holdings":
        return update_holdings(store, etf_codes, quiet=quiet)
    if part == "flows":
        return update_flows(store, codes or (), today, quiet)
    if part == "financials":
        return update_financials(store, _codes(store, codes), quiet)
    if part == "dividends":
        # two annual periods: the payout rule looks at two periods in a row
        return sum(update_dividends(store, dt.date(today.year - k, 12, 31), quiet) for k in (2, 1))
    if part == "margin":
        return update_margin(store, today - dt.timedelta(days=1), quiet)
    raise ValueError(f"unknown refdata part {part!r}; choose from {', '.join(PARTS)}")
