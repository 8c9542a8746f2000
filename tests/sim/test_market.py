"""Universe and reference data: boards, limits by the rules, PCF baskets at NAV, sectors, daily series."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from sim import rules
from sim.market import refdata
from sim.market.universe import SW_L1, build_universe

DATE = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def u():
    return build_universe(300, 40, DATE, seed=2)


def test_codes_boards_and_counts(u):
    assert len(u.codes) == len(set(u.codes)) == 340
    boards = Counter(u.boards)
    for b in (rules.SH_MAIN, rules.SZ_MAIN, rules.CHINEXT, rules.STAR, rules.BSE):
        assert boards[b] > 0
    assert boards[rules.ETF_SH] + boards[rules.ETF_SZ] == 40
    for code, b in zip(u.codes, u.boards):
        assert rules.board(code) == b
    assert {"600000.SH", "000001.SZ", "300750.SZ", "688981.SH", "430047.BJ", "510300.SH", "159915.SZ"} <= set(u.codes)


def test_limits_follow_the_rules(u):
    for i, code in enumerate(u.codes):
        r = rules.limit_ratio(code, DATE, is_st=bool(u.is_st[i]), listed_day=u.listed_day[i],
                              etf_limit_20=bool(u.etf_limit_20[i]))
        assert (u.up_stop[i], u.down_stop[i]) == rules.limit_prices(float(u.pre_close[i]), r, code)
        div = u.tick_div[i]
        assert abs(u.pre_close[i] * div - round(u.pre_close[i] * div)) < 1e-6
    st = [n for n, s in zip(u.names, u.is_st) if s]
    assert st and all(n.startswith(("ST", "*ST")) for n in st)


def test_instrument_detail_keys(u):
    i = u.codes.index("688981.SH")
    d = refdata.instrument_detail(u, i)
    for key in ("ExchangeID", "InstrumentID", "InstrumentName", "OpenDate", "PreClose", "UpStopPrice", "DownStopPrice",
                "FloatVolume", "TotalVolume", "PriceTick", "InstrumentStatus", "IsTrading"):
        assert key in d
    assert d["ExchangeID"] == "SH" and d["InstrumentID"] == "688981" and d["PriceTick"] == 0.01
    assert d["MinLimitOrderVolume"] == 200 and d["MaxLimitOrderVolume"] == 100_000
    assert refdata.instrument_detail(u, u.codes.index("510300.SH"))["PriceTick"] == 0.001


def test_pcf_basket_nav_equals_pre_close_series(u):
    info = refdata.etf_info(u)
    with_basket = [c for c, v in info.items() if v["成份股信息"]]
    assert with_basket and len(info) == 40
    for code in with_basket:
        v = info[code]
        px = {c: u.pre_close[u.codes.index(c)] for c in u.codes}
        nav = (sum(x["成份股数量"] * px[x["成份股代码"]] for x in v["成份股信息"]) + v["现金差额"]) / v["最小申购、赎回单位"]
        pre = u.pre_close[u.codes.index(code)]
        assert abs(nav / pre - 1) < 0.05      # cash component fixed at the reference date; basket moves with the stocks
        assert v["基金代码"] == code.split(".")[0] and v["market"] == code.split(".")[1]
    star = info["588000.SH"]["成份股信息"]
    assert star and all(x["成份股代码"].startswith("688") for x in star)


def test_sectors(u):
    s = refdata.sectors(u)
    assert set(s["沪深A股"]) == {c for c, b in zip(u.codes, u.boards)
                               if b in (rules.SH_MAIN, rules.SZ_MAIN, rules.CHINEXT, rules.STAR)}
    assert all(c.endswith(".BJ") for c in s["北证A股"])
    assert sum(len(s["SW1" + x]) for x in SW_L1) == 300


def test_series_is_prefix_stable_and_within_limits(u):
    later = build_universe(300, 40, dt.date(2026, 12, 1), seed=2)
    k = u.hist_dates.index(dt.date(2026, 11, 19))
    k2 = later.hist_dates.index(dt.date(2026, 11, 19))
    assert np.array_equal(u.hist_close[:k + 1][-100:], later.hist_close[:k2 + 1][-100:])
    assert np.array_equal(later.hist_close[k2 + 1], u.target_close)
    ratio = np.abs(u.hist_close[1:] / u.hist_close[:-1] - 1)
    assert ratio[:, ~u.is_etf].max() < 0.31


def test_different_seeds_differ():
    a, b = build_universe(60, 6, DATE, seed=1), build_universe(60, 6, DATE, seed=2)
    assert a.pre_close.tolist() != b.pre_close.tolist()
