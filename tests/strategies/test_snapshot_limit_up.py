"""Snapshot extraction/masking and limit-up state machine on hand-built ticks."""
import math

import numpy as np


from qmt_strategies import limit_up as lu
from qmt_strategies.snapshot import Snapshot

SEAL_BID = [11.0, 10.99, 10.98, 10.97, 10.96]
NO_ASK = [0.0] * 5


def test_masking_counts_each_reason(tick):
    s = Snapshot(max_age_ms=60000)
    good = tick(10.0, 10.5, t=1000000)
    s.update({"600000.SH": good})
    bad_type = dict(tick(10.0, 10.5), lastPrice="10.5")
    missing = dict(tick(10.0, 10.5))
    del missing["high"]
    pushes = {
        "000001.SZ": tick(10.0, float("nan")),
        "000002.SZ": bad_type,
        "000004.SZ": missing,
        "000005.SZ": tick(10.0, 11.5),                       # above the 11.00 limit
        "000006.SZ": tick(10.0, 0.0, low=0.0),
        "600000.SH": tick(10.0, 10.6, t=999000),             # older than what we hold
        "000007.SZ": tick(10.0, 10.1, t=1000000),
        "000008.SZ": dict(tick(10.0, 10.1), bidPrice=None),
    }
    rows = s.update(pushes, now_ms=1000000)
    assert s.last_bad == {"missing_field": 2, "bad_type": 1, "nan": 1, "nonpositive_price": 1,
                          "stale_time": 1, "outside_band": 1}
    assert [s.codes[r] for r in rows] == ["000007.SZ"]
    v = dict(zip(s.codes, s.valid[:s.n].tolist()))
    assert v["600000.SH"] and v["000007.SZ"]
    assert not any(v[c] for c in ("000001.SZ", "000002.SZ", "000004.SZ", "000005.SZ", "000006.SZ",
                                  "000008.SZ"))
    assert s.last[s.index["600000.SH"]] == 10.5             # stale tick did not overwrite
    # a later good tick clears the mask; cumulative counts keep the history
    s.update({"000005.SZ": tick(10.0, 10.9, t=1003000)})
    assert s.valid[s.index["000005.SZ"]]
    assert s.bad_counts["outside_band"] == 1


def test_max_age_marks_old_ticks_stale(tick):
    s = Snapshot(max_age_ms=60000)
    s.update({"600000.SH": tick(10.0, 10.1, t=1000)}, now_ms=100000)
    assert s.last_bad["stale_time"] == 1 and not s.valid[0]


def test_partial_push_updates_only_its_rows(tick):
    s = Snapshot()
    s.update({"600000.SH": tick(10.0, 10.1), "000001.SZ": tick(20.0, 20.2)})
    s.update({"000001.SZ": tick(20.0, 20.5, t=1763688603000)})
    assert s.last[s.index["600000.SH"]] == 10.1 and s.last[s.index["000001.SZ"]] == 20.5
    assert s.n == 2


def test_etf_turnover_always_and_five_levels_when_watched(tick):
    s = Snapshot()
    bid = [4.009, 4.008, 4.007, 4.006, 4.005]
    ask = [4.010, 4.011, 4.012, 4.013, 4.014]
    t0 = 1763688600000
    push = {"510300.SH": tick(4.0, 4.01, bid=bid, ask=ask, amount=3.0e8, bid_vol=[1, 2, 3, 4, 5], t=t0),
            "600000.SH": tick(10.0, 10.1, t=t0)}
    s.update(push)
    r, r_stk = s.index["510300.SH"], s.index["600000.SH"]
    assert s.amount[r] == 3.0e8 and s.amount[r_stk] == 0.0   # stock details are read only when needed
    assert s.details_known([r, r_stk]).tolist() == [True, False]
    assert not s.book_fresh([r])[0] and s.bid[r, 0] == 4.009 and s.bid[r, 1] == 0.0
    s.set_watch([r])
    s.update(dict(push, **{"510300.SH": dict(push["510300.SH"], time=t0 + 3000)}))
    assert s.book_fresh([r])[0]
    assert s.bid[r].tolist() == bid and s.ask[r].tolist() == ask
    assert s.bid_vol[r].tolist() == [100, 200, 300, 400, 500]
    assert s.up[r] == 4.4 and s.down[r] == 3.6


