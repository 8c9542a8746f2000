"""The engine on a generated sim day: limit states match the planted ground truth, signals follow seals."""
import datetime

import sim.market.events as sim_events
import sim.world as sim_world

from qmt_strategies import limit_up as lu
from qmt_strategies.evaluate import LimitUpEtfParams
from qmt_strategies.limit_up_etf import LimitUpEtfStrategy
from qmt_strategies.snapshot import Snapshot

EXPECTED_UP = {"limit_up_open": (lu.ONE_WORD,), "limit_up_sealed": (lu.SEALED, lu.ONE_WORD),
               "limit_up_broken": (lu.BROKEN,), "limit_up_resealed": (lu.SEALED,)}


def test_sim_day_limit_states_and_signals():
    P = sim_events.PlantSpec
    cfg = sim_world.SimConfig(seed=5, n_stocks=60, n_etfs=8, trade_date=datetime.date(2025, 11, 21),
                              planted_limit_ups=0,
                              events=(P("limit_up_open", "09:30:00"), P("limit_up_sealed", "09:50:00"),
                                      P("limit_up_broken", "10:00:00", open_after_s=300),
                                      P("limit_up_resealed", "10:10:00", open_after_s=300, reseal_after_s=300),
                                      P("limit_down", "10:20:00"), P("limit_up_sealed", "13:40:00")))
    w = sim_world.World(cfg)
    snap = Snapshot(trade_date=20251121)
    snap.set_instruments(w.instruments)
    strat = LimitUpEtfStrategy(LimitUpEtfParams(min_weight=0.01, min_etf_volume=0), etf_info=w.etf_info)
    signals = []
    while True:
        ticks = w.step()
        if ticks is None:
            break
        snap.update(ticks, w.now_ms)
        signals += strat.on_snapshot(snap, w.now_ms).signals
    planted = {e.code: e for e in w.planted if e.planted}
    assert len(planted) >= 6
    up, down = strat.limits.up, strat.limits.down
    for code, e in planted.items():
        r = snap.index[code]
        if e.kind in EXPECTED_UP:
            assert up.state[r] in EXPECTED_UP[e.kind], (code, e.kind, lu.STATE_NAMES[up.state[r]])
            assert up.first_seal_ms[r] >= e.time_ms and up.first_seal_ms[r] - e.time_ms <= 15 * 60 * 1000
            assert up.breaks[r] == (1 if e.kind in ("limit_up_broken", "limit_up_resealed") else 0)
        elif e.kind == "limit_down":
            assert down.state[r] in (lu.SEALED, lu.ONE_WORD) and up.state[r] == lu.NOT
    limit_up_codes = set(c for c in snap.codes if up.ever_sealed[snap.index[c]])
    assert signals, "no signal at all on a morning with planted limit-ups"
    for s in signals:
        stock = s.details["stock"]
        assert stock in limit_up_codes
        assert s.ts_ms >= up.first_seal_ms[snap.index[stock]]
    assert {s.details["stock"] for s in signals} & set(c for c, e in planted.items() if e.kind in EXPECTED_UP)
