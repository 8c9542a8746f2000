"""ETF -> tracked index -> PE-TTM history -> percentile over a window -> traffic light.

The ETF -> index mapping is a store (signals_db etf_index_map) with states mapped / unmappable / pending:
  * the sector-ETF table's `index` column wins; otherwise the ETF's name is matched against index names
    (akshare index_stock_info) and the alias table (config/offensive.yaml valuation.aliases), longest match;
  * a few ETFs per run (`map_batch_size`); each failed match counts an attempt, the third makes it unmappable;
  * cross-border (纳指, 标普, 恒生, 日经, ...) and non-equity (债, 货币, 黄金, ...) ETFs are unmappable at once,
    stated as such: there is no CSI PE-TTM history for them, so no percentile.
PE history comes from CSI (stock_zh_index_hist_csindex) with legulegu as fallback (its 12 indexes); an index
neither covers (e.g. CNI 98xxxx) is "mapped, no percentile" with the reason.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from loguru import logger

from bridge.refdata import loaders as L
from bridge.refdata.source import SourceError, SourceUnreachable
from qmt_strategies import valuation as V

CROSS_BORDER = ("纳指", "纳斯达克", "标普", "道琼斯", "日经", "德国", "法国", "沙特", "东南亚", "亚太", "恒生", "恒指",
                "港股", "香港", "中概", "美国", "海外", "全球", "QDII", "H股", "中韩", "日本", "英国", "巴西")
NON_EQUITY = ("债", "货币", "黄金", "白银", "豆粕", "商品", "原油", "能源化工", "有色期货", "现金", "理财")
FUND_HOUSES = ("华夏", "易方达", "南方", "嘉实", "广发", "华泰柏瑞", "国泰", "富国", "博时", "招商", "汇添富", "天弘",
               "鹏华", "银华", "工银", "建信", "华宝", "国联安", "永赢", "景顺长城", "平安", "大成", "华安", "万家",
               "兴业", "中欧", "东财", "基金", "指数", "联接", "增强")


@dataclass(frozen=True, slots=True)
class EtfValuation:
    """One ETF's valuation line."""

    etf_code: str
    etf_name: str
    index_code: str | None
    index_name: str | None
    pe: float | None
    as_of: dt.date | None
    percentile: float | None
    light: str
    points: int
    source: str | None
    note: str                      # why there is no percentile, or how short the history is


def clean_name(name: str) -> str:
    """ETF short name without 'ETF', fund-house names and share-class letters: '沪深300ETF华夏' -> '沪深300'."""
    s = re.sub(r"(?i)etf|lof", "", str(name))
    for h in FUND_HOUSES:
        s = s.replace(h, "")
    return re.sub(r"[A-Z]$", "", s.strip())


def classify(name: str) -> str | None:
    """'cross-border' or 'non-equity' when the ETF has no CSI equity PE history, else None."""
    if any(k in name for k in CROSS_BORDER):
        return "cross-border"
    if any(k in name for k in NON_EQUITY):
        return "non-equity"
    return None


def _covers(key: str, cleaned: str) -> bool:
    """A name fragment identifies the ETF's index only when it is most of the ETF's cleaned name
    (so '医疗' does not map '医疗器械ETF' to the 中证医疗 index)."""
    return key == cleaned or (len(key) >= 2 and key in cleaned and len(key) >= 0.6 * len(cleaned))


def match_index(etf_name: str, indexes: pd.DataFrame, aliases: dict[str, str]) -> tuple[str | None, str | None]:
    """(index_code, index_name) for an ETF name: the longest alias or index name that covers it; (None, None) if none."""
    cleaned = clean_name(etf_name)
    if not cleaned:
        return None, None
    names = dict(zip(indexes["name"], indexes["index_code"])) if len(indexes) else {}
    code_to_name = {c: n for n, c in names.items()}
    best: tuple[int, int, str, str | None] | None = None
    for key, code in aliases.items():
        if key and _covers(key, cleaned):
            code = str(code).zfill(6) if str(code).isdigit() else str(code)
            cand = (len(key), 1, code, code_to_name.get(code, key))
            best = max(best, cand) if best else cand
    for nm, code in names.items():
        if _covers(nm, cleaned):
            cand = (len(nm) + (1 if nm == cleaned else 0), 0, code, nm)
            best = max(best, cand) if best else cand
    if best is None:
        return None, None
    return best[2], best[3]


