"""The QMT strategy-runner emulator: script loading, ContextInfo semantics, passorder codes, bar fills, metrics."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import rules
from sim.qmt import metrics as M
from sim.qmt.bar_broker import BarBroker
from sim.qmt.data import synthetic_codes, synthetic_daily
from sim.qmt.runner import QmtRunner
from sim.qmt.script import ScriptError
from sim.qmt.world_driver import WorldRunner
from tests.qmt.conftest import tiny_config

STORE = None


def store():
    global STORE
    if STORE is None:
        STORE = synthetic_daily(synthetic_codes(6), "2024-01-02", "2024-03-29", seed=7)
    return STORE


def script(tmp_path, body: str, name="s.py", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(body.encode(encoding))
    return p


def run_bt(tmp_path, body, **kw):
    r = QmtRunner(script(tmp_path, body), start=kw.pop("start", "20240201"), end=kw.pop("end", "20240329"), **kw)
    return r, r.run_bars(store())


# ---------------------------------------------------------------- loading

def test_gbk_script_with_chinese_runs(tmp_path):
    body = "# -*- coding: gbk -*-\n# 中文注释\nNAME = '双均线'\ndef handlebar(C):\n    pass\n"
    r = QmtRunner(script(tmp_path, body, encoding="gbk"), start="20240201", end="20240210")
    r.run_bars(store())
    assert r.encoding == "gbk" and r.g["NAME"] == "双均线"


def test_newer_syntax_is_refused(tmp_path):
    with pytest.raises(ScriptError, match="3.6"):
        QmtRunner(script(tmp_path, "def handlebar(C):\n    if (n := 1):\n        pass\n"))


def test_import_outside_whitelist_is_refused(tmp_path):
    with pytest.raises(ImportError, match="not allowed"):
        run_bt(tmp_path, "import sqlalchemy\ndef handlebar(C):\n    pass\n")


def test_not_a_strategy(tmp_path):
    with pytest.raises(ScriptError, match="neither init"):
        run_bt(tmp_path, "X = 1\n")


# ---------------------------------------------------------------- ContextInfo

def test_handlebar_per_bar_in_range_and_no_lookahead(tmp_path):
    body = """
seen = []
def handlebar(C):
    d = C.get_market_data_ex(['close'], [C.stock_code], period='1d', count=-1)[C.stock_code]
    seen.append((C.barpos, len(d), d.index[-1], timetag_to_datetime(C.get_bar_timetag(C.barpos), '%Y%m%d'),
                 C.is_last_bar()))
"""
    r, res = run_bt(tmp_path, body)
    seen = r.g["seen"]
    s = store()
    lo = s.labels.index("20240201")
    assert [x[0] for x in seen] == list(range(lo, len(s.labels)))      # every bar in [start, end], in order
    assert all(n == pos + 1 and last == label for pos, n, last, label, _ in seen)   # data ends at the current bar
    assert [x[4] for x in seen] == [False] * (len(seen) - 1) + [True]
    assert res.handlebar_calls == len(seen) and len(res.equity) == len(seen)


def test_attributes_roll_back_on_reruns_of_the_last_bar(tmp_path):
    from sim.world import World

    body = """
state = {'calls': 0, 'max_counter': 0}
def init(C):
    C.counter = 0
def handlebar(C):
    C.counter += 1
    state['calls'] += 1
    state['max_counter'] = max(state['max_counter'], C.counter)
    state['history'] = len(C.timelist)
"""
    w = World(tiny_config(end_time="09:40:00", events=()))
    r = WorldRunner(script(tmp_path, body), mode="simulation", period="1d", account_id="A1")
    r.attach(w)
    r.run_world()
    st_ = r.g["state"]
    n_hist = st_["history"] - 1
    assert st_["calls"] > n_hist + 10                            # today's bar ran once per snapshot
    assert st_["max_counter"] == n_hist + 1                      # ... but C.counter rolled back every time


def test_quicktrade_semantics_in_simulation(tmp_path):
    from sim.world import World

    body = """
ACC = 'Q1'
log = {'sent_hist': 0}
def init(C):
    C.set_account(ACC)
