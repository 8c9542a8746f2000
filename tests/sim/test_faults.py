"""Fault injection: disconnects, rejects, silent rejects, duplicated/reordered/late pushes."""

from __future__ import annotations

import pytest

import sim
from sim.faults import FaultConfig, parse_faults
from tests.sim.xthelpers import CODE, recorder_class
from tests.sim.xthelpers import limit_buy_price as _limit_buy_price


def _trader(**options):
    from xtquant import xtconstant, xttrader, xttype

    cb = recorder_class(xttrader)()
    t = xttrader.XtQuantTrader("p", 7, cb)
    t.start()
    assert t.connect() == 0
    acc = xttype.StockAccount("f1")
    t.subscribe(acc)
    sim.drain()
    return t, cb, acc, xtconstant


def _open_auction():
    """Step to the first snapshot (09:15:00) so orders are reported (50) at once."""
    if sim.runtime().world._row < 0:
        sim.advance(1)


def test_parse_faults():
    cfg = parse_faults("reject=0.1,silent=0.2,dup=0.3,reorder=0.4,latency=500,disconnect=10:00:00+11:00:00,"
                       "outage=30,xtdata_disconnect=13:30:00")
    assert cfg == FaultConfig(reject_rate=0.1, silent_reject_rate=0.2, duplicate_rate=0.3, reorder_rate=0.4,
                              latency_ms=500, trader_disconnect_at=("10:00:00", "11:00:00"), trader_outage_s=30,
                              xtdata_disconnect_at=("13:30:00",))
    with pytest.raises(ValueError, match="unknown fault 'rejects'"):
        parse_faults("rejects=0.1")
    with pytest.raises(ValueError, match="between 0 and 1"):
        parse_faults("reject=2")
    with pytest.raises(ValueError, match="HH:MM:SS"):
        parse_faults("disconnect=10h")


def test_reject_rate_gives_id_then_57_and_order_error(install_sim):
    install_sim(faults="reject=1")
    t, cb, acc, c = _trader()
    _open_auction()
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(sim.runtime()))
    sim.drain()
    assert oid > 0 and cb.orders(oid) == [c.ORDER_UNREPORTED, c.ORDER_JUNK]
    err = next(e[1] for e in cb.events if e[0] == "on_order_error")
    assert err.order_id == oid and err.error_msg
    assert t.query_stock_order(acc, oid).order_status == c.ORDER_JUNK
    assert t.cancel_order_stock(acc, oid) == -1


def test_silent_reject_produces_no_callback(install_sim):
    install_sim(faults="silent=1")
    t, cb, acc, c = _trader()
    before = list(cb.events)
    seq = t.order_stock_async(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(sim.runtime()))
    sim.advance(20)
    assert seq > 0 and cb.events == before
    assert t.query_stock_orders(acc) == []


def test_duplicated_pushes(install_sim):
    install_sim(faults="dup=1")
    t, cb, acc, c = _trader()
    _open_auction()
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(sim.runtime()))
    sim.drain()
    statuses = cb.orders(oid)
    assert len(statuses) >= 4 and statuses[0] == statuses[1] and statuses[2] == statuses[3]


def test_reordered_pushes(install_sim):
    install_sim(faults="reorder=1")
    t, cb, acc, c = _trader()
    _open_auction()
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(sim.runtime()))
    sim.drain()
    statuses = cb.orders(oid)
    assert statuses.index(c.ORDER_REPORTED) < statuses.index(min(statuses))   # 50 arrives before 48/49


def test_latency_delays_pushes_in_simulated_time(install_sim):
    install_sim(faults="latency=9000")
    t, cb, acc, c = _trader()
    rt = sim.runtime()
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sim.drain()
    assert oid > 0 and cb.orders(oid) == []
    sim.advance(2)
    assert cb.orders(oid) == []
    sim.advance(2)
    assert cb.orders(oid)


def test_trader_disconnect_then_connect_fails_for_a_while(install_sim):
    install_sim(faults="disconnect=09:20:00,outage=30")
    t, cb, acc, c = _trader()
    sim.run_until("09:20:03")
    assert "on_disconnected" in cb.names()
    assert t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, 10.0) == -1
    assert t.connect() == -1
    sim.run_until("09:20:40")
    assert "on_disconnected" in cb.names() and cb.names().count("on_disconnected") == 1
    assert t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, 10.0) == -1   # never reconnects by itself
    assert t.connect() == 0
    assert t.subscribe(acc) == 0
    assert t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(sim.runtime())) > 0


def test_disconnect_on_demand(install_sim):
    install_sim()
    t, cb, _acc, _c = _trader()
    sim.disconnect_trader(outage_s=6)
    sim.drain()
    assert cb.names()[-1] == "on_disconnected" and t.connect() == -1
    sim.advance(3)
    assert t.connect() == 0


def test_xtdata_disconnect_makes_run_raise_and_calls_fail(install_sim):
    install_sim(faults="xtdata_disconnect=09:30:00,xtdata_outage=9")
    from xtquant import xtdata

    got = []
    xtdata.subscribe_whole_quote(["SH"], got.append)
    with pytest.raises(Exception, match="行情服务连接断开"):
        xtdata.run()
    with pytest.raises(Exception, match="无法连接xtquant服务"):
        xtdata.get_full_tick(["600000.SH"])
    n = len(got)
    sim.advance(4)
    assert len(got) == n                     # the subscription died with the connection
    assert xtdata.get_full_tick(["600000.SH"])
    xtdata.subscribe_whole_quote(["SH"], got.append)
    sim.advance(1)
    assert len(got) == n + 1


def test_seeded_faults_are_reproducible(install_sim):
    def run():
        install_sim(faults="reject=0.5", seed=5)
        t, _cb, acc, c = _trader()
        _open_auction()
        rt = sim.runtime()
        for _ in range(12):
            t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
        sim.drain()
        return [o.order_status for o in t.query_stock_orders(acc)]

    first, second = run(), run()
    assert first == second and 57 in first and 50 in first
