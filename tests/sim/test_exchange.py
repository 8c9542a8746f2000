"""Exchange: order entry, state machine, matching against level-1 quotes, fees, T+1, auctions, market orders."""
from __future__ import annotations

import datetime as dt

import pytest

from sim.exchange import Exchange, OrderError, OrderUpdate, TradeEvent
from sim.exchange import events as E
from sim.market.history import midnight_ms

DATE = dt.date(2026, 11, 20)
BUY, SELL, FIX, LATEST = 23, 24, 11, 5


def at(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return midnight_ms(DATE) + (h * 3600 + m * 60 + s) * 1000


def inst(code, pre, up, down, name="X"):
    tick = 0.001 if code.startswith(("51", "15", "58", "56")) else 0.01
    return {"InstrumentName": name, "PreClose": pre, "UpStopPrice": up, "DownStopPrice": down, "PriceTick": tick}


INSTRUMENTS = {
    "600000.SH": inst("600000.SH", 10.20, 11.22, 9.18, "浦发银行"),
    "000001.SZ": inst("000001.SZ", 11.50, 12.65, 10.35, "平安银行"),
    "688981.SH": inst("688981.SH", 88.00, 105.60, 70.40, "中芯国际"),
    "511010.SH": inst("511010.SH", 1.000, 1.100, 0.900, "国债ETF"),
    "510300.SH": inst("510300.SH", 4.000, 4.400, 3.600, "沪深300ETF"),
}


def tick(last, asks, bids, volume_lots, pre=10.20, open_=None, time=0):
    ap = [p for p, _ in asks] + [0.0] * (5 - len(asks))
    av = [v for _, v in asks] + [0] * (5 - len(asks))
    bp = [p for p, _ in bids] + [0.0] * (5 - len(bids))
    bv = [v for _, v in bids] + [0] * (5 - len(bids))
    return {"time": time, "lastPrice": last, "open": open_ or last, "high": last, "low": last, "lastClose": pre,
            "amount": 0.0, "volume": volume_lots, "pvolume": volume_lots * 100, "stockStatus": 0, "openInt": 13,
            "transactionNum": 0, "lastSettlementPrice": 0.0, "settlementPrice": 0.0, "pe": 0.0,
            "askPrice": ap, "bidPrice": bp, "askVol": av, "bidVol": bv}


@pytest.fixture
def ex():
    x = Exchange(INSTRUMENTS, DATE, t0_codes={"511010.SH"})
    x.events = []
    x.add_listener(x.events.append)
    x.open_account("A", 1_000_000.0, positions={"600000.SH": 1050})
    x.set_time(at("10:00:00"))
    return x


def statuses(ex, oid):
    return [e.order.order_status for e in ex.events if isinstance(e, OrderUpdate) and e.order.order_id == oid]


def test_unknown_account_returns_minus_one(ex):
    assert ex.submit("nobody", "600000.SH", BUY, 100, FIX, 10.2) == -1


def test_quick_start_order_then_cancel(ex):
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.21, 50)], [(10.20, 80)], 1000)}, at("10:00:00"))
    oid = ex.submit("A", "600000.SH", BUY, 200, FIX, 10.5, "strategy_name", "remark")
    assert oid > 0
    o = ex.order("A", oid)
    assert o.order_status == E.ORDER_REPORTED and o.price_type == 50 and o.order_sysid
    assert o.order_time == at("10:00:00") // 1000 and o.order_remark == "remark"
    # 10.5 is outside the cage (ask 10.21 -> max 10.41): held, not rejected, not filled
    assert o.traded_volume == 0
    assert ex.asset("A").frozen_cash > 2100
    assert ex.cancel("A", oid) == 0
    assert statuses(ex, oid) == [50, 51, 54]
    assert ex.asset("A").frozen_cash == 0 and ex.asset("A").cash == 1_000_000.0
    assert ex.cancel("A", oid) == -1
    assert isinstance(ex.events[-1], E.CancelError)


