"""A-share rules: limit prices vs Decimal half-up, boards, lots, cage."""
import datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qmt_strategies import ashare as a

VECTORS = [  # pre, limit, tick, up, down (None = not given)
    (1.15, 0.10, 0.01, 1.27, None),
    (1.45, 0.10, 0.01, 1.60, None),
    (1.90, 0.05, 0.01, 2.00, None),
    (1.15, 0.30, 0.01, 1.50, None),
    (0.615, 0.10, 0.001, 0.677, 0.554),
    (10.05, 0.10, 0.01, 11.06, 9.05),
    (11.11, 0.10, 0.01, 12.22, 10.00),
    (3.33, 0.05, 0.01, 3.50, 3.16),
    (25.27, 0.20, 0.01, 30.32, 20.22),
]


def dec_limits(pre, bp, tick):
    q = Decimal(1) / Decimal(int(round(1 / tick)))
    p = Decimal(str(pre))
    up = (p * (Decimal(1) + Decimal(bp) / 10000)).quantize(q, rounding=ROUND_HALF_UP)
    dn = (p * (Decimal(1) - Decimal(bp) / 10000)).quantize(q, rounding=ROUND_HALF_UP)
    return float(up), float(max(dn, q))


def test_reference_vectors():
    for pre, lim, tick, up, down in VECTORS:
        bp = int(round(lim * 10000))
        tu = 1 if tick == 0.001 else 10
        u, d = a.limit_prices(np.array([pre]), np.array([bp]), np.array([tu]))
        assert u[0] == up, (pre, lim, u[0])
        if down is not None:
            assert d[0] == down, (pre, lim, d[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 300000), min_size=1, max_size=50),
       st.sampled_from([500, 1000, 2000, 3000]), st.sampled_from([1, 10]))
def test_limit_prices_equal_decimal_half_up(pre_units, bp, tick_u):
    pre_units = [p - p % tick_u or tick_u for p in pre_units]   # prev close lies on the tick grid
    pre = np.array(pre_units) / 1000.0
    up, down = a.limit_prices(pre, np.full(len(pre), bp), np.full(len(pre), tick_u))
    for i, p in enumerate(pre.tolist()):
        du, dd = dec_limits(p, bp, tick_u / 1000.0)
        assert up[i] == du and down[i] == dd, (p, bp, tick_u, up[i], du, down[i], dd)


def test_sweep_1_to_30_all_limits():
    pre = np.arange(100, 3001) / 100.0
    for bp in (500, 1000, 2000, 3000):
        up, down = a.limit_prices(pre, np.full(len(pre), bp), np.full(len(pre), 10))
        ref = [dec_limits(p, bp, 0.01) for p in pre.tolist()]
        assert up.tolist() == [r[0] for r in ref]
        assert down.tolist() == [r[1] for r in ref]


def test_boards():
    codes = ["600000.SH", "000001.SZ", "300750.SZ", "688981.SH", "430047.BJ", "920001.BJ",
             "510300.SH", "159915.SZ", "588000.SH", "999999.XX", "204001.SH"]
    assert a.boards(codes).tolist() == [a.BOARD_MAIN, a.BOARD_MAIN, a.BOARD_CHINEXT, a.BOARD_STAR,
                                        a.BOARD_BSE, a.BOARD_BSE, a.BOARD_ETF, a.BOARD_ETF,
                                        a.BOARD_ETF, a.BOARD_OTHER, a.BOARD_OTHER]


def test_limit_bp_st_date_aware_and_wide_etf():
    b = a.boards(["600000.SH", "600001.SH", "510300.SH", "588000.SH", "300750.SZ", "430047.BJ"])
    st_ = [False, True, False, False, False, False]
    wide = [a.default_wide_limit(c) for c in ["600000.SH", "600001.SH", "510300.SH", "588000.SH",
                                                "300750.SZ", "430047.BJ"]]
    before = a.limit_bp(b, st_, wide, trade_date=20260703)
    after = a.limit_bp(b, st_, wide, trade_date=datetime.date(2026, 7, 6))
    assert before.tolist() == [1000, 500, 1000, 2000, 2000, 3000]
    assert after.tolist() == [1000, 1000, 1000, 2000, 2000, 3000]
    nl = a.limit_bp(b, no_limit=[True, False, False, False, False, False])
    assert nl[0] == 0
    up, down = a.limit_prices(np.array([10.0]), np.array([0]), np.array([10]))
    assert np.isinf(up[0]) and down[0] == 0


def test_round_lot():
    b = np.array([a.BOARD_MAIN, a.BOARD_STAR, a.BOARD_STAR, a.BOARD_BSE, a.BOARD_BSE, a.BOARD_ETF, a.BOARD_STAR])
    q = np.array([250, 199, 257, 99, 157, 1999, 200001])
    assert a.round_lot(q, b).tolist() == [200, 0, 257, 0, 157, 1900, 100000]


def test_cage():
    b = np.array([a.BOARD_MAIN, a.BOARD_STAR, a.BOARD_MAIN, a.BOARD_ETF])
    bench = a.to_units([10.00, 10.00, 2.00, 1.000])
    tick = a.tick_units(b)
    buy_max, sell_min = a.cage_units(bench, b, tick)
    # 10.00: 2% = 10.20 beats +10 ticks (10.10); STAR plain 2%; 2.00: +10 ticks (2.10) beats 2.04
    assert a.to_price(buy_max).tolist() == [10.20, 10.20, 2.10, 1.020]
    assert a.to_price(sell_min).tolist() == [9.80, 9.80, 1.90, 0.980]


@settings(max_examples=200, deadline=None)
@given(st.integers(10, 500000), st.sampled_from([a.BOARD_MAIN, a.BOARD_STAR, a.BOARD_ETF, a.BOARD_BSE]))
def test_cage_equals_decimal_rule(bench_units, board):
    tick_u = 1 if board == a.BOARD_ETF else 10
    bench_units -= bench_units % tick_u
    bench = Decimal(bench_units) / 1000
    tick = Decimal(tick_u) / 1000
    hi = bench * Decimal("1.02") if board == a.BOARD_STAR else max(bench * Decimal("1.02"), bench + 10 * tick)
    lo = bench * Decimal("0.98") if board == a.BOARD_STAR else min(bench * Decimal("0.98"), bench - 10 * tick)
    want_hi = (hi / tick).to_integral_value(rounding="ROUND_FLOOR") * tick
    want_lo = max((lo / tick).to_integral_value(rounding="ROUND_CEILING") * tick, tick)
    buy_max, sell_min = a.cage_units(np.array([bench_units]), np.array([board]), np.array([tick_u]))
    assert Decimal(int(buy_max[0])) / 1000 == want_hi and Decimal(int(sell_min[0])) / 1000 == want_lo


@given(st.integers(0, 10 ** 7), st.sampled_from([a.BOARD_MAIN, a.BOARD_CHINEXT, a.BOARD_STAR, a.BOARD_BSE, a.BOARD_ETF]))
def test_round_lot_rules(qty, board):
    got = int(a.round_lot(np.array([qty]), np.array([board]))[0])
    assert 0 <= got <= qty
    if board == a.BOARD_STAR:
        assert got == (min(qty, 100000) if qty >= 200 else 0)
    elif board == a.BOARD_BSE:
        assert got == (qty if qty >= 100 else 0)
    else:
        assert got % 100 == 0 and qty - got < 100
