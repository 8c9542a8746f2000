"""Reference-data loaders: akshare tables -> normalised DataFrames (QMT codes, shares, CNY, dates).

Each `load_*` returns a DataFrame with our column names; each `update_*` in bridge/refdata/update.py stores
them through signals_db's Store, fetching only what is missing.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from loguru import logger

from bridge.refdata.source import SourceChanged, fetch


def qmt_code(code: str) -> str:
    """'600000' -> '600000.SH', '000001' -> '000001.SZ', '430047' -> '430047.BJ'; ETFs 51/56/58 SH, 15/16 SZ;
    a five-digit Hong Kong code (in QDII / 港股通 fund holdings) -> '00700.HK'."""
    raw = str(code).strip().split(".")[0]
    if len(raw) == 5 and raw.isdigit():
        return f"{raw}.HK"
    c = raw.zfill(6)
    if c.startswith(("4", "8", "92")):
        return f"{c}.BJ"
    if c.startswith(("5", "6", "9")):
        return f"{c}.SH"
    return f"{c}.SZ"


def num(s: pd.Series) -> pd.Series:
    """Numbers from akshare cells (text, '-', '%', None) -> float with NaN."""
    if s.dtype.kind in "fi":
        return s.astype(float)
    return pd.to_numeric(s.astype(str).str.replace("%", "", regex=False).str.replace(",", "", regex=False)
                         .replace({"-": None, "--": None, "nan": None, "None": None, "": None}), errors="coerce")


def dates(s: pd.Series) -> pd.Series:
    """Date cells ('2024-01-02', '20240102', Timestamp) -> datetime.date."""
    return pd.to_datetime(s.astype(str).str.slice(0, 10), errors="coerce", format="mixed").dt.date


# ------------------------------------------------------------------ stocks

def load_stock_list() -> pd.DataFrame:
    """All A shares with today's quote: code, name, is_st, close, change_pct, pe, pb, float_mv, amount."""
    df = fetch("stock_zh_a_spot_em")
    out = pd.DataFrame({
        "code": df["代码"].map(qmt_code), "name": df["名称"].astype(str),
        "close": num(df["最新价"]), "change_pct": num(df["涨跌幅"]), "amount": num(df["成交额"]),
        "volume_ratio": num(df["量比"]), "turnover_pct": num(df["换手率"]),
        "pe": num(df["市盈率-动态"]), "pb": num(df["市净率"]), "total_mv": num(df["总市值"]),
        "float_mv": num(df["流通市值"]),
    })
    out["is_st"] = out["name"].str.contains("ST", regex=False)
    return out


def load_industry_boards() -> pd.DataFrame:
    """Industry boards (东方财富行业): name, board_code, change_pct, up/down counts."""
    df = fetch("stock_board_industry_name_em")
    return pd.DataFrame({"industry": df["板块名称"].astype(str), "board_code": df["板块代码"].astype(str),
                         "change_pct": num(df["涨跌幅"]), "up": num(df["上涨家数"]), "down": num(df["下跌家数"])})


def load_industry_members(industry: str) -> pd.DataFrame:
    """Constituents of one industry board: code, name, industry, change_pct, turnover, pe, pb."""
    df = fetch("stock_board_industry_cons_em", symbol=industry)
    return pd.DataFrame({"code": df["代码"].map(qmt_code), "name": df["名称"].astype(str), "industry": industry,
                         "change_pct": num(df["涨跌幅"]), "turnover_pct": num(df["换手率"]),
                         "pe": num(df["市盈率-动态"]), "pb": num(df["市净率"])})


