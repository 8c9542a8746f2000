"""ETF exposure (weights, ranks, related ETFs, sealed weight) and IOPV / premium / loop edge."""
import math

import numpy as np
from tickmaker import make_tick
from hypothesis import given, settings
from hypothesis import strategies as st

from qmt_strategies import iopv as iv
from qmt_strategies.etf_exposure import MUST_CASH_FLAGS, Holdings
from qmt_strategies.snapshot import Snapshot

T0 = 1763688600000


def comp(code, qty, flag=1, sub=0.0, red=0.0, ratio=0.1):
    return {"成份股代码": code, "成份股数量": qty, "现金替代标志": flag, "申购替代金额": sub,
            "赎回替代金额": red, "申购现金替代溢价比率": ratio, "赎回现金替代折价比率": ratio}


def pcf(unit, cash, comps):
    return {"基金代码": "x", "最小申购、赎回单位": unit, "预估现金差额": cash, "现金差额": cash + 1,
            "成份股信息": comps}


def reference_iopv(info, ticks):
    """Per-code loop straight from the dicts."""
    total = info["预估现金差额"]
    for c in info["成份股信息"]:
        if c["现金替代标志"] in MUST_CASH_FLAGS:
            total += c["申购替代金额"]
            continue
        t = ticks.get(c["成份股代码"])
        px = 0.0
        if t is not None:
            px = t["lastPrice"] if t["lastPrice"] > 0 else t["lastClose"]
        total += c["成份股数量"] * px if px > 0 else c["申购替代金额"]
    return total / info["最小申购、赎回单位"]


def test_weights_ranks_related_sealed_weight():
    s = Snapshot()
    info = {"510001.SH": pcf(100000, 1000.0, [comp("600000.SH", 10000), comp("600001.SH", 5000),
                                               comp("600002.SH", 1000)]),
            "510002.SH": pcf(100000, 0.0, [comp("600000.SH", 100), comp("600003.SH", 20000)])}
    ticks = {"600000.SH": make_tick(10.0, 11.0, high=11.0, low=10.0, bid=[11.0, 10.99, 10.98, 10.97, 10.96],
                                    ask=[0.0] * 5),
             "600001.SH": make_tick(20.0), "600002.SH": make_tick(5.0), "600003.SH": make_tick(10.0),
             "510001.SH": make_tick(2.0, tick=0.001), "510002.SH": make_tick(2.0, tick=0.001)}
    s.update(ticks)
    h = Holdings.from_etf_info(info, s)
    h.update(s)
    total1 = 10000 * 11.0 + 5000 * 20.0 + 1000 * 5.0 + 1000.0
    e1 = np.nonzero(h.etf_of == 0)[0]
    assert np.allclose(h.weight[e1], [110000 / total1, 100000 / total1, 5000 / total1])
    assert math.isclose(h.total[0], total1)
    assert h.ranks(e1).tolist() == [1, 2, 3]
    sealed = np.zeros(s.n, bool)
    sealed[s.index["600000.SH"]] = True
    rel = h.related(sealed, 0.05)
    assert [(h.etf_codes[h.etf_of[i]], h.comp_codes[i]) for i in rel] == [("510001.SH", "600000.SH")]
    sw = h.sealed_weight(sealed)
    assert math.isclose(sw[0], 110000 / total1) and math.isclose(sw[1], 1100 / (1100 + 200000))
    top = h.top_sum([0, 1], k=2)
    assert math.isclose(top[0], 210000 / total1) and math.isclose(top[1], 1.0)
    nav = iv.iopv(h, s)
    assert math.isclose(nav[0], reference_iopv(info["510001.SH"], ticks), rel_tol=1e-12)


