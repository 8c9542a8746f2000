"""Golden tests for every offensive-layer score, the composite, TP/SL and rotation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qmt_strategies import offensive as off
from qmt_strategies.types import Fill


def _flat(days=80, price=10.0):
    return np.full((1, days), price)


def test_technical_score_zero_for_flat_and_falling():
    c = _flat()
    assert off.technical_score(c, c, np.full((1, 80), 1000.0)).tolist() == [0.0]
    fall = np.linspace(20, 10, 80)[None, :]
    assert off.technical_score(fall, fall, np.full((1, 80), 1000.0)).tolist() == [0.0]


def test_technical_score_full_ten_on_volume_breakout():
    c = _flat()
    c[0, -1] = 11.0
    v = np.full((1, 80), 1000.0)
    v[0, -1] = 2000.0
    # DIF>DEA 2 + cross 2 + DIF>0 1 + volume ratio 2.0 -> 2 + breakout 2 + close>MA20>MA60 1
    assert off.technical_score(c, c, v).tolist() == [10.0]
    v[0, -1] = 1300.0  # volume ratio 1.3 -> 1 point instead of 2
    assert off.technical_score(c, c, v).tolist() == [9.0]


def test_chip_score_golden():
    c = np.full((1, 60), 10.0)
    v = np.full((1, 60), 1000.0)
    # all volume at one price: concentration 1 -> 5; profit 0 -> 0; no shrink -> 0
    assert off.chip_score(c, c, c, v).tolist() == [5.0]
    c2 = c.copy()
    c2[0, -1] = 11.5
    v2 = v.copy()
    v2[0, -1] = 0.0
    # VWAP 10, profit 15% -> 3; 5-day volume 800 vs 983.3 mean -> shrink 0.81 -> 1 point
    assert off.chip_score(c2, c2, c2, v2).round(9).tolist() == [9.0]
    # 800 shares a day over 5,000 float shares = 16% turnover -> minus 1
    assert off.chip_score(c2, c2, c2, v2, float_shares=[5000]).round(9).tolist() == [8.0]
    assert off.chip_score(c, c, c, np.zeros((1, 60))).tolist() == [0.0]


def test_valuation_score_golden_within_industry():
    pe = [10, 20, 30, 40, -5, 15]
    pb = [1, 2, 3, 4, 1, 1]
    inds = ["A", "A", "A", "A", "A", "B"]
    s = off.valuation_score(pe, pb, inds)
    # industry A (4 profitable): mid-ranks .125 .375 .625 .875 -> 10*(1-rank); loss-maker 0; B alone: 5
    assert s.round(6).tolist() == [8.75, 6.25, 3.75, 1.25, 0.0, 5.0]
    hist = [0, 100, np.nan, 50, 50, 50]
    s2 = off.valuation_score(pe, pb, inds, pe_hist_pct=hist)
    assert s2.round(6).tolist() == [9.375, 3.125, 3.75, 3.125, 0.0, 5.0]


def test_industry_flow_score_golden():
    assert off.industry_flow_score([1.0, 2.0, 3.0]).round(6).tolist() == [3.333333, 6.666667, 10.0]
    s = off.industry_flow_score([1.0, 2.0], net_ratio=[2.0, 1.0], change_pct=[1.0, 2.0])
    # (0.5*.5 + 0.3*1 + 0.2*.5)/1.0 = 0.65 ; (0.5*1 + 0.3*.5 + 0.2*1) = 0.85
    assert s.round(6).tolist() == [6.5, 8.5]
    assert off.stock_industry_score(["A", "X", ""], {"A": 7.0}).tolist() == [7.0, 5.0, 5.0]


def test_composite_weights_normalised_and_validated():
    f = {"industry": [10.0], "valuation": [0.0], "technical": [5.0], "chip": [np.nan]}
    assert off.composite_score(f, {"industry": 1, "valuation": 1, "technical": 2, "chip": 0}).tolist() == [5.0]
    assert off.composite_score(f).round(6).tolist() == [0.25 * 10 + 0.35 * 5]
    with pytest.raises(ValueError, match="unknown factor"):
        off.normalised_weights({"momentum": 1})
    with pytest.raises(ValueError, match="all be zero"):
        off.normalised_weights({"industry": 0})


def test_exit_prices_on_tick_half_up():
    assert off.exit_prices(10.0, 0.15, 0.07) == (11.5, 9.3)
    assert off.exit_prices(1.15, 0.10, 0.05) == (1.27, 1.09)      # 1.265 -> 1.27 (float round gives 1.26)
    assert off.exit_prices(0.615, 0.10, 0.10, tick=0.001) == (0.677, 0.554)


def _scores(codes, comp, inds=None):
    n = len(codes)
    z = np.zeros(n)
    return off.Scores(codes, z, z, z, z, np.asarray(comp, dtype=float))


def test_strategy_buy_then_stop_loss_intraday_and_decay():
    st = off.OffensiveLayerStrategy(buy_threshold=5, sell_threshold=3, take_profit_pct=0.1, stop_loss_pct=0.05,
                                    capital=100000, max_stock_weight=0.2)
    sc = _scores(["600000.SH", "000001.SZ"], [6.0, 4.9])
    sigs = st.on_day(20261120, 1, sc, [10.0, 20.0])
    assert [(s.code, s.action, s.price, s.quantity, s.take_profit, s.stop_loss) for s in sigs] == [
        ("600000.SH", "buy", 10.0, 2000, 11.0, 9.5)]
    assert sigs[0].signal_id == "offensive:20261120:600000.SH:buy:entry"
    st.on_fill(Fill("c1", "600000.SH", "buy", 10.0, 2000, 2, 1, "t1", "offensive"), sigs[0])
    assert st.on_prices(20261121, 3, {"600000.SH": 9.6}) == []
    stop = st.on_prices(20261121, 4, {"600000.SH": 9.5})
    assert [(s.action, s.quantity, s.signal_id) for s in stop] == [
        ("sell", 2000, "offensive:20261121:600000.SH:sell:stop_loss")]
    assert st.on_prices(20261121, 5, {"600000.SH": 9.4}) == []  # exit already pending
    st.on_fill(Fill("c2", "600000.SH", "sell", 9.5, 2000, 6, 2, "t2", "offensive"))
    assert st.holdings == {}
    # decay: held with entry score 8, today 5.4 (drop 2.6 >= 2.5)
    st.on_fill(Fill("c3", "000001.SZ", "buy", 20.0, 100, 7, 3, "t3", "offensive"),
               sigs[0]._replace(code="000001.SZ", score=8.0, take_profit=0.0))
    out = st.on_day(20261124, 8, _scores(["000001.SZ"], [5.4]), [20.0])
    assert [(s.action, s.signal_id.split(":")[-1]) for s in out] == [("sell", "decay")]


def test_rotation_targets_caps_and_ranking():
    codes = ["a1", "a2", "a3", "b1", "b2", "c1"]
    inds = ["A", "A", "A", "B", "B", "C"]
    comp = [9, 8, 7, 6, 4, 9]
    t = off.rotation_targets(codes, inds, comp, {"A": 9, "B": 8, "C": 1}, top_industries=2, top_stocks=2,
                             max_industry_weight=0.4, max_stock_weight=0.3)
    # picks a1, a2 (A), b1 (B; b2 below 5); equal 1/3 capped 0.3; industry A 2 x 0.3 > 0.4 -> 0.2 each
    assert t == {"a1": 0.2, "a2": 0.2, "b1": 0.3}
    assert off.rotation_targets(codes, inds, [1] * 6, {"A": 9}) == {}


def test_rotation_day_rules_and_rotation_sells():
    assert off.is_rotation_day(20261123, 20261120, "weekly")        # Mon after Fri
    assert not off.is_rotation_day(20261124, 20261123, "weekly")
    assert off.is_rotation_day(20261201, 20261130, "monthly")
    assert not off.is_rotation_day(20261130, 20261127, "monthly")
    with pytest.raises(ValueError):
        off.is_rotation_day(20261201, 20261130, "yearly")
    st = off.OffensiveLayerStrategy(rotation="weekly")
    st.on_fill(Fill("c", "600001.SH", "buy", 10.0, 100, 1, 1, "t", "offensive"))
    sc = _scores(["600001.SH", "600002.SH"], [6.0, 7.0])
    out = st.on_day(20261123, 1, sc, [10.0, 10.0], industries=["X", "Y"], industry_scores={"Y": 9.0, "X": 1.0},
                    prev_trade_date=20261120)
    got = sorted((s.code, s.action) for s in out)
    # 600001 held but its industry is not in the top 3? top 3 includes X, so it stays; top_industries=1 -> sold
    assert got == [("600002.SH", "buy")]
    st.top_industries = 1
    st.pending_exits.clear()
    out = st.on_day(20261130, 1, sc, [10.0, 10.0], industries=["X", "Y"], industry_scores={"Y": 9.0, "X": 1.0},
                    prev_trade_date=20261127)
    assert sorted((s.code, s.action, s.signal_id.split(":")[-1]) for s in out) == [
        ("600001.SH", "sell", "rotation"), ("600002.SH", "buy", "entry")]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 90), st.booleans())
def test_last_day_technical_score_equals_matrix_last_column(seed, days, gaps):
    """The fast last-day path and the [stocks x days] matrix apply the same rules."""
    rng = np.random.default_rng(seed)
    c = 10 * np.exp(np.cumsum(rng.normal(0, 0.03, (6, days)), axis=1))
    h = c * (1 + rng.uniform(0, 0.02, (6, days)))
    v = rng.uniform(1e3, 1e5, (6, days))
    if gaps:
        c[rng.uniform(size=c.shape) < 0.1] = np.nan
    assert off.technical_score(c, h, v).tolist() == off.technical_score_matrix(c, h, v)[:, -1].tolist()


def test_rotation_mode_buys_only_on_rotation_days():
    st_ = off.OffensiveLayerStrategy(rotation="weekly")
    sc = _scores(["600001.SH"], [9.0])
    kw = {"industries": ["X"], "industry_scores": {"X": 9.0}}
    assert st_.on_day(20261124, 1, sc, [10.0], prev_trade_date=20261123, **kw) == []     # Tuesday
    assert [s.action for s in st_.on_day(20261130, 1, sc, [10.0], prev_trade_date=20261127, **kw)] == ["buy"]
    assert [s.action for s in st_.on_day(20261124, 1, sc, [10.0])] == ["buy"]           # threshold mode



@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 80))
def test_chip_score_vectorised_equals_per_stock(seed, days):
    rng = np.random.default_rng(seed)
    c = 10 * np.exp(np.cumsum(rng.normal(0, 0.03, (5, days)), axis=1))
    h, lo = c * 1.02, c * 0.98
    v = rng.uniform(0, 1e5, (5, days))
    fs = rng.uniform(1e4, 1e7, 5)
    whole = off.chip_score(h, lo, c, v, fs)
    rows = [off.chip_score(h[i], lo[i], c[i], v[i], fs[i:i + 1])[0] for i in range(5)]
    assert whole.tolist() == rows and ((whole >= 0) & (whole <= 10)).all()
