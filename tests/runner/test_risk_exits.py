"""Risk gate (every check, with its reason) and exit brackets (vectorised triggers, one in flight, hypothesis)."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.exits import (
    Bracket,
    ExitBook,
    bracket_from_defaults,
    exit_price_units,
    exit_time_ms,
)
from bridge.orders import Order, Portfolio
from bridge.risk import RiskGate, RiskLimits
from config.schema import Exits
from tests.runner.conftest import T0, make_snap


def _pf(total=1_000_000.0, holdings=None):
    p = Portfolio()
    p.set_asset(total, 0, 0, total)
    for c, v in (holdings or {}).items():
        p.set_position(c, v, v, 10.0)
    return p


def _o(code="600000.SH", side="buy", price=10.0, qty=1000):
    return Order(client_id="c", strategy="s", code=code, side=side, price=price, quantity=qty)


def test_risk_each_check_names_its_reason(tmp_path):
    lim = RiskLimits(max_order_value=50_000, max_position_pct_stock=0.1, max_position_pct_industry=0.15,
                     max_orders_per_second=3, max_orders_per_day=5, kill_switch_file=str(tmp_path / "KILL"))
    g = RiskGate(lim, {"600000.SH": "银行", "601988.SH": "银行"})
    pf = _pf(holdings={"601988.SH": 10_000})   # 100k of 银行 at 10.0
    assert g.check(_o(qty=6000), pf, {}, [], T0)[0] == "order_value"
    assert g.check(_o(qty=4000), pf, {}, [], T0) is None
    pf2 = _pf(holdings={"600000.SH": 8000})
    assert g.check(_o(qty=3000), pf2, {}, [], T0)[0] == "position_stock"
    pf3 = _pf(holdings={"601988.SH": 14_000})
    assert g.check(_o(qty=2000), pf3, {}, [], T0)[0] == "position_industry"
    for i in range(3):
        g.on_sent(T0 + i)
    assert g.check(_o(qty=100), pf, {}, [], T0 + 10)[0] == "rate"
    assert g.check(_o(qty=100), pf, {}, [], T0 + 1500) is None
    g.on_sent(T0 + 1500)
    g.on_sent(T0 + 1600)
    assert g.check(_o(qty=100), pf, {}, [], T0 + 5000)[0] == "day_count"
    g.new_day()
    assert g.update_equity(969_000, 1_000_000) is True
    r = g.check(_o(qty=100), pf, {}, [], T0)
    assert r[0] == "reduce_only" and "3.0%" in r[1]
    assert g.check(_o(side="sell", qty=100), pf, {}, [], T0) is None
    (tmp_path / "KILL").write_text("stop")
    assert g.kill_switch_on(force=True)
    assert g.check(_o(side="sell", qty=100), pf, {}, [], T0)[0] == "halted"
    (tmp_path / "KILL").unlink()
    assert not g.kill_switch_on(force=True)


def test_room_sizes_under_every_limit():
    g = RiskGate(RiskLimits(max_order_value=80_000, max_position_pct_stock=0.05))
    assert g.room("600000.SH", _pf(), {}, []) == 50_000
    assert g.room("600000.SH", _pf(holdings={"600000.SH": 4000}), {}, []) == 10_000


def _book(b: Bracket, last: float, pre: float = 10.0, now=T0, sellable=1000):
    book = ExitBook()
    book.put(b)
    snap = make_snap({b.code: (last, pre)})
    return book, book.evaluate(snap, now, {b.code: sellable})


def test_stop_loss_take_profit_trailing_and_time():
    cfg = Exits(stop_loss_pct=0.03, take_profit_pct=0.05, trailing_pct=0.02, exit_time="14:50")
    d = dt.date(2025, 11, 21)
    def mk():
        return bracket_from_defaults("600000.SH", 10.0, 1000, cfg, d)
    _, t = _book(mk(), 9.69)
    assert [x.reason for x in t] == ["stop_loss"] and t[0].quantity == 0
    assert 9.0 <= t[0].price <= 9.69
    _, t = _book(mk(), 10.51)
    assert [x.reason for x in t] == ["take_profit"]
    _, t = _book(mk(), 10.2)
    assert t == []
    b = mk()
    b.high = 10.40
    _, t = _book(b, 10.19)
    assert [x.reason for x in t] == ["trailing_stop"]
    late = exit_time_ms(d, "14:50")
    _, t = _book(mk(), 10.1, now=late)
    assert [x.reason for x in t] == ["time_exit"]
    _, t = _book(mk(), 9.0 + 0.5, sellable=0)
    assert t == []                                           # nothing sellable (T+1): no exit


def test_one_exit_in_flight_and_staged_take_profit():
    b = Bracket("600000.SH", 10.0, 1000, stop_loss=9.5, take_profit=[(10.3, 0.5), (10.6, 1.0)])
    book, t = _book(b, 10.35)
    assert t[0].reason == "take_profit" and t[0].quantity == 500
    book.on_exit_sent(b.code, "Qx", "take_profit")
    snap = make_snap({b.code: (9.0 + 0.4, 10.0)})
    assert book.evaluate(snap, T0, {b.code: 1000}) == []     # in flight: stop-loss waits
    book.on_exit_final(b.code, "Qx", 500, 500, T0)
    assert b.stage == 1 and b.active
    t = book.evaluate(make_snap({b.code: (10.61, 10.0)}), T0, {b.code: 500})
    assert t[0].reason == "take_profit" and t[0].quantity == 0
    book.on_exit_sent(b.code, "Qy", "take_profit")
    book.on_exit_final(b.code, "Qy", 500, 0, T0)
    assert not b.active


def test_failed_exit_waits_before_refiring():
    b = Bracket("600000.SH", 10.0, 1000, stop_loss=9.5)
    book, _ = _book(b, 9.4)
    book.on_exit_sent(b.code, "Qx", "stop_loss")
    book.on_exit_final(b.code, "Qx", 0, 1000, T0)
    assert book.evaluate(make_snap({b.code: (9.4, 10.0)}), T0 + 1000, {b.code: 1000}) == []
    assert len(book.evaluate(make_snap({b.code: (9.4, 10.0)}), T0 + 6000, {b.code: 1000})) == 1


def test_bracket_json_roundtrip():
    b = Bracket("510300.SH", 4.0, 300, 3.9, [(4.2, 0.5), (4.4, 1.0)], 0.02, 4.1, 123, 1, "Qz", 5, True, "s", "Qa", "x")
    assert Bracket.from_json(b.to_json()) == b


@settings(max_examples=300, deadline=None)
@given(st.floats(1.0, 200.0), st.floats(0.0, 0.2), st.sampled_from([(1, 5), (10, 1), (10, 3)]))
def test_exit_price_is_marketable_and_legal(last, drop, bt):
    tick, board = bt
    pre = last
    bid1 = last * (1 - drop / 10)
    down_u = round(pre * 0.9 * 1000 / tick) * tick
    pu = exit_price_units(last, bid1, board, tick, down_u)
    assert pu % tick == 0 and pu >= down_u
    assert pu <= max(round(bid1 * 1000), down_u) + tick    # at or below the bid: fills against it


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(9.05, 10.95), min_size=1, max_size=40))
def test_vectorised_triggers_match_scalar_rule(path):
    b = Bracket("600000.SH", 10.0, 1000, stop_loss=9.7, take_profit=[(10.5, 1.0)], trailing_pct=0.03, high=10.0)
    book = ExitBook()
    book.put(b)
    high = 10.0
    for p in path:
        p = round(p, 2)
        t = book.evaluate(make_snap({b.code: (p, 10.0)}), T0, {b.code: 1000})
        high = max(high, p)
        expect = (p <= 9.7) or (p >= 10.5) or (p <= high * 0.97 and high > 10.0)
        assert bool(t) == expect
        assert len(t) <= 1