def test_disclosed_rows_drift_with_prices():
    s = Snapshot()
    s.update({"600000.SH": make_tick(10.0, 10.5), "600001.SH": make_tick(20.0, 20.0),
              "510300.SH": make_tick(4.0, 4.0, tick=0.001)})
    h = Holdings.from_rows([{"etf_code": "510300.SH", "stock_code": "600000.SH", "weight": 0.10},
                            {"etf_code": "510300.SH", "stock_code": "600001.SH", "weight": 0.05}], s)
    h.update(s)
    # 600000 up 5%: value 0.105, others flat; total 1.005
    assert np.allclose(h.weight, [0.105 / 1.005, 0.05 / 1.005])
    assert math.isclose(iv.iopv(h, s)[0], 4.0 * 1.005)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 39), st.integers(100, 50000), st.sampled_from([0, 1, 2, 3, 5]),
                          st.floats(0.0, 5e5)), min_size=1, max_size=60),
       st.lists(st.floats(0.5, 300.0), min_size=40, max_size=40),
       st.lists(st.booleans(), min_size=40, max_size=40),
       st.floats(-1e5, 1e5), st.integers(1, 20))
def test_iopv_equals_loop_reference(comps, prices, suspended, cash, units):
    codes = ["600%03d.SH" % i for i in range(40)]
    ticks = {}
    for i, c in enumerate(codes):
        p = round(prices[i], 2)
        ticks[c] = make_tick(p, 0.0 if suspended[i] else p, high=0.0 if suspended[i] else p,
                             low=0.0 if suspended[i] else p)
    info = {"510001.SH": pcf(units * 100000, cash, [comp(codes[i], q, f, sub) for i, q, f, sub in comps])}
    s = Snapshot()
    s.update(ticks)
    h = Holdings.from_etf_info(info, s)
    h.update(s)
    got = iv.iopv(h, s)[0]
    want = reference_iopv(info["510001.SH"], ticks)
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (got, want)


def test_premium_and_loop_edge():
    s = Snapshot()
    unit = 1000
    info = {"510001.SH": pcf(unit, 0.0, [comp("600000.SH", 100), comp("600001.SH", 100, flag=2, sub=2000.0,
                                                                          red=1900.0)])}
    etf_bid = [3.02, 3.019, 3.018, 3.017, 3.016]
    etf_ask = [3.03, 3.031, 3.032, 3.033, 3.034]
    s.set_watch(s.add_codes(["510001.SH"]))                 # read its 5-level book on every push
    s.update({"600000.SH": make_tick(10.0, 10.0, bid=[9.99] + [0.0] * 4, ask=[10.0] + [0.0] * 4),
              "600001.SH": make_tick(20.0),
              "510001.SH": make_tick(3.0, 3.02, bid=etf_bid, ask=etf_ask, bid_vol=[10] * 5, ask_vol=[10] * 5,
                                     tick=0.001)})
    h = Holdings.from_etf_info(info, s)
    h.update(s)
    nav = iv.iopv(h, s)
    assert math.isclose(nav[0], (100 * 10.0 + 2000.0) / unit)
    buy, sell = iv.premium(h, s, nav)
    assert math.isclose(buy[0], (3.03 - 3.0) / 3.0) and math.isclose(sell[0], (3.0 - 3.02) / 3.0)
    c = iv.LoopCosts(commission=0.0, stamp_duty=0.0, transfer_fee=0.0, etf_commission=0.0, creation_fee=0.0,
                     redemption_fee=0.0)
    e = iv.loop_edge(h, s, [0], c)
    # sell 1000 ETF shares into bid levels of 1000 each: all at 3.02; basket costs 100*10.00 + 2000
    assert math.isclose(e.create_edge[0], 3020.0 - 3000.0)
    assert math.isclose(e.redeem_edge[0], 100 * 9.99 + 1900.0 - 3030.0)
    assert e.etf_fill[0] == 1.0 and e.feasible[0]
    e2 = iv.loop_edge(h, s, [0])
    assert e2.create_edge[0] < e.create_edge[0]


