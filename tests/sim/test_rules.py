"""A-share rules: the reference vectors, boards, lots, cage, sessions, fees (ashare_rules.md)."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import calendar, rules

D = dt.date(2026, 3, 2)


@pytest.mark.parametrize("pre,ratio,code,up,down", [
    (1.15, "0.10", "600001.SH", 1.27, None),
    (1.45, "0.10", "600001.SH", 1.60, None),
    (1.90, "0.05", "600001.SH", 2.00, None),
    (1.15, "0.30", "430047.BJ", 1.50, None),
    (0.615, "0.10", "510300.SH", 0.677, 0.554),
    (10.05, "0.10", "000001.SZ", 11.06, 9.05),
    (11.11, "0.10", "000001.SZ", 12.22, 10.00),
    (3.33, "0.05", "600001.SH", 3.50, 3.16),
    (25.27, "0.20", "300750.SZ", 30.32, 20.22),
])
def test_reference_limit_vectors(pre, ratio, code, up, down):
    got_up, got_down = rules.limit_prices(pre, Decimal(ratio), code)
    assert got_up == up
    if down is not None:
        assert got_down == down


def test_float_round_would_be_wrong_for_vectors():
    # the reason for Decimal: float round() gives 1.26 for 1.15 x 1.1
    assert round(1.15 * 1.1, 2) == 1.26
    assert rules.limit_prices(1.15, Decimal("0.1"), "600000.SH")[0] == 1.27


@pytest.mark.parametrize("code,board", [
    ("600000.SH", rules.SH_MAIN), ("601318.SH", rules.SH_MAIN), ("603001.SH", rules.SH_MAIN),
    ("605001.SH", rules.SH_MAIN), ("000001.SZ", rules.SZ_MAIN), ("001979.SZ", rules.SZ_MAIN),
    ("002594.SZ", rules.SZ_MAIN), ("003816.SZ", rules.SZ_MAIN), ("300750.SZ", rules.CHINEXT),
    ("301001.SZ", rules.CHINEXT), ("302132.SZ", rules.CHINEXT), ("688981.SH", rules.STAR),
    ("689009.SH", rules.STAR), ("430047.BJ", rules.BSE), ("830799.BJ", rules.BSE), ("870299.BJ", rules.BSE),
    ("889999.BJ", rules.BSE), ("920002.BJ", rules.BSE), ("510300.SH", rules.ETF_SH), ("560010.SH", rules.ETF_SH),
    ("588000.SH", rules.ETF_SH), ("159915.SZ", rules.ETF_SZ), ("161005.SZ", rules.ETF_SZ),
    ("000300.SH", rules.INDEX), ("399001.SZ", rules.INDEX),
])
def test_board_of_code(code, board):
    assert rules.board(code) == board


def test_bad_code_message_names_the_code():
    with pytest.raises(ValueError, match="600000"):
        rules.board("600000")


def test_limit_ratio_by_board_and_date():
    assert rules.limit_ratio("600000.SH", D) == Decimal("0.10")
    assert rules.limit_ratio("300750.SZ", D) == Decimal("0.20")
    assert rules.limit_ratio("688981.SH", D) == Decimal("0.20")
    assert rules.limit_ratio("430047.BJ", D) == Decimal("0.30")
    assert rules.limit_ratio("600001.SH", D, is_st=True) == Decimal("0.05")
    assert rules.limit_ratio("600001.SH", dt.date(2026, 7, 3), is_st=True) == Decimal("0.05")
    assert rules.limit_ratio("600001.SH", dt.date(2026, 7, 6), is_st=True) == Decimal("0.10")
    assert rules.limit_ratio("300001.SZ", D, is_st=True) == Decimal("0.20")   # ST on ChiNext keeps 20%
    assert rules.limit_ratio("510300.SH", D) == Decimal("0.10")
    assert rules.limit_ratio("588000.SH", D, etf_limit_20=True) == Decimal("0.20")
    assert rules.limit_ratio("159915.SZ", D, etf_limit_20=True) == Decimal("0.20")


def test_new_listings_have_no_limit():
    for day in range(1, 6):
        assert rules.limit_ratio("603999.SH", D, listed_day=day) is None
        assert rules.limit_ratio("301999.SZ", D, listed_day=day) is None
        assert rules.limit_ratio("688999.SH", D, listed_day=day) is None
    assert rules.limit_ratio("603999.SH", D, listed_day=6) == Decimal("0.10")
    assert rules.limit_ratio("920099.BJ", D, listed_day=1) is None
    assert rules.limit_ratio("920099.BJ", D, listed_day=2) == Decimal("0.30")
    assert rules.limit_prices(10.0, None, "603999.SH") == (0.0, 0.0)


@given(ticks=st.integers(min_value=1, max_value=300_000), ratio=st.sampled_from(["0.05", "0.1", "0.2", "0.3"]),
       fund=st.booleans())
def test_limit_prices_equal_decimal_half_up(ticks, ratio, fund):
    code = "510300.SH" if fund else "600000.SH"
    q = Decimal("0.001") if fund else Decimal("0.01")
    pre = Decimal(ticks) * q
    up, down = rules.limit_prices(float(pre), Decimal(ratio), code)
    r = Decimal(ratio)
    assert Decimal(str(up)) == (pre * (1 + r)).quantize(q, rounding=ROUND_HALF_UP)
    assert Decimal(str(down)) == max((pre * (1 - r)).quantize(q, rounding=ROUND_HALF_UP), q)


def test_tick_size():
    assert rules.tick_size("510300.SH") == Decimal("0.001")
    assert rules.tick_size("600000.SH") == Decimal("0.01")


def test_buy_lots():
    assert rules.check_buy_volume("600000.SH", 100) is None
    assert rules.check_buy_volume("600000.SH", 150) is not None
    assert rules.check_buy_volume("510300.SH", 250) is not None
    assert rules.check_buy_volume("688981.SH", 199) is not None
    assert rules.check_buy_volume("688981.SH", 201) is None
    assert rules.check_buy_volume("688981.SH", 100_001) is not None
    assert rules.check_buy_volume("688981.SH", 60_000) is None
    assert rules.check_buy_volume("688981.SH", 60_000, market_order=True) is not None
    assert rules.check_buy_volume("430047.BJ", 99) is not None
    assert rules.check_buy_volume("430047.BJ", 101) is None
    assert rules.check_buy_volume("600000.SH", 0) is not None


def test_sell_odd_lots_all_at_once():
    assert rules.check_sell_volume("600000.SH", 100, 150) is None
    assert rules.check_sell_volume("600000.SH", 150, 150) is None
    assert rules.check_sell_volume("600000.SH", 50, 150) is None     # the odd remainder at once
    assert rules.check_sell_volume("600000.SH", 120, 150) is not None
    assert rules.check_sell_volume("600000.SH", 200, 150) is not None
    assert rules.check_sell_volume("688981.SH", 150, 150) is None    # STAR: remainder < 200 all at once
    assert rules.check_sell_volume("688981.SH", 150, 300) is not None
    assert rules.check_sell_volume("688981.SH", 201, 300) is None
    assert rules.check_sell_volume("430047.BJ", 50, 50) is None
    assert rules.check_sell_volume("430047.BJ", 50, 150) is not None


def test_price_cage():
    # main board: max(102%, +10 ticks) for buys
    assert rules.cage_ok("600000.SH", True, 10.30, 10.10)       # 10.10 + 10 ticks = 10.20 < 102% = 10.302
    assert not rules.cage_ok("600000.SH", True, 10.31, 10.10)
    assert rules.cage_ok("600000.SH", True, 1.10, 1.00)         # +10 ticks beats 2% for low prices
    assert not rules.cage_ok("600000.SH", True, 1.11, 1.00)
    assert rules.cage_ok("600000.SH", False, 0.90, 1.00)
    assert not rules.cage_ok("600000.SH", False, 0.89, 1.00)
    # STAR: plain 2%
    assert not rules.cage_ok("688981.SH", True, 1.03, 1.00)
    assert rules.cage_ok("688981.SH", True, 1.02, 1.00)
    # funds have no cage
    assert rules.cage_ok("510300.SH", True, 9.0, 1.0)
    assert rules.cage_benchmark(True, 9.99, 10.01, 10.0, 9.5) == 10.01
    assert rules.cage_benchmark(True, 9.99, 0.0, 10.0, 9.5) == 9.99
    assert rules.cage_benchmark(False, 0.0, 0.0, 0.0, 9.5) == 9.5


@pytest.mark.parametrize("hms,code,date,expected", [
    ((9, 0, 0), "600000.SH", D, rules.PRE_OPEN),
    ((9, 15, 0), "600000.SH", D, rules.CALL_OPEN),
    ((9, 19, 59), "600000.SH", D, rules.CALL_OPEN),
    ((9, 20, 0), "600000.SH", D, rules.CALL_OPEN_LOCKED),
    ((9, 25, 0), "600000.SH", D, rules.PRE_CONTINUOUS),
    ((9, 30, 0), "600000.SH", D, rules.CONTINUOUS),
    ((11, 30, 0), "600000.SH", D, rules.LUNCH),
    ((13, 0, 0), "600000.SH", D, rules.CONTINUOUS),
    ((14, 57, 0), "600000.SH", D, rules.CALL_CLOSE),
    ((14, 57, 0), "000001.SZ", D, rules.CALL_CLOSE),
    ((14, 57, 0), "159915.SZ", D, rules.CALL_CLOSE),
    ((14, 57, 0), "510300.SH", D, rules.CONTINUOUS),                 # SSE funds before 2026-07-06
    ((14, 57, 0), "510300.SH", dt.date(2026, 7, 6), rules.CALL_CLOSE),
    ((15, 0, 0), "600000.SH", D, rules.CLOSED),
])
def test_phases(hms, code, date, expected):
    assert rules.phase(code, rules.seconds_of_day(*hms), date) == expected


def test_cancel_windows():
    assert rules.CALL_OPEN in rules.CANCEL_PHASES
    assert rules.CALL_OPEN_LOCKED not in rules.CANCEL_PHASES
    assert rules.CALL_CLOSE not in rules.CANCEL_PHASES


def test_t0_kinds():
    assert rules.is_t0("511010.SH", rules.ETF_BOND)
    assert rules.is_t0("518880.SH", rules.ETF_GOLD)
    assert rules.is_t0("513100.SH", rules.ETF_CROSS_BORDER)
    assert not rules.is_t0("510300.SH", rules.ETF_EQUITY)
    assert not rules.is_t0("600000.SH", None)


def test_fees_date_effective():
    amt = Decimal(100000)
    assert rules.commission("600000.SH", amt) == Decimal("25.00")
    assert rules.commission("600000.SH", Decimal(1000)) == Decimal(5)          # minimum
    assert rules.commission("510300.SH", Decimal(1000)) == Decimal("0.25")       # funds: no minimum by default
    assert rules.levies("600000.SH", amt, False, dt.date(2023, 8, 28)) == Decimal("51.00")   # 0.05% + 0.001%
    assert rules.levies("600000.SH", amt, False, dt.date(2023, 8, 25)) == Decimal("101.00")  # 0.1% + 0.001%
    assert rules.levies("600000.SH", amt, True, dt.date(2022, 4, 28)) == Decimal("2.00")     # 0.002% before cut
    assert rules.levies("600000.SH", amt, True, dt.date(2022, 4, 29)) == Decimal("1.00")
    assert rules.levies("510300.SH", amt, False, D) == Decimal(0)
    fees = rules.FeeSchedule(fund_commission_min=Decimal(5))
    assert rules.commission("510300.SH", Decimal(1000), fees) == Decimal(5)


def test_calendar_range_error_names_the_range():
    with pytest.raises(calendar.CalendarRangeError, match="2026-12-31"):
        calendar.is_session(dt.date(2027, 1, 4))
    assert calendar.is_session(dt.date(2026, 10, 9))
    assert not calendar.is_session(dt.date(2026, 10, 1))   # National Day
    assert calendar.previous_sessions(dt.date(2026, 10, 8), 1) == [dt.date(2026, 9, 30)]
    assert calendar.next_session(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)
    assert dt.date(2026, 10, 1) in calendar.holidays("2026-09-28", "2026-10-09")


def test_guess_etf_kind_for_recorded_data():
    assert rules.guess_etf_kind("511880.SH", "银华日利") == rules.ETF_MONEY
    assert rules.guess_etf_kind("511010.SH", "国债ETF") == rules.ETF_BOND
    assert rules.guess_etf_kind("159934.SZ", "黄金ETF") == rules.ETF_GOLD
    assert rules.guess_etf_kind("513100.SH", "") == rules.ETF_CROSS_BORDER
    assert rules.guess_etf_kind("159941.SZ", "纳指ETF") == rules.ETF_CROSS_BORDER
    assert rules.guess_etf_kind("510300.SH", "沪深300ETF") == rules.ETF_EQUITY
    assert rules.guess_etf_kind("600000.SH", "浦发银行") is None