def handlebar(C):
    code = C.stock_code
    if not C.is_last_bar():
        if C.barpos == 0:
            passorder(23, 1101, ACC, code, 5, -1, 100, 'q', 1, 'hist_q1', C)   # history bar: dropped
            passorder(23, 1101, ACC, code, 5, -1, 100, 'q', 2, 'hist_q2', C)   # quickTrade=2: sent even here
        return
    t = C.get_full_tick([code]).get(code)
    hms = timetag_to_datetime(t['time'], '%H%M%S') if t else ''
    if t and t['lastPrice'] > 0 and '093100' <= hms < '150000' and 'done' not in log:   # today's session only
        log['done'] = 1
        passorder(23, 1101, ACC, code, 5, -1, 100, 'q', 0, 'bar_close_q0', C)  # waits for the bar to complete
        passorder(23, 1101, ACC, code, 14, -1, 100, 'q', 2, 'now_q2', C)
"""
    w = World(tiny_config(end_time="09:40:00", events=()))
    r = WorldRunner(script(tmp_path, body), mode="simulation", period="1d", account_id="Q1", cash=1e7)
    r.attach(w)
    res = r.run_world()
    remarks = sorted(o.m_strRemark for o in res.orders)
    assert remarks == ["hist_q2", "now_q2"]          # q1 on history and q0 on the unfinished daily bar never go out


def test_get_trade_detail_data_fields_and_callbacks(tmp_path):
    body = """
ACC = 'BT1'
got = {'deals': [], 'errors': [], 'orders': []}
def init(C):
    C.set_account(ACC)
def handlebar(C):
    code = C.stock_code
    if C.barpos == C.timelist.index(C.get_bar_timetag(C.barpos)) and 'b' not in got:
        got['b'] = C.barpos
        passorder(23, 1101, ACC, code, 5, -1, 300, 'st', 2, 'buy1', C)
        passorder(23, 1101, ACC, code, 5, -1, 150, 'st', 2, 'oddlot', C)     # not a multiple of 100
        passorder(24, 1101, ACC, code, 5, -1, 300, 'st', 2, 'same_day_sell', C)   # T+1: nothing sellable
    elif got.get('b') is not None and C.barpos == got['b'] + 1:
        pos = get_trade_detail_data(ACC, 'stock', 'position')
        got['pos'] = [(p.m_strInstrumentID, p.m_strExchangeID, p.m_nVolume, p.m_nCanUseVolume) for p in pos]
        acc = get_trade_detail_data(ACC, 'STOCK', 'ACCOUNT')[0]
        got['acc'] = (acc.m_dAvailable, acc.m_dBalance)
        passorder(24, 1101, ACC, code, 11, C.get_full_tick([code])[code]['lastPrice'], 300, 'st', 2, 'sell1', C)
def deal_callback(C, d):
    got['deals'].append((d.m_strRemark, d.m_nOffsetFlag, d.m_nVolume, d.m_dPrice, d.m_dComssion))
def order_callback(C, o):
    got['orders'].append((o.m_strRemark, o.m_nOrderStatus))
def orderError_callback(C, args, msg):
    got['errors'].append((args.userOrderId, msg))