def _attempts(store, etf_code: str) -> tuple[str | None, int]:
    got = store.query("SELECT status, attempts FROM etf_index_map WHERE etf_code=?", (etf_code,))
    return (got[0][0], got[0][1]) if got else (None, 0)


def map_one(store, etf_code: str, etf_name: str, indexes: pd.DataFrame | None, aliases: dict[str, str],
            known_index: str | None = None, max_attempts: int = 3) -> tuple[str, str | None]:
    """Try to map one ETF; returns (status, index_code) after recording the attempt."""
    if known_index:
        name = None
        if indexes is not None and len(indexes):
            hit = indexes[indexes["index_code"] == known_index]
            name = str(hit["name"].iloc[0]) if len(hit) else None
        store.mark_etf_index(etf_code, "mapped", index_code=known_index)
        _set_etf_index(store, etf_code, etf_name, known_index, name)
        return "mapped", known_index
    kind = classify(etf_name)
    if kind:
        store.mark_etf_index(etf_code, "unmappable",
                             error=f"{kind} ETF: no CSI equity PE-TTM history, so no percentile")
        return "unmappable", None
    code, name = match_index(etf_name, indexes if indexes is not None else pd.DataFrame(columns=["name", "index_code"]),
                             aliases)
    if code:
        store.mark_etf_index(etf_code, "mapped", index_code=code)
        _set_etf_index(store, etf_code, etf_name, code, name)
        return "mapped", code
    _, tried = _attempts(store, etf_code)
    status = "unmappable" if tried + 1 >= max_attempts else "pending"
    store.mark_etf_index(etf_code, status, error=f"no index name or alias found in {etf_name!r}")
    return status, None


def _set_etf_index(store, etf_code, etf_name, index_code, index_name):
    from bridge.refdata.update import _merge

    row = {"code": etf_code, "name": etf_name, "index_code": index_code, "index_name": index_name}
    store.upsert_reference("etf_info", _merge(store, "etf_info", ("code",), [row]))


def map_pending(store, aliases: dict[str, str], known: dict[str, str] | None = None, batch_size: int = 20,
                max_attempts: int = 3) -> dict[str, int]:
    """Map up to `batch_size` ETFs, never-tried first, then pending ones by fewest attempts; counts per status."""
    rows = store.query(
        "SELECT e.code, e.name FROM etf_info e LEFT JOIN etf_index_map m ON m.etf_code = e.code "
        "WHERE m.status IS NULL OR m.status = 'pending' "
        "ORDER BY (m.status IS NOT NULL), COALESCE(m.attempts, 0), e.code LIMIT ?", (int(batch_size),))
    counts = {"mapped": 0, "unmappable": 0, "pending": 0}
    if not rows:
        return counts
    indexes = L.load_index_list()
    known = known or {}
    for code, name in rows:
        status, _ = map_one(store, code, name or "", indexes, aliases, known.get(code), max_attempts)
        counts[status] += 1
    logger.info("etf index mapping batch={} mapped={} unmappable={} pending={}", len(rows), counts["mapped"],
                counts["unmappable"], counts["pending"])
    return counts


def update_index_history(store, index_code: str, years: int, today: dt.date) -> tuple[int, str | None]:
    """Fetch PE-TTM rows missing from index_valuation (first run: `years` back); returns (rows, source)."""
    got = store.query("SELECT MAX(trade_date) FROM index_valuation WHERE index_code=? AND pe IS NOT NULL",
                      (index_code,))
    last = dt.date.fromisoformat(str(got[0][0])[:10]) if got and got[0][0] else None
    start = last + dt.timedelta(days=1) if last else V.window_start(today, years)
    if start > today:
        return 0, None
    df = L.load_index_pe(index_code, start, today)
    rows = [{"index_code": index_code, "trade_date": d, "pe": float(p)} for d, p in zip(df["trade_date"], df["pe"])]
    n = store.upsert_reference("index_valuation", rows) if rows else 0
    return n, (df["source"].iloc[0] if len(df) else None)


