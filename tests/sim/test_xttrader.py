"""Fake xttrader: the real client's return conventions, push sequences and threading."""

from __future__ import annotations

import pytest

import sim
from sim.driver import SimDeadlock
from tests.sim.xthelpers import CODE, recorder_class
from tests.sim.xthelpers import limit_buy_price as _limit_buy_price


@pytest.fixture
def trader(xt):
    rt, _xtdata, xttrader, xttype, xtconstant = xt
    cb = recorder_class(xttrader)()
    t = xttrader.XtQuantTrader("C:\\anything\\userdata_mini", 424242, cb)
    t.start()
    assert t.connect() == 0
    acc = xttype.StockAccount("sim-acc-1")
    assert t.subscribe(acc) == 0
    sim.advance(1)                  # 09:15:00, opening call auction
    return rt, t, cb, acc, xtconstant


def test_order_id_then_pushes_and_cancel_returns_zero(trader):
    rt, t, cb, acc, c = trader
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 200, c.FIX_PRICE, _limit_buy_price(rt), "strat", "remark-1")
    assert isinstance(oid, int) and oid > 0
    statuses = cb.orders(oid)
    assert statuses[0] in (c.ORDER_UNREPORTED, c.ORDER_WAIT_REPORTING) and c.ORDER_REPORTED in statuses
    push = next(e[1] for e in cb.events if e[0] == "on_stock_order" and e[1].order_id == oid)
    assert push.price_type == 50                       # broker enum, not the request's 11
    assert push.order_remark == "remark-1" and push.strategy_name == "strat"
    assert abs(push.order_time - rt.world.now_ms // 1000) <= 1   # seconds, not ms
    assert t.cancel_order_stock(acc, oid) == 0
    sim.drain()
    statuses = cb.orders(oid)
    assert statuses[-1] == c.ORDER_CANCELED and c.ORDER_REPORTED_CANCEL in statuses
    assert t.cancel_order_stock(acc, oid) == -1          # already final
    sim.drain()
    errs = [e[1] for e in cb.events if e[0] == "on_cancel_error"]
    assert errs and errs[-1].order_id == oid
    assert "on_connected" not in cb.names()


def test_async_order_gives_seq_then_response_with_that_seq(trader):
    rt, t, cb, acc, c = trader
    seq = t.order_stock_async(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt), "s", "r")
    assert seq > 0
    sim.drain()
    resp = [e[1] for e in cb.events if e[0] == "on_order_stock_async_response"]
    assert len(resp) == 1 and resp[0].seq == seq and resp[0].order_id > 0
    names = cb.names()
    assert names.index("on_order_stock_async_response") < names.index("on_stock_order", len(names) - 3)
    cseq = t.cancel_order_stock_async(acc, resp[0].order_id)
    sim.drain()
    cresp = [e[1] for e in cb.events if e[0] == "on_cancel_order_stock_async_response"]
    assert cseq > seq and cresp[0].seq == cseq and cresp[0].cancel_result == 0


def test_async_order_returns_before_the_request_is_worked_and_a_query_after_it_sees_the_order(trader):
    """As the real client: order_stock_async sends the request and returns its seq; the order reaches the
    exchange on the trader's worker, not on the caller's thread; anything asked later queues behind it."""
    import threading

    rt, t, cb, acc, c = trader
    exchange = rt.world.exchange
    submit, threads = exchange.submit, []

    def spy(*a, **k):
        threads.append(threading.get_ident())
        return submit(*a, **k)

    exchange.submit = spy
    try:
        seq = t.order_stock_async(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt), "s", "r")
        assert seq > 0
        assert len(t.query_stock_orders(acc)) == 1         # queued behind the order
    finally:
        exchange.submit = submit
    assert threads and threading.get_ident() not in threads
    sim.drain()
    assert [e[1].seq for e in cb.events if e[0] == "on_order_stock_async_response"] == [seq]
    with pytest.raises(NotImplementedError):                 # a wrong account type still fails in the call
        t.order_stock_async(type("A", (), {"account_type": 3, "account_id": "x"})(), CODE, c.STOCK_BUY, 100,
                            c.FIX_PRICE, 10.0)


def test_callbacks_run_on_one_worker_thread(trader):
    rt, t, cb, acc, c = trader
    t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sim.drain()
    threads = {e[2] for e in cb.events}
    assert threads == {"xttrader-424242"}


