"""World: tick dict shape, determinism, planted limit-up kinds, sealed books, refdata shapes, bars."""
from __future__ import annotations

import datetime as dt

import pytest

from sim.market import events as ev
from sim.market.ticks import TICK_KEYS
from sim.world import SimConfig, World

DATE = dt.date(2026, 11, 20)
EVENTS = (
    ev.PlantSpec(ev.LIMIT_UP_OPEN, code="000001.SZ"),
    ev.PlantSpec(ev.LIMIT_UP_SEALED, time="10:00:00", code="600000.SH"),
    ev.PlantSpec(ev.LIMIT_UP_BROKEN, time="10:30:00", board="SZ_MAIN", open_after_s=300),
    ev.PlantSpec(ev.LIMIT_UP_RESEALED, time="13:30:00", board="CHINEXT", open_after_s=300, reseal_after_s=600),
    ev.PlantSpec(ev.LIMIT_DOWN, time="11:00:00", board="SH_MAIN"),
    ev.PlantSpec(ev.SUSPENDED, board="SZ_MAIN"),
)


def tiny(seed=3, **kw):
    return World(SimConfig(seed=seed, n_stocks=40, n_etfs=8, trade_date=DATE, events=EVENTS, **kw))


@pytest.fixture(scope="module")
def run():
    """A tiny world stepped to the end; per-code list of (time, tick) as pushed."""
    w = tiny()
    pushes: dict[str, list] = {}
    n = 0
    while (ticks := w.step()) is not None:
        n += 1
        for c, t in ticks.items():
            pushes.setdefault(c, []).append(t)
    return w, pushes, n


def test_tick_keys_and_types(run):
    w, pushes, n = run
    assert n == w.n_snapshots and w.done and w.step() is None
    t = pushes["600000.SH"][-1]
    assert tuple(t) == TICK_KEYS
    assert isinstance(t["volume"], int) and t["pvolume"] == t["volume"] * 100
    assert len(t["askPrice"]) == len(t["bidPrice"]) == len(t["askVol"]) == len(t["bidVol"]) == 5
    assert t["lastClose"] == w.instruments["600000.SH"]["PreClose"]
    assert t["openInt"] == 15 and pushes["600000.SH"][200]["openInt"] in (12, 13)


def test_deterministic_for_a_seed():
    a, b = tiny(seed=5), tiny(seed=5)
    for _ in range(300):
        assert a.step() == b.step()
    assert a.planted == b.planted


def test_planted_events_ground_truth(run):
    w, pushes, _ = run
    kinds = {e.kind: e for e in w.planted if e.planted}
    assert set(kinds) == {s.kind for s in EVENTS}
    up = w.instruments["600000.SH"]["UpStopPrice"]
    e = kinds[ev.LIMIT_UP_SEALED]
    assert e.code == "600000.SH" and e.open_ms is None
    sealed = [t for t in pushes["600000.SH"] if t["time"] >= e.time_ms]
    assert sealed and all(t["lastPrice"] == up for t in sealed)
    for t in sealed:
        if t["openInt"] == 18:   # closing call: indicative uncross at the limit, the seal is the unmatched bid
            assert t["bidPrice"][0] == t["askPrice"][0] == up and t["bidVol"][1] > 0 and t["askVol"][1] == 0
        else:
            assert t["bidPrice"][0] == up and t["askPrice"][0] == 0 and t["askVol"][0] == 0 and t["bidVol"][0] > 0
    assert max(t["lastPrice"] for t in pushes["600000.SH"] if t["time"] < e.time_ms) < up


def test_one_word_board_sealed_from_open(run):
    w, pushes, _ = run
    up = w.instruments["000001.SZ"]["UpStopPrice"]
    ticks = pushes["000001.SZ"]
    traded = [t for t in ticks if t["volume"] > 0 and t["openInt"] != 18]
    assert traded and all(t["lastPrice"] == up and t["askPrice"][0] == 0 for t in traded)
    auction = [t for t in ticks if t["openInt"] == 12]
    assert auction and all(t["lastPrice"] == up and t["bidVol"][1] > 0 and t["askVol"][1] == 0 for t in auction)
    assert traded[0]["open"] == up and traded[-1]["high"] == traded[-1]["low"] == up


