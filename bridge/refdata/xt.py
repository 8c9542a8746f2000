"""With QMT present, bars, financials and ETF baskets come from xtdata (faster, and the broker's own data).

`from xtquant import xtdata` resolves to the real miniQMT client, or to the sim's fake after sim.install().
`available()` is False when xtquant cannot be imported or does not answer, and the loaders use akshare.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import os

import pandas as pd
from loguru import logger

DISABLE_ENV = "QMT_REFDATA_NO_XTDATA"   # set to 1 to always use akshare


def _xtdata():
    try:
        with contextlib.redirect_stdout(io.StringIO()):   # the real wheel prints a banner on import
            from xtquant import xtdata
    except Exception:  # noqa: BLE001 - the real wheel's compiled parts fail to import off Windows
        return None
    return xtdata


def available() -> bool:
    """True when xtdata imports and answers a trading-calendar query (and QMT_REFDATA_NO_XTDATA is unset)."""
    if os.environ.get(DISABLE_ENV):
        return False
    xd = _xtdata()
    if xd is None:
        return False
    try:
        return bool(xd.get_trading_dates("SH", "", "", 1))
    except Exception as exc:  # noqa: BLE001 - not connected: fall back to akshare
        logger.info("xtdata not usable for refdata error={}", type(exc).__name__)
        return False


def daily_bars(codes: list[str], start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    """{code: bars} with the loaders' columns (volume in shares) from xtdata 1d bars, unadjusted."""
    xd = _xtdata()
    s, e = start.strftime("%Y%m%d"), end.strftime("%Y%m%d")
    try:
        xd.download_history_data2(codes, "1d", s, e)
    except Exception as exc:  # noqa: BLE001 - local data may still be there
        logger.info("xtdata download_history_data2 failed error={}", type(exc).__name__)
    data = xd.get_market_data_ex(["open", "high", "low", "close", "volume", "amount", "preClose"], codes,
                                 period="1d", start_time=s, end_time=e, dividend_type="none")
    out = {}
    for code, df in data.items():
        if df is None or len(df) == 0:
            continue
        out[code] = pd.DataFrame({
            "code": code, "trade_date": [dt.datetime.strptime(str(i)[:8], "%Y%m%d").date() for i in df.index],
            "open": df["open"].to_numpy(float), "high": df["high"].to_numpy(float), "low": df["low"].to_numpy(float),
            "close": df["close"].to_numpy(float), "pre_close": df["preClose"].to_numpy(float),
            "volume": df["volume"].to_numpy(float) * 100, "amount": df["amount"].to_numpy(float)})
    return out


def financials(code: str) -> pd.DataFrame:
    """roe / eps per report period from xtdata's PershareIndex table."""
    xd = _xtdata()
    got = xd.get_financial_data([code], ["PershareIndex"], "", "", "report_time").get(code, {})
    df = got.get("PershareIndex")
    if df is None or len(df) == 0:
        return pd.DataFrame(columns=["code", "report_period", "roe", "eps"])
    return pd.DataFrame({"code": code,
                         "report_period": [dt.datetime.strptime(str(t)[:8], "%Y%m%d").date() for t in df["m_timetag"]],
                         "roe": pd.to_numeric(df.get("du_return_on_equity"), errors="coerce"),
                         "eps": pd.to_numeric(df.get("s_fa_eps_basic"), errors="coerce")})


def etf_basket(code: str, today: dt.date | None = None) -> pd.DataFrame:
    """Today's creation basket (申赎清单) of an ETF: components, share quantities, value weights by pre-close."""
    xd = _xtdata()
    info = xd.get_etf_info().get(code) or {}
    comps = info.get("成份股信息") or []
    rows = []
    for c in comps:
        detail = xd.get_instrument_detail(c["成份股代码"]) or {}
        rows.append({"etf_code": code, "as_of_date": today or dt.date.today(), "component_code": c["成份股代码"],
                     "component_name": c.get("成份股名称"), "shares": int(c.get("成份股数量") or 0),
                     "value": float(c.get("成份股数量") or 0) * float(detail.get("PreClose") or 0.0)})
    df = pd.DataFrame(rows, columns=["etf_code", "as_of_date", "component_code", "component_name", "shares", "value"])
    total = df["value"].sum()
    df["weight"] = df["value"] / total if total > 0 else None
    return df.drop(columns=["value"])
