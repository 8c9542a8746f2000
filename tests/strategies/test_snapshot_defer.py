"""Snapshot's two-phase update: near-limit rows read in full at once, far rows' other fields in complete().

The oracle is full=True, which reads every field of every row in one go: after each push (and complete()),
the fields both modes hold must be equal, with the same rows masked and the same counts per reason.
"""
import math
import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qmt_strategies.snapshot import REASONS, Snapshot

BASE_MS = 1763688600000          # 2025-11-21 09:30:00 Asia/Shanghai
DAY_MS = 86400000
CODES = ("600000.SH", "000001.SZ", "300750.SZ", "688001.SH", "600519.SH", "510300.SH")
PRE = {"600000.SH": 10.0, "000001.SZ": 12.34, "300750.SZ": 200.0, "688001.SH": 50.0, "600519.SH": 1500.0,
       "510300.SH": 4.0}
LIMIT = {"600000.SH": 0.1, "000001.SZ": 0.1, "300750.SZ": 0.2, "688001.SH": 0.2, "600519.SH": 0.1,
         "510300.SH": 0.1}
BAD = (float("nan"), "10.5", -1.0, 0.0, None)
FIELDS = ("time", "last", "high", "low")


def _tick(code, move, hi_extra, lo_extra, t, bad=None, bad_value=None):
    pre = PRE[code]
    tick = 0.001 if code.startswith("51") else 0.01
    up = round(pre * (1 + LIMIT[code]), 2 if tick == 0.01 else 3)
    last = min(up, round(pre * (1 + move * LIMIT[code]), 3))
    high = min(up, round(max(last, pre) + hi_extra * pre * LIMIT[code], 3))
    low = round(min(last, pre) - lo_extra * pre * 0.05, 3)
    if last >= up:
        bid, ask = [up - tick * k for k in range(5)], [0.0] * 5
    else:
        bid = [round(last - tick * k, 3) for k in range(5)]
        ask = [round(last + tick * (k + 1), 3) for k in range(5)]
    d = {"time": t, "lastPrice": last, "open": pre, "high": high, "low": low, "lastClose": pre, "amount": 1.0e8,
         "volume": 1000, "pvolume": 100000, "stockStatus": 0, "bidPrice": bid, "askPrice": ask,
         "bidVol": [100] * 5, "askVol": [100] * 5}
    if bad == "missing":
        del d["high"]
    elif bad is not None:
        if bad in ("bidPrice", "askPrice"):
            d[bad] = None if bad_value is None else [bad_value] + d[bad][1:]
        else:
            d[bad] = bad_value
    return d


tick_spec = st.tuples(
    st.sampled_from(CODES),
    st.floats(-1.0, 1.2),                       # move as a fraction of the limit (>= 1: at the limit)
    st.floats(0.0, 1.0), st.floats(0.0, 1.0),   # how far high/low went beyond last
    st.integers(-2, 3),                         # time step in 3 s units (negative: an old, stale tick)
    st.one_of(st.none(), st.sampled_from(("time", "lastPrice", "high", "low", "bidPrice", "askPrice",
                                          "missing"))),
    st.sampled_from(BAD))
push_spec = st.lists(st.lists(tick_spec, min_size=1, max_size=6), min_size=1, max_size=8)


def _pushes(spec, day_step=None):
    clock, out = BASE_MS, []
    for k, push in enumerate(spec):
        clock += 3000
        if day_step is not None and k == day_step:
            clock += DAY_MS
        ticks = {}
        for code, move, hi, lo, dt, bad, bad_value in push:
            ticks[code] = _tick(code, move, hi, lo, clock + dt * 3000, bad, bad_value)
        out.append(ticks)
    return out


def _sane_quotes(code, t):
    """Level-1 quotes that full=True would not mask (lists of finite numbers inside the limit band)."""
    digits = 3 if code.startswith("51") else 2
    up = round(PRE[code] * (1 + LIMIT[code]), digits)
    down = round(PRE[code] * (1 - LIMIT[code]), digits)
    if not (isinstance(t.get("bidPrice"), list) and isinstance(t.get("askPrice"), list)):
        return False
    return all(isinstance(v, float) and math.isfinite(v) and (v == 0 or down - 1e-9 <= v <= up + 1e-9)
               for v in t["bidPrice"][:1] + t["askPrice"][:1])


def _state(s, quotes):
    n = s.n
    out = dict((f, getattr(s, f)[:n].copy()) for f in FIELDS)
    out["valid"] = s.valid[:n].copy()
    if quotes == "all":
        out["bid1"], out["ask1"] = s.bid[:n, 0].copy(), s.ask[:n, 0].copy()
    out["counts"] = dict(s.bad_counts)
    out["codes"] = list(s.codes)
    return out


