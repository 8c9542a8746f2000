"""Golden tests of LimitUpEtfStrategy on hand-built snapshots: each limit-up kind, confidence and risk branch."""
import numpy as np
import pytest
from tickmaker import BASE_MS, make_tick

from qmt_strategies import ashare
from qmt_strategies import evaluate as ev
from qmt_strategies.limit_up_etf import LimitUpEtfStrategy
from qmt_strategies.snapshot import Snapshot
from qmt_strategies.types import Fill

H = 3600000
SEAL = dict(high=11.0, bid=[11.0, 10.99, 10.98, 10.97, 10.96], ask=[0.0] * 5, bid_vol=[30000, 1, 1, 1, 1])
ETF_BID = [1.0, 0.999, 0.998, 0.997, 0.996]
ETF_ASK = [1.001, 1.002, 1.003, 1.004, 1.005]


def basket(weights, value=1.0e6):
    """PCF for an ETF whose components (code -> weight at their current price) sum below 1; rest is cash."""
    comps, used = [], 0.0
    for code, (w, px) in weights.items():
        comps.append({"成份股代码": code, "成份股数量": w * value / px, "现金替代标志": 1,
                      "申购替代金额": 0.0, "赎回替代金额": 0.0, "申购现金替代溢价比率": 0.1,
                      "赎回现金替代折价比率": 0.1})
        used += w
    return {"最小申购、赎回单位": value, "预估现金差额": value * (1 - used), "成份股信息": comps}


def filler(n, w, start=100):
    return dict(("600%03d.SH" % (start + k), w) for k in range(n))


def world(etf_weights, sealed=("600000.SH",), t=BASE_MS + H, etf_amount=1.0e8, etf_ask=None, kind="sealed"):
    """Ticks: sealed stocks at 11.00 (pre 10.00), others flat at 10.00; ETFs at 1.000."""
    ticks = {}
    for w in etf_weights.values():
        for code in w:
            ticks[code] = make_tick(10.0, 10.0, t=t)
    for code in sealed:
        low = 11.0 if kind == "one_word" else 10.2
        ticks[code] = make_tick(10.0, 11.0, low=low, t=t, **SEAL)
    info = {}
    for etf, w in etf_weights.items():
        px = dict((c, 11.0 if c in sealed else 10.0) for c in w)
        info[etf] = basket(dict((c, (wt, px[c])) for c, wt in w.items()))
        ticks[etf] = make_tick(1.0, 1.0, bid=ETF_BID, ask=etf_ask or ETF_ASK, t=t, amount=etf_amount,
                               bid_vol=[5000] * 5, ask_vol=[5000] * 5)
    return ticks, info


def run(etf_weights, t=BASE_MS + H, params=None, **kw):
    ticks, info = world(etf_weights, t=t, **kw)
    snap = Snapshot()
    strat = LimitUpEtfStrategy(params or ev.LimitUpEtfParams(), etf_info=info)
    snap.update(ticks)
    return snap, strat, strat.on_snapshot(snap, t)


def one(out):
    assert len(out.signals) == 1, out.signals
    return out.signals[0]


HIGH_CONF = {"510001.SH": dict([("600000.SH", 0.12)], **filler(20, 0.03))}
MID_CONF = {"510001.SH": dict([("600000.SH", 0.07)], **filler(4, 0.08), **filler(20, 0.01, 200))}
LOW_CONF = {"510001.SH": dict([("600000.SH", 0.055)], **filler(11, 0.06), **filler(10, 0.01, 200))}


@pytest.mark.parametrize("weights,want", [(HIGH_CONF, "高"), (MID_CONF, "中"), (LOW_CONF, "低")])
def test_confidence_branches(weights, want):
    sig = one(run(weights)[2])
    assert sig.confidence == want
    assert sig.risk == "低"                                 # 10:30, spread-out basket
    assert sig.details["stock"] == "600000.SH" and sig.code == "510001.SH"