def test_broken_and_resealed(run):
    w, pushes, _ = run
    for kind in (ev.LIMIT_UP_BROKEN, ev.LIMIT_UP_RESEALED):
        e = next(x for x in w.planted if x.kind == kind and x.planted)
        up = w.instruments[e.code]["UpStopPrice"]
        assert e.open_ms is not None and e.open_ms > e.time_ms
        after = [t for t in pushes[e.code] if e.open_ms <= t["time"] < (e.reseal_ms or 10**15)]
        assert after and after[0]["askPrice"][0] > 0 and after[0]["lastPrice"] < up
        if kind == ev.LIMIT_UP_RESEALED:
            assert e.reseal_ms is not None
            assert pushes[e.code][-1]["lastPrice"] == up
        else:
            assert e.reseal_ms is None and pushes[e.code][-1]["lastPrice"] < up


def test_limit_down_and_suspension(run):
    w, pushes, _ = run
    e = next(x for x in w.planted if x.kind == ev.LIMIT_DOWN)
    down = w.instruments[e.code]["DownStopPrice"]
    last = pushes[e.code][-1]
    assert last["lastPrice"] == down and last["bidPrice"][0] == 0 and last["askPrice"][0] == down
    s = next(x for x in w.planted if x.kind == ev.SUSPENDED)
    assert len(pushes[s.code]) == 1 and pushes[s.code][0]["openInt"] == 17
    assert w.instruments[s.code]["InstrumentStatus"] == 1


def test_prices_inside_limits_and_on_tick(run):
    w, pushes, _ = run
    for code, ticks in pushes.items():
        inst = w.instruments[code]
        div = 1000 if inst["PriceTick"] == 0.001 else 100
        for t in ticks[::50]:
            p = t["lastPrice"]
            assert abs(p * div - round(p * div)) < 1e-6
            if inst["UpStopPrice"] > 0:
                assert inst["DownStopPrice"] <= p <= inst["UpStopPrice"]


def test_refdata_shapes(run):
    w, _, _ = run
    assert set(w.sectors["沪深A股"]) >= {"600000.SH", "000001.SZ"}
    assert all(c.endswith((".SH", ".SZ")) for c in w.sectors["沪深ETF"])
    etf = next(iter(v for v in w.etf_info.values() if v["成份股信息"]))
    assert {"基金代码", "现金差额", "最小申购、赎回单位", "成份股信息"} <= set(etf)
    comp = etf["成份股信息"][0]
    assert {"成份股代码", "成份股数量", "现金替代标志", "申购现金替代溢价比率", "申购替代金额", "赎回替代金额"} <= set(comp)
    assert comp["成份股代码"] in w.instruments
    assert w.industry_of["600000.SH"] == "银行"


def test_etf_tracks_basket(run):
    w, pushes, _ = run
    code = next(c for c, v in w.etf_info.items() if v["成份股信息"])
    iopv = w.iopv(code)
    last = pushes[code][-1]["lastPrice"]
    assert iopv > 0 and abs(last / iopv - 1) < 0.01


def test_bars_consistent_with_pre_close(run):
    w, _, _ = run
    df = w.bars("600000.SH", "1d", count=300)
    hist = df[df.index < DATE.strftime("%Y%m%d")]
    assert len(hist) >= 250
    assert hist["close"].iloc[-1] == w.instruments["600000.SH"]["PreClose"]
    assert list(df.columns) == ["time", "open", "high", "low", "close", "volume", "amount", "settelementPrice",
                                "openInterest", "preClose", "suspendFlag"]
    m1 = w.bars("600000.SH", "1m")
    assert len(m1) == 240 and m1.index[0] == "20261120093100"
    assert len(w.trading_dates("SH", count=5)) == 5


