"""Every refdata loader against recorded akshare DataFrames, patched at the akshare-function boundary:
the normal reply, the source unreachable (one sentence), and the columns changed (one sentence)."""
import datetime as dt
import inspect
from pathlib import Path

import akshare as ak
import pytest
import requests

from bridge.refdata import loaders as L
from bridge.refdata import source
from bridge.refdata.source import SourceChanged, SourceUnreachable, read_fixture

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "akshare"
D = dt.date

# (akshare function, fixture file, loader call, check of the normalised result)
CASES = [
    ("stock_zh_a_spot_em", "stock_zh_a_spot_em.csv", lambda: L.load_stock_list(),
     lambda df: (df.loc[6, ["code", "is_st"]].tolist() == ["600733.SH", True] and df.loc[0, "pe"] == 5.1)),
    ("stock_board_industry_name_em", "stock_board_industry_name_em.csv", lambda: L.load_industry_boards(),
     lambda df: df["industry"].tolist() == ["汽车", "电池", "白酒", "银行"]),
    ("stock_board_industry_cons_em", "stock_board_industry_cons_em@银行.csv", lambda: L.load_industry_members("银行"),
     lambda df: df["code"].tolist() == ["600000.SH", "600036.SH", "000001.SZ"] and set(df["industry"]) == {"银行"}),
    ("stock_zh_a_hist", "stock_zh_a_hist@600000.csv", lambda: L.load_daily_bars("600000.SH", D(2026, 11, 16)),
     lambda df: (len(df) == 5 and df["trade_date"].iloc[-1] == D(2026, 11, 20)
                 and (df["volume"] % 100 == 0).all() and (df["pre_close"].iloc[1:].values == df["close"].iloc[:-1].values).all())),
    ("fund_etf_spot_em", "fund_etf_spot_em.csv", lambda: L.load_etf_spot(),
     lambda df: df.loc[0, "code"] == "512880.SH" and df.loc[0, "trade_date"] == D(2026, 11, 20) and len(df) == 41),
    ("fund_etf_hist_em", "fund_etf_hist_em@512880.csv", lambda: L.load_etf_bars("512880.SH"),
     lambda df: len(df) == 5 and df["trade_date"].iloc[-1] == D(2026, 11, 19)),
    ("fund_portfolio_hold_em", "fund_portfolio_hold_em@510300.csv", lambda: L.load_etf_holdings("510300.SH", 2026),
     lambda df: (df["as_of_date"].unique().tolist() == [D(2026, 9, 30)] and df.loc[0, "weight"] == 0.051
                 and df.loc[0, "shares"] == 6501200)),
    ("stock_zh_index_hist_csindex", "stock_zh_index_hist_csindex@000300.csv",
     lambda: L.load_index_pe("000300", D(2026, 11, 1), D(2026, 11, 20)),
     lambda df: len(df) == 15 and set(df["source"]) == {"csindex"} and (df["pe"] > 0).all()),
    ("stock_index_pe_lg", "stock_index_pe_lg@创业板50.csv", None, None),   # covered by the fallback test
    ("index_stock_info", "index_stock_info.csv", lambda: L.load_index_list(),
     lambda df: df.loc[0].tolist() == ["000300", "沪深300"]),
    ("stock_sector_fund_flow_rank", "stock_sector_fund_flow_rank@今日.csv", lambda: L.load_sector_flow(),
     lambda df: df.loc[2].tolist() == ["电池", 2.5, 2.5e9, 6.2]),
    ("stock_individual_fund_flow", "stock_individual_fund_flow@600000.csv", lambda: L.load_stock_flow("600000.SH"),
     lambda df: len(df) == 20 and df["trade_date"].iloc[-1] == D(2026, 11, 20)),
    ("stock_financial_abstract", "stock_financial_abstract@600000.csv", lambda: L.load_financials("600000.SH"),
     lambda df: (df["report_period"].iloc[-1] == D(2025, 9, 30) and df["roe"].iloc[-1] == 9.5
                 and df["net_profit"].iloc[-1] == 4.1e10 and df["eps"].iloc[-1] == 1.399)),
    ("stock_fhps_em", "stock_fhps_em@20251231.csv", lambda: L.load_dividends(D(2025, 12, 31)),
     lambda df: df["payout_pct"].round(2).tolist() == [24.81, 34.84, 40.24] and df.loc[0, "cash_per_share"] == 0.32),
    ("stock_margin_detail_sse", "stock_margin_detail_sse@20261119.csv", None, None),
    ("stock_margin_detail_szse", "stock_margin_detail_szse@20261119.csv", None, None),
]


@pytest.fixture(autouse=True)
def _live_mode():
    source.use_fixtures(None)
    source.set_pace(0)
    yield
    source.use_fixtures(None)


def _patch(monkeypatch, fn, result=None, exc=None):
    real = inspect.signature(getattr(ak, fn))

    def fake(*args, **kwargs):
        real.bind(*args, **kwargs)        # the loader calls akshare with parameters the real function has
        if exc is not None:
            raise exc
        return result.copy()
    monkeypatch.setattr(ak, fn, fake)


def _margin_patch(monkeypatch):
    _patch(monkeypatch, "stock_margin_detail_sse", read_fixture(FIX / "stock_margin_detail_sse@20261119.csv"))
    _patch(monkeypatch, "stock_margin_detail_szse", read_fixture(FIX / "stock_margin_detail_szse@20261119.csv"))