def test_risk_branches():
    concentrated = {"510001.SH": dict([("600000.SH", 0.30)], **filler(9, 0.07))}
    assert one(run(concentrated)[2]).risk == "中"                 # top-10 >= 70% only
    assert one(run(concentrated, t=BASE_MS + 600000)[2]).risk == "高"   # + before 10:00
    assert one(run(HIGH_CONF, t=BASE_MS + 600000)[2]).risk == "中"      # morning only
    late = ev.LimitUpEtfParams(min_time_to_close=0)
    t_late = BASE_MS + (5 * 60 + 25) * 60000                       # 14:55
    assert one(run(HIGH_CONF, t=t_late, params=late)[2]).risk == "高"
    p = ev.LimitUpEtfParams()
    assert ev.risk(3000, np.array([0.5]), 14 * 3600, p).tolist() == [1]   # < 1 h to close only


def test_limit_up_kinds():
    sig = one(run(HIGH_CONF, kind="one_word")[2])
    assert sig.details["state"] == "one_word"
    snap, strat, out = run(HIGH_CONF)
    assert one(out).details["state"] == "sealed"
    assert one(out).details["seal_amount"] == 3.0e6 * 11.0
    # broken: the stock reopens -> no new signal; touched-only stocks never signal
    t = BASE_MS + H + 120000
    ticks, _ = world(HIGH_CONF, t=t, sealed=())
    ticks["600000.SH"] = make_tick(10.0, 10.95, high=11.0, low=10.2, t=t)
    snap.update(ticks)
    assert strat.on_snapshot(snap, t).signals == []
    assert strat.limits.up.state[snap.index["600000.SH"]] == 3
    snap2, strat2, out2 = run(HIGH_CONF, sealed=())
    snap2.update({"600000.SH": make_tick(10.0, 10.95, high=11.0, low=10.2, t=BASE_MS + H + 3000)})
    assert strat2.on_snapshot(snap2, BASE_MS + H + 70000).signals == []
    assert strat2.limits.up.state[snap2.index["600000.SH"]] == 1


def test_filters():
    assert run(HIGH_CONF, etf_amount=4.0e7)[2].signals == []            # 4000万 < 5000万
    assert run(HIGH_CONF, etf_amount=4.0e7)[1].filter_counts["etf_volume"] == 1
    late = run(HIGH_CONF, t=BASE_MS + (5 * 60 + 20) * 60000)            # 14:50 -> 600 s left
    assert late[2].signals == [] and late[1].filter_counts["time_to_close"] == 1
    # IOPV ~1.000; ask at 1.008 is a 0.8% premium >= 0.5 x 12% x 10% = 0.6%
    pr = run(HIGH_CONF, etf_ask=[1.008, 1.009, 1.01, 1.011, 1.012])
    assert pr[2].signals == [] and pr[1].filter_counts["premium_priced_in"] == 1
    assert run(HIGH_CONF, t=BASE_MS - 600000)[2].signals == []          # 09:20, not continuous trading


def test_min_weight_and_related_etfs():
    two = {"510001.SH": dict([("600000.SH", 0.12)], **filler(20, 0.03)),
           "510002.SH": dict([("600000.SH", 0.04)], **filler(20, 0.03, 300))}
    out = run(two)[2]
    assert [s.code for s in out.signals] == ["510001.SH"]


def test_order_intent_price_lot_budget_and_exit_plan():
    snap, strat, out = run(HIGH_CONF)
    sig = one(out)
    assert len(out.intents) == 1
    it = out.intents[0]
    assert it.code == "510001.SH" and it.side == "buy" and it.signal_id == sig.signal_id
    assert it.price == 1.003                                 # ask1 + 2 ticks
    assert it.quantity % 100 == 0 and it.quantity * it.price <= 100000.0
    assert it.quantity == 99700
    r = snap.index["510001.SH"]
    buy_max, _ = ashare.cage_units(ashare.to_units([1.0]), [ashare.BOARD_ETF], [1])
    assert ashare.to_units(it.price) <= buy_max[0] and it.price <= snap.up[r]
    assert it.exit_plan.stop_loss == 0.982 and it.exit_plan.take_profit == 1.034
    assert it.exit_plan.exit_after_days == 1 and len(it.client_id) <= 20
    plan = strat.on_fill(Fill(it.client_id, it.code, "buy", 1.002, 99700, BASE_MS + H, 1, "t1", "limit_up_etf"))
    assert plan.entry_price == 1.002 and plan.stop_loss == 0.981 and plan.take_profit == 1.033
    assert strat.positions["510001.SH"] == [99700, 1.002]
    strat.on_fill(Fill(it.client_id, it.code, "sell", 1.03, 99700, BASE_MS + 2 * H, 2, "t2", "limit_up_etf"))
    assert "510001.SH" not in strat.positions


