"""World + Exchange end to end: a buy at a sealed limit-up waits behind the seal and fills when the board opens."""
from __future__ import annotations

import datetime as dt

from sim.exchange import TradeEvent
from sim.market import events as ev
from sim.world import SimConfig, World

DATE = dt.date(2026, 11, 20)


def test_buy_at_sealed_limit_up_fills_only_when_the_board_opens():
    w = World(SimConfig(seed=6, n_stocks=30, n_etfs=4, trade_date=DATE, end_time="11:00:00",
                        events=(ev.PlantSpec(ev.LIMIT_UP_BROKEN, time="09:45:00", code="600000.SH",
                                             open_after_s=900),)))
    e = next(x for x in w.planted if x.code == "600000.SH")
    up = w.instruments["600000.SH"]["UpStopPrice"]
    ex = w.exchange
    ex.open_account("A", 1_000_000.0)
    trades = []
    ex.add_listener(lambda x: trades.append(x.trade) if isinstance(x, TradeEvent) else None)
    oid = None
    while w.step() is not None:
        if oid is None and w.now_ms >= e.time_ms + 60_000:
            t = w.full_tick(["600000.SH"])["600000.SH"]
            assert t["askPrice"][0] == 0 and t["bidPrice"][0] == up       # sealed
            oid = ex.submit("A", "600000.SH", 23, 10_000, 11, up, "limit_up", "queue")
        if oid is not None and w.now_ms < e.open_ms:
            assert not trades, "filled while the board was sealed"
    assert oid is not None and trades
    assert trades[0].traded_time * 1000 >= e.open_ms and all(t.traded_price <= up for t in trades)
    assert all(t.traded_price == up for t in trades)   # a resting order fills at its own price