def _call(fn):
    if fn.startswith("stock_margin_detail"):
        return lambda: L.load_margin(D(2026, 11, 19))
    if fn == "stock_index_pe_lg":
        return lambda: L.load_index_pe("399673", D(2026, 1, 1), D(2026, 11, 20))
    if fn == "stock_zh_index_hist_csindex":   # an index without the legulegu fallback
        return lambda: L.load_index_pe("931151", D(2026, 1, 1), D(2026, 11, 20))
    return next(c[2] for c in CASES if c[0] == fn)


@pytest.mark.parametrize("fn,fixture,call,check", [c for c in CASES if c[2] is not None], ids=lambda v: v if isinstance(v, str) else "")
def test_loader_reads_recorded_reply(monkeypatch, fn, fixture, call, check):
    _patch(monkeypatch, fn, read_fixture(FIX / fixture))
    assert check(call())


def test_margin_merges_both_exchanges(monkeypatch):
    _margin_patch(monkeypatch)
    df = L.load_margin(D(2026, 11, 19))
    assert df["code"].tolist() == ["600000.SH", "600036.SH", "600519.SH", "000001.SZ", "000858.SZ", "300750.SZ"]
    assert df.loc[5, "margin_balance"] == 2.3e10


def test_index_pe_falls_back_to_legulegu(monkeypatch):
    _patch(monkeypatch, "stock_zh_index_hist_csindex", exc=requests.ConnectionError("boom"))
    _patch(monkeypatch, "stock_index_pe_lg", read_fixture(FIX / "stock_index_pe_lg@创业板50.csv"))
    df = L.load_index_pe("399673", D(2026, 1, 1), D(2026, 11, 20))
    assert set(df["source"]) == {"legulegu"} and len(df) > 200
    # an index neither source covers: CSI's failure is reported, not hidden
    with pytest.raises(SourceUnreachable):
        L.load_index_pe("931151", D(2026, 1, 1), D(2026, 11, 20))


@pytest.mark.parametrize("fn", [c[0] for c in CASES])
def test_source_unreachable_is_one_sentence(monkeypatch, fn):
    for other, fixture, _, _ in CASES:
        _patch(monkeypatch, other, read_fixture(FIX / fixture))
    _patch(monkeypatch, fn, exc=requests.ConnectionError("Max retries exceeded with url: https://x"))
    if fn == "stock_index_pe_lg":
        _patch(monkeypatch, "stock_zh_index_hist_csindex", exc=requests.ConnectionError("down"))
    with pytest.raises(SourceUnreachable) as err:
        _call(fn)()
    msg = str(err.value)
    assert msg == (f"akshare.{fn} could not reach its data source (ConnectionError); "
                   "check the network connection or try again later")
    assert "\n" not in msg


@pytest.mark.parametrize("fn,fixture", [(c[0], c[1]) for c in CASES])
def test_columns_changed_is_one_sentence(monkeypatch, fn, fixture):
    for other, fx, _, _ in CASES:
        _patch(monkeypatch, other, read_fixture(FIX / fx))
    df = read_fixture(FIX / fixture)
    renamed = df.columns[1]
    _patch(monkeypatch, fn, df.rename(columns={renamed: renamed + "_new"}))
    if fn == "stock_index_pe_lg":
        _patch(monkeypatch, "stock_zh_index_hist_csindex", exc=requests.ConnectionError("down"))
    with pytest.raises(SourceChanged) as err:
        _call(fn)()
    msg = str(err.value)
    assert msg.startswith(f"akshare.{fn} returned different columns than akshare 1.19.5 (missing {renamed}")
    assert "upgrade akshare" in msg and "\n" not in msg


def test_unparseable_reply_is_reported_as_changed(monkeypatch):
    _patch(monkeypatch, "fund_etf_spot_em", exc=KeyError("data"))
    with pytest.raises(SourceChanged, match=r"^akshare.fund_etf_spot_em could not parse the source's reply"):
        L.load_etf_spot()


def test_fixture_mode_reads_files_and_names_missing_ones():
    source.use_fixtures(FIX)
    assert len(L.load_stock_list()) == 7
    with pytest.raises(source.NoFixture, match=r"no recorded data for akshare.stock_zh_a_hist\(symbol='999999'\)"):
        L.load_daily_bars("999999.SH")
    with pytest.raises(source.SourceError, match="does not exist"):
        source.use_fixtures(FIX / "nope")


def test_qmt_codes():
    assert [L.qmt_code(c) for c in ("600000", "000001", "300750", "688981", "430047", "920118", "510300", "159915",
                                    "00700", "1")] == [
        "600000.SH", "000001.SZ", "300750.SZ", "688981.SH", "430047.BJ", "920118.BJ", "510300.SH", "159915.SZ",
        "00700.HK", "000001.SZ"]


def test_unparseable_json_reply_is_a_changed_source(monkeypatch):
    def html(*a, **k):
        raise requests.exceptions.JSONDecodeError("Expecting value", "<html>", 0)

    monkeypatch.setattr(ak, "fund_etf_spot_em", html)
    with pytest.raises(source.SourceChanged, match="could not parse the source's reply"):
        L.load_etf_spot()