def test_one_signal_per_pair_per_day_unless_stronger():
    ticks, info = world(HIGH_CONF, t=BASE_MS + 600000)                   # 09:40: risk 中 (morning)
    snap = Snapshot()
    strat = LimitUpEtfStrategy(etf_info=info)
    snap.update(ticks)
    first = one(strat.on_snapshot(snap, BASE_MS + 600000))
    assert first.risk == "中" and first.signal_id.endswith(":1")
    t = BASE_MS + 700000
    snap.update(world(HIGH_CONF, t=t)[0])
    assert strat.on_snapshot(snap, t).signals == []                          # same strength: nothing new
    t = BASE_MS + H
    snap.update(world(HIGH_CONF, t=t)[0])
    out = strat.on_snapshot(snap, t)                                         # 10:30: risk 低 -> stronger
    assert one(out).risk == "低" and one(out).signal_id.endswith(":2")
    assert out.intents == []                                                 # one entry per ETF per day


def test_scan_interval_and_new_seal_triggers():
    ticks, info = world(HIGH_CONF, sealed=())
    snap = Snapshot()
    strat = LimitUpEtfStrategy(etf_info=info)
    snap.update(ticks)
    assert strat.on_snapshot(snap, BASE_MS + H).signals == []
    t = BASE_MS + H + 3000
    sealed_ticks = world(HIGH_CONF, t=t)[0]
    snap.update(sealed_ticks)
    assert len(strat.on_snapshot(snap, t).signals) == 1                     # new seal: evaluated at once


def test_no_holdings_is_a_clear_error():
    with pytest.raises(ValueError, match="etf_info"):
        LimitUpEtfStrategy().on_snapshot(Snapshot(), BASE_MS)
    with pytest.raises(ValueError, match="unknown LimitUpEtfParams"):
        ev.LimitUpEtfParams(min_wieght=0.1)


def test_no_second_entry_into_an_etf_already_held():
    ticks, info = world(HIGH_CONF)
    snap = Snapshot()
    strat = LimitUpEtfStrategy(etf_info=info)
    strat.on_fill({"client_id": "x", "code": "510001.SH", "side": "buy", "price": 1.0, "quantity": 1000,
                   "ts_ms": BASE_MS, "order_id": 1, "trade_id": "t", "strategy": "limit_up_etf"})
    snap.update(ticks)
    out = strat.on_snapshot(snap, BASE_MS + H)
    assert len(out.signals) == 1 and out.intents == []


def test_snapshot_day_roll_resets_the_strategy_day():
    ticks, info = world(HIGH_CONF)
    snap = Snapshot()
    strat = LimitUpEtfStrategy(etf_info=info)
    snap.update(ticks)
    assert len(strat.on_snapshot(snap, BASE_MS + H).intents) == 1
    t2 = BASE_MS + H + 3 * 86400000
    snap.update(world(HIGH_CONF, t=t2)[0])
    out = strat.on_snapshot(snap, t2)
    assert len(out.signals) == 1 and out.signals[0].trade_date == 20251124 and len(out.intents) == 1


def test_unknown_float_volume_is_none_in_details_and_reason():
    sig = one(run(HIGH_CONF)[2])
    assert sig.details["seal_ratio"] is None and "占流通?" in sig.reason
    assert all(not (isinstance(v, float) and v != v) for v in sig.details.values())


@pytest.mark.parametrize("weights", [HIGH_CONF, MID_CONF, LOW_CONF])
def test_quotes_needed_mode_gives_the_same_signals(weights):
    ticks, info = world(weights)
    outs = []
    for mode in ("all", "needed"):
        snap = Snapshot(quotes=mode)
        strat = LimitUpEtfStrategy(etf_info=info)
        snap.update(ticks)
        outs.append(strat.on_snapshot(snap, BASE_MS + H))
    (a,), (b,) = outs[0].signals, outs[1].signals
    assert outs[0].intents == outs[1].intents
    da, db = dict(a.details), dict(b.details)
    for k in ("create_edge", "redeem_edge"):                 # component quotes estimated from last
        assert abs(da.pop(k) - db.pop(k)) < 0.02
    assert a._replace(details=None) == b._replace(details=None) and da == db
    assert da["seal_ratio"] is None and "占流通?" in a.reason   # unknown float volume: None, not NaN
