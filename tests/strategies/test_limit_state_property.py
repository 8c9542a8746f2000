"""Property: the vectorised limit tracker equals a plain per-code state machine on random tick paths."""
from hypothesis import given, settings
from hypothesis import strategies as st

from qmt_strategies import limit_up as lu
from qmt_strategies.snapshot import Snapshot

PRE, UP = 10.0, 11.0
CODES = ["600000.SH", "600001.SH", "600002.SH"]
STEP = st.sampled_from(["below", "touch", "seal", "bad", "skip"])


def tick_for(kind, t, low):
    if kind == "seal":
        return {"time": t, "lastPrice": UP, "high": UP, "low": low, "lastClose": PRE, "open": PRE,
                "bidPrice": [UP, 10.99, 10.98, 10.97, 10.96], "askPrice": [0.0] * 5,
                "bidVol": [900, 1, 1, 1, 1], "askVol": [0] * 5, "amount": 1.0, "pvolume": 1, "stockStatus": 0}
    last = 10.99 if kind == "touch" else 10.5
    d = {"time": t, "lastPrice": last, "high": UP if kind == "touch" else 10.6, "low": low, "lastClose": PRE,
         "open": PRE, "bidPrice": [last - 0.01, 0, 0, 0, 0], "askPrice": [last, 0, 0, 0, 0],
         "bidVol": [1] * 5, "askVol": [1] * 5, "amount": 1.0, "pvolume": 1, "stockStatus": 0}
    if kind == "bad":
        d["lastPrice"] = float("nan")
    return d


class Ref(object):
    """Scalar reference: the rules of docs/signals.md, one code at a time."""

    def __init__(self):
        self.state, self.breaks, self.first, self.sealed, self.ever, self.high = "not", 0, 0, False, False, 0.0

    def step(self, kind, t, low):
        if kind in ("bad", "skip"):
            return
        sealed = kind == "seal"
        self.high = max(self.high, UP if kind in ("touch", "seal") else 10.6)
        if self.sealed and not sealed:
            self.breaks += 1
        if sealed and not self.first:
            self.first = t
        self.ever = self.ever or sealed
        self.sealed = sealed
        if sealed:
            self.state = "one_word" if low >= UP else "sealed"
        elif self.ever:
            self.state = "broken"
        elif self.high >= UP:
            self.state = "touched"
        else:
            self.state = "not"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(STEP, STEP, STEP), min_size=1, max_size=25), st.booleans())
def test_tracker_matches_reference(steps, open_at_limit):
    s = Snapshot()
    tr = lu.LimitTracker("up")
    refs = [Ref() for _ in CODES]
    low = UP if open_at_limit else 10.2
    t = 1763688600000
    for kinds in steps:
        t += 3000
        push = {}
        for code, kind, ref in zip(CODES, kinds, refs):
            row_low = low if kind == "seal" else min(low, 10.2)
            if kind != "skip":
                push[code] = tick_for(kind, t, row_low)
            ref.step(kind, t, row_low)
        if push:
            s.update(push)
            tr.update(s)
        for code, ref in zip(CODES, refs):
            if code not in s.index:
                continue
            r = s.index[code]
            assert lu.STATE_NAMES[tr.state[r]] == ref.state, (code, kinds)
            assert tr.breaks[r] == ref.breaks and tr.first_seal_ms[r] == ref.first
