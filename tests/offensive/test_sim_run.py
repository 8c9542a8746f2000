"""A sim run end to end: xtdata (the sim's fake) -> scores -> buy signals with TP/SL and stable alerts in signals_db;
and the refdata loaders preferring xtdata when it is present."""
import datetime as dt

import numpy as np
import pytest

from bridge import offensive_run as R
from bridge.refdata import update as U
from bridge.refdata import xt
from qmt_strategies.offensive import OffensiveLayerStrategy
from qmt_strategies.stable import StableLayerMonitor


@pytest.fixture
def xtdata_sim(monkeypatch):
    import sim

    monkeypatch.delenv("QMT_REFDATA_NO_XTDATA", raising=False)
    rt = sim.install(seed=7, market="tiny")
    from xtquant import xtdata
    yield rt, xtdata
    sim.uninstall()


def test_sim_run_records_signals_and_alerts(store, recorded, xtdata_sim):
    rt, xtdata = xtdata_sim
    U.update_financials(store, ["600000.SH"])
    U.update_dividends(store, dt.date(2024, 12, 31))
    U.update_dividends(store, dt.date(2025, 12, 31))
    u = R.universe_from_xtdata(xtdata, 250, R._latest_eps_ttm(store))
    assert len(u.codes) == 39 and u.bars["close"].shape == (39, 250) and all(u.industries)
    probe = OffensiveLayerStrategy().scores(u.codes, u.bars, u.pe, u.pb, u.industries, R.industry_scores_from_bars(u),
                                            u.float_shares)
    threshold = min(5.0, float(np.floor(np.nanmax(probe.composite) * 100) / 100))   # at least one buy, whatever the seed
    strat = OffensiveLayerStrategy(buy_threshold=threshold, sell_threshold=min(3.0, threshold),
                                   take_profit_pct=0.15, stop_loss_pct=0.07)
    sigs = R.run_offensive(store, u, strat, rt.world.trade_date)
    assert sigs
    rows = store.query("SELECT code, action, price, take_profit, stop_loss, composite_score, factor_scores "
                       "FROM signals WHERE layer='offensive'")
    assert len(rows) == len(sigs)
    for code, action, price, tp, sl, score, factors in rows:
        assert action == "buy" and score >= threshold and sl < price < tp
        assert abs(tp - round(price * 1.15, 2)) <= 0.011 and abs(sl - round(price * 0.93, 2)) <= 0.011
        assert set(("industry", "valuation", "technical", "chip")) <= set(__import__("json").loads(factors))
    alerts = R.run_stable(store, StableLayerMonitor(), ["600000.SH", "600519.SH"], rt.world.trade_date, u)
    assert sorted(a.details["rule"] for a in alerts) == ["earnings_down", "payout_low"]
    assert store.query("SELECT source, code, kind, level FROM alerts_log ORDER BY kind") == [
        ("stable", "600000.SH", "earnings_down", "critical"), ("stable", "600000.SH", "payout_low", "warning")]
    assert store.query("SELECT COUNT(*) FROM signals WHERE layer='stable' AND action='alert'") == [(2,)]
    # re-running the same day stores nothing new
    R.run_offensive(store, u, OffensiveLayerStrategy(), rt.world.trade_date)
    assert store.query("SELECT COUNT(*) FROM signals WHERE layer='offensive'") == [(len(sigs),)]


def test_refdata_prefers_xtdata_when_present(store, xtdata_sim):
    rt, xtdata = xtdata_sim
    assert xt.available()
    day = rt.world.trade_date
    n = U.update_bars(store, ["600000.SH"], days=30, today=day, quiet=True)
    bars = xtdata.get_market_data_ex(["close", "volume"], ["600000.SH"], period="1d", count=-1)["600000.SH"]
    stored = store.query("SELECT trade_date, close, volume FROM daily_quote ORDER BY trade_date")
    assert n == len(stored) > 0
    last = bars.iloc[-1]
    assert stored[-1][1] == pytest.approx(float(last["close"])) and stored[-1][2] == int(last["volume"]) * 100
    etf = next(iter(rt.world.etf_info))
    assert U.update_holdings(store, [etf], quiet=True) == len(rt.world.etf_info[etf]["成份股信息"])
    w = [r[0] for r in store.query("SELECT weight FROM etf_holdings WHERE source='basket'")]
    assert np.isclose(sum(w), 1.0)


def test_universe_from_store_needs_enough_bars(store, recorded):
    U.update_stocks(store)
    U.update_industries(store)
    U.update_bars(store, ["600000.SH", "600036.SH"], today=dt.date(2026, 11, 20), quiet=True)
    u = R.universe_from_store(store, 250, min_days=60)
    assert u.codes == ["600000.SH", "600036.SH"] and u.industries == ["银行", "银行"]
    assert u.bars["close"].shape == (2, 130)
    assert R.universe_from_store(store, 250, min_days=200).codes == []


def test_industry_scores_prefer_stored_flow(store, recorded):
    U.update_flows(store, (), dt.date(2026, 11, 20))
    got = R.industry_scores_from_store(store, dt.date(2026, 11, 20), ["银行", "白酒", "电池", None])
    # 5 industries ranked by main-force net inflow: 电池 2.5e9 > 银行 1.2e9 > 白酒 8e8 > 汽车 > 证券
    assert got == {"电池": 10.0, "银行": 8.0, "白酒": 6.0, "汽车": 4.0, "证券": 2.0}
    assert R.industry_scores_from_store(store, dt.date(2026, 11, 20), ["有色", "煤炭", "银行"]) is None
    assert R.industry_scores_from_store(store, dt.date(2026, 11, 19), ["银行"]) is None
