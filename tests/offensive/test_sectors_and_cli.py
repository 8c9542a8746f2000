"""Sector money-flow ranking into funds_flow, and the three CLIs on recorded data (offline)."""
import datetime as dt

import numpy as np

from bridge.cli import main
from bridge.refdata import sectors as S
from config.offensive_schema import load_sector_etfs
from qmt_strategies import sector_flow as sf

D = dt.date
TABLE = [(e.code, e.sector) for e in load_sector_etfs().sector_etfs]


def test_sector_table_is_valid_and_sized():
    assert 30 <= len(TABLE) <= 40 and len({s for _, s in TABLE}) == len(TABLE)


def test_ranking_stored_and_uses_yesterdays_flow(store, recorded):
    df = S.sector_ranking(store, TABLE, D(2026, 11, 20), quiet=True)
    assert sorted(df["rank"]) == list(range(1, len(TABLE) + 1))
    assert (np.diff(df["score"].to_numpy()) <= 1e-12).all()          # ranked by score
    assert set(df["label"]) <= set(sf.LABELS) and df["stars"].between(1, 5).all()
    assert df["volume_ratio"].notna().all()                            # yesterday's turnover fetched and stored
    assert S.store_ranking(store, df) == len(TABLE)
    assert S.store_ranking(store, df) == 0                              # idempotent
    scores = S.industry_scores(df)
    assert all(0 <= v <= 10 for v in scores.values()) and len(scores) == len(TABLE)
    # a stored outflow yesterday turns today's outflow into 持续流出
    row = df[df["net_flow"] < 0].iloc[0]
    prev_day = store.query("SELECT MAX(trade_date) FROM daily_quote WHERE code=?", (row["code"],))[0][0]
    store.upsert_reference("funds_flow", [{"scope": S.SCOPE, "subject": row["sector"], "trade_date": prev_day,
                                           "net_inflow": -1e8}])
    again = S.sector_ranking(store, TABLE, D(2026, 11, 20), quiet=True).set_index("code")
    assert again.loc[row["code"], "label"] in (sf.OUTFLOW_STEADY, sf.OUTFLOW_HEAVY, sf.FLAT)


def test_cli_valuation_offline(tmp_path, capsys, recorded):
    rc = main(["valuation", "510300", "513100", "--fixtures", str(recorded), "--sqlite", str(tmp_path / "v.db"),
               "--date", "2026-11-20", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "ETF         510300.SH 沪深300ETF" in out and "index       000300 沪深300 (PE source: csindex)" in out
    assert "percentile  " in out and "% over 5 years (760 days)" in out
    assert "note        unmappable: cross-border ETF" in out


def test_cli_sectors_offline(tmp_path, capsys, recorded):
    rc = main(["sectors", "--fixtures", str(recorded), "--sqlite", str(tmp_path / "s.db"), "--quiet", "--top", "5",
               "--breadth"])
    out = capsys.readouterr().out
    assert rc == 0
    assert f"2026-11-20: {len(TABLE)} sectors, {len(TABLE)} rows stored in funds_flow" in out
    assert len([ln for ln in out.splitlines() if ln.strip()[:1].isdigit()]) == 5
    assert "成分股宽度" in out


def test_cli_refdata_offline_and_bad_part(tmp_path, capsys, recorded):
    db = str(tmp_path / "r.db")
    rc = main(["refdata", "update", "--only", "stocks,etfs", "--fixtures", str(recorded), "--sqlite", db, "--quiet"])
    assert rc == 0 and capsys.readouterr().out.splitlines() == ["stocks      7 rows", "etfs        41 rows"]
    rc = main(["refdata", "update", "--only", "stonks", "--fixtures", str(recorded), "--sqlite", db])
    err = capsys.readouterr().err
    assert rc == 2 and err.strip() == ("error: --only 'stonks' is not a refdata part; choose from stocks, industries, "
                                       "bars, etfs, holdings, flows, financials, dividends, margin")


def test_cli_reports_unreachable_source_in_one_line(tmp_path, capsys, monkeypatch):
    import akshare as ak
    import requests

    from bridge.refdata import source

    monkeypatch.setenv("QMT_REFDATA_NO_XTDATA", "1")
    monkeypatch.delenv(source.FIXTURES_ENV, raising=False)
    source.use_fixtures(None)

    def down(*a, **k):
        raise requests.ConnectionError("offline")

    monkeypatch.setattr(ak, "fund_etf_spot_em", down)
    rc = main(["sectors", "--sqlite", str(tmp_path / "x.db"), "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 1 and out == ["error: akshare.fund_etf_spot_em could not reach its data source (ConnectionError); "
                               "check the network connection or try again later"]