@pytest.mark.parametrize("code,side,vol,price,needle", [
    ("600000.SH", BUY, 150, 10.2, "100股"),
    ("600000.SH", BUY, 100, 11.30, "涨跌停"),
    ("600000.SH", BUY, 100, 10.205, "最小价位"),
    ("600000.SH", BUY, 100_000_000, 10.2, "可用资金不足"),
    ("600000.SH", SELL, 1100, 10.2, "可卖数量不足"),
    ("600000.SH", SELL, 120, 10.2, "零股"),
    ("688981.SH", BUY, 100, 88.0, "200股"),
    ("999999.SH", BUY, 100, 10.0, "不存在"),
])
def test_rejects_go_to_57_with_message(ex, code, side, vol, price, needle):
    oid = ex.submit("A", code, side, vol, FIX, price)
    o = ex.order("A", oid)
    assert o.order_status == E.ORDER_JUNK and needle in o.status_msg
    err = [e for e in ex.events if isinstance(e, OrderError)]
    assert err and err[-1].order_id == oid and needle in err[-1].error_msg
    assert ex.asset("A").cash == 1_000_000.0


def test_after_close_rejected(ex):
    ex.set_time(at("15:00:00"))
    oid = ex.submit("A", "600000.SH", BUY, 100, FIX, 10.2)
    assert ex.order("A", oid).order_status == E.ORDER_JUNK


def test_marketable_limit_walks_depth_with_cap(ex):
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.21, 10), (10.22, 20), (10.23, 40)], [(10.20, 5)], 1000)},
                   at("10:00:00"))
    oid = ex.submit("A", "600000.SH", BUY, 1500, FIX, 10.22)
    # cap 0.5 of displayed: 500 @10.21 + 1000 @10.22
    trades = [e.trade for e in ex.events if isinstance(e, TradeEvent)]
    assert [(t.traded_price, t.traded_volume) for t in trades] == [(10.21, 500), (10.22, 1000)]
    assert ex.order("A", oid).order_status == E.ORDER_SUCCEEDED
    assert statuses(ex, oid) == [50, 55, 56]
    pos = {p.stock_code: p for p in ex.positions("A")}["600000.SH"]
    assert pos.volume == 1050 + 1500 and pos.can_use_volume == 1050   # T+1: today's buys not sellable


def test_partial_then_rest_then_trade_through(ex):
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.21, 4)], [(10.20, 30)], 1000)}, at("10:00:00"))
    oid = ex.submit("A", "600000.SH", BUY, 1000, FIX, 10.21)
    assert ex.order("A", oid).traded_volume == 200 and ex.order("A", oid).order_status == E.ORDER_PART_SUCC
    # the market trades down through 10.21 with 2,000 shares traded
    ex.on_snapshot({"600000.SH": tick(10.19, [(10.20, 10)], [(10.19, 30)], 1020)}, at("10:00:03"))
    o = ex.order("A", oid)
    assert o.traded_volume == 1000 and o.order_status == E.ORDER_SUCCEEDED


def test_sealed_limit_up_buy_queues_until_board_opens(ex):
    up = 11.22
    sealed = tick(up, [], [(up, 5000), (11.21, 100)], 10_000)
    ex.on_snapshot({"600000.SH": sealed}, at("10:00:00"))
    oid = ex.submit("A", "600000.SH", BUY, 1000, FIX, up)
    assert ex.order("A", oid).traded_volume == 0
    # trades at the limit while sealed consume the queue ahead (500,000 shares): 2,000 lots is not enough
    for k in range(1, 4):
        ex.on_snapshot({"600000.SH": tick(up, [], [(up, 5000 - 600 * k)], 10_000 + 600 * k)},
                       at(f"10:00:{3 * k:02d}"))
    assert ex.order("A", oid).traded_volume == 0
    # the board opens: asks appear at the limit
    ex.on_snapshot({"600000.SH": tick(11.21, [(up, 300), (11.23, 0)], [(11.21, 100)], 13_000)}, at("10:00:12"))
    o = ex.order("A", oid)
    assert o.traded_volume == 1000 and o.traded_price == up


def test_sealed_queue_consumed_fills(ex):
    up = 11.22
    ex.on_snapshot({"600000.SH": tick(up, [], [(up, 10)], 10_000)}, at("10:00:00"))
    oid = ex.submit("A", "600000.SH", BUY, 500, FIX, up)
    ex.on_snapshot({"600000.SH": tick(up, [], [(up, 10)], 10_030)}, at("10:00:03"))   # 3,000 traded at limit
    assert ex.order("A", oid).traded_volume == 500