def test_walk_book_and_infeasible_when_sealed_and_cash_forbidden():
    v, f = iv.walk_book(np.array([250.0]), np.array([[1.0, 2.0, 3.0, 0, 0]]), np.array([[100.0, 100, 100, 0, 0]]))
    assert v[0] == 100 * 1 + 100 * 2 + 50 * 3 and f[0] == 250
    s = Snapshot()
    info = {"510001.SH": pcf(1000, 0.0, [comp("600000.SH", 100, flag=0)])}
    s.update({"600000.SH": make_tick(10.0, 11.0, high=11.0, bid=[11.0] + [0.0] * 4, ask=[0.0] * 5),
              "510001.SH": make_tick(1.0, 1.05, tick=0.001, bid=[1.05, 1.049, 1.048, 1.047, 1.046],
                                     ask=[1.051, 1.052, 1.053, 1.054, 1.055])})
    h = Holdings.from_etf_info(info, s)
    h.update(s)
    e = iv.loop_edge(h, s, [0])
    assert not e.feasible[0] and np.isnan(e.create_edge[0])


def test_all_chinext_star_basket_gets_the_20pct_etf_limit():
    s = Snapshot()
    info = {"159999.SZ": pcf(1000, 0.0, [comp("300750.SZ", 100), comp("688981.SH", 100)]),
            "510001.SH": pcf(1000, 0.0, [comp("300750.SZ", 100), comp("600000.SH", 100)])}
    s.update({"159999.SZ": make_tick(1.0, 1.0, tick=0.001, bid=[1.0, 0.999, 0.998, 0.997, 0.996],
                                     ask=[1.001, 1.002, 1.003, 1.004, 1.005])})
    h = Holdings.from_etf_info(info, s)
    assert h.infer_wide_limits(s) == ["159999.SZ"]
    assert s.up[s.index["159999.SZ"]] == 1.2 and not s.wide_limit[s.index["510001.SH"]]


def test_empty_basket_and_unpriced_cross_market_component():
    s = Snapshot()
    info = {"510001.SH": pcf(1000, 50.0, []),
            "513001.SH": pcf(1000, 0.0, [comp("00700.HK", 100, flag=7, sub=30000.0), comp("600000.SH", 100)])}
    s.update({"600000.SH": make_tick(10.0, 10.0)})
    h = Holdings.from_etf_info(info, s)
    h.update(s)
    nav = iv.iopv(h, s)
    assert math.isclose(nav[h.etf_index["510001.SH"]], 0.05)
    assert math.isclose(nav[h.etf_index["513001.SH"]], (30000.0 + 1000.0) / 1000)   # HK leg at its cash amount
    assert h.top_sum([0, 1]).tolist()[0] == 0.0 and h.ranks([]).tolist() == []


@st.composite
def _market(draw):
    """A few ETFs with random baskets (some empty, some sharing stocks) and books with random depth."""
    n_stocks = draw(st.integers(1, 12))
    stocks = ["600%03d.SH" % i for i in range(n_stocks)]
    n_etfs = draw(st.integers(1, 6))
    info, ticks = {}, {}
    for k in range(n_etfs):
        members = draw(st.lists(st.sampled_from(stocks), max_size=n_stocks, unique=True))
        comps = [comp(c, draw(st.integers(1, 5000)), flag=draw(st.sampled_from([0, 1, 1, 2])), sub=1000.0,
                      red=900.0) for c in members]
        info["510%03d.SH" % k] = pcf(draw(st.sampled_from([1000, 10000])), draw(st.floats(0, 5000)), comps)
    px = st.floats(1.0, 50.0)
    vols = st.lists(st.integers(0, 300), min_size=5, max_size=5)
    for c in stocks:
        last = round(draw(px), 2)
        sealed = draw(st.booleans())
        ask = [0.0] * 5 if sealed else [round(last + 0.01 * (j + 1), 2) for j in range(5)]
        ticks[c] = make_tick(last, last, bid_vol=draw(vols), ask_vol=draw(vols), ask=ask)
    for etf in info:
        last = round(draw(st.floats(0.5, 5.0)), 3)
        ticks[etf] = make_tick(last, last, tick=0.001, bid_vol=draw(vols), ask_vol=draw(vols))
    return info, ticks


