"""Golden tests for the sector money-flow math (ETF method and breadth method) and valuation percentiles."""
import datetime

import numpy as np

from qmt_strategies import sector_flow as sf
from qmt_strategies import valuation as val


def test_chaikin_flow_golden():
    # close at the high: all inflow; at the low: all outflow; mid: 0; no range: 0
    out = sf.chaikin_flow([100, 100, 100, 100], [11, 11, 11, 10], [9, 9, 9, 10], [11, 9, 10, 10])
    assert out.tolist() == [100.0, -100.0, 0.0, 0.0]


def test_etf_sector_flow_score_stars_labels_rank():
    r = sf.etf_sector_flow(change_pct=[3.0, -3.0, 0.1, 0.8], amount=[200, 100, 100, 100],
                           prev_amount=[100, 50, 100, 100], main_net_inflow=[100, -50, 0, 20])
    assert r.volume_ratio.tolist() == [2.0, 2.0, 1.0, 1.0]
    assert r.flow_ratio.tolist() == [0.5, -0.5, 0.0, 0.2]
    # 40*1 + 30*1 + 30*1 = 100 ; 40*0 + 30*1 + 0 = 30 ; 40*.5167+30*.3333+30*.5 ; 40*.6333+10+30*.7
    assert np.round(r.score, 4).tolist() == [100.0, 30.0, 45.6667, 56.3333]
    assert r.stars.tolist() == [5, 1, 2, 3]
    assert r.label == [sf.INFLOW_STRONG, sf.OUTFLOW_HEAVY, sf.FLAT, sf.INFLOW_STEADY]
    assert r.rank.tolist() == [1, 4, 3, 2]


def test_direction_labels_with_yesterday():
    assert sf.direction_label(0.5, 1.0, 0.2, prev_flow_ratio=0.1) == sf.INFLOW_STEADY
    assert sf.direction_label(-0.5, 1.0, 0.2, prev_flow_ratio=-0.1) == sf.INFLOW_SMALL
    assert sf.direction_label(-0.5, 1.0, -0.2, prev_flow_ratio=-0.1) == sf.OUTFLOW_STEADY
    assert sf.direction_label(-0.5, 1.0, -0.2) == sf.OUTFLOW_SMALL


def test_chaikin_used_when_no_main_flow():
    r = sf.etf_sector_flow([1.0], [100], [100], high=[11], low=[9], close=[10.5])
    assert r.net_flow.tolist() == [50.0]


def test_breadth_golden():
    b = sf.breadth(["银行", "银行", "银行", "医药", None], [1.0, -2.0, 4.0, 0.0, 9.0], [1.0, 2.0, np.nan, 3.0, 1.0])
    assert b.sector == ["医药", "银行"]
    assert b.count.tolist() == [1, 3]
    assert b.avg_change_pct.tolist() == [0.0, 1.0]
    assert b.avg_volume_ratio.tolist() == [3.0, 1.5]
    assert np.round(b.up_share, 4).tolist() == [0.0, 0.6667]
    assert sf.industry_scores_from_flow(["A"], [73.0]) == {"A": 7.3}


def test_percentile_and_light_golden():
    assert val.percentile_of_last([10, 20, 30, 40, 25]) == 60.0
    assert val.percentile_of_last([np.nan, -1]) is None
    assert [val.traffic_light(p) for p in (None, 10, 30, 50, 70, 99)] == ["none", "green", "green", "yellow",
                                                                        "red", "red"]
    start = datetime.date(2020, 1, 1)
    dates = [start + datetime.timedelta(days=i) for i in range(2000)]
    values = list(range(1, 2001))  # rising: the last value is the highest in any window
    assert val.percentile_over_window(dates, values, years=5, min_points=10) == 100.0
    # a 1-year window holds 365 points; asof in the middle
    asof = datetime.date(2022, 1, 1)
    assert val.percentile_over_window(dates, values, years=1, asof=asof, min_points=10) == 100.0
    assert val.percentile_over_window(dates[:5], values[:5], years=5, min_points=10) is None
    assert val.window_start(datetime.date(2024, 2, 29), 1) == datetime.date(2023, 3, 1)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, 12, elements=st.floats(-11, 11)), arrays(np.float64, 12, elements=st.floats(0, 1e10)),
       arrays(np.float64, 12, elements=st.floats(0, 1e10)), arrays(np.float64, 12, elements=st.floats(-1e10, 1e10)))
def test_sector_flow_bounds_and_ranking(chg, amt, prev, flow):
    r = sf.etf_sector_flow(chg, amt, prev, main_net_inflow=flow)
    assert ((r.score >= 0) & (r.score <= 100)).all()
    assert (r.stars == sf.stars_of(r.score)).all() and set(r.stars) <= {1, 2, 3, 4, 5}
    assert sorted(r.rank) == list(range(1, 13))
    order = np.argsort(r.rank)
    assert (np.diff(r.score[order]) <= 1e-9).all()
    assert set(r.label) <= set(sf.LABELS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.5, 100), min_size=1, max_size=40), st.floats(0.5, 100))
def test_percentile_bounds_and_monotone(history, last):
    p = val.percentile_of_last(history + [last])
    assert 0 < p <= 100
    assert val.percentile_of_last(history + [last * 1.5]) >= p
