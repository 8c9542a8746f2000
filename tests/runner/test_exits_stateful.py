"""Stateful property test: whatever prices and exit outcomes arrive, a position never has two exits in flight,
a closed bracket never fires, and a take-profit stage only advances after a fill."""
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from bridge.exits import Bracket, ExitBook
from tests.runner.conftest import T0, make_snap

CODES = ("600000.SH", "000001.SZ", "510300.SH")


class ExitMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.book = ExitBook()
        for c in CODES:
            pre = 4.0 if c.startswith("51") else 10.0
            self.book.put(Bracket(c, pre, 1000, stop_loss=pre * 0.98, take_profit=[(pre * 1.02, 0.5), (pre * 1.04, 1.0)],
                                  trailing_pct=0.02, high=pre))
        self.position = dict.fromkeys(CODES, 1000)
        self.now = T0
        self.inflight: dict[str, str] = {}
        self.n = 0

    @rule(moves=st.lists(st.floats(-0.09, 0.09), min_size=3, max_size=3))
    def snapshot(self, moves):
        self.now += 3000
        prices = {}
        for c, m in zip(CODES, moves):
            pre = 4.0 if c.startswith("51") else 10.0
            prices[c] = (round(pre * (1 + m), 3 if c.startswith("51") else 2), pre)
        snap = make_snap(prices, t=self.now)
        sellable = {c: self.position[c] for c in CODES}
        for trig in self.book.evaluate(snap, self.now, sellable):
            assert trig.code not in self.inflight, "fired while an exit was in flight"
            b = self.book.get(trig.code)
            assert b.active, "a closed bracket fired"
            self.n += 1
            cid = f"X{self.n}"
            self.book.on_exit_sent(trig.code, cid, trig.reason)
            self.inflight[trig.code] = (cid, trig.quantity or self.position[trig.code], b.stage, trig.reason)

    @rule(data=st.data())
    def finish(self, data):
        if not self.inflight:
            return
        code = data.draw(st.sampled_from(sorted(self.inflight)))
        cid, qty, stage, reason = self.inflight.pop(code)
        filled = data.draw(st.sampled_from([0, qty // 2 // 100 * 100, qty]))
        self.position[code] -= filled
        self.book.on_exit_final(code, cid, filled, self.position[code], self.now)
        b = self.book.get(code)
        if reason == "take_profit" and self.position[code] > 0:
            assert b.stage == (stage + 1 if filled else stage)

    @invariant()
    def one_in_flight(self):
        for c in CODES:
            b = self.book.get(c)
            assert (c in self.inflight) == bool(b.inflight)
            if self.position[c] <= 0:
                assert not b.active or b.inflight


TestExitMachine = ExitMachine.TestCase
TestExitMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
