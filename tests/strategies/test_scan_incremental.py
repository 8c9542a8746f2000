"""New-seal scans evaluate only the newly sealed stocks, and SignalMemory's numpy pre-filter matches admit()."""
import copy
import json
import os
import random
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qmt_strategies import evaluate as ev
from qmt_strategies import limit_up as lu
from qmt_strategies.limit_up_etf import LimitUpEtfStrategy
from qmt_strategies.snapshot import Snapshot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benchmarks"))
from signal_engine import T_1030, fresh_push, make_market  # noqa: E402


def _market(seed):
    ticks, info, planted = make_market(900, 120, 25, seed=seed, limit_up_share=0.03)
    rnd = random.Random(seed)
    for etf in sorted(info):                  # baskets of different sizes (top-10 sums, ranks, padding)
        comps = info[etf]["成份股信息"]
        info[etf]["成份股信息"] = comps[:rnd.randint(4, len(comps))]
    return ticks, info, planted, rnd


def _seal(ticks, snap, code, rnd):
    t = ticks[code]
    up = float(snap.up[snap.index[code]])
    t["lastPrice"] = t["high"] = up
    t["bidPrice"] = [round(up - 0.01 * k, 2) for k in range(5)]
    t["askPrice"] = [0.0] * 5
    t["askVol"] = [0] * 5
    t["bidVol"] = [rnd.randint(100, 60000), 10, 10, 10, 10]


def _unseal(ticks, code):
    t = ticks[code]
    t["askPrice"] = [round(t["bidPrice"][0] + 0.01 * (k + 1), 2) for k in range(5)]
    t["askVol"] = [100] * 5


def test_new_seal_scan_equals_a_full_scan_for_the_new_stocks():
    ticks, info, planted, rnd = _market(21)
    # loose filters so that many pairs pass and the memory, the levels and the order sizes all matter
    params = ev.LimitUpEtfParams(scan_interval=100000, min_etf_volume=100.0, min_weight=0.02,
                                 premium_priced_in_fraction=1e9, max_positions=1000)
    snap = Snapshot(quotes="all")
    strat = LimitUpEtfStrategy(params, etf_info=info)
    snap.update(fresh_push(ticks, 0))
    first = strat.on_snapshot(snap, T_1030)   # interval scan: every planted limit-up
    assert first.signals
    cands = [c for c in sorted(ticks) if c not in planted and not c.startswith(("51", "15"))]
    rnd.shuffle(cands)
    clock, compared, emitted, shared_etf = T_1030, 0, 0, 0
    for push in range(45):
        for code in cands[:rnd.choice((0, 1, 1, 2, 3))]:
            _seal(ticks, snap, code, rnd)
            cands.remove(code)
        if push % 7 == 3:                     # a planted one opens: hot set and sealed weights change
            _unseal(ticks, sorted(planted)[push % len(planted)])
        clock += 3000
        snap.update(fresh_push(ticks, clock - T_1030))
        before = strat.limits.up.ever_sealed[:snap.n].copy()
        # the same strategy state, forced to run a full (interval) scan on this push
        full = copy.deepcopy(strat, {id(snap): snap})
        full.last_scan_ms = -10 ** 15
        out = strat.on_snapshot(snap, clock)
        ref = full.on_snapshot(snap, clock)
        new_rows = np.nonzero(strat.limits.up.ever_sealed[:snap.n] & ~before)[0]
        new = set(snap.codes[r] for r in new_rows)
        if not new:
            assert out.signals == [] and out.intents == []
            continue
        compared += 1
        want = [s for s in ref.signals if s.details["stock"] in new]
        assert out.signals == want            # ids (versions), prices, quantities, levels, details
        emitted += len(out.signals)
        assert len(ref.signals) >= len(want)
        shared_etf += sum(1 for s in out.signals if s.details["etf_sealed_weight"] > s.details["weight"] + 1e-12)
    assert compared >= 20 and emitted >= 20
    assert shared_etf > 0                     # the ETF's sealed weight counts the other hot stocks too


