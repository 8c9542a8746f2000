"""Order manager checks (lots, ticks, band, cage, cash, T+1) and the order state machine (hypothesis)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.orders import (
    RANK,
    ClientIds,
    Order,
    OrderManager,
    Portfolio,
    Rejection,
    apply_update,
    round_price,
)
from bridge.xt_tables import ORDER_STATUS


def _mgr(cash=100_000.0, positions=None):
    p = Portfolio()
    p.set_asset(cash, 0.0, 0.0, cash)
    for code, (vol, can) in (positions or {}).items():
        p.set_position(code, vol, can, 10.0)
    return OrderManager(p, ClientIds(20251121))


def test_client_ids_short_unique_and_restart_safe():
    ids = ClientIds(20251121)
    got = [ids.next() for _ in range(5000)]
    assert len(set(got)) == 5000 and all(len(x) == 8 for x in got)
    again = ClientIds(20251121)
    again.observe(got[-1])
    assert again.next() not in got
    assert ClientIds(20251122).next()[:4] != got[0][:4]


def test_buy_rounds_lot_and_tick(snap):
    m = _mgr()
    o = m.prepare(strategy="s", code="600000.SH", side="buy", price=10.017, quantity=1234, snap=snap, ts_ms=1)
    assert isinstance(o, Order)
    assert o.quantity == 1200 and o.price == 10.01
    e = m.prepare(strategy="s", code="510300.SH", side="buy", price=4.0017, quantity=150, snap=snap, ts_ms=1)
    assert e.price == 4.001 and e.quantity == 100


def test_sell_rounds_up_and_star_lot(snap):
    m = _mgr(positions={"688001.SH": (1000, 1000), "600000.SH": (150, 150)})
    o = m.prepare(strategy="s", code="688001.SH", side="sell", price=50.001, quantity=150, snap=snap, ts_ms=1)
    assert isinstance(o, Rejection) and o.check == "lot"
    o = m.prepare(strategy="s", code="688001.SH", side="sell", price=50.001, quantity=250, snap=snap, ts_ms=1)
    assert o.quantity == 250 and o.price == 50.01
    allodd = m.prepare(strategy="s", code="600000.SH", side="sell", price=10.0, quantity=150, snap=snap, ts_ms=1)
    assert allodd.quantity == 150          # the odd lot may be sold all at once
    part = m.prepare(strategy="s", code="600000.SH", side="sell", price=10.0, quantity=120, snap=snap, ts_ms=1)
    assert part.quantity == 100


def test_limit_band_and_cage(snap):
    m = _mgr()
    o = m.prepare(strategy="s", code="600000.SH", side="buy", price=12.0, quantity=100, snap=snap, ts_ms=1)
    assert o.price == 10.20 and "clamped" in " ".join(o.notes)       # cage: max(2%, 10 ticks) above 10.00
    r = m.prepare(strategy="s", code="600000.SH", side="buy", price=8.0, quantity=100, snap=snap, ts_ms=1)
    assert isinstance(r, Rejection) and r.check == "limit_band"        # below limit-down 9.00
    m2 = _mgr(positions={"600000.SH": (1000, 1000)})
    s = m2.prepare(strategy="s", code="600000.SH", side="sell", price=9.0, quantity=100, snap=snap, ts_ms=1)
    assert s.price == 9.80                                              # cage: min(98%, 10 ticks) below


def test_cash_and_t_plus_one(snap):
    m = _mgr(cash=5_000.0, positions={"600000.SH": (1000, 0)})
    o = m.prepare(strategy="s", code="600000.SH", side="buy", price=10.0, quantity=1000, snap=snap, ts_ms=1)
    assert o.quantity == 400                                            # sized down to cash
    m.add(o)
    r = m.prepare(strategy="s", code="000001.SZ", side="buy", price=12.0, quantity=1000, snap=snap, ts_ms=1)
    assert isinstance(r, Rejection) and r.check == "cash"               # the first buy reserves the cash
    s = m.prepare(strategy="s", code="600000.SH", side="sell", price=10.0, quantity=100, snap=snap, ts_ms=1)
    assert isinstance(s, Rejection) and s.check == "sellable"           # bought today: T+1


def test_pending_sell_reserves_sellable(snap):
    m = _mgr(positions={"600000.SH": (1000, 1000)})
    a = m.prepare(strategy="s", code="600000.SH", side="sell", price=10.0, quantity=800, snap=snap, ts_ms=1)
    m.add(a)
    b = m.prepare(strategy="s", code="600000.SH", side="sell", price=10.0, quantity=800, snap=snap, ts_ms=1)
    assert b.quantity == 200


def test_no_quote_rejected(snap):
    m = _mgr()
    r = m.prepare(strategy="s", code="601988.SH", side="buy", price=3.0, quantity=100, snap=snap, ts_ms=1)
    assert isinstance(r, Rejection) and r.check == "market_data"
    r = m.prepare(strategy="s", code="600000.SH", side="buy", price=float("nan"), quantity=100, snap=snap, ts_ms=1)
    assert r.check == "price"


def test_find_by_truncated_remark():
    m = _mgr()
    o = Order(client_id="Q9ab00012", strategy="s", code="600000.SH", side="buy", price=1.0, quantity=100)
    m.add(o)
    assert m.find(remark="Q9ab0001") is o
    m.bind(o, seq=7, order_id=1001, sysid="S1")
    assert m.find(order_id=1001) is o and m.find(seq=7) is o and m.find(sysid="S1") is o


@given(st.floats(0.01, 3000, allow_nan=False), st.sampled_from([1, 10]), st.sampled_from(["buy", "sell"]))
def test_round_price_on_grid_and_direction(price, tick, side):
    u = round_price(price, tick, side)
    assert u % tick == 0
    if side == "buy":
        assert u <= price * 1000 + 1e-6
    else:
        assert u >= price * 1000 - 1e-6


_STATUSES = list(ORDER_STATUS.values())
_update = st.tuples(st.sampled_from(_STATUSES), st.integers(0, 1000))


@settings(max_examples=400, deadline=None)
@given(st.lists(_update, max_size=30), st.integers(1, 10).map(lambda k: k * 100))
def test_state_machine_forward_only(updates, qty):
    o = Order(client_id="c", strategy="s", code="600000.SH", side="buy", price=1.0, quantity=qty)
    apply_update(o, "sent")
    prev_rank, prev_filled, final_seen = RANK[o.status], o.filled, None
    for status, filled in updates:
        apply_update(o, status, min(filled, qty))
        assert RANK[o.status] >= prev_rank
        assert o.filled >= prev_filled and o.filled <= qty
        if final_seen is not None:
            assert o.status == final_seen
        if not o.live:
            final_seen = o.status
        prev_rank, prev_filled = RANK[o.status], o.filled
    if o.status == "succeeded":
        assert o.filled == qty


@settings(max_examples=200, deadline=None)
@given(st.permutations(["unreported", "reported", "part_succ", "reported_cancel", "part_cancel"]))
def test_reordered_pushes_converge_to_the_final_status(order):
    o = Order(client_id="c", strategy="s", code="600000.SH", side="buy", price=1.0, quantity=500)
    fills = {"part_succ": 200, "part_cancel": 200}
    for s in order:
        apply_update(o, s, fills.get(s))
    assert o.status == "part_cancel" and o.filled == 200 and not o.live and o.remaining == 0


def test_bracket_journal_is_per_account_and_keeps_the_latest_version(tmp_path):
    from bridge.exits import Bracket
    from bridge.persist import BracketJournal
    from signals_db.store import Store
    store = Store.open(tmp_path / "s.db")
    live, demo = BracketJournal(store, "8881234567"), BracketJournal(store, "SIMDEMO01")
    b = Bracket("600000.SH", 10.0, 1000, 9.7, [(10.5, 1.0)], 0.02, 10.0, 0, 0, "", 0, True, "s", "Qa")
    assert live.save(b, 1_763_688_600_000) and not live.save(b, 1_763_688_600_001)     # unchanged: no new version
    b.high = 10.4
    assert live.save(b, 1_763_688_600_002)
    old = Bracket("600000.SH", 9.0, 500, 8.7, [], 0.0, 9.0, 0, 0, "", 0, False, "s", "Q0")   # an earlier, closed one
    live.save(old, 1_763_688_500_000)
    demo.save(Bracket("510300.SH", 4.0, 100), 1_763_688_600_003)
    again = BracketJournal(store, "8881234567")
    got = again.load()
    assert [(x.code, x.entry_client_id, x.high) for x in got] == [("600000.SH", "Qa", 10.4)]
    assert again.version[("600000.SH", "Qa")] == 2
    b.stage = 1
    assert again.save(b, 1_763_688_600_004) and again.version[("600000.SH", "Qa")] == 3
    assert [x.code for x in BracketJournal(store, "SIMDEMO01").load()] == ["510300.SH"]
    rows = store.query("SELECT version, stage FROM exit_brackets WHERE account_id = ? AND entry_client_order_id = 'Qa'",
                       ("8881234567",))
    assert rows == [(3, 1)]
    store.close()