def test_sysid_cancel_with_market_int_and_str(trader):
    rt, t, _cb, acc, c = trader
    ids = [t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt)) for _ in range(2)]
    orders = {o.order_id: o for o in t.query_stock_orders(acc)}
    assert t.cancel_order_stock_sysid(acc, 0, orders[ids[0]].order_sysid) == 0
    assert t.cancel_order_stock_sysid(acc, "SH", orders[ids[1]].order_sysid) == 0
    sim.drain()
    assert all(o.order_status == c.ORDER_CANCELED for o in t.query_stock_orders(acc))
    assert t.query_stock_orders(acc, cancelable_only=True) == []


def test_sync_and_async_queries(trader):
    rt, t, _cb, acc, c = trader
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    asset = t.query_stock_asset(acc)
    assert asset.account_id == "sim-acc-1" and asset.cash < 1_000_000 and asset.frozen_cash > 0
    assert t.query_stock_order(acc, oid).order_id == oid
    assert t.query_stock_order(acc, 10**9) is None
    assert [o.order_id for o in t.query_stock_orders(acc)] == [oid]
    assert t.query_stock_trades(acc) == []
    assert t.query_stock_positions(acc) == []
    assert t.query_stock_position(acc, CODE) is None
    got = {}
    assert t.query_stock_asset_async(acc, lambda a: got.setdefault("asset", a)) is None
    s1 = t.query_stock_orders_async(acc, lambda r: got.setdefault("orders", r))
    s2 = t.query_stock_trades_async(acc, lambda r: got.setdefault("trades", r))
    s3 = t.query_stock_positions_async(acc, lambda r: got.setdefault("positions", r))
    assert 0 < s1 < s2 < s3
    sim.drain()
    assert got["asset"].cash == asset.cash and len(got["orders"]) == 1 and got["trades"] == []
    infos = t.query_account_infos()
    assert [i.account_id for i in infos] == ["sim-acc-1"]
    assert t.query_account_info == t.query_account_infos
    assert t.query_account_status()[0].status == c.ACCOUNT_STATUS_OK


def test_sync_query_inside_callback_raises_naming_the_fix(trader):
    rt, t, cb, acc, c = trader
    seen = []

    def on_stock_order(order):
        try:
            t.query_stock_orders(acc)
        except SimDeadlock as exc:
            seen.append(str(exc))

    cb.on_stock_order = on_stock_order
    t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sim.drain()
    assert seen and "deadlock" in seen[0] and "query_stock_orders_async" in seen[0]
    assert "set_relaxed_response_order_enabled(True)" in seen[0]


def test_relaxed_mode_allows_sync_queries_but_not_sync_orders_in_callbacks(trader):
    rt, t, cb, acc, c = trader
    t.set_relaxed_response_order_enabled(True)
    seen = []

    def on_stock_order(order):
        seen.append(len(t.query_stock_orders(acc)))
        if len(seen) == 1:
            try:
                t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
            except SimDeadlock as exc:
                seen.append(str(exc))

    cb.on_stock_order = on_stock_order
    t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sim.drain()
    assert seen[0] == 1 and "order_stock_async" in seen[1]


def test_async_order_from_callback_works(trader):
    rt, t, cb, acc, c = trader
    placed = []

    def on_stock_order(order):
        if not placed:
            placed.append(t.order_stock_async(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt)))

    cb.on_stock_order = on_stock_order
    t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sim.drain()
    assert placed and len(t.query_stock_orders(acc)) == 2


def test_rule_violation_goes_to_57_with_order_error(trader):
    rt, t, cb, acc, c = trader
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 150, c.FIX_PRICE, _limit_buy_price(rt))   # not a lot multiple
    sim.drain()
    assert oid > 0 and cb.orders(oid)[-1] == c.ORDER_JUNK
    order = t.query_stock_order(acc, oid)
    assert order.status_msg
    errs = [e[1] for e in cb.events if e[0] == "on_order_error"]
    assert errs and errs[-1].order_id == oid and errs[-1].error_msg


def test_marketable_buy_fills_with_trade_position_asset_pushes(trader):
    rt, t, cb, acc, c = trader
    sim.run_until("09:31:00")
    tick = rt.world.full_tick([CODE])[CODE]
    ask = next(p for p in tick["askPrice"] if p > 0)
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, ask, "s", "fill-me")
    sim.advance(5)
    statuses = cb.orders(oid)
    assert statuses[-1] == c.ORDER_SUCCEEDED
    names = cb.names()
    assert "on_stock_trade" in names and "on_stock_position" in names and "on_stock_asset" in names
    trade = t.query_stock_trades(acc)[0]
    assert trade.order_id == oid and trade.traded_volume == 100 and trade.order_remark == "fill-me"
    pos = t.query_stock_position(acc, CODE)
    assert pos.volume == 100 and pos.can_use_volume == 0   # T+1