def test_interval_scan_still_evaluates_everything_and_counts_from_interval_scans():
    ticks, info, planted, rnd = _market(5)
    params = ev.LimitUpEtfParams(scan_interval=60, min_etf_volume=100.0, min_weight=0.02,
                                 premium_priced_in_fraction=1e9, max_positions=1000)
    snap = Snapshot(quotes="all")
    strat = LimitUpEtfStrategy(params, etf_info=info)
    snap.update(fresh_push(ticks, 0))
    strat.on_snapshot(snap, T_1030)
    cands = [c for c in sorted(ticks) if c not in planted and not c.startswith(("51", "15"))]
    clock = T_1030
    for k in range(19):                       # a seal every 3 s does not postpone the interval scan
        _seal(ticks, snap, cands[k], rnd)
        clock += 3000
        snap.update(fresh_push(ticks, clock - T_1030))
        strat.on_snapshot(snap, clock)
        assert strat.last_scan_ms == T_1030
    clock += 3000
    snap.update(fresh_push(ticks, clock - T_1030))
    strat.on_snapshot(snap, clock)
    assert strat.last_scan_ms == clock
    hot = strat.limits.up.ever_sealed[:snap.n]
    assert set(strat.last_eval["stock_row"].tolist()) > set(np.nonzero(hot)[0][:1].tolist())
    assert len(set(strat.last_eval["stock_row"].tolist())) > 20


_STEP = st.one_of(
    st.tuples(st.just("batch"), st.integers(1, 3),
              st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2), st.integers(0, 2)),
                       max_size=12)),
    st.tuples(st.just("keyless"), st.integers(1, 3),
              st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2), st.integers(0, 2)),
                       max_size=3)),
    st.tuples(st.just("forget"), st.just(0), st.just([])),
    st.tuples(st.just("revoke"), st.just(0), st.lists(st.integers(0, 50), min_size=1, max_size=3)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_STEP, max_size=25))
def test_memory_prefilter_matches_per_pair_admit(steps):
    """could_admit never hides a pair admit() takes, and filters all the others while the index knows every
    admit and revoke of the day; revoke restores what the pair had before its last admit."""
    fast, ref = ev.SignalMemory(), ev.SignalMemory()
    exact = False                             # the index knows every admit of the day (no forget, no keyless)
    for kind, day, pairs in steps:
        if kind == "forget":
            fast.forget_keys()
            exact = False
            continue
        if kind == "revoke":                  # admissions undone (their signals dropped): the index follows
            known = sorted(ref.best)
            for i in pairs if known else []:
                s, e = known[i % len(known)]
                fast.revoke(s, e, int(s[1:]) * ev.SignalMemory.KEY_BASE + int(e[1:]))
                ref.revoke(s, e)
            assert fast.best == ref.best
            continue
        if day != ref.day and pairs:          # the first admit of another day starts both afresh
            exact = True
        if kind == "keyless":
            for s, e, c, r in pairs:
                assert fast.admit(day, "S%d" % s, "E%d" % e, c, r) == ref.admit(day, "S%d" % s, "E%d" % e, c, r)
            exact = False
            continue
        keys = np.array([s * ev.SignalMemory.KEY_BASE + e for s, e, _, _ in pairs], np.int64)
        conf = np.array([c for _, _, c, _ in pairs], np.int8)
        rsk = np.array([r for _, _, _, r in pairs], np.int8)
        mask = fast.could_admit(day, keys, conf, rsk)
        best = dict(ref.best) if ref.day == day else {}
        would = [("S%d" % s, "E%d" % e) not in best or c > best[("S%d" % s, "E%d" % e)][0] or
                 (c == best[("S%d" % s, "E%d" % e)][0] and r < best[("S%d" % s, "E%d" % e)][1])
                 for s, e, c, r in pairs]
        assert all(m or not w for m, w in zip(mask.tolist(), would))     # never hides an admissible pair
        if exact:
            assert mask.tolist() == would                                  # and filters all the others
        got = [bool(m) and fast.admit(day, "S%d" % s, "E%d" % e, c, r, int(k))
               for m, (s, e, c, r), k in zip(mask.tolist(), pairs, keys.tolist())]
        want = [ref.admit(day, "S%d" % s, "E%d" % e, c, r) for s, e, c, r in pairs]
        assert got == want
        assert fast.best == ref.best and fast.day == ref.day
        for s, e, _, _ in pairs:
            assert fast.version("S%d" % s, "E%d" % e) == ref.version("S%d" % s, "E%d" % e)