"""
    r, res = run_bt(tmp_path, body)
    got = r.g["got"]
    assert [d[0] for d in got["deals"]] == ["buy1", "sell1"]
    assert {e[0] for e in got["errors"]} == {"oddlot", "same_day_sell"}
    assert ("oddlot", 57) in got["orders"] and ("buy1", 56) in got["orders"]
    code = r.C.stock_code
    assert got["pos"] == [(code.split(".")[0], code.split(".")[1], 300, 300)]
    buy = got["deals"][0]
    amount = Decimal(str(buy[3])) * 300
    fee = rules.commission(code, amount) + rules.levies(code, amount, True, r.bar_date(got["b"]))
    assert buy[4] == pytest.approx(float(fee))
    assert got["acc"][0] == pytest.approx(1_000_000 - float(amount) - float(fee))
    assert r.g["get_last_order_id"]("BT1", "stock", "order") == res.orders[-1].m_strOrderSysID


# ---------------------------------------------------------------- the bar broker

@settings(max_examples=200, deadline=None)
@given(price_cents=st.integers(1, 500_000), lots=st.integers(1, 5000), buy=st.booleans(),
       day=st.dates(dt.date(2021, 1, 1), dt.date(2026, 12, 31)), fund=st.booleans())
def test_fast_fees_equal_sim_rules(price_cents, lots, buy, day, fund):
    s = store()
    b = BarBroker(s, "A", 1e6)
    b.start_bar(0, day)
    code = "510300.SH" if fund else "600000.SH"
    kind = "fund" if fund else "stock100"
    units = price_cents * 10 * lots * 100
    amount = Decimal(units) / 1000
    expect = rules.commission(code, amount, b.fees) + rules.levies(code, amount, buy, day)
    assert b._fee(kind, units, buy) == pytest.approx(float(expect), abs=1e-9)


def test_limit_matrices_match_sim_rules():
    s = store()
    b = BarBroker(s, "A", 1e6)
    for ci, code in enumerate(s.codes):
        for i in range(0, len(s.times), 7):
            pre = float(s.mat["preClose"][ci, i])
            up, down = rules.limit_prices(pre, rules.limit_ratio(code, dt.date(2024, 3, 1)), code)
            assert (b._up[ci, i], b._down[ci, i]) == (up, down)


# ---------------------------------------------------------------- metrics

def test_metrics_known_values():
    m = M.compute(100.0, [110.0, 99.0, 121.0], [5.0, -1.0, 2.0, 0.0], 4, 5)
    assert m.total_return == pytest.approx(0.21)
    assert m.max_drawdown == pytest.approx(0.1)
    assert m.win_rate == pytest.approx(0.5)
    r = np.diff([100.0, 110.0, 99.0, 121.0]) / np.array([100.0, 110.0, 99.0])
    assert m.sharpe == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(242))
    flat = M.compute(100.0, [100.0, 100.0], [], 0, 0)
    assert flat.sharpe == 0.0 and flat.max_drawdown == 0.0 and flat.win_rate == 0.0


def test_multi_day_world_run_carries_the_account(tmp_path):
    from sim import calendar as xcal
    from sim.world import World

    body = """
ACC = 'MD1'
st = {'day': None, 'log': []}
def init(C):
    C.set_account(ACC)
def handlebar(C):
    t = C.get_full_tick([C.stock_code]).get(C.stock_code)
    if not t or t['lastPrice'] <= 0 or timetag_to_datetime(t['time'], '%H%M%S') < '093100':
        return
    day = timetag_to_datetime(t['time'], '%Y%m%d')
    if day == st['day']:
        return
    st['day'] = day
    pos = [p for p in get_trade_detail_data(ACC, 'STOCK', 'POSITION') if p.m_nVolume > 0]
    st['log'].append((day, [(p.m_nVolume, p.m_nCanUseVolume) for p in pos]))
    if not pos:
        passorder(23, 1101, ACC, C.stock_code, 14, -1, 500, 'md', 2, 'buy_' + day, C)
    else:
        passorder(24, 1101, ACC, C.stock_code, 14, -1, pos[0].m_nCanUseVolume, 'md', 2, 'sell_' + day, C)
"""
    d1 = xcal.to_date("2024-11-04")
    days = [d1, xcal.next_session(d1)]
    worlds = [World(tiny_config(trade_date=d, events=(), end_time="09:45:00")) for d in days]
    r = WorldRunner(script(tmp_path, body), mode="backtest", period="tick", account_id="MD1", cash=1e6)
    r.attach(worlds[0])
    res = r.run_days(iter(worlds))
    log = r.g["st"]["log"]
    assert [x[0] for x in log] == [d.strftime("%Y%m%d") for d in days]
    assert log[0][1] == [] and log[1][1] == [(500, 500)]            # bought day 1, sellable on day 2 (T+1)
    assert [d.m_strRemark for d in res.deals if d.m_nVolume][:1] == ["buy_" + days[0].strftime("%Y%m%d")]
    assert any(d.m_strRemark.startswith("sell_") for d in res.deals)
    assert res.dates == days and len(res.equity) == 2


def test_capital_and_slippage_set_in_init(tmp_path):
    body = """
def init(C):
    C.capital = 500000
    C.slippage_type = 2
    C.slippage = 0.001
