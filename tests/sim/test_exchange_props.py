"""Property tests: any sequence of orders, cancels, quotes and day rolls keeps money, shares and states consistent."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.exchange import Exchange, OrderUpdate, TradeEvent
from sim.exchange import events as E
from sim.market.history import midnight_ms

DATE = dt.date(2026, 11, 20)
CODES = {  # code: (pre, up, down, tick)
    "600000.SH": (10.20, 11.22, 9.18, 0.01),
    "000001.SZ": (11.50, 12.65, 10.35, 0.01),
    "688981.SH": (88.00, 105.60, 70.40, 0.01),
    "430047.BJ": (12.00, 15.60, 8.40, 0.01),
    "511010.SH": (1.000, 1.100, 0.900, 0.001),
    "159915.SZ": (2.000, 2.400, 1.600, 0.001),
}
INSTRUMENTS = {c: {"InstrumentName": c, "PreClose": p, "UpStopPrice": u, "DownStopPrice": d, "PriceTick": t}
               for c, (p, u, d, t) in CODES.items()}
T0 = {"511010.SH"}
TIMES = ["09:10:00", "09:16:00", "09:21:00", "09:25:00", "09:27:00", "09:31:00", "10:00:00", "11:35:00",
         "13:01:00", "14:58:00", "15:00:00"]
INITIAL = {"600000.SH": 1050, "688981.SH": 350, "430047.BJ": 150, "511010.SH": 5000}
ALLOWED = {  # status -> statuses that may follow in pushes
    48: {49, 50, 54, 57}, 49: {50, 54}, 50: {50, 51, 55, 56, 53, 54}, 55: {52, 55, 56, 53},
    51: {54}, 52: {53}, 53: set(), 54: set(), 56: set(), 57: set(),
}


def at(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return midnight_ms(DATE) + (h * 3600 + m * 60 + s) * 1000


def quote(code, k_last, seal, vol_lots, rng_vols):
    pre, up, down, tick = CODES[code]
    div = round(1 / tick)
    up_t, dn_t = round(up * div), round(down * div)
    last_t = min(max(round(pre * div) + k_last, dn_t), up_t)
    if seal == "up":
        last_t = up_t
        asks, bids = [], [(up_t - i, rng_vols[i]) for i in range(5)]
    elif seal == "down":
        last_t = dn_t
        asks, bids = [(dn_t + i, rng_vols[i]) for i in range(5)], []
    else:
        asks = [(last_t + 1 + i, rng_vols[i]) for i in range(5) if last_t + 1 + i <= up_t]
        bids = [(last_t - i, rng_vols[i]) for i in range(5) if last_t - i >= dn_t]
    def pad(xs):
        return xs + [0] * (5 - len(xs))
    return {"time": 0, "lastPrice": last_t / div, "open": last_t / div, "high": last_t / div, "low": last_t / div,
            "lastClose": pre, "amount": 0.0, "volume": vol_lots, "pvolume": vol_lots * 100, "stockStatus": 0,
            "openInt": 13, "transactionNum": 0, "lastSettlementPrice": 0.0, "settlementPrice": 0.0, "pe": 0.0,
            "askPrice": pad([p / div for p, _ in asks]), "bidPrice": pad([p / div for p, _ in bids]),
            "askVol": pad([v for _, v in asks]), "bidVol": pad([v for _, v in bids])}


code_st = st.sampled_from(sorted(CODES))
order_st = st.tuples(st.just("order"), code_st, st.sampled_from([23, 24]),
                     st.sampled_from([100, 150, 200, 250, 300, 1000, 1050, 5000]),
                     st.sampled_from([11, 11, 11, 5, 42, 43, 44, 45, 46, 47, 48]), st.integers(-12, 12))
cancel_st = st.tuples(st.just("cancel"), st.integers(1, 30))
quote_st = st.tuples(st.just("quote"), code_st, st.integers(-10, 10), st.sampled_from([None, None, None, "up", "down"]),
                     st.integers(0, 3000), st.lists(st.integers(1, 40), min_size=5, max_size=5))
cross_st = st.tuples(st.just("cross"), code_st, st.sampled_from([23, 24]), st.sampled_from([100, 200, 300, 1000]))
action_st = st.one_of(cross_st, cross_st, order_st, order_st, order_st, cancel_st, quote_st, quote_st, st.just(("advance",)),
                      st.just(("advance",)), st.just(("settle",)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.sampled_from([0, 1, 3, 5, 6, 6, 6, 8, 9]), actions=st.lists(action_st, min_size=8, max_size=45))
def test_conservation_lots_t1_and_state_machine(start, actions):
    ex = Exchange(INSTRUMENTS, DATE, t0_codes=T0)
    events: list = []
    ex.add_listener(events.append)
    ex.open_account("A", 200_000.0, positions=dict(INITIAL))
    ti = start
    ex.set_time(at(TIMES[ti]))
    cum_lots: dict[str, int] = defaultdict(int)
    money = 200_000_000   # milli-yuan: initial - buys(amount+fees) + sells(amount-fees)
    held = dict(INITIAL)
    yesterday = dict(INITIAL)
    sold_today: dict[str, int] = defaultdict(int)
    bought_t0_today: dict[str, int] = defaultdict(int)
    last_status: dict[int, int] = {}
    seen = 0
    n_trades = [0]
    for a in actions:
        if a[0] == "order":
            _, code, side, vol, ptype, k = a
            pre, _, _, tick = CODES[code]
            price = round(pre + k * tick, 3)
            ex.submit("A", code, side, vol, ptype, price, "s", "r")
        elif a[0] == "cross":   # a fresh quote, then a limit order at the opposite best price
            _, code, side, vol = a
            cum_lots[code] += 50
            q = quote(code, 0, None, cum_lots[code], [20] * 5)
            ex.on_snapshot({code: q}, ex.now_ms)
            ex.submit("A", code, side, vol, 11, q["askPrice"][0] if side == 23 else q["bidPrice"][0], "s", "x")
        elif a[0] == "cancel":
            ex.cancel("A", a[1])
        elif a[0] == "quote":
            _, code, k, seal, dv, vols = a
            cum_lots[code] += dv
            ex.on_snapshot({code: quote(code, k, seal, cum_lots[code], vols)}, ex.now_ms)
        elif a[0] == "advance" and ti + 1 < len(TIMES):
            ti += 1
            ex.set_time(at(TIMES[ti]))
        elif a[0] == "settle":
            ex.settle_day()
            ti = start
            ex.set_time(at(TIMES[ti]))
            cum_lots.clear()
            yesterday = {c: v for c, v in held.items() if v}
            sold_today.clear()
            bought_t0_today.clear()
        # replay new events into the expected books
        for e in events[seen:]:
            if isinstance(e, TradeEvent):
                t = e.trade
                amt, fee = round(t.traded_amount * 1000), round(t.commission * 1000)
                assert fee >= 0 and t.traded_volume > 0
                if t.order_type == 23:
                    money -= amt + fee
                    held[t.stock_code] = held.get(t.stock_code, 0) + t.traded_volume
                    if t.stock_code in T0:
                        bought_t0_today[t.stock_code] += t.traded_volume
                    if not t.stock_code.startswith(("688", "43", "83", "87", "88", "92")):
                        assert t.traded_volume % 100 == 0, "a buy fill broke the 100-share lot"
                else:
                    money += amt - fee
                    held[t.stock_code] -= t.traded_volume
                    sold_today[t.stock_code] += t.traded_volume
            elif isinstance(e, OrderUpdate):
                o = e.order
                prev = last_status.get(o.order_id)
                if prev is not None:
                    assert prev not in E.FINAL_STATUSES, f"order {o.order_id} pushed again after final {prev}"
                    assert o.order_status in ALLOWED[prev] | {prev}, f"order {o.order_id}: {prev} -> {o.order_status}"
                last_status[o.order_id] = o.order_status
        seen = len(events)
        n_trades[0] += sum(1 for e in events if isinstance(e, TradeEvent))
        # invariants
        asset = ex.asset("A")
        assert asset.cash >= 0 and asset.frozen_cash >= 0
        assert round((asset.cash + asset.frozen_cash) * 1000) == money
        live_buys = [o for o in ex.orders("A") if o.order_type == 23 and o.order_status in E.LIVE_STATUSES]
        if not live_buys:
            assert asset.frozen_cash == 0
        pos = {p.stock_code: p for p in ex.positions("A")}
        for code in CODES:
            p = pos.get(code)
            vol = p.volume if p else 0
            assert vol == held.get(code, 0) and vol >= 0
            if p is None:
                continue
            assert p.can_use_volume >= 0 and p.frozen_volume >= 0
            # T+1: what can still be sold + what is in sell orders + what was sold today = carried-over shares
            carried = yesterday.get(code, 0) + bought_t0_today.get(code, 0)
            assert p.can_use_volume + p.frozen_volume + sold_today.get(code, 0) == carried
