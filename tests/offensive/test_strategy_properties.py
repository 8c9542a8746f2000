"""Property tests of OffensiveLayerStrategy as a state machine: random days of scores and prices, fills for
some of its signals; invariants on what it may say."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qmt_strategies import offensive as off
from qmt_strategies.types import Fill

CODES = ["600000.SH", "600036.SH", "000001.SZ", "300750.SZ", "688981.SH", "510300.SH"]
INDS = ["银行", "银行", "银行", "电池", "电子", "宽基"]


def _on_grid(p, code):
    tick = 1 if code.startswith("51") else 10
    return round(p * 1000) % tick == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 15), st.sampled_from(["daily", "weekly", "monthly"]),
       st.floats(0.5, 1.0))
def test_strategy_invariants(seed, n_days, rotation, fill_prob):
    rng = np.random.default_rng(seed)
    strat = off.OffensiveLayerStrategy(rotation=rotation, capital=1e6, top_industries=2, top_stocks=2)
    held = {}
    day, prev = 20261102, None
    fid = 0
    for _ in range(n_days):
        comp = rng.uniform(0, 10, len(CODES))
        z = np.zeros(len(CODES))
        scores = off.Scores(CODES, z, z, z, z, comp)
        close = np.round(rng.uniform(1, 50, len(CODES)), 2)
        ind_scores = {i: float(rng.uniform(0, 10)) for i in set(INDS)}
        sigs = strat.on_day(day, 1, scores, close, INDS, ind_scores, prev)
        sigs += strat.on_prices(day, 2, {c: float(p * rng.uniform(0.8, 1.2)) for c, p in zip(CODES, close)})
        sells = [s.code for s in sigs if s.action == "sell"]
        assert len(sells) == len(set(sells)), "one exit per code at a time"
        for s in sigs:
            if s.action == "buy":
                assert s.code not in held
                assert s.stop_loss < s.price < s.take_profit
                assert _on_grid(s.price, s.code) and _on_grid(s.take_profit, s.code) and _on_grid(s.stop_loss, s.code)
                assert s.score >= strat.buy_threshold and s.quantity >= 0
            else:
                assert s.code in held, "sells only what it holds"
        for s in sigs:
            if rng.uniform() > fill_prob:
                if s.action == "sell":
                    strat.cancel_exit(s.code)
                continue
            fid += 1
            qty = s.quantity or 100
            if s.action == "sell":
                qty = held[s.code]
            strat.on_fill(Fill(f"c{fid}", s.code, s.action, s.price or 10.0, qty, 3, fid, f"t{fid}", "offensive"), s)
            held[s.code] = held.get(s.code, 0) + (qty if s.action == "buy" else -qty)
            if held[s.code] == 0:
                del held[s.code]
        assert {c: h["qty"] for c, h in strat.holdings.items()} == held
        assert all(q > 0 for q in held.values())
        prev, day = day, day + 1 if day % 100 < 28 else (day // 100 + 1) * 100 + 1