def handlebar(C):
    if C.barpos == C.timelist.index(C.get_bar_timetag()) and not get_trade_detail_data('A', 'STOCK', 'DEAL'):
        passorder(23, 1101, 'A', C.stock_code, 5, -1, 100, 's', 2, 'b', C)
"""
    r, res = run_bt(tmp_path, body)
    assert res.start_cash == 500_000.0
    d = res.deals[0]
    s = store()
    i = s.labels.index(d.m_strTradeDate)
    close = s.mat["close"][s.index[r.C.stock_code], i]
    assert d.m_dPrice == pytest.approx(min(round(close * 1.001 + 1e-9, 2), s.mat["high"][s.index[r.C.stock_code], i]))


def test_full_tick_in_simulation_equals_the_worlds(tmp_path):
    from sim.world import World

    body = """
seen = {}
def handlebar(C):
    if C.is_last_bar() and len(seen) < 40 and len(C.timelist) % 7 == 0:
        seen[len(C.timelist)] = C.get_full_tick(C.get_stock_list_in_sector('沪深A股') + ['510300.SH'])
"""
    cfg = tiny_config(end_time="09:45:00", events=())
    r = WorldRunner(script(tmp_path, body), mode="simulation", period="tick", account_id="T")
    r.attach(World(cfg))
    r.run_world()
    seen = r.g["seen"]
    assert seen
    w = World(cfg)
    codes = w.sectors["沪深A股"] + ["510300.SH"]
    for n in range(1, max(seen) + 1):
        w.step()
        if n in seen:
            assert seen[n] == w.full_tick(codes), n


def test_cancel_in_simulation(tmp_path):
    from sim.world import World

    body = """
ACC = 'CX1'
st = {'events': [], 'phase': 0}
def init(C):
    C.set_account(ACC)
def handlebar(C):
    t = C.get_full_tick([C.stock_code]).get(C.stock_code)
    if not t or t['lastPrice'] <= 0 or timetag_to_datetime(t['time'], '%H%M%S') < '093100':
        return
    if st['phase'] == 0:
        st['phase'] = 1
        passorder(23, 1101, ACC, C.stock_code, 11, round(t['lastPrice'] * 0.95, 2), 100, 'cx', 2, 'far_buy', C)
    elif st['phase'] == 1:
        live = [o for o in get_trade_detail_data(ACC, 'STOCK', 'ORDER') if o.m_nOrderStatus in (49, 50)]
        if live:
            st['phase'] = 2
            st['cancel'] = cancel(live[0].m_strOrderSysID, ACC, 'STOCK', C)
def order_callback(C, o):
    st['events'].append((o.m_strRemark, o.m_nOrderStatus))
"""
    w = World(tiny_config(end_time="09:40:00", events=()))
    r = WorldRunner(script(tmp_path, body), mode="simulation", period="tick", account_id="CX1")
    r.attach(w)
    r.run_world()
    st_ = r.g["st"]
    assert st_["cancel"] is True
    assert ("far_buy", 54) in st_["events"] and ("far_buy", 56) not in st_["events"]


def test_fixed_price_fills_on_daily_bars(tmp_path):
    body = """
def handlebar(C):
    if C.barpos != C.timelist.index(C.get_bar_timetag()) or get_trade_detail_data('F', 'STOCK', 'ORDER'):
        return
    k = C.get_market_data_ex(['low', 'high', 'close'], [C.stock_code], period='1d', count=1)[C.stock_code].iloc[-1]
    passorder(23, 1101, 'F', C.stock_code, 11, round(k['close'] * 1.05, 2), 100, 'f', 2, 'marketable', C)
    passorder(23, 1101, 'F', C.stock_code, 11, k['low'], 100, 'f', 2, 'at_low', C)
    passorder(23, 1101, 'F', C.stock_code, 11, round(k['low'] - 0.05, 2), 100, 'f', 2, 'below_low', C)
