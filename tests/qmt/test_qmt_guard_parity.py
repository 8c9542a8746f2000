"""The QMT-side risk gate and exit brackets (qmt_strategies.builtin_guard, Python 3.6) decide exactly as the
miniQMT runner's (bridge.risk, bridge.exits), checked on random portfolios, orders and snapshots."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import exits as bx
from bridge import risk as br
from bridge.orders import Holding, Order, Portfolio
from qmt_strategies import builtin_guard as g
from qmt_strategies.snapshot import Snapshot

CODES = ["600000.SH", "600519.SH", "000001.SZ", "300750.SZ", "510300.SH"]
IND = {"600000.SH": "银行", "000001.SZ": "银行", "600519.SH": "食品饮料", "300750.SZ": "电力设备"}

holding = st.tuples(st.integers(0, 20000), st.floats(1, 200))
live_order = st.tuples(st.sampled_from(CODES), st.sampled_from(["buy", "sell"]), st.integers(0, 5000),
                       st.floats(1, 200))


@settings(max_examples=300, deadline=None)
@given(holdings=st.dictionaries(st.sampled_from(CODES), holding, max_size=4),
       live=st.lists(live_order, max_size=4), code=st.sampled_from(CODES), side=st.sampled_from(["buy", "sell"]),
       price=st.floats(1, 200), qty=st.integers(100, 20000), total=st.floats(0, 2_000_000),
       reduce_only=st.booleans(), day_count=st.integers(0, 2100), recent=st.integers(0, 12),
       halted=st.booleans(), lim_value=st.floats(10_000, 500_000), pct=st.floats(0.05, 0.5))
def test_risk_check_and_room_agree(holdings, live, code, side, price, qty, total, reduce_only, day_count, recent,
                                   halted, lim_value, pct):
    now = 1_700_000_000_000
    bl = br.RiskLimits(max_order_value=lim_value, max_position_pct_stock=pct, max_position_pct_industry=0.4,
                       kill_switch_file="/nonexistent/KILL")
    gl = g.RiskLimits(max_order_value=lim_value, max_position_pct_stock=pct, max_position_pct_industry=0.4)
    bg, gg = br.RiskGate(bl, IND), g.RiskGate(gl, IND)
    for gate in (bg, gg):
        gate.reduce_only, gate.day_count, gate.halted = reduce_only, day_count, halted
        gate.halt_reason = "test" if halted else ""
    bg.sent_ms.extend([now - 10 * i for i in range(recent)])
    gg.sent_ms = [now - 10 * i for i in range(recent)]
    pf = Portfolio()
    pf.total_asset = total
    for c, (v, a) in holdings.items():
        pf.holdings[c] = Holding(volume=v, can_use=v, avg_price=a)
    prices = {c: a * 1.01 for c, (v, a) in holdings.items()}
    b_live = [Order(client_id=f"L{i}", strategy="t", code=c, side=s, price=p, quantity=q, status="reported")
              for i, (c, s, q, p) in enumerate(live)]
    g_live = list(live)
    order = Order(client_id="X", strategy="t", code=code, side=side, price=price, quantity=qty)
    b = bg.check(order, pf, prices, b_live, now)
    gv = gg.check(code, side, price, qty, total, {c: [v, a] for c, (v, a) in holdings.items()}, prices, g_live, now)
    assert (b[0] if b else None) == (gv[0] if gv else None)
    assert bg.room(code, pf, prices, b_live) == gg.room(code, total, {c: [v, a] for c, (v, a) in holdings.items()},
                                                          prices, g_live)


@settings(max_examples=300, deadline=None)
@given(entry=st.floats(2, 100), moves=st.lists(st.floats(-0.12, 0.12), min_size=1, max_size=6),
       sl=st.floats(0, 0.1), tp=st.floats(0, 0.2), trail=st.floats(0, 0.08), sellable=st.integers(0, 3000),
       exit_in=st.integers(-3, 3), bid_gap=st.integers(0, 3), inflight=st.booleans())
def test_exit_brackets_agree(entry, moves, sl, tp, trail, sellable, exit_in, bid_gap, inflight):
    code = "600519.SH"
    snap = Snapshot([code])
    r = snap.index[code]
    entry = round(entry, 2)
    bb = bx.Bracket(code=code, entry_price=entry, quantity=1000, stop_loss=round(entry * (1 - sl), 2) if sl else 0.0,
                    take_profit=[(round(entry * (1 + tp), 2), 1.0)] if tp else [], trailing_pct=trail, high=entry,
                    exit_at_ms=0)
    gb = g.Bracket(code, entry, 1000, bb.stop_loss, list(bb.take_profit), trail)
    now = 1_700_000_000_000
    if exit_in:
        bb.exit_at_ms = gb.exit_at_ms = now + exit_in * 1000
    if inflight:
        bb.inflight = gb.inflight = "X1"
    bbook, gbook = bx.ExitBook(), g.ExitBook()
    bbook.put(bb)
    gbook.brackets[code] = gb
    last = entry
    for k, m in enumerate(moves):
        last = max(round(last * (1 + m), 2), 0.01)
        snap.valid[r], snap.last[r] = True, last
        snap.bid[r, 0] = max(round(last - 0.01 * bid_gap, 2), 0.0)
        snap.board[r], snap.tick[r], snap.down_units[r] = 1, 10, int(round(entry * 0.9 * 1000))
        t = now + k * 3000
        bt = [(x.code, x.reason, x.price, x.quantity) for x in bbook.evaluate(snap, t, {code: sellable})]
        gt = [(c, why, p, q) for c, why, p, q, _ in gbook.evaluate(snap, t, {code: sellable})]
        assert bt == gt
        assert np.isclose(bb.high, gb.high)


def test_position_share_boundary_agrees():
    """An order taking the code just over / just under its share limit is refused / allowed by both gates."""
    for value, expect in ((205_000.0, "position_stock"), (199_000.0, None)):
        bg = br.RiskGate(br.RiskLimits(max_order_value=1e9, kill_switch_file="/nonexistent/KILL"), {})
        gg = g.RiskGate(g.RiskLimits(max_order_value=1e9), {})
        pf = Portfolio()
        pf.total_asset = 1_000_000.0
        order = Order(client_id="X", strategy="t", code="600000.SH", side="buy", price=10.0, quantity=int(value / 10))
        b = bg.check(order, pf, {}, [], 0)
        gv = gg.check("600000.SH", "buy", 10.0, int(value / 10), 1_000_000.0, {}, {}, [], 0)
        assert (b[0] if b else None) == (gv[0] if gv else None) == expect