def etf_valuation(store, etf_code: str, *, aliases: dict[str, str], known_index: str | None = None,
                  years: int = 5, green_max: float = 30.0, red_min: float = 70.0, min_points: int = 240,
                  max_attempts: int = 3, today: dt.date | None = None) -> EtfValuation:
    """Valuation of one ETF (maps it first if needed); never raises for missing data, says why instead."""
    today = today or dt.date.today()
    info = store.query("SELECT name, index_code, index_name FROM etf_info WHERE code=?", (etf_code,))
    name = info[0][0] if info else ""
    if not info:
        spot = L.load_etf_spot()
        hit = spot[spot["code"] == etf_code]
        if hit.empty:
            return EtfValuation(etf_code, "", None, None, None, None, None, V.NONE, 0, None,
                                f"{etf_code} is not in the exchange ETF list; check the code")
        name = str(hit["name"].iloc[0])
        store.upsert_reference("etf_info", [{"code": etf_code, "name": name}])
    status, attempts = _attempts(store, etf_code)
    index_code = info[0][1] if info and info[0][1] else None
    if status != "mapped" or not index_code:
        if status == "unmappable":
            err = store.query("SELECT last_error FROM etf_index_map WHERE etf_code=?", (etf_code,))[0][0]
            return EtfValuation(etf_code, name, None, None, None, None, None, V.NONE, 0, None,
                                f"unmappable after {attempts} attempt(s): {err}")
        try:
            indexes = L.load_index_list()
        except SourceError:
            if not known_index:
                raise
            indexes = None
        status, index_code = map_one(store, etf_code, name, indexes, aliases, known_index, max_attempts)
        if status != "mapped":
            err = store.query("SELECT last_error FROM etf_index_map WHERE etf_code=?", (etf_code,))[0][0]
            return EtfValuation(etf_code, name, None, None, None, None, None, V.NONE, 0, None,
                                f"{status}: {err}")
    index_name = store.query("SELECT index_name FROM etf_info WHERE code=?", (etf_code,))[0][0]
    source, note = None, ""
    try:
        _, source = update_index_history(store, index_code, years, today)
    except SourceUnreachable as exc:
        note = f"history not refreshed: {exc}"
    except SourceError as exc:
        note = f"no PE-TTM history for index {index_code} ({exc})"
    hist = store.query("SELECT trade_date, pe FROM index_valuation WHERE index_code=? AND pe IS NOT NULL "
                       "AND trade_date <= ? ORDER BY trade_date", (index_code, today.isoformat()))
    if not hist:
        return EtfValuation(etf_code, name, index_code, index_name, None, None, None, V.NONE, 0, source,
                            note or f"no PE-TTM history for index {index_code}: no percentile")
    ds = [dt.date.fromisoformat(str(d)[:10]) for d, _ in hist]
    pes = [float(p) for _, p in hist]
    start = V.window_start(ds[-1], years)
    points = sum(1 for d in ds if d >= start)
    pct = V.percentile_over_window(ds, pes, years=years, min_points=min_points)
    if pct is None:
        note = note or f"only {points} PE observations (< {min_points}): no percentile"
    elif ds[0] > start:
        note = note or f"history covers {(ds[-1] - ds[0]).days / 365.25:.1f} of {years} years"
    if pct is not None:
        from bridge.refdata.update import _merge

        row = {"index_code": index_code, "trade_date": ds[-1], "pe": pes[-1], "pe_percentile": pct}
        store.upsert_reference("index_valuation", _merge(store, "index_valuation", ("index_code", "trade_date"), [row]))
    return EtfValuation(etf_code, name, index_code, index_name, pes[-1], ds[-1], pct,
                        V.traffic_light(pct, green_max, red_min), points, source, note)