def load_daily_bars(code: str, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Unadjusted daily bars of one stock: trade_date, open, high, low, close, pre_close, volume (shares), amount."""
    kw = {"symbol": code.split(".")[0], "period": "daily", "adjust": ""}
    if start:
        kw["start_date"] = start.strftime("%Y%m%d")
    if end:
        kw["end_date"] = end.strftime("%Y%m%d")
    return _bars(fetch("stock_zh_a_hist", **kw), code, start, end)


def _bars(df: pd.DataFrame, code: str, start, end) -> pd.DataFrame:
    close = num(df["收盘"])
    out = pd.DataFrame({"code": code, "trade_date": dates(df["日期"]), "open": num(df["开盘"]),
                        "high": num(df["最高"]), "low": num(df["最低"]), "close": close,
                        "pre_close": (close - num(df["涨跌额"])).round(3),
                        "volume": (num(df["成交量"]) * 100).round(), "amount": num(df["成交额"])})
    out = out.dropna(subset=["trade_date"])
    if start:
        out = out[out["trade_date"] >= start]
    if end:
        out = out[out["trade_date"] <= end]
    return out.sort_values("trade_date").reset_index(drop=True)


# ------------------------------------------------------------------ ETFs

def load_etf_spot() -> pd.DataFrame:
    """All exchange ETFs now: code, name, close, change_pct, amount, open/high/low, prev_close, main_net_inflow."""
    df = fetch("fund_etf_spot_em")
    return pd.DataFrame({
        "code": df["代码"].map(qmt_code), "name": df["名称"].astype(str), "close": num(df["最新价"]),
        "change_pct": num(df["涨跌幅"]), "amount": num(df["成交额"]), "volume": num(df["成交量"]) * 100,
        "open": num(df["开盘价"]), "high": num(df["最高价"]), "low": num(df["最低价"]), "prev_close": num(df["昨收"]),
        "turnover_pct": num(df["换手率"]), "volume_ratio": num(df["量比"]),
        "main_net_inflow": num(df["主力净流入-净额"]), "trade_date": dates(df["数据日期"]),
    })


def load_etf_bars(code: str, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Daily bars of one ETF (same columns as load_daily_bars)."""
    kw = {"symbol": code.split(".")[0], "period": "daily", "adjust": ""}
    if start:
        kw["start_date"] = start.strftime("%Y%m%d")
    if end:
        kw["end_date"] = end.strftime("%Y%m%d")
    return _bars(fetch("fund_etf_hist_em", **kw), code, start, end)


_QUARTER = re.compile(r"(\d{4})年(\d)季度")


def load_etf_holdings(code: str, year: int | str = "") -> pd.DataFrame:
    """Disclosed stock holdings of an ETF (latest quarter of `year`): component, weight 0..1, shares, as_of_date."""
    df = fetch("fund_portfolio_hold_em", symbol=code.split(".")[0], date=str(year))
    if df.empty:
        return pd.DataFrame(columns=["etf_code", "as_of_date", "component_code", "component_name", "weight", "shares"])
    q = df["季度"].astype(str).str.extract(_QUARTER)
    if q.isna().any().any():
        raise SourceChanged(f"akshare.fund_portfolio_hold_em 季度 values like {df['季度'].iloc[0]!r} are not "
                            f"'YYYY年N季度...'; the source changed its format: upgrade akshare")
    ends = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
    as_of = [dt.date(int(y), *ends[int(n)]) for y, n in zip(q[0], q[1])]
    out = pd.DataFrame({"etf_code": code, "as_of_date": as_of, "component_code": df["股票代码"].map(qmt_code),
                        "component_name": df["股票名称"].astype(str), "weight": num(df["占净值比例"]) / 100.0,
                        "shares": (num(df["持股数"]) * 10000).round()})
    latest = max(as_of)
    return out[out["as_of_date"] == latest].reset_index(drop=True)


# ------------------------------------------------------------------ indexes

LG_INDEXES = {"上证50": "000016", "沪深300": "000300", "上证380": "000009", "创业板50": "399673", "中证500": "000905",
              "上证180": "000010", "深证红利": "399324", "深证100": "399330", "中证1000": "000852",
              "上证红利": "000015", "中证100": "000903", "中证800": "000906"}


def load_index_list() -> pd.DataFrame:
    """Index codes and names (index_code 6 digits, name)."""
    df = fetch("index_stock_info")
    return pd.DataFrame({"index_code": df["index_code"].astype(str).str.zfill(6),
                         "name": df["display_name"].astype(str)})


def load_index_pe(index_code: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """PE-TTM history of an index: CSI (stock_zh_index_hist_csindex), falling back to legulegu for its 12 indexes.

    Columns: index_code, trade_date, pe, source. Empty when neither source covers the index.
    """
    from bridge.refdata.source import SourceError

    code6 = index_code.split(".")[0]
    try:
        df = fetch("stock_zh_index_hist_csindex", symbol=code6, start_date=start.strftime("%Y%m%d"),
                   end_date=end.strftime("%Y%m%d"))
        out = pd.DataFrame({"index_code": code6, "trade_date": dates(df["日期"]), "pe": num(df["滚动市盈率"]),
                            "source": "csindex"}).dropna()
        if not out.empty:
            return out[(out["trade_date"] >= start) & (out["trade_date"] <= end)].reset_index(drop=True)
    except SourceError as exc:
        if code6 not in LG_INDEXES.values():
            raise
        logger.warning("index PE falls back to legulegu index={} reason={}", code6, exc)
    lg_name = next((n for n, c in LG_INDEXES.items() if c == code6), None)
    if lg_name is None:
        return pd.DataFrame(columns=["index_code", "trade_date", "pe", "source"])
    df = fetch("stock_index_pe_lg", symbol=lg_name)
    out = pd.DataFrame({"index_code": code6, "trade_date": dates(df["日期"]), "pe": num(df["滚动市盈率"]),
                        "source": "legulegu"}).dropna()
    return out[(out["trade_date"] >= start) & (out["trade_date"] <= end)].reset_index(drop=True)


# ------------------------------------------------------------------ money flow, margin

def load_sector_flow(indicator: str = "今日") -> pd.DataFrame:
    """Industry money-flow ranking today: industry, change_pct, main_net_inflow (CNY), main_net_ratio (%)."""
    df = fetch("stock_sector_fund_flow_rank", indicator=indicator, sector_type="行业资金流")
    return pd.DataFrame({"industry": df["名称"].astype(str), "change_pct": num(df["今日涨跌幅"]),
                         "main_net_inflow": num(df["今日主力净流入-净额"]),
                         "main_net_ratio": num(df["今日主力净流入-净占比"])})


def load_stock_flow(code: str) -> pd.DataFrame:
    """Daily main-force net inflow of one stock: trade_date, main_net_inflow, main_net_ratio."""
    market = code.split(".")[1].lower() if "." in code else "sh"
    df = fetch("stock_individual_fund_flow", stock=code.split(".")[0], market=market)
    return pd.DataFrame({"code": code, "trade_date": dates(df["日期"]), "main_net_inflow": num(df["主力净流入-净额"]),
                         "main_net_ratio": num(df["主力净流入-净占比"])}).dropna(subset=["trade_date"])


def load_margin(day: dt.date) -> pd.DataFrame:
    """Margin financing balance per stock on `day` (SSE + SZSE): code, trade_date, margin_balance (CNY)."""
    ymd = day.strftime("%Y%m%d")
    sh = fetch("stock_margin_detail_sse", date=ymd)
    sz = fetch("stock_margin_detail_szse", date=ymd)
    a = pd.DataFrame({"code": sh["标的证券代码"].map(qmt_code), "margin_balance": num(sh["融资余额"])})
    b = pd.DataFrame({"code": sz["证券代码"].map(qmt_code), "margin_balance": num(sz["融资余额"])})
    out = pd.concat([a, b], ignore_index=True)
    out["trade_date"] = day
    return out


# ------------------------------------------------------------------ fundamentals

_FIN_ROWS = {"净资产收益率(ROE)": "roe", "基本每股收益": "eps", "归母净利润": "net_profit"}


def load_financials(code: str) -> pd.DataFrame:
    """Per report period: roe (%), eps (CNY, year-to-date), net_profit (CNY, year-to-date)."""
    df = fetch("stock_financial_abstract", symbol=code.split(".")[0])
    periods = [c for c in df.columns if re.fullmatch(r"\d{8}", str(c))]
    if not periods:
        raise SourceChanged("akshare.stock_financial_abstract returned no YYYYMMDD report columns; "
                            "the source changed its format: upgrade akshare")
    rows = df[df["指标"].isin(list(_FIN_ROWS))].drop_duplicates("指标").set_index("指标")
    missing = [k for k in _FIN_ROWS if k not in rows.index]
    if missing:
        raise SourceChanged(f"akshare.stock_financial_abstract has no row {missing[0]!r}; "
                            f"the source changed its format: upgrade akshare")
    out = pd.DataFrame({"code": code, "report_period": [dt.date(int(p[:4]), int(p[4:6]), int(p[6:])) for p in periods]})
    for title, col in _FIN_ROWS.items():
        out[col] = num(rows.loc[title, periods].reset_index(drop=True))
    return out.sort_values("report_period").reset_index(drop=True)


def load_dividends(report_date: dt.date) -> pd.DataFrame:
    """Cash dividends for a report period: code, report_period, cash_per_share, eps, payout_pct, dividend_yield."""
    df = fetch("stock_fhps_em", date=report_date.strftime("%Y%m%d"))
    cash = num(df["现金分红-现金分红比例"]) / 10.0          # akshare gives CNY per 10 shares
    eps = num(df["每股收益"])
    with np.errstate(divide="ignore", invalid="ignore"):
        payout = np.where(eps > 0, cash.fillna(0.0) / eps * 100.0, np.nan)
    return pd.DataFrame({"code": df["代码"].map(qmt_code), "report_period": report_date, "cash_per_share": cash,
                         "eps": eps, "payout_pct": payout,
                         "dividend_yield": num(df["现金分红-股息率"]) * 100.0})