def test_chained_days_line_up():
    """Day D's closes are day D+1's pre-closes and appear in D+1's daily history (same seed)."""
    from sim import calendar

    cfg = {"seed": 4, "n_stocks": 30, "n_etfs": 6}
    d1 = World(SimConfig(trade_date=DATE, **cfg))
    while d1.step() is not None:
        pass
    d2 = World(SimConfig(trade_date=calendar.next_session(DATE), **cfg))
    closes = {c: t["lastPrice"] for c, t in d1.full_tick().items()}
    for code, inst in d2.instruments.items():
        assert inst["PreClose"] == closes[code], code
    bars = d2.bars("600000.SH", "1d", count=3)
    assert bars.index[-1] == DATE.strftime("%Y%m%d") and bars["close"].iloc[-1] == closes["600000.SH"]
    hist1 = d1.bars("000001.SZ", "1d", end_time="20261119")
    hist2 = d2.bars("000001.SZ", "1d", end_time="20261119")
    assert hist1["close"].tolist()[-200:] == hist2["close"].tolist()[-200:]


def test_closing_call_freezes_trades_and_shows_indicative_book(run):
    w, pushes, _ = run
    call_start, close = w.epoch_ms(14 * 3600 + 57 * 60), w.epoch_ms(15 * 3600)
    checked = 0
    for code in w.sectors["深证A股"]:
        ticks = pushes[code]
        before = [t for t in ticks if t["time"] <= call_start]
        during = [t for t in ticks if call_start < t["time"] < close]
        if not before or not during or before[-1]["askPrice"][0] == 0 or before[-1]["bidPrice"][0] == 0:
            continue
        for t in during:
            assert t["openInt"] == 18 and t["volume"] == before[-1]["volume"]
            assert t["lastPrice"] == before[-1]["lastPrice"] and t["askPrice"][0] == t["bidPrice"][0]
        assert ticks[-1]["time"] == close and ticks[-1]["openInt"] == 15 and ticks[-1]["volume"] > before[-1]["volume"]
        checked += 1
    assert checked >= 3


def test_full_tick_before_the_open_is_yesterdays_close():
    w = tiny(seed=8)
    ticks = w.full_tick()
    assert set(ticks) == set(w.instruments)
    t = ticks["600000.SH"]
    assert t["lastPrice"] == w.instruments["600000.SH"]["PreClose"] and t["openInt"] == 15
    assert t["time"] == w.epoch_ms(15 * 3600) - 86_400_000    # 2026-11-19 15:00, the previous session
    assert t["volume"] > 0 and t["askPrice"] == [0.0] * 5


def test_event_planted_on_an_etf_keeps_its_path():
    w = World(SimConfig(seed=2, n_stocks=30, n_etfs=40, trade_date=DATE, end_time="10:30:00",
                        events=(ev.PlantSpec(ev.LIMIT_UP_SEALED, time="10:00:00", code="510300.SH"),)))
    last = None
    while (t := w.step()) is not None:
        last = t.get("510300.SH", last)
    assert last["lastPrice"] == w.instruments["510300.SH"]["UpStopPrice"] and last["askPrice"][0] == 0


def test_index_quotes_and_bars(run):
    w, pushes, _ = run
    assert {"000001.SH", "000300.SH", "399001.SZ"} <= set(w.sectors["沪深指数"])
    inst = w.instruments["000300.SH"]
    assert inst["InstrumentName"] == "沪深300" and inst["UpStopPrice"] == 0.0
    ticks = pushes["000300.SH"]
    assert ticks[0]["time"] == w.epoch_ms(9 * 3600 + 15 * 60) and ticks[0]["open"] == 0   # first snapshot
    assert ticks[1]["time"] == w.epoch_ms(9 * 3600 + 25 * 60) and ticks[1]["open"] > 0    # then from the open
    assert ticks[-1]["openInt"] == 15 and ticks[-1]["volume"] > ticks[1]["volume"] > 0
    assert ticks[-1]["lastClose"] == inst["PreClose"] and ticks[-1]["askPrice"] == [0.0] * 5
    assert ticks[-1]["low"] <= ticks[-1]["lastPrice"] <= ticks[-1]["high"]
    bars = w.bars("000300.SH", "1d", count=260)
    assert len(bars) >= 251 and bars["close"].iloc[-2] == inst["PreClose"]
    oid = w.exchange.submit("idx", "000300.SH", 23, 100, 11, 1.0)
    assert oid == -1                                                       # unknown account
    w.exchange.open_account("idx")
    oid = w.exchange.submit("idx", "000300.SH", 23, 100, 11, 1.0)
    assert w.exchange.order("idx", oid).order_status == 57