def test_full_mode_matches_fast_mode_on_watched_rows(tick):
    ticks = {"600000.SH": tick(10.0, 10.1), "510300.SH": tick(4.0, 4.01, amount=5.0)}
    a, b = Snapshot(full=True), Snapshot()
    a.update(ticks)
    b.set_watch(b.add_codes(list(ticks)))
    b.update(ticks)
    for name in ("last", "high", "low", "time", "up", "down", "amount", "volume", "open", "bid", "ask",
                 "bid_vol", "ask_vol"):
        assert a.view(name).tolist() == b.view(name).tolist(), name


def test_instrument_detail_limit_used_and_disagreement_flagged(tick):
    s = Snapshot()
    s.set_instruments({"600000.SH": {"UpStopPrice": 11.0, "DownStopPrice": 9.0, "FloatVolume": 1e9,
                                     "InstrumentName": "浦发银行"},
                       "600001.SH": {"UpStopPrice": 10.60, "DownStopPrice": 9.5, "FloatVolume": 1e8,
                                     "InstrumentName": "*ST 某某"}})
    s.update({"600000.SH": tick(10.0, 10.2), "600001.SH": tick(10.0, 10.2)})
    assert not s.limit_disagree[0] and s.limit_disagree[1]     # ST 5% would be 10.50
    assert s.up[1] == 10.60 and s.is_st[1]


def _sealed(tick, t, low=10.5, bid_vol=None):
    return tick(10.0, 11.0, high=11.0, low=low, bid=SEAL_BID, ask=NO_ASK,
                bid_vol=bid_vol or [5000, 1, 1, 1, 1], t=t)


def test_limit_up_states_touched_sealed_broken_resealed(tick):
    s = Snapshot()
    s.set_instruments({"600000.SH": {"FloatVolume": 1.0e8, "InstrumentName": "x"}})
    lb = lu.LimitBook()
    t0 = 1763688600000
    seq = [
        (tick(10.0, 10.5, t=t0), lu.NOT),
        (tick(10.0, 10.9, high=11.0, low=10.5, t=t0 + 3000), lu.TOUCHED),
        (_sealed(tick, t0 + 6000), lu.SEALED),
        (tick(10.0, 10.99, high=11.0, low=10.5, t=t0 + 9000), lu.BROKEN),
        (_sealed(tick, t0 + 12000), lu.SEALED),
        (tick(10.0, 10.98, high=11.0, low=10.5, t=t0 + 15000), lu.BROKEN),
    ]
    for tk, want in seq:
        s.update({"600000.SH": tk})
        lb.update(s)
        assert lb.up.state[0] == want, (lu.STATE_NAMES[lb.up.state[0]], lu.STATE_NAMES[want])
    assert lb.up.breaks[0] == 2 and lb.up.first_seal_ms[0] == t0 + 6000
    assert lb.down.state[0] == lu.NOT


def test_seal_amount_and_ratio(tick):
    s = Snapshot()
    s.set_instruments({"600000.SH": {"FloatVolume": 1.0e8, "InstrumentName": "x"}})
    lb = lu.LimitBook()
    s.update({"600000.SH": _sealed(tick, 1763688600000, bid_vol=[20000, 1, 1, 1, 1])})
    lb.update(s)
    assert lb.up.seal_volume[0] == 2.0e6                  # 20000 lots
    assert math.isclose(lb.up.seal_amount[0], 2.2e7)
    assert math.isclose(lb.up.seal_ratio[0], 0.02)