def test_deferred_snapshot_gives_the_same_signals_as_reading_every_field_first():
    """The runner's order: update(defer=True) -> on_snapshot -> complete(). Same signals and intents as
    update() then on_snapshot. Only the loop-edge details may differ: deferred, the signalled ETFs' book
    is read on demand from the push, so it is never older than the one a non-deferred run holds."""
    ticks, info, planted, rnd = _market(5)
    params = ev.LimitUpEtfParams(scan_interval=30, min_etf_volume=100.0, min_weight=0.02,
                                 premium_priced_in_fraction=1e9, max_positions=1000)
    runs = [(Snapshot(quotes=q), LimitUpEtfStrategy(params, etf_info=info), d)
            for q in ("all", "needed") for d in (False, True)]
    cands = [c for c in sorted(ticks) if c not in planted and not c.startswith(("51", "15"))]
    rnd.shuffle(cands)
    clock, emitted, fresh_loop = T_1030, 0, 0
    for push in range(30):
        if push:
            for code in cands[:rnd.choice((0, 1, 2))]:
                _seal(ticks, runs[0][0], code, rnd)
                cands.remove(code)
            for code in rnd.sample(sorted(ticks), 40):          # other rows move a little
                t = ticks[code]
                if t["askPrice"][0] > 0 and code not in planted:
                    t["lastPrice"] = t["bidPrice"][0]
        clock += 3000
        outs = []
        for snap, strat, defer in runs:
            snap.update(fresh_push(ticks, clock - T_1030), defer=defer)
            outs.append(strat.on_snapshot(snap, clock))
            snap.complete()
        emitted += len(outs[0].signals)
        for now, deferred in ((outs[0], outs[1]), (outs[2], outs[3])):
            assert [_no_loop(x) for x in deferred.signals] == [_no_loop(x) for x in now.signals]
            assert deferred.intents == now.intents
            fresh_loop += sum(a.details["loop_etf_fill"] != b.details["loop_etf_fill"]
                              for a, b in zip(now.signals, deferred.signals))
        for sig in outs[0].signals:                 # plain JSON-safe values: no numpy scalars, no NaN
            assert all(type(v) in (str, int, float, bool, type(None)) for v in sig.details.values()), sig.details
            json.dumps(sig.details, allow_nan=False)
            assert type(sig.quantity) is int and type(sig.score) is float and type(sig.price) is float
    assert emitted > 20 and fresh_loop > 0        # some books were read on demand that a plain run lacked


def _no_loop(sig):
    d = dict((k, v) for k, v in sig.details.items() if k not in LOOP_FIELDS)
    return sig._replace(details=d)


LOOP_FIELDS = ("create_edge", "redeem_edge", "loop_etf_fill", "loop_feasible")


def test_split_scan_gives_the_intents_signals_first_and_the_same_signals_in_all():
    """on_snapshot_split: (signals of the intents, intents, rest) holds exactly what on_snapshot returns, the
    intents' own signals built before the others (a runner sends the orders in between)."""
    ticks, info, planted, rnd = _market(8)
    params = ev.LimitUpEtfParams(scan_interval=9, min_etf_volume=100.0, min_weight=0.02,
                                 premium_priced_in_fraction=1e9, max_positions=1000)
    snap = Snapshot(quotes="needed")
    whole = LimitUpEtfStrategy(params, etf_info=info)
    split = LimitUpEtfStrategy(params, etf_info=info)
    cands = [c for c in sorted(ticks) if c not in planted and not c.startswith(("51", "15"))]
    rnd.shuffle(cands)
    clock, with_rest, intents_seen = T_1030, 0, 0
    for push in range(30):
        for code in cands[:rnd.choice((0, 1, 2, 4))]:
            _seal(ticks, snap, code, rnd)
            cands.remove(code)
        snap.update(fresh_push(ticks, clock - T_1030), defer=True)
        out = whole.on_snapshot(snap, clock)
        first, intents, rest = split.on_snapshot_split(snap, clock)
        assert list(intents) == out.intents
        assert [s.signal_id for s in first] == [it.signal_id for it in intents]
        others = rest() if rest is not None else []
        if rest is not None:
            with_rest += 1
            assert rest() is others                # built once
        assert sorted(list(first) + others, key=lambda s: s.signal_id) == \
            sorted(out.signals, key=lambda s: s.signal_id)
        assert len(first) + len(others) == len(out.signals)
        intents_seen += len(intents)
        snap.complete()
        clock += 3000
    assert with_rest >= 3 and intents_seen >= 5