def test_sell_fees_and_conservation(ex):
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.21, 50)], [(10.20, 80)], 1000)}, at("10:00:00"))
    oid = ex.submit("A", "600000.SH", SELL, 1000, FIX, 10.20)
    t = next(e.trade for e in ex.events if isinstance(e, TradeEvent))
    # commission max(5, 10200*0.025%=2.55) = 5; stamp 0.05% = 5.10; transfer 0.001% = 0.10
    assert t.commission == pytest.approx(10.20)
    assert ex.asset("A").cash == pytest.approx(1_000_000 + 10_200 - 10.20)
    assert ex.order("A", oid).order_status == E.ORDER_SUCCEEDED
    # the odd 50 shares can be sold at once
    oid2 = ex.submit("A", "600000.SH", SELL, 50, FIX, 10.20)
    assert ex.order("A", oid2).order_status != E.ORDER_JUNK


def test_t0_fund_can_sell_same_day(ex):
    ex.on_snapshot({"511010.SH": tick(1.0, [(1.001, 1000)], [(1.0, 1000)], 5000, pre=1.0)}, at("10:00:00"))
    ex.submit("A", "511010.SH", BUY, 10_000, FIX, 1.001)
    pos = {p.stock_code: p for p in ex.positions("A")}["511010.SH"]
    assert pos.volume == pos.can_use_volume == 10_000
    oid = ex.submit("A", "511010.SH", SELL, 10_000, FIX, 1.0)
    assert ex.order("A", oid).order_status == E.ORDER_SUCCEEDED


def test_settle_day_rolls_t1(ex):
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.21, 50)], [(10.20, 80)], 1000)}, at("10:00:00"))
    ex.submit("A", "600000.SH", BUY, 1000, FIX, 10.21)
    live = ex.submit("A", "600000.SH", BUY, 100, FIX, 10.00)
    ex.settle_day()
    assert statuses(ex, live)[-1] == E.ORDER_CANCELED
    pos = {p.stock_code: p for p in ex.positions("A")}["600000.SH"]
    assert pos.can_use_volume == pos.volume == 2050 and pos.yesterday_volume == 2050
    assert ex.orders("A") == [] and ex.asset("A").frozen_cash == 0


def test_pre_open_held_then_reported_and_auction_match(ex):
    ex.set_time(at("09:10:00"))
    oid = ex.submit("A", "600000.SH", BUY, 1000, FIX, 10.30)
    assert ex.order("A", oid).order_status == E.ORDER_WAIT_REPORTING
    ex.on_snapshot({"600000.SH": tick(10.25, [(10.25, 100)], [(10.25, 100)], 0)}, at("09:15:00"))
    assert ex.order("A", oid).order_status == E.ORDER_REPORTED
    ex.set_time(at("09:21:00"))
    assert ex.cancel("A", oid) == -1          # 09:20-09:25: no cancels
    ex.on_snapshot({"600000.SH": tick(10.25, [(10.26, 100)], [(10.25, 100)], 500, open_=10.25)}, at("09:25:00"))
    o = ex.order("A", oid)
    assert o.traded_volume == 1000 and o.traded_price == 10.25


def test_closing_call_no_cancel_and_match(ex):
    ex.on_snapshot({"000001.SZ": tick(11.50, [(11.51, 50)], [(11.50, 80)], 1000, pre=11.5)}, at("14:56:00"))
    oid = ex.submit("A", "000001.SZ", BUY, 500, FIX, 11.49)
    ex.set_time(at("14:58:00"))
    assert ex.cancel("A", oid) == -1
    ex.on_snapshot({"000001.SZ": tick(11.48, [(11.49, 50)], [(11.48, 80)], 2000, pre=11.5)}, at("15:00:00"))
    o = ex.order("A", oid)
    assert o.traded_volume == 500 and o.traded_price == 11.48