def test_one_word_board_and_limit_down(tick):
    s = Snapshot()
    lb = lu.LimitBook()
    s.update({"600000.SH": _sealed(tick, 1763688600000, low=11.0),
              "000001.SZ": tick(10.0, 9.0, high=9.0, low=9.0, bid=NO_ASK, ask=[9.0, 9.01, 9.02, 9.03, 9.04],
                                ask_vol=[7000, 1, 1, 1, 1]),
              "000002.SZ": tick(10.0, 9.1, high=10.0, low=9.0)})
    lb.update(s)
    st_up = dict(zip(s.codes, lb.up.state.tolist()))
    st_dn = dict(zip(s.codes, lb.down.state.tolist()))
    assert st_up["600000.SH"] == lu.ONE_WORD
    assert st_dn == {"600000.SH": lu.NOT, "000001.SZ": lu.ONE_WORD, "000002.SZ": lu.TOUCHED}
    assert lb.down.seal_volume[1] == 700000


def test_invalid_row_keeps_state(tick):
    s = Snapshot()
    lb = lu.LimitBook()
    s.update({"600000.SH": _sealed(tick, 1763688600000)})
    lb.update(s)
    s.update({"600000.SH": dict(_sealed(tick, 1763688603000), lastPrice=float("nan"))})
    lb.update(s)
    assert lb.up.state[0] == lu.SEALED and lb.up.breaks[0] == 0
    assert lb.up.rows_in([lu.SEALED, lu.ONE_WORD]).tolist() == [0]


def test_details_of_etf_rows_and_rows_at_a_limit_with_bad_values_counted(tick):
    s = Snapshot()
    t0 = 1763688600000
    s.update({"510300.SH": tick(4.0, 4.01, amount=1.0, t=t0), "600000.SH": _sealed(tick, t0),
              "600001.SH": tick(10.0, 10.1, t=t0)})
    r_etf, r_up, r_flat = s.index["510300.SH"], s.index["600000.SH"], s.index["600001.SH"]
    assert s.amount[r_etf] == 1.0 and s.amount[r_up] == 1.0e8 and s.amount[r_flat] == 0.0
    assert s.bid_vol[r_up].tolist() == [500000, 100, 100, 100, 100]
    assert s.book_fresh([r_up, r_flat]).tolist() == [True, False]
    s.update({"600000.SH": tick(10.0, 10.9, high=11.0, t=t0 + 3000)})     # left the limit: depth stale
    assert not s.book_fresh([r_up])[0]
    s.update({"510300.SH": dict(tick(4.0, 4.01, t=t0 + 6000), amount="lots")})
    assert s.last_bad["bad_type"] == 1 and not s.valid[r_etf]
    s.update({"510300.SH": dict(tick(4.0, 4.01, t=t0 + 9000), bidVol=[1, 2, float("nan"), 4, 5])})
    assert s.valid[r_etf]                                     # unwatched: its depth is not read
    s.set_watch([r_etf])
    s.update({"510300.SH": dict(tick(4.0, 4.01, t=t0 + 10000), bidVol=[1, 2, float("nan"), 4, 5])})
    assert s.last_bad["nan"] == 1 and not s.valid[r_etf]
    s.update({"510300.SH": tick(4.0, 4.02, amount=7.0, t=t0 + 12000)})
    assert s.valid[r_etf] and s.amount[r_etf] == 7.0


def test_new_day_rereads_pre_close(tick):
    s = Snapshot(trade_date=20251121)
    s.update({"600000.SH": tick(10.0, 10.5)})
    s.new_day(20251124)
    s.update({"600000.SH": tick(10.5, 10.6)})
    assert s.pre_close[0] == 10.5 and s.up[0] == 11.55 and s.valid[0]


def test_day_rolls_over_from_tick_times(tick):
    s = Snapshot()
    day1 = 1763688600000                       # 2025-11-21 09:30 Asia/Shanghai
    s.set_instruments({"600000.SH": {"UpStopPrice": 11.0, "DownStopPrice": 9.0, "InstrumentName": "x"}})
    s.update({"600000.SH": tick(10.0, 10.5, t=day1)})
    assert s.trade_date == 20251121 and s.up[0] == 11.0
    day2 = day1 + 3 * 86400000                 # Monday
    s.update({"600000.SH": tick(10.5, 10.6, t=day2)})
    assert s.trade_date == 20251124 and s.pre_close[0] == 10.5 and s.up[0] == 11.55 and s.valid[0]
    s.update({"600000.SH": tick(10.0, 10.4, t=day1 + 6000)})      # a late tick of the old day
    assert s.last_bad["stale_time"] == 1 and s.last[0] == 10.6