"""
    r, res = run_bt(tmp_path, body)
    s = store()
    ci = s.index[r.C.stock_code]
    i = s.labels.index("20240201")
    by = {o.m_strRemark: o for o in res.orders}
    assert by["marketable"].m_dTradedPrice == pytest.approx(s.mat["close"][ci, i])
    assert by["at_low"].m_dTradedPrice == pytest.approx(s.mat["low"][ci, i])
    assert by["below_low"].m_nOrderStatus == 54 and by["below_low"].m_nVolumeTraded == 0


order_step = st.tuples(st.integers(0, 3), st.booleans(),
                       st.one_of(st.integers(1, 30).map(lambda x: x * 100), st.integers(0, 4000)),
                       st.sampled_from([5, 11, 14]), st.floats(-0.05, 0.05))


@settings(max_examples=150, deadline=None)
@given(plan=st.lists(st.lists(order_step, max_size=4), min_size=1, max_size=25), cash=st.floats(1e4, 5e5))
def test_bar_broker_invariants(plan, cash):
    """Random orders over random bars: cash never negative, T+1 respected, positions equal the deals, equity adds up."""
    s = store()
    b = BarBroker(s, "P", cash)
    first = s.labels.index("20240201")
    mine: dict[str, int] = {}                     # the test's own book of shares, from the deals
    for k, orders in enumerate(plan):
        i = first + k
        b.start_bar(i, dt.date(int(s.labels[i][:4]), int(s.labels[i][4:6]), int(s.labels[i][6:])))
        sellable = dict(mine)                     # T+1: what was held at the start of the day
        for ci, buy, vol, pr, off in orders:
            code = s.codes[ci]
            price = round(float(s.mat["close"][ci, i]) * (1 + off), 2)
            f = b.submit(23 if buy else 24, code, vol, pr, price, "p", "r")
            if f.deal is not None:
                if buy:
                    mine[code] = mine.get(code, 0) + vol
                else:
                    assert vol <= sellable.get(code, 0)
                    sellable[code] -= vol
                    mine[code] -= vol
            elif not buy and vol and vol <= sellable.get(code, 0) and vol % 100 == 0 and f.order.m_nOrderStatus == 57:
                raise AssertionError(f"a valid sell was refused: {f.error}")
            assert b.cash >= -1e-6
        for code, p in b.positions.items():
            assert 0 <= p.can_use <= p.volume
    held = {c: v for c, v in mine.items() if v}
    assert held == {c: p.volume for c, p in b.positions.items()}
    for d in b.deals:
        assert d.m_dComssion >= 5.0 and d.m_nVolume > 0
    mv = sum(p.volume * float(b._mark[s.index[c], b.pos]) for c, p in b.positions.items())
    assert b.equity() == pytest.approx(b.cash + mv)


def test_older_data_api_shapes(tmp_path):
    body = """
out = {}
def init(C):
    C.set_universe(C.get_stock_list_in_sector('沪深A股')[:3])
def handlebar(C):
    if 'done' in out:
        return
    out['done'] = 1
    code = C.stock_code
    out['scalar'] = C.get_market_data(['close'], stock_code=[code], period='1d')
    out['frame'] = C.get_market_data(['close', 'volume'], stock_code=[code], period='1d', count=5)
    out['cross'] = C.get_market_data(['close', 'open'], stock_code=C.get_universe(), period='1d')
    out['hist'] = C.get_history_data(4, '1d', 'close')
    out['bar'] = C.barpos
"""
    r, _ = run_bt(tmp_path, body)
    out = r.g["out"]
    s = store()
    ci, i = s.index[r.C.stock_code], out["bar"]
    assert out["scalar"] == pytest.approx(s.mat["close"][ci, i])
    assert list(out["frame"].columns) == ["close", "volume"] and len(out["frame"]) == 5
    assert out["frame"].index[-1] == s.labels[i]
    assert list(out["cross"].index) == r.C.get_universe() and list(out["cross"].columns) == ["close", "open"]
    assert set(out["hist"]) == set(r.C.get_universe()) and all(len(v) == 4 for v in out["hist"].values())
    assert out["hist"][r.C.stock_code][-1] == pytest.approx(s.mat["close"][ci, i])


def test_timelist_is_empty_during_init_as_in_qmt(tmp_path):
    body = """
seen = {}
def init(C):
    seen['init'] = (len(C.timelist), C.barpos)
def after_init(C):
    seen['after_init'] = len(C.timelist)
def handlebar(C):
    pass
"""
    r, _ = run_bt(tmp_path, body)
    assert r.g["seen"]["init"] == (0, -1) and r.g["seen"]["after_init"] == len(store().times)
