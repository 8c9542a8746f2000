"""Offensive-layer entries are held until take-profit, stop-loss or score decay: no next-day time exit."""
from __future__ import annotations

import datetime as dt

from bridge.exits import bracket_from_plan
from bridge.strategy_ports import OffensivePort
from qmt_strategies.types import Fill


def test_offensive_fill_gives_bracket_without_time_exit():
    port = OffensivePort()
    fill = Fill("c1", "600000.SH", "buy", 10.0, 1000, 1_700_000_000_000, 7, "t7", "offensive")
    plan = port.on_fill(None, fill)
    h = port.strategy.holdings["600000.SH"]
    assert plan.exit_time == "" and plan.exit_after_days == 0
    assert plan.stop_loss == h["stop_loss"] < 10.0 < plan.take_profit == h["take_profit"]
    b = bracket_from_plan(plan, 1000, dt.date(2026, 11, 23))
    assert b.exit_at_ms == 0 and b.stop_loss == plan.stop_loss and b.take_profit == [(plan.take_profit, 1.0)]