def test_explicit_new_day_then_instruments_is_not_rolled_again(tick):
    s = Snapshot()
    day1 = 1763688600000
    s.update({"600000.SH": tick(10.0, 10.5, t=day1)})
    s.new_day(20251124)                                        # what the runner does before the open
    s.set_instruments({"600000.SH": {"UpStopPrice": 11.5, "DownStopPrice": 9.5, "InstrumentName": "x"}})
    s.update({"600000.SH": tick(10.5, 10.6, t=day1 + 3 * 86400000)})
    assert s.up[0] == 11.5 and s.limit_disagree[0]            # the detail's limit kept (rule says 11.55)


def test_watch_sets_are_kept_per_owner():
    s = Snapshot(codes=["510300.SH", "510500.SH", "600000.SH"])
    s.set_watch([0], owner="limit_up_etf")
    s.set_watch([2], owner="exits")
    s.set_watch([1], owner="limit_up_etf")
    assert s.watch[:3].tolist() == [False, True, True]


def test_ten_level_books_are_cut_to_five_and_short_ones_are_masked(tick):
    s = Snapshot(full=True)
    ten = [11.0 - 0.01 * k for k in range(10)]
    s.update({"600000.SH": dict(tick(10.0, 11.0, high=11.0, bid=ten, ask=[0.0] * 10, bid_vol=list(range(1, 11)),
                                     ask_vol=[0] * 10)),
              "600001.SH": dict(tick(10.0, 10.1), askVol=[1, 2])})
    assert s.bid[0].tolist() == ten[:5] and s.bid_vol[0].tolist() == [100, 200, 300, 400, 500]
    assert s.valid[0] and not s.valid[1] and s.last_bad["bad_type"] == 1


def test_closing_auction_quotes_are_not_a_break(tick):
    s = Snapshot()
    lb = lu.LimitBook()
    t_1450 = 1763688600000 + (5 * 60 + 20) * 60000
    s.update({"600000.SH": _sealed(tick, t_1450, bid_vol=[7000, 1, 1, 1, 1])})
    lb.update(s)
    auction = tick(10.0, 11.0, high=11.0, low=10.5, bid=[11.0] + [0.0] * 4, ask=[11.0] + [0.0] * 4,
                   bid_vol=[43, 0, 0, 0, 0], t=t_1450 + 7 * 60000 + 3000)           # 14:57:03
    s.update({"600000.SH": auction})
    lb.update(s)
    assert lb.up.state[0] == lu.SEALED and lb.up.breaks[0] == 0 and lb.up.seal_volume[0] == 700000


def test_quotes_needed_reads_quotes_only_near_limits_etfs_and_watched(tick):
    s = Snapshot(quotes="needed")
    t0 = 1763688600000
    push = {"600000.SH": _sealed(tick, t0), "600001.SH": tick(10.0, 10.1, t=t0),
            "600002.SH": tick(10.0, 10.85, high=10.9, t=t0), "510300.SH": tick(4.0, 4.01, t=t0),
            "600003.SH": dict(tick(10.0, 10.1, t=t0), bidPrice="x")}         # far from limits: not read
    s.update(push)
    b = dict(zip(s.codes, s.bid[:s.n, 0].tolist()))
    assert b["600000.SH"] == 11.0 and b["600002.SH"] == 10.85 and b["510300.SH"] == 4.01
    assert np.isnan(b["600001.SH"]) and np.isnan(b["600003.SH"])
    assert s.valid[:s.n].all() and s.last_bad["bad_type"] == 0
    s.set_watch([s.index["600001.SH"]])
    s.update(dict(push, **{"600001.SH": tick(10.0, 10.1, t=t0 + 3000)}))
    assert s.bid[s.index["600001.SH"], 0] == 10.1
    s.update({"600002.SH": dict(tick(10.0, 10.85, high=10.9, t=t0 + 6000), askPrice=[None] * 5)})
    assert s.last_bad["bad_type"] == 1 and not s.valid[s.index["600002.SH"]]
