"""The akshare boundary: one call per request, polite pacing, column checks, one-sentence errors, fixtures.

Every loader fetches through `fetch(fn, **kwargs)`. It
  * calls `akshare.<fn>(**kwargs)` (looked up at call time, so tests can monkeypatch the akshare function),
    or, in fixture mode, reads a recorded DataFrame from `<dir>/<fn>@<key>.csv` (or `<dir>/<fn>.csv`);
  * waits `pace_seconds` between live requests (default 0.5 s);
  * turns network failures into SourceUnreachable and renamed/missing columns into SourceChanged, each with
    one sentence that names the function and what to do.
Fixture mode: `python -m bridge <cmd> --fixtures DIR` or env QMT_AKSHARE_FIXTURES=DIR (see docs/offensive_layer.md).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
from loguru import logger

FIXTURES_ENV = "QMT_AKSHARE_FIXTURES"

# akshare 1.19.5 columns of the functions we call (from shared/reference/akshare_columns_1.19.5.json).
COLUMNS: dict[str, list[str]] = {
    "stock_zh_a_spot_em": ["序号", "代码", "名称", "最新价", "涨跌幅", "涨跌额", "成交量", "成交额", "振幅", "最高",
                           "最低", "今开", "昨收", "量比", "换手率", "市盈率-动态", "市净率", "总市值", "流通市值",
                           "涨速", "5分钟涨跌", "60日涨跌幅", "年初至今涨跌幅"],
    "stock_board_industry_name_em": ["排名", "板块名称", "板块代码", "最新价", "涨跌额", "涨跌幅", "总市值", "换手率",
                                     "上涨家数", "下跌家数", "领涨股票", "领涨股票-涨跌幅"],
    "stock_board_industry_cons_em": ["序号", "代码", "名称", "最新价", "涨跌幅", "涨跌额", "成交量", "成交额", "振幅",
                                     "最高", "最低", "今开", "昨收", "换手率", "市盈率-动态", "市净率"],
    "stock_zh_a_hist": ["日期", "股票代码", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅", "涨跌幅",
                        "涨跌额", "换手率"],
    "fund_etf_spot_em": ["代码", "名称", "最新价", "IOPV实时估值", "基金折价率", "涨跌额", "涨跌幅", "成交量", "成交额",
                         "开盘价", "最高价", "最低价", "昨收", "振幅", "换手率", "量比", "委比", "外盘", "内盘",
                         "主力净流入-净额", "主力净流入-净占比", "超大单净流入-净额", "超大单净流入-净占比",
                         "大单净流入-净额", "大单净流入-净占比", "中单净流入-净额", "中单净流入-净占比",
                         "小单净流入-净额", "小单净流入-净占比", "现手", "买一", "卖一", "最新份额", "流通市值",
                         "总市值", "数据日期", "更新时间"],
    "fund_etf_hist_em": ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅", "涨跌幅", "涨跌额", "换手率"],
    "fund_portfolio_hold_em": ["序号", "股票代码", "股票名称", "占净值比例", "持股数", "持仓市值", "季度"],
    "stock_zh_index_hist_csindex": ["日期", "指数代码", "指数中文全称", "指数中文简称", "指数英文全称", "指数英文简称",
                                    "开盘", "最高", "最低", "收盘", "涨跌", "涨跌幅", "成交量", "成交金额", "样本数量",
                                    "滚动市盈率"],
    "stock_index_pe_lg": ["日期", "指数", "等权静态市盈率", "静态市盈率", "静态市盈率中位数", "等权滚动市盈率",
                          "滚动市盈率", "滚动市盈率中位数"],
    "index_stock_info": ["index_code", "display_name", "publish_date"],
    "stock_sector_fund_flow_rank": ["序号", "名称", "今日涨跌幅", "今日主力净流入-净额", "今日主力净流入-净占比",
                                    "今日超大单净流入-净额", "今日超大单净流入-净占比", "今日大单净流入-净额",
                                    "今日大单净流入-净占比", "今日中单净流入-净额", "今日中单净流入-净占比",
                                    "今日小单净流入-净额", "今日小单净流入-净占比", "今日主力净流入最大股"],
    "stock_individual_fund_flow": ["日期", "收盘价", "涨跌幅", "主力净流入-净额", "主力净流入-净占比",
                                   "超大单净流入-净额", "超大单净流入-净占比", "大单净流入-净额", "大单净流入-净占比",
                                   "中单净流入-净额", "中单净流入-净占比", "小单净流入-净额", "小单净流入-净占比"],
    "stock_financial_abstract": ["选项", "指标"],   # then one column per report date (YYYYMMDD), newest first
    "stock_fhps_em": ["代码", "名称", "送转股份-送转总比例", "送转股份-送转比例", "送转股份-转股比例",
                      "现金分红-现金分红比例", "现金分红-股息率", "每股收益", "每股净资产", "每股公积金",
                      "每股未分配利润", "净利润同比增长", "总股本", "预案公告日", "股权登记日", "除权除息日", "方案进度",
                      "最新公告日期"],
    "stock_margin_detail_sse": ["信用交易日期", "标的证券代码", "标的证券简称", "融资余额", "融资买入额", "融资偿还额",
                                "融券余量", "融券卖出量", "融券偿还量"],
    "stock_margin_detail_szse": ["证券代码", "证券简称", "融资买入额", "融资余额", "融券卖出量", "融券余量", "融券余额",
                                 "融资融券余额"],
}

# the argument that distinguishes recorded fixtures of one function (file <fn>@<value>.csv)
KEY_ARG = {
    "stock_board_industry_cons_em": "symbol", "stock_zh_a_hist": "symbol", "fund_etf_hist_em": "symbol",
    "fund_portfolio_hold_em": "symbol", "stock_zh_index_hist_csindex": "symbol", "stock_index_pe_lg": "symbol",
    "stock_sector_fund_flow_rank": "indicator", "stock_individual_fund_flow": "stock",
    "stock_financial_abstract": "symbol", "stock_fhps_em": "date", "stock_margin_detail_sse": "date",
    "stock_margin_detail_szse": "date",
}


class SourceError(RuntimeError):
    """Reference data could not be fetched; str() is one sentence for the user."""


class SourceUnreachable(SourceError):
    """The data source did not answer (network, HTTP, or an unparseable reply)."""


class SourceChanged(SourceError):
    """The data source answered with columns other than the ones this version expects."""


class NoFixture(SourceError):
    """Fixture mode and no recorded file for this request."""


_state = {"fixtures": os.environ.get(FIXTURES_ENV) or None, "pace": 0.5, "last": 0.0}


def use_fixtures(directory: str | os.PathLike | None) -> None:
    """Serve every fetch from recorded CSV files in `directory` (None: back to live akshare)."""
    if directory is not None and not Path(directory).is_dir():
        raise SourceError(f"fixture directory {directory} does not exist; pass an existing --fixtures DIR")
    _state["fixtures"] = str(directory) if directory is not None else None


def fixtures_dir() -> str | None:
    """The fixture directory in use, or None for live akshare."""
    return _state["fixtures"]


def set_pace(seconds: float) -> None:
    """Minimum seconds between two live requests."""
    _state["pace"] = max(0.0, float(seconds))


def read_fixture(path: str | os.PathLike) -> pd.DataFrame:
    """A recorded DataFrame from CSV: every cell as text, exactly as akshare's columns (tests use this too)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def _fixture(fn: str, kwargs: dict) -> pd.DataFrame:
    base = Path(_state["fixtures"])
    key = KEY_ARG.get(fn)
    names = ([f"{fn}@{kwargs[key]}.csv"] if key and key in kwargs else []) + [f"{fn}.csv"]
    for name in names:
        if (base / name).is_file():
            return read_fixture(base / name)
    raise NoFixture(f"no recorded data for akshare.{fn}({key}={kwargs.get(key)!r}) in {base}; "
                    f"add {names[0]} or run without --fixtures")