def test_an_etf_whose_book_is_found_bad_before_the_order_is_not_bought_and_signals_once_it_is_good():
    """The ETF's 5-level book is read (and checked) just before its intent: a bad deeper level masks the row,
    and its pairs are dropped as if the tick had been found bad in update(): no intent, no signal, and the
    memory forgets the admission, so the next good push signals and buys it (version 1)."""
    ticks, info, planted, rnd = _market(8)
    params = ev.LimitUpEtfParams(scan_interval=0, min_etf_volume=100.0, min_weight=0.02,
                                 premium_priced_in_fraction=1e9, max_positions=1000)
    ref_snap = Snapshot(quotes="needed")
    ref = LimitUpEtfStrategy(params, etf_info=info).on_snapshot_split
    ref_snap.update(fresh_push(ticks, 0), defer=True)
    first, intents, rest = ref(ref_snap, T_1030)
    assert intents
    target = intents[0].code
    bad = copy.deepcopy(ticks)
    bad[target]["bidVol"] = [bad[target]["bidVol"][0], float("nan"), 1, 1, 1]   # level 1 fine, level 2 not

    snap = Snapshot(quotes="needed")
    strat = LimitUpEtfStrategy(params, etf_info=info)
    snap.update(fresh_push(bad, 0), defer=True)
    first, intents, rest = strat.on_snapshot_split(snap, T_1030)
    others = rest()
    assert not snap.valid[snap.index[target]]
    assert target not in [it.code for it in intents]
    assert target not in [s.code for s in list(first) + others]
    assert intents, "the other ETFs are still bought"
    snap.complete()

    snap.update(fresh_push(ticks, 3000), defer=True)
    first, intents, rest = strat.on_snapshot_split(snap, T_1030 + 3000)
    rest()
    got = [(it.code, it.signal_id) for it in intents if it.code == target]
    assert len(got) == 1 and got[0][1].endswith(":1"), got


def test_rest_advances_limit_down_states_and_runs_on_the_next_push_when_a_caller_skips_it():
    """rest() owns the limit-down tracker now (no order waits for it). Called: the state is current after
    it. Skipped: the next on_snapshot_split runs the pending rest() first (on that push's arrays), so the
    states still advance."""
    ticks, info, planted, rnd = _market(3)
    params = ev.LimitUpEtfParams(scan_interval=0, min_etf_volume=100.0, min_weight=0.02)
    stock = [c for c in sorted(ticks) if c not in planted and not c.startswith(("51", "15"))][0]
    runs = {}
    for mode in ("called", "skipped"):
        snap = Snapshot(quotes="needed")
        strat = LimitUpEtfStrategy(params, etf_info=info)
        snap.update(fresh_push(ticks, 0), defer=True)
        rest = strat.on_snapshot_split(snap, T_1030)[2]
        if mode == "called":
            rest()
        r = snap.index[stock]
        t = copy.deepcopy(ticks)
        down = float(snap.down[r])
        t[stock].update(lastPrice=down, low=down, askPrice=[down] + [round(down + 0.01 * k, 2) for k in range(1, 5)],
                        bidPrice=[0.0] * 5, bidVol=[0] * 5, askVol=[50000, 10, 10, 10, 10])
        snap.complete()
        snap.update(fresh_push(t, 3000), defer=True)
        rest = strat.on_snapshot_split(snap, T_1030 + 3000)[2]
        before = int(strat.limits.down.state[r])
        if mode == "called":
            rest()
        runs[mode] = (before, int(strat.limits.down.state[r]))
    assert runs["called"] == (lu.NOT, lu.SEALED)                 # advanced by rest(), not before it
    # the first push's rest() was skipped: the second push ran it first, on its own arrays
    assert runs["skipped"] == (lu.SEALED, lu.SEALED)
