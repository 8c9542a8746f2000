"""Incremental refdata updates into a real SQLite signals_db, from recorded akshare data."""
import datetime as dt

import akshare as ak
import requests

from bridge.refdata import source
from bridge.refdata import update as U

D = dt.date
CODES = ["600000.SH", "600036.SH", "000001.SZ", "600519.SH", "000858.SZ", "300750.SZ", "600733.SH"]


def test_update_all_then_nothing_left_to_fetch(store, recorded):
    parts = ["stocks", "industries", "bars", "etfs", "dividends", "margin"]
    first = U.update_all(store, only=parts, etf_codes=["512880.SH"], today=D(2026, 11, 20), quiet=True)
    assert first == {"stocks": 7, "industries": 7, "bars": 7 * 130 + 5, "etfs": 41, "dividends": 6, "margin": 6}
    again = U.update_all(store, only=parts, etf_codes=["512880.SH"], today=D(2026, 11, 20), quiet=True)
    assert again == {p: 0 for p in parts}
    assert store.query("SELECT industry_sw1, is_st FROM stock_info WHERE code='600733.SH'") == [("汽车", 1)]
    assert store.query("SELECT volume, amount FROM daily_quote WHERE code='600000.SH' AND trade_date='2026-11-20'")[0][0] % 100 == 0


def test_bars_fetch_only_the_missing_days(store, recorded):
    assert U.update_bars(store, ["600000.SH"], today=D(2026, 11, 13), quiet=True) == 125
    assert U.update_bars(store, ["600000.SH"], today=D(2026, 11, 20), quiet=True) == 5
    assert U.update_bars(store, ["600000.SH"], today=D(2026, 11, 20), quiet=True) == 0


def test_partial_rows_never_blank_other_columns(store, recorded):
    U.update_dividends(store, D(2025, 12, 31))
    store.upsert_reference("finance_data", [{"code": "600000.SH", "report_period": D(2025, 9, 30), "pe": 5.0}])
    U.update_financials(store, ["600000.SH"])
    got = store.query("SELECT roe, eps, pe FROM finance_data WHERE code='600000.SH' AND report_period='2025-09-30'")
    assert got == [(9.5, 1.399, 5.0)]
    U.update_dividends(store, D(2025, 12, 31))
    assert store.query("SELECT round(dividend_payout, 2) FROM finance_data WHERE code='600000.SH'"
                       " AND report_period='2025-12-31'") == [(24.81,)]


def test_holdings_flows_margin(store, recorded):
    assert U.update_holdings(store, ["510300.SH"], 2026) == 3
    assert store.query("SELECT source, as_of_date, component_code, weight FROM etf_holdings ORDER BY weight DESC")[0] == (
        "disclosed", "2026-09-30", "600519.SH", 0.051)
    assert U.update_flows(store, ["600000.SH"], D(2026, 11, 20)) == 5 + 20
    assert U.update_flows(store, ["600000.SH"], D(2026, 11, 20)) == 0
    assert store.query("SELECT COUNT(*) FROM funds_flow WHERE scope='industry'") == [(5,)]
    assert U.update_margin(store, D(2026, 11, 19)) == 6 and U.update_margin(store, D(2026, 11, 19)) == 0


def test_unreachable_part_is_reported_and_others_continue(store, monkeypatch):
    monkeypatch.setenv("QMT_REFDATA_NO_XTDATA", "1")
    source.use_fixtures(None)
    source.set_pace(0)

    def down(*a, **k):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(ak, "stock_zh_a_spot_em", down)
    monkeypatch.setattr(ak, "fund_etf_spot_em", lambda: source.read_fixture(recorded_path() / "fund_etf_spot_em.csv"))
    got = U.update_all(store, only=["stocks", "etfs"], quiet=True)
    assert got == {"stocks": "akshare.stock_zh_a_spot_em could not reach its data source (ConnectionError); "
                             "check the network connection or try again later", "etfs": 41}


def recorded_path():
    from tests.offensive.conftest import FIX
    return FIX


def test_latest_report_period():
    assert U._latest_report_period(D(2026, 11, 20)) == D(2026, 9, 30)
    assert U._latest_report_period(D(2026, 5, 20)) == D(2026, 3, 31)
    assert U._latest_report_period(D(2026, 4, 20)) == D(2025, 9, 30)


def test_rows_signals_db_refuses_are_skipped_not_fatal(store, monkeypatch):
    monkeypatch.setenv("QMT_REFDATA_NO_XTDATA", "1")
    source.use_fixtures(None)
    source.set_pace(0)
    df = source.read_fixture(recorded_path() / "stock_zh_a_spot_em.csv")
    df.loc[0, "代码"] = "12345678"            # not a code signals_db accepts
    monkeypatch.setattr(ak, "stock_zh_a_spot_em", lambda: df.copy())
    assert U.update_all(store, only=["stocks"], quiet=True) == {"stocks": 6}
    assert store.count("stock_info") == 6
