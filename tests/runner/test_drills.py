"""Drills: the real runner + adapters against the sim (fake xtquant, matching engine) with faults.

- a planted limit-up -> ETF buy that fills -> bracket persisted -> next day a stop-loss/take-profit exit fills
- trader disconnect mid-session -> new session, reconcile, zero duplicate orders
- runner crash mid-day (state abandoned, no shutdown) -> restart from signals_db + broker: positions match,
  brackets restored, zero duplicate orders
- >= 100,000 fuzzed bad ticks -> zero crashes, zero orders
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from bridge import events as E
from bridge.demo import DaySetup, drive, install_sim, make_runner
from bridge.notify import Notifier
from config.schema import AppConfig
from signals_db.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture
def cfg(tmp_path):
    return AppConfig.model_validate({
        "strategy": {"min_etf_volume": 0, "scan_interval": 3},
        "risk": {"kill_switch_file": str(tmp_path / "KILL"), "max_position_pct_stock": 0.5,
                 "max_position_pct_industry": 0.9},
        "exits": {"stop_loss_pct": 0.004, "take_profit_pct": 0.004, "trailing_pct": None, "exit_time": "14:50"},
    })


@pytest.fixture
def simday():
    import sim
    yield
    sim.uninstall()


def _broker_orders(rt, account):
    return rt.world.exchange.orders(account)


def _no_duplicates(rt, account) -> Counter:
    remarks = Counter(o.order_remark for o in _broker_orders(rt, account))
    assert remarks and max(remarks.values()) == 1, f"duplicate client ids at the broker: {remarks.most_common(3)}"
    return remarks


def _setup(**kw) -> DaySetup:
    base = {"seed": 11, "n_stocks": 40, "n_etfs": 6, "held_stocks": 2, "held_etfs": 1, "plant": 1}
    base.update(kw)
    return DaySetup(**base)


def test_planted_limit_up_buy_fills_then_next_day_exit(cfg, tmp_path, simday):
    import sim
    store = Store.open(tmp_path / "signals.db")
    setup = _setup()
    rt, world, _held = install_sim(setup)
    planted = [p for p in world.planted if p.planted]
    assert planted, "the drill needs a planted limit-up"
    r = make_runner(cfg, rt, store, setup, notifier=Notifier([]), resume=True)
    r.start()
    drive(r)
    buys = [o for o in r.om.orders.values() if o.strategy == "limit_up_etf" and o.side == "buy"]
    assert buys and any(o.filled > 0 for o in buys), f"no filled ETF buy; stats={r.stats} rej={r.rejections}"
    etf = next(o.code for o in buys if o.filled > 0)
    b = r.exits.get(etf)
    assert b is not None and b.active and b.entry_client_id
    assert store.query("SELECT COUNT(*) FROM trades WHERE code = ? AND side = 'buy'", (etf,))[0][0] >= 1
    held = {h.stock_code: h.volume for h in rt.world.exchange.positions(setup.account_id) if h.volume > 0}
    sim.uninstall()

    # next session: yesterday's holdings, the same store; the bracket comes back from signals_db
    from sim import calendar
    day2 = calendar.next_session(world.trade_date) if hasattr(calendar, "next_session") else None
    if day2 is None:
        day2 = world.trade_date + dt.timedelta(days=1)
        while not calendar.is_session(day2):
            day2 += dt.timedelta(days=1)
    setup2 = _setup(trade_date=day2, plant=0, held_stocks=0, held_etfs=0)
    from bridge import demo
    world2 = demo.build_world(setup2)
    rt2 = sim.install(world=world2, seed=setup2.seed, cash=setup2.cash, positions=held,
                      remark_max_len=setup2.remark_max_len)
    r2 = make_runner(cfg, rt2, store, setup2, notifier=Notifier([]), resume=True, session_base=9000)
    r2.start()
    drive(r2, stop_at="14:49:00")
    b2 = r2.exits.get(etf)
    assert b2 is not None, "bracket not restored from signals_db"
    exits = [o for o in r2.om.orders.values() if o.kind == "exit" and o.code == etf]
    assert any(o.filled > 0 for o in exits), f"no exit filled for {etf}: {exits} {r2.exit_reasons} {r2.rejections}"
    assert set(r2.exit_reasons) & {"stop_loss", "take_profit"}, r2.exit_reasons
    sells = store.query("SELECT COUNT(*) FROM trades WHERE code = ? AND side = 'sell'", (etf,))[0][0]
    assert sells >= 1
    _no_duplicates(rt2, setup2.account_id)
    store.close()


def test_trader_disconnect_reconnects_reconciles_no_duplicates(cfg, tmp_path, simday):
    import sim
    store = Store.open(tmp_path / "signals.db")
    setup = _setup(seed=11)
    rt, _world, _ = install_sim(setup)
    r = make_runner(cfg, rt, store, setup, notifier=Notifier([]), resume=True)
    r.start()
    drive(r, stop_at="10:05:00")
    first_session = r.trader.session
    sent_before = r.stats["orders_sent"]
    sim.disconnect_trader(outage_s=20)
    drive(r, stop_at="10:30:00")
    assert r.stats["disconnects"] >= 1 and r.stats["connects"] >= 2
    assert r.trader.session != first_session and r.trader.connected
    assert r.stats["reconciles_connect"] >= 2
    drive(r)
    remarks = _no_duplicates(rt, setup.account_id)
    ours = {o.client_id for o in r.om.orders.values() if o.order_id}
    assert set(remarks) <= ours | {""}, "broker has orders the runner does not know"
    assert r.stats["orders_sent"] >= sent_before
    pos = {p.stock_code: p.volume for p in rt.world.exchange.positions(setup.account_id) if p.volume}
    assert pos == {c: h.volume for c, h in r.portfolio.holdings.items()}
    store.close()


def test_crash_and_restart_restores_state_without_duplicates(cfg, tmp_path, simday):
    store = Store.open(tmp_path / "signals.db")
    setup = _setup(seed=11)
    rt, _world, _ = install_sim(setup)
    r = make_runner(cfg, rt, store, setup, notifier=Notifier([]), resume=True)
    r.start()
    drive(r, stop_at="11:00:00")
    before_orders = {o.client_id for o in r.om.orders.values() if o.order_id}
    before_brackets = {b.code for b in r.exits.active()}
    assert before_brackets, "holdings should be protected by brackets"
    # crash: no stop(), no flush; the dead process's session simply goes away
    r.trader.trader.stop()
    store.close()
    del r
    store2 = Store.open(tmp_path / "signals.db")
    r2 = make_runner(cfg, rt, store2, setup, notifier=Notifier([]), resume=True, session_base=8000)
    r2.start()
    drive(r2, stop_at="11:05:00")
    assert before_orders <= set(r2.om.orders), "orders of the first run not recovered"
    restored = {b.code for b in r2.exits.active()}
    held = {p.stock_code for p in rt.world.exchange.positions(setup.account_id) if p.volume > 0}
    assert before_brackets & held <= restored
    pos = {p.stock_code: (p.volume, p.can_use_volume) for p in rt.world.exchange.positions(setup.account_id)
           if p.volume}
    assert pos == {c: (h.volume, h.can_use) for c, h in r2.portfolio.holdings.items()}
    drive(r2)
    _no_duplicates(rt, setup.account_id)
    buys = Counter(o.stock_code for o in _broker_orders(rt, setup.account_id) if o.order_type == 23)
    assert max(buys.values(), default=1) == 1, f"an entry was sent twice: {buys}"
    store2.close()


def _bad_tick(rng: random.Random, code: str, t: int, pre: float) -> object:
    good = {"time": t, "lastPrice": pre, "open": pre, "high": pre, "low": pre, "lastClose": pre, "amount": 1e6,
            "volume": 100, "pvolume": 10000, "stockStatus": 0, "openInt": 13, "transactionNum": 1,
            "lastSettlementPrice": 0.0, "settlementPrice": 0.0, "pe": 0.0,
            "askPrice": [pre * 1.001] * 5, "bidPrice": [pre * 0.999] * 5, "askVol": [1] * 5, "bidVol": [1] * 5}
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return "garbage"
    d = dict(good)
    if kind == 2:
        d.pop(rng.choice(list(d)))
    elif kind == 3:
        d[rng.choice(["lastPrice", "high", "low", "time"])] = float("nan")
    elif kind == 4:
        d["lastPrice"] = rng.choice([0.0, -1.0, -pre, 1e-9])
    elif kind == 5:
        d["lastPrice"] = d["high"] = pre * rng.choice([0.01, 0.5, 1.5, 100.0])     # far outside the band
    elif kind == 6:
        d["time"] = rng.choice([0, -5, t - 10**9])                                    # stale / nonsense
    elif kind == 7:
        d["lastPrice"] = rng.choice(["10.0", None, [1], {"x": 1}])
    elif kind == 8:
        d["bidPrice"] = rng.choice([[], None, "x", [float("nan")] * 5, [-1.0] * 5])
    elif kind == 9:
        d["askPrice"] = [pre * 0.5] * 5
        d["bidPrice"] = [pre * 2.0] * 5
    elif kind == 10:
        d["lastPrice"] = float("inf")
    else:
        d["high"], d["low"] = pre * 0.5, pre * 1.5
    return d


def test_100k_fuzzed_bad_ticks_no_crash_no_orders(cfg, tmp_path, simday):
    store = Store.open(tmp_path / "signals.db")
    setup = _setup(seed=5, plant=0)
    rt, world, _held = install_sim(setup)
    r = make_runner(cfg, rt, store, setup, notifier=Notifier([]), resume=False)
    r.start()
    drive(r, stop_at="10:00:00")
    assert r.exits.active()
    sent = r.stats["orders_sent"]
    errors = r.stats["errors"]
    rng = random.Random(7)
    codes = list(world.instruments) + ["BAD.XX", "", "600000"]
    n = 0
    t = rt.now_ms()
    while n < 100_000:
        batch = {}
        for c in rng.sample(codes, min(60, len(codes))):
            pre = float(world.instruments.get(c, {}).get("PreClose", 10.0))
            batch[c] = _bad_tick(rng, c, t, pre)
            n += 1
        r.handle(E.Quotes(batch, 0))
        r.timers()
    assert r.stats["errors"] == errors, "a bad tick raised inside the runner"
    assert r.stats["orders_sent"] == sent, "bad data produced an order"
    assert not [o for o in r.om.orders.values() if o.sent_ms >= t]
    store.close()


def test_kill_minus_9_mid_day_then_restart_never_resends(tmp_path):
    """A real SIGKILL of a runner process mid-day; the restarted runner resumes from signals_db.

    The sim lives inside the killed process, so the restarted run trades a fresh sim of the same day: what is
    checked is what the runner owns — the store survives (integrity, every sent order recorded before it went
    out) and no signal or entry of the killed run is sent again.
    """
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).with_name("kill_runner.py")
    db = tmp_path / "signals.db"
    args = [sys.executable, str(script), str(db), str(tmp_path / "KILL"), "11"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = []
    for line in p.stdout:
        if line.startswith("SENT"):
            first.append(line.split())
        if len(first) >= 4 or line.startswith("DONE"):
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL and len(first) >= 4
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in con.execute("SELECT client_order_id FROM orders")}
    con.close()
    assert {f[1] for f in first} <= stored, "an order went out before it was recorded"
    out = subprocess.run(args, capture_output=True, text=True, timeout=600, check=True).stdout
    second = [ln.split() for ln in out.splitlines() if ln.startswith("SENT")]
    assert "DONE" in out
    ids1, ids2 = {f[1] for f in first}, {f[1] for f in second}
    assert not ids1 & ids2, "client ids reused after the restart"
    sig1 = {f[4] for f in first if len(f) > 4}
    sig2 = {f[4] for f in second if len(f) > 4}
    assert not sig1 & sig2, f"signals acted on twice: {sig1 & sig2}"
    buys1 = {f[3] for f in first if f[2] == "buy"}
    buys2 = {f[3] for f in second if f[2] == "buy"}
    assert not buys1 & buys2, f"entries sent twice: {buys1 & buys2}"