def test_remark_truncation_is_configurable(install_sim):
    install_sim(remark_max_len=4)
    from xtquant import xtconstant as c
    from xtquant.xttrader import XtQuantTrader
    from xtquant.xttype import StockAccount

    t = XtQuantTrader("p", 1)
    t.start()
    t.connect()
    acc = StockAccount("x")
    rt = sim.runtime()
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt), "s", "abcdefgh")
    assert t.query_stock_order(acc, oid).order_remark == "abcd"


def test_run_forever_returns_at_session_end_and_stop_ends_it(trader):
    rt, t, _cb, _acc, _c = trader
    t.run_forever()
    assert rt.ended
    t.run_forever()          # returns at once after the end
    t.stop()


def test_not_connected_returns_minus_one(xt):
    _rt, _xtdata, xttrader, xttype, c = xt
    t = xttrader.XtQuantTrader("p", 2)
    t.start()
    acc = xttype.StockAccount("y")
    assert t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, 10.0) == -1
    assert t.subscribe(acc) == -1
    assert t.query_stock_orders(acc) == []


def test_call_before_start_explains(xt):
    _rt, _xtdata, xttrader, xttype, _c = xt
    t = xttrader.XtQuantTrader("p", 3)
    with pytest.raises(RuntimeError, match=r"before start\(\)"):
        t.query_stock_asset(xttype.StockAccount("z"))


def test_credit_account_is_not_simulated(trader):
    _rt, t, _cb, acc, c = trader
    from xtquant.xttype import StockAccount

    with pytest.raises(NotImplementedError, match="STOCK accounts"):
        t.order_stock(StockAccount("cr", "CREDIT"), CODE, c.STOCK_BUY, 100, c.FIX_PRICE, 10.0)
    with pytest.raises(NotImplementedError, match="query_credit_detail"):
        t.query_credit_detail(acc)


def test_accounts_open_on_first_use_with_configured_cash_and_positions(install_sim):
    install_sim(cash=50_000.0, positions={CODE: 1000})
    from xtquant import xtconstant as c
    from xtquant.xttrader import XtQuantTrader
    from xtquant.xttype import StockAccount

    t = XtQuantTrader("/any/userdata_mini", 987654)
    t.start()
    t.connect()
    acc = StockAccount("any id string at all")
    assert t.query_stock_asset(acc).cash == 50_000.0
    pos = t.query_stock_position(acc, CODE)
    assert pos.volume == 1000 and pos.can_use_volume == 1000
    sim.run_until("09:31:00")
    bid = next(p for p in sim.runtime().world.full_tick([CODE])[CODE]["bidPrice"] if p > 0)
    oid = t.order_stock(acc, CODE, c.STOCK_SELL, 300, c.FIX_PRICE, bid)
    sim.advance(5)
    assert t.query_stock_order(acc, oid).order_status == c.ORDER_SUCCEEDED
    assert t.query_stock_position(acc, CODE).volume == 700


def test_sysid_async_cancel_account_queries_async_and_unsubscribe(trader):
    rt, t, cb, acc, c = trader
    oid = t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sysid = t.query_stock_order(acc, oid).order_sysid
    seq = t.cancel_order_stock_sysid_async(acc, "SH", sysid)
    got = {}
    t.query_account_infos_async(lambda r: got.setdefault("infos", r))
    t.query_account_status_async(lambda r: got.setdefault("status", r))
    sim.drain()
    resp = [e[1] for e in cb.events if e[0] == "on_cancel_order_stock_async_response"][-1]
    assert resp.seq == seq and resp.cancel_result == 0 and resp.order_sysid == sysid and resp.order_id == oid
    assert cb.orders(oid)[-1] == c.ORDER_CANCELED
    assert got["infos"][0].account_id == "sim-acc-1" and got["status"][0].status == c.ACCOUNT_STATUS_OK
    assert t.unsubscribe(acc) == 0
    n = len(cb.events)
    t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sim.drain()
    assert len(cb.events) == n                 # no pushes for an unsubscribed account


def test_deadlock_message_names_a_real_alternative(trader):
    rt, t, cb, acc, c = trader
    seen = []

    def on_stock_order(order):
        for call in (lambda: t.subscribe(acc), lambda: t.query_stock_order(acc, order.order_id)):
            try:
                call()
            except SimDeadlock as exc:
                seen.append(str(exc))

    cb.on_stock_order = on_stock_order
    t.order_stock(acc, CODE, c.STOCK_BUY, 100, c.FIX_PRICE, _limit_buy_price(rt))
    sim.drain()
    assert "call it outside the callback" in seen[0] and "subscribe_async" not in seen[0]
    assert "query_stock_orders_async" in seen[1]