@settings(max_examples=60, deadline=None)
@given(_market(), st.data())
def test_rank_top_and_multi_etf_loop_edge_match_their_one_at_a_time_forms(market, data):
    info, ticks = market
    s = Snapshot()
    s.set_watch(s.add_codes(list(ticks)))                   # every row's 5-level book
    s.update(ticks)
    h = Holdings.from_etf_info(info, s)
    h.update(s)
    if len(h):
        ent = np.asarray(data.draw(st.lists(st.integers(0, len(h) - 1), min_size=1, max_size=20)), np.int64)
        for entries in (np.sort(ent), ent):                  # sorted (the scan's case) and in any order
            rank, top = h.rank_top(entries)
            assert rank.tolist() == h.ranks(entries).tolist()
            assert np.allclose(top, h.top_sum(h.etf_of[entries]), rtol=0, atol=1e-12)
    etfs = data.draw(st.lists(st.integers(0, len(h.etf_codes) - 1), min_size=1, max_size=6, unique=True))
    together = iv.loop_edge(h, s, etfs)
    for j, e in enumerate(etfs):
        alone = iv.loop_edge(h, s, [e])
        for name in ("create_edge", "create_ratio", "redeem_edge", "redeem_ratio", "etf_fill", "feasible"):
            a, b = getattr(together, name)[j], getattr(alone, name)[0]
            assert (np.isnan(a) and np.isnan(b)) or a == b, (name, e, a, b)


@settings(max_examples=60, deadline=None)
@given(_market(), st.data())
def test_loop_edge_walks_only_books_from_this_tick(market, data):
    """A component whose 5-level book is not from its latest tick counts at its touch: whatever its deeper
    levels and volumes hold, the edge is the same. A fresh book is walked (its volumes matter)."""
    info, ticks = market
    s = Snapshot()
    codes = sorted(ticks)
    watched = data.draw(st.lists(st.sampled_from(codes), unique=True))
    s.set_watch(s.add_codes(watched))
    s.update(ticks)
    h = Holdings.from_etf_info(info, s)
    h.update(s)
    etfs = list(range(len(h.etf_codes)))
    before = iv.loop_edge(h, s, etfs)
    stale = [r for r in range(s.n) if not s.book_fresh([r])[0]]
    rnd = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    for r in stale:                                  # garbage beyond the touch of every stale book
        s.bid[r, 1:] = rnd.uniform(0, 100, 4)
        s.ask[r, 1:] = rnd.uniform(0, 100, 4)
        s.bid_vol[r] = rnd.uniform(0, 50, 5)        # small: a walk would reach the deeper levels
        s.ask_vol[r] = rnd.uniform(0, 50, 5)
    after = iv.loop_edge(h, s, etfs)
    for name in ("create_edge", "create_ratio", "redeem_edge", "redeem_ratio", "etf_fill", "feasible"):
        assert np.array_equal(getattr(before, name), getattr(after, name), equal_nan=True), name
    walked = [i for i in range(len(h)) if s.book_fresh([h.comp_row[i]])[0] and not h.must_cash[i]
              and s.ask[h.comp_row[i], 0] > 0 and h.qty[i] > 5]
    if walked:                                       # a fresh book is walked: thin levels cost more than the touch
        i = walked[0]
        r, e = h.comp_row[i], h.etf_of[i]
        s.ask[r] = s.ask[r, 0] + 0.01 * np.arange(5)
        s.ask_vol[r] = 1e9
        at_touch = iv.loop_edge(h, s, [e]).create_edge[0]
        s.ask_vol[r] = 1.0
        thin = iv.loop_edge(h, s, [e]).create_edge[0]
        assert np.isnan(at_touch) or thin < at_touch
