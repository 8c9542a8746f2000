"""The engine on a generated sim day: limit states match the planted ground truth, signals follow seals."""
import datetime

import pytest
import sim.market.events as sim_events
import sim.world as sim_world

from qmt_strategies import limit_up as lu
from qmt_strategies.evaluate import LimitUpEtfParams
from qmt_strategies.limit_up_etf import LimitUpEtfStrategy
from qmt_strategies.snapshot import Snapshot

EXPECTED_UP = {"limit_up_open": (lu.ONE_WORD,), "limit_up_sealed": (lu.SEALED, lu.ONE_WORD),
               "limit_up_broken": (lu.BROKEN,), "limit_up_resealed": (lu.SEALED,)}


def _weights_at_pre_close(w):
    """{(stock, etf): weight} straight from the PCF and instrument PreClose."""
    out = {}
    for etf, info in w.etf_info.items():
        values = {}
        for c in info["成份股信息"]:
            must_cash = c["现金替代标志"] in (2, 4, 6, 8)
            pre = w.instruments[c["成份股代码"]]["PreClose"]
            values[c["成份股代码"]] = c["申购替代金额"] if must_cash else c["成份股数量"] * pre
        total = sum(values.values()) + info["预估现金差额"]
        for code, v in values.items():
            out[(code, etf)] = v / total
    return out


@pytest.mark.parametrize("quotes", ["all", "needed"])
def test_sim_day_limit_states_and_signals(quotes):
    P = sim_events.PlantSpec
    base = dict(seed=5, n_stocks=60, n_etfs=8, trade_date=datetime.date(2025, 11, 21), planted_limit_ups=0)
    probe = sim_world.World(sim_world.SimConfig(**base))
    top = {}
    for (code, _), wt in _weights_at_pre_close(probe).items():
        if code.endswith((".SH", ".SZ")) and not code.startswith(("51", "15", "56", "58")):
            top[code] = max(top.get(code, 0.0), wt)
    # well-held stocks, but not so heavy that their ETF hits its own limit with them
    picks = [c for wt, c in sorted(((wt, c) for c, wt in top.items() if 0.03 <= wt <= 0.12), reverse=True)]
    assert len(picks) >= 5
    cfg = sim_world.SimConfig(events=(P("limit_up_open", "09:30:00", code=picks[0]),
                                      P("limit_up_sealed", "09:50:00", code=picks[1]),
                                      P("limit_up_broken", "10:00:00", code=picks[2], open_after_s=300),
                                      P("limit_up_resealed", "10:10:00", code=picks[3], open_after_s=300,
                                        reseal_after_s=300),
                                      P("limit_down", "10:20:00"), P("limit_up_sealed", "13:40:00", code=picks[4])),
                              **base)
    w = sim_world.World(cfg)
    snap = Snapshot(trade_date=20251121, quotes=quotes)
    snap.set_instruments(w.instruments)
    params = LimitUpEtfParams(min_weight=0.01, min_etf_volume=0, premium_priced_in_fraction=100.0)
    strat = LimitUpEtfStrategy(params, etf_info=w.etf_info)
    signals = []
    while True:
        ticks = w.step()
        if ticks is None:
            break
        snap.update(ticks, w.now_ms)
        signals += strat.on_snapshot(snap, w.now_ms).signals
    planted = {e.code: e for e in w.planted if e.planted}
    assert len(planted) >= 5, w.planted
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

    # every planted limit-up whose stock weighs clearly more than min_weight in an ETF (at pre-close, computed
    # here straight from the PCF) gives a signal for that pair within a scan interval of the seal
    expected = 0
    weights = _weights_at_pre_close(w)
    limit_etfs = set(e.code for e in w.planted)     # an ETF sealed at its own limit has no ask: no buy signal
    first_signal = {}
    for sig in signals:
        first_signal.setdefault((sig.details["stock"], sig.code), sig.ts_ms)
    open_ms = w.epoch_ms(9 * 3600 + 30 * 60)
    for code, e in planted.items():
        if e.kind not in EXPECTED_UP:
            continue
        seal_ms = int(up.first_seal_ms[snap.index[code]])
        for etf in w.etf_info:
            if weights.get((code, etf), 0.0) < 2 * params.min_weight or etf in limit_etfs:
                continue
            expected += 1
            ts = first_signal.get((code, etf))
            assert ts is not None, (code, e.kind, etf)
            assert max(seal_ms, open_ms) <= ts <= max(seal_ms, open_ms) + params.scan_interval * 1000 + 3000
    assert expected >= 5