def _is_network_error(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (requests.RequestException, ConnectionError, TimeoutError, OSError))


def check_columns(fn: str, df: pd.DataFrame) -> pd.DataFrame:
    """Raise SourceChanged when expected columns are missing (extra columns are tolerated)."""
    expected = COLUMNS.get(fn, [])
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise SourceChanged(
            f"akshare.{fn} returned different columns than akshare 1.19.5 (missing {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}); the source changed its format: upgrade akshare "
            f"or update bridge/refdata/source.py COLUMNS")
    return df


def fetch(fn: str, **kwargs) -> pd.DataFrame:
    """Call akshare.<fn>(**kwargs) (or its recorded fixture) and check its columns; raises SourceError."""
    if _state["fixtures"]:
        df = _fixture(fn, kwargs)
        return check_columns(fn, df)
    wait = _state["pace"] - (time.monotonic() - _state["last"])
    if wait > 0:
        time.sleep(wait)
    import akshare

    func = getattr(akshare, fn, None)
    if func is None:
        raise SourceChanged(f"akshare has no function {fn}; install akshare 1.19.5 (pinned in requirements.txt)")
    try:
        df = func(**kwargs)
    except Exception as exc:
        if _is_network_error(exc) and not isinstance(exc, ValueError):   # JSONDecodeError: a reply, not JSON
            logger.warning("refdata source unreachable fn={} args={} error={}", fn, kwargs, type(exc).__name__)
            raise SourceUnreachable(
                f"akshare.{fn} could not reach its data source ({type(exc).__name__}); "
                f"check the network connection or try again later") from None
        if isinstance(exc, (KeyError, ValueError, TypeError, IndexError, AttributeError)):
            raise SourceChanged(
                f"akshare.{fn} could not parse the source's reply ({type(exc).__name__}: {exc}); "
                f"the source probably changed its format: upgrade akshare") from None
        raise
    finally:
        _state["last"] = time.monotonic()
    if df is None or not isinstance(df, pd.DataFrame):
        raise SourceChanged(f"akshare.{fn} returned {type(df).__name__} instead of a table; upgrade akshare")
    return check_columns(fn, df)