def _equal(a, b):
    assert a["codes"] == b["codes"]
    assert a["counts"] == b["counts"]
    for k in a:
        if k in ("codes", "counts"):
            continue
        x, y = a[k], b[k]
        same = (x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else (x == y)
        assert same.all(), (k, x, y)


@settings(max_examples=int(os.environ.get("SNAP_EXAMPLES", "150")), deadline=None)
@given(spec=push_spec, defer=st.booleans(), near=st.sampled_from((0.0, 0.02, 0.5)),
       day_step=st.one_of(st.none(), st.integers(1, 4)))
def test_two_phase_update_equals_reading_every_field(spec, defer, near, day_step):
    pushes = _pushes(spec, day_step)
    for quotes in ("all", "needed"):
        if quotes == "needed":      # far rows' quotes are never read there: bad quotes cannot be compared
            pushes = [dict((c, t) for c, t in p.items() if _sane_quotes(c, t)) for p in pushes]
        full = Snapshot(full=True, max_age_ms=60000)
        lazy = Snapshot(quotes=quotes, near_limit_pct=near, max_age_ms=60000)
        for p in pushes:
            if not p:
                continue
            now = max([t["time"] for t in p.values() if isinstance(t.get("time"), int)] or [BASE_MS])
            full.update(p, now_ms=now)
            lazy.update(p, now_ms=now, defer=defer)
            lazy.complete()
            _equal(_state(full, quotes), _state(lazy, quotes))
            assert full.trade_date == lazy.trade_date


def test_deferred_rows_have_last_now_and_the_rest_after_complete():
    s = Snapshot(near_limit_pct=0.02)
    t0 = BASE_MS
    s.update({"600000.SH": _tick("600000.SH", 0.1, 0, 0, t0), "000001.SZ": _tick("000001.SZ", 0.95, 0, 0, t0)})
    far, near = s.index["600000.SH"], s.index["000001.SZ"]
    p = {"600000.SH": _tick("600000.SH", 0.5, 0.2, 0, t0 + 3000),
         "000001.SZ": _tick("000001.SZ", 1.0, 0, 0, t0 + 3000)}
    s.update(p, defer=True)
    assert s.last[far] == p["600000.SH"]["lastPrice"] and s.time[far] == t0      # far: last only
    assert s.high[far] < p["600000.SH"]["high"]
    assert s.time[near] == t0 + 3000 and s.bid[near, 0] == p["000001.SZ"]["bidPrice"][0]   # near: everything
    assert s.book_fresh([near])[0]                             # sealed at the limit: its depth too
    s.complete()
    assert s.time[far] == t0 + 3000 and s.high[far] == p["600000.SH"]["high"]
    assert s.bid[far, 0] == p["600000.SH"]["bidPrice"][0]
    s.complete()                                               # nothing pending: no-op
    assert s.time[far] == t0 + 3000


def test_final_tells_which_rows_complete_may_still_change():
    s = Snapshot(near_limit_pct=0.02)
    t0 = BASE_MS
    codes = ("600000.SH", "000001.SZ", "510300.SH", "600519.SH")
    s.update({c: _tick(c, 0.1, 0, 0, t0) for c in codes})
    rows = s.rows_of(codes)
    assert s.final(rows).all()                                 # nothing pending
    s.update({"600000.SH": _tick("600000.SH", 0.5, 0, 0, t0 + 3000),     # far from its limits
              "000001.SZ": _tick("000001.SZ", 1.0, 0, 0, t0 + 3000),     # at its limit: read in full
              "510300.SH": _tick("510300.SH", 0.1, 0, 0, t0 + 3000)}, defer=True)   # ETF: read in full
    assert s.final(rows).tolist() == [False, True, True, True]  # 600519 is not in the push: final
    assert s.final([]).tolist() == []
    s.complete()
    assert s.final(rows).all()


def test_a_stale_far_row_gets_its_earlier_last_back():
    s = Snapshot()
    t0 = BASE_MS
    s.update({"600000.SH": _tick("600000.SH", 0.1, 0, 0, t0)})
    before = s.last[0]
    s.update({"600000.SH": _tick("600000.SH", 0.3, 0, 0, t0 - 3000)}, defer=True)
    assert s.last[0] != before                                 # written before its time was read
    s.complete()
    assert s.last[0] == before and s.valid[0] and s.last_bad["stale_time"] == 1


def test_watched_rows_get_quotes_at_once_and_their_book_in_complete_or_on_demand():
    t0 = BASE_MS
    first = {"600000.SH": _tick("600000.SH", 0.1, 0, 0, t0), "510300.SH": _tick("510300.SH", 0.1, 0, 0, t0)}
    s = Snapshot()
    s.update(first)
    stock, etf = s.index["600000.SH"], s.index["510300.SH"]
    s.set_watch([stock], owner="exits")
    p = {"600000.SH": _tick("600000.SH", 0.2, 0, 0, t0 + 3000), "510300.SH": _tick("510300.SH", 0.2, 0, 0, t0 + 3000)}
    s.update(p, defer=True)
    assert s.time[stock] == t0 + 3000 and s.bid[stock, 0] == p["600000.SH"]["bidPrice"][0]   # quotes now
    assert not s.book_fresh([stock, etf]).any()                                              # depth later
    s.read_depth([etf])                                      # on demand: any row of the pending push
    assert s.book_fresh([etf]).tolist() == [True] and s.bid[etf].tolist() == p["510300.SH"]["bidPrice"]
    assert s.bid_vol[etf].tolist() == [10000] * 5
    s.complete()                                             # the watched row's book
    assert s.book_fresh([stock, etf]).tolist() == [True, True]
    assert s.bid[stock].tolist() == p["600000.SH"]["bidPrice"]
    s.read_depth([stock])                                    # nothing pending: no-op
    bad = dict(_tick("600000.SH", 0.2, 0, 0, t0 + 6000), bidVol=[1, 2, float("nan"), 4, 5])
    s.update({"600000.SH": bad})                             # not deferred: the book is read in the same call
    assert not s.valid[stock] and s.last_bad["nan"] == 1


def test_a_new_day_seen_only_by_far_rows_is_applied_on_the_new_day():
    t0 = BASE_MS
    first = {"600000.SH": _tick("600000.SH", 0.1, 0, 0, t0), "000001.SZ": _tick("000001.SZ", 0.1, 0, 0, t0),
             "600519.SH": _tick("600519.SH", 0.1, 0, 0, t0)}
    day2 = t0 + 3 * DAY_MS
    b = _tick("000001.SZ", 0.3, 0, 0, day2)
    second = {"600000.SH": _tick("600000.SH", 0.2, 0, 0, t0 + 3000), "000001.SZ": b,
              "600519.SH": _tick("600519.SH", 0.1, 0, 0, t0 + 3000)}   # the probe (first, last) sees day 1
    s, full = Snapshot(), Snapshot(full=True)
    for p in (first, second):
        s.update(p, defer=True)
        full.update(p)
    assert s.trade_date == 20251121                            # not seen yet: 000001.SZ is far from its limits
    s.complete()
    assert s.trade_date == full.trade_date == 20251124
    r = s.index["000001.SZ"]
    assert s.valid[r] and s.time[r] == day2 and s.last[r] == b["lastPrice"] and s.pre_close[r] == PRE["000001.SZ"]
    _equal(_state(full, "all"), _state(s, "all"))


def test_counts_are_per_push_across_both_phases():
    s = Snapshot()
    t0 = BASE_MS
    s.update({"600000.SH": _tick("600000.SH", 0.1, 0, 0, t0), "000001.SZ": _tick("000001.SZ", 0.1, 0, 0, t0)})
    s.update({"600000.SH": _tick("600000.SH", 0.1, 0, 0, t0 + 3000, "lastPrice", float("nan")),
              "000001.SZ": _tick("000001.SZ", 0.1, 0, 0, t0 + 3000, "high", "x")}, defer=True)
    assert s.last_bad["nan"] == 1 and s.last_bad["bad_type"] == 0
    s.complete()
    assert s.last_bad["nan"] == 1 and s.last_bad["bad_type"] == 1
    assert sorted(r for r in REASONS if s.bad_counts[r]) == ["bad_type", "nan"]
    assert not s.valid[:2].any()


def test_rows_decisions_act_on_are_checked_in_full_before_complete():
    """ETF, watched and near-limit rows: a bad high/low masks them in update(defer=True) already (an auction
    tick with last > 0 and high/low 0 must not reach the exits or the strategy)."""
    t0 = BASE_MS
    s = Snapshot()
    s.update({c: _tick(c, 0.1, 0, 0, t0) for c in ("510300.SH", "600000.SH", "000001.SZ")})
    s.set_watch([s.index["600000.SH"]], owner="exits")
    p = {"510300.SH": dict(_tick("510300.SH", 0.1, 0, 0, t0 + 3000), high=0.0, low=0.0),
         "600000.SH": dict(_tick("600000.SH", 0.1, 0, 0, t0 + 3000), low=float("nan")),
         "000001.SZ": dict(_tick("000001.SZ", 0.99, 0, 0, t0 + 3000), high=99.0)}     # near its limit
    s.update(p, defer=True)
    assert not s.valid[[s.index[c] for c in p]].any()
    assert s.last_bad["nonpositive_price"] == 1 and s.last_bad["nan"] == 1 and s.last_bad["outside_band"] == 1
