"""The exit rules have one home (qmt_strategies.builtin_guard); bridge.exits re-exports and builds on them."""
from __future__ import annotations

from bridge import exits as bx
from qmt_strategies import ashare
from qmt_strategies import builtin_guard as g


def test_bridge_uses_the_36_rules():
    assert bx.exit_price_units is g.exit_price_units
    assert bx.EXIT_SLIPPAGE == g.EXIT_SLIPPAGE and bx.REFIRE_COOLDOWN_MS == g.REFIRE_COOLDOWN_MS
    assert issubclass(bx.ExitBook, g.ExitBook)


def test_cage_minimum_rounded_onto_the_grid_for_an_off_grid_last():
    """last 2.005 (off the 0.01 grid): cage minimum 2.005 - 10 ticks = 1.905, a sell must be >= it, so 1.910."""
    _, smin = ashare.cage_units([2005], [ashare.BOARD_MAIN], [10])
    assert int(smin[0]) == 1905                                   # the raw cage bound is off the grid
    pu = g.exit_price_units(2.005, 1.80, ashare.BOARD_MAIN, 10, 1810)
    assert pu == 1910 and pu % 10 == 0
    assert g.exit_price_units(2.005, 1.80, ashare.BOARD_MAIN, 10, 1810, slippage=0.0) == 1910
    assert g.exit_price_units(2.00, 2.00, ashare.BOARD_MAIN, 10, 1810, slippage=0.0) == 2000   # on the grid: the bid


def test_exit_leg_precedence():
    b = g.Bracket("600000.SH", 10.0, 1000, stop_loss=9.7, take_profit=[(10.3, 0.4), (10.6, 1.0)], trailing_pct=0.03)
    b.exit_at_ms = 100
    b.high = 10.8
    assert g.exit_leg(b, 9.6, 200) == ("stop_loss", 0)
    assert g.exit_leg(b, 10.4, 200) == ("trailing_stop", 0)
    b.high = 10.0
    assert g.exit_leg(b, 10.4, 200) == ("time_exit", 0)
    assert g.exit_leg(b, 10.4, 50) == ("take_profit", 400)
    b.stage = 1
    assert g.exit_leg(b, 10.4, 50) is None
    assert g.exit_leg(b, 10.6, 50) == ("take_profit", 0)         # the last stage sells everything
    b.stage = 2
    assert g.exit_leg(b, 11.0, 50) is None


def test_on_exit_final_for_both_bracket_kinds():
    """After the last take-profit stage a bracket closes unless another leg is still armed; the 3.6 bracket's pending
    time exit (exit_days_left) counts as armed, the bridge bracket has no such field."""
    gb = g.Bracket("600000.SH", 10.0, 1000, take_profit=[(10.5, 1.0)], exit_days_left=1, exit_time="14:50")
    bb = bx.Bracket("600000.SH", 10.0, 1000, take_profit=[(10.5, 1.0)])
    for book, b in ((g.ExitBook(), gb), (bx.ExitBook(), bb)):
        book.put(b)
        book.on_exit_sent(b.code, "Q1", "take_profit")
        book.on_exit_final(b.code, "Q1", 500, 500, 0)
        assert b.stage == 1 and not b.inflight
    assert gb.active and not bb.active
    book = g.ExitBook()
    book.put(gb)
    book.new_day(20251124)
    assert gb.exit_days_left == 0 and gb.exit_at_ms == g.hms_ms(20251124, "14:50")
    bbook = bx.ExitBook()
    bbook.put(bx.Bracket("600000.SH", 10.0, 1000, stop_loss=9.0))
    bbook.new_day(20251124)                                       # no exit_days_left: nothing to do, no error
    bbook.on_exit_sent("600000.SH", "Q2", "stop_loss")
    bbook.on_exit_final("600000.SH", "Q2", 0, 1000, 1000)
    assert bbook.get("600000.SH").blocked_until_ms == 1000 + g.REFIRE_COOLDOWN_MS