@pytest.mark.parametrize("ptype,code,expect_status,expect_traded,broker", [
    (42, "600000.SH", E.ORDER_PART_CANCEL, 1500, 88),
    (47, "000001.SZ", E.ORDER_PART_CANCEL, 1500, 88),
    (46, "000001.SZ", E.ORDER_PART_CANCEL, 1500, 87),
    (48, "000001.SZ", E.ORDER_CANCELED, 0, 89),
    (44, "600000.SH", E.ORDER_PART_SUCC, 500, 84),
    (43, "600000.SH", E.ORDER_PART_SUCC, 1500, 85),
])
def test_market_orders(ex, ptype, code, expect_status, expect_traded, broker):
    pre = INSTRUMENTS[code]["PreClose"]
    asks = [(round(pre + 0.01 * k, 2), 10) for k in range(1, 4)]
    bids = [(pre, 10)]
    ex.on_snapshot({code: tick(pre, asks, bids, 1000, pre=pre)}, at("10:00:00"))
    oid = ex.submit("A", code, BUY, 2000, ptype, 0.0)
    o = ex.order("A", oid)
    assert o.price_type == broker
    assert (o.order_status, o.traded_volume) == (expect_status, expect_traded)


def test_market_order_wrong_exchange_and_phase(ex):
    oid = ex.submit("A", "600000.SH", BUY, 100, 47, 0.0)
    assert ex.order("A", oid).order_status == E.ORDER_JUNK
    ex.set_time(at("09:16:00"))
    oid = ex.submit("A", "600000.SH", BUY, 100, 42, 0.0)
    assert ex.order("A", oid).order_status == E.ORDER_JUNK


def test_latest_price_order(ex):
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.20, 50)], [(10.19, 80)], 1000)}, at("10:00:00"))
    oid = ex.submit("A", "600000.SH", BUY, 100, LATEST, 0.0)
    o = ex.order("A", oid)
    assert o.price_type == 50 and o.price == 10.20 and o.order_status == E.ORDER_SUCCEEDED


def test_remark_truncation():
    from sim.exchange import ExchangeConfig
    x = Exchange(INSTRUMENTS, DATE, ExchangeConfig(remark_max_len=4))
    x.open_account("A")
    x.set_time(at("10:00:00"))
    oid = x.submit("A", "600000.SH", BUY, 100, FIX, 10.0, "s", "abcdefgh")
    assert x.order("A", oid).order_remark == "abcd"


def test_cancel_by_sysid(ex):
    ex.on_snapshot({"000001.SZ": tick(11.50, [(11.51, 50)], [(11.50, 80)], 1000, pre=11.5)}, at("10:00:00"))
    oid = ex.submit("A", "000001.SZ", BUY, 100, FIX, 11.40)
    sysid = ex.order("A", oid).order_sysid
    assert ex.cancel_by_sysid("A", 0, sysid) == -1     # wrong market
    assert ex.cancel_by_sysid("A", 1, sysid) == 0
    assert ex.order("A", oid).order_status == E.ORDER_CANCELED


def test_held_order_cancels_straight_to_54_and_lunch_orders_match_at_13(ex):
    ex.set_time(at("09:05:00"))
    held = ex.submit("A", "600000.SH", BUY, 100, FIX, 10.2)
    assert ex.cancel("A", held) == 0 and statuses(ex, held) == [49, 54]
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.21, 50)], [(10.20, 80)], 1000)}, at("11:30:00"))
    ex.set_time(at("11:45:00"))
    oid = ex.submit("A", "600000.SH", BUY, 100, FIX, 10.21)
    assert ex.order("A", oid).order_status == E.ORDER_REPORTED and ex.order("A", oid).traded_volume == 0
    ex.on_snapshot({"600000.SH": tick(10.20, [(10.21, 50)], [(10.20, 80)], 1000)}, at("13:00:00"))
    assert ex.order("A", oid).traded_volume == 100


def test_suspended_code_rejected():
    x = Exchange(INSTRUMENTS, DATE, suspended={"000001.SZ"})
    x.open_account("A")
    x.set_time(at("10:00:00"))
    oid = x.submit("A", "000001.SZ", BUY, 100, FIX, 11.5)
    assert x.order("A", oid).order_status == E.ORDER_JUNK and "停牌" in x.order("A", oid).status_msg


def test_star_market_order_respects_protection_price(ex):
    asks = [(88.01, 10), (88.50, 10), (89.00, 10)]
    ex.on_snapshot({"688981.SH": tick(88.00, asks, [(88.0, 10)], 1000, pre=88.0)}, at("10:00:00"))
    oid = ex.submit("A", "688981.SH", BUY, 1500, 42, 88.50)
    o = ex.order("A", oid)
    assert o.traded_volume == 1000 and o.order_status == E.ORDER_PART_CANCEL and o.price == 88.50
