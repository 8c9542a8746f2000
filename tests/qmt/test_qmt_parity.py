"""Parity: the same simulated day through the exported QMT built-in script (emulator) and through the miniQMT runner
(bridge.runner against the fake xtquant) gives the same signals and the same orders."""
from __future__ import annotations

import queue

import pytest

from bridge.export_qmt import export
from config.loader import load_config
from sim.qmt.world_driver import WorldRunner
from tests.qmt.conftest import tiny_config

ACCOUNT = "SIMPARITY1"
CASH = 1_000_000.0


def make_world(tape):
    """The tiny day, generated or replayed from a tape."""
    from sim.world import World

    return World(tape=tape) if tape else World(tiny_config())


def run_miniqmt(tmp_path, cfg, tape=None, strategy="limit_up_etf"):
    """bridge.runner.Runner + the strategy's port on the fake xtquant over the tiny day."""
    import sim
    from bridge.demo import drive
    from bridge.notify import Notifier
    from bridge.risk import RiskGate, RiskLimits
    from bridge.runner import Runner
    from bridge.export_qmt import offensive_params
    from bridge.strategy_ports import LimitUpPort, OffensivePort, limit_up_params
    from qmt_strategies.offensive import OffensiveLayerStrategy
    from bridge.xt_market import XtMarket
    from bridge.xt_trader import XtTrader
    from signals_db.store import Store

    world = make_world(tape)
    rt = sim.install(world=world, seed=3, cash=CASH, positions={}, remark_max_len=None)
    store = Store.open(tmp_path / "mini.db")
    try:
        q: queue.SimpleQueue = queue.SimpleQueue()
        trader = XtTrader("userdata_mini", ACCOUNT, q.put, session_base=7000)
        market = XtMarket(q.put)
        risk = RiskGate(RiskLimits.from_config(cfg.risk, tmp_path / "KILL"))
        port = LimitUpPort(limit_up_params(cfg)) if strategy == "limit_up_etf" else \
            OffensivePort(OffensiveLayerStrategy(**offensive_params()))
        runner = Runner(q, trader, market, store, Notifier([]), risk, cfg.exits, [port], rt.now_ms,
                        account_id=ACCOUNT, protect_holdings=False, seed=3, resume=False)
        runner.start()
        drive(runner)
        signals = [r for r in store.query("SELECT signal_id, code, action, price FROM signals ORDER BY ts, signal_id")
                   if r[0].startswith(port.name + ":")]          # bracket rows ('bkt:...') are runner bookkeeping
        orders = sorted((o.sent_ms, o.code, o.side, round(o.price, 3), o.quantity) for o in runner.om.orders.values()
                        if o.sent_ms)
        runner.stop()
        return signals, orders
    finally:
        store.close()
        sim.uninstall()


def run_builtin(tmp_path, cfg, refdata, tape=None, strategy="limit_up_etf"):
    """The exported script in the QMT emulator, tick period, simulation mode."""
    path = export(strategy, tmp_path / f"{strategy}.py", cfg)
    world = make_world(tape)
    r = WorldRunner(path, mode="simulation", period="tick", stock_code=sorted(world.etf_info)[0], cash=CASH,
                    user_args={"ACCOUNT_ID": ACCOUNT, "REFDATA_DIR": str(refdata),
                               "JOURNAL_DIR": str(tmp_path / "journal"), "KILL_SWITCH_FILE": ""})
    r.attach(world)
    r.run_world()
    a = r.g["_ADAPTER"][0]
    signals = sorted((s.signal_id[:64], s.code, s.action, s.price) for s in a.signals)
    orders = []
    for cid, code, side, price, qty in a.sent:
        orders.append((a.orders[cid]["sent_ms"], code, side, round(price, 3), qty))
    if strategy == "limit_up_etf":
        _entries_journaled_after_their_signal(tmp_path / "journal", a)
    return signals, sorted(orders)


def _entries_journaled_after_their_signal(journal, adapter):
    """Orders go out before the push's other signals are written, but never before their own signal."""
    import json

    first = {}
    lines = [ln for f in sorted(journal.glob("*.jsonl")) for ln in f.read_text("utf-8").splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        rec = json.loads(ln)
        first.setdefault((rec["kind"], rec.get("signal_id") or rec.get("client_order_id")), i)
    intents = getattr(adapter.strategy, "intents", {})
    checked = 0
    for cid, code, side, _price, _qty in adapter.sent:
        it = intents.get(cid)
        if side == "buy" and it is not None and it.signal_id:
            assert first[("signal", it.signal_id[:64])] < first[("order", cid)], (cid, it.signal_id)
            checked += 1
    assert checked, "no entry order to check"


@pytest.mark.slow
@pytest.mark.parametrize("source", ["generated", "tape"])
def test_builtin_and_miniqmt_paths_agree(tmp_path, refdata, source):
    tape = None
    if source == "tape":
        from sim.tape import save_world
        from sim.world import World

        tape = save_world(World(tiny_config()), tmp_path / "day.tape")
    cfg = load_config()
    mini_signals, mini_orders = run_miniqmt(tmp_path, cfg, tape)
    qmt_signals, qmt_orders = run_builtin(tmp_path, cfg, refdata, tape)
    assert qmt_signals, "the day must produce signals for the comparison to mean anything"
    mini = sorted((s[0], s[1], s[2], float(s[3])) for s in mini_signals)
    assert mini == qmt_signals
    assert qmt_orders and mini_orders == qmt_orders


@pytest.mark.slow
def test_offensive_builtin_and_miniqmt_paths_agree(tmp_path, refdata):
    """The offensive layer: day scores from the same daily history, entries at the first continuous snapshot."""
    cfg = load_config()
    mini_signals, mini_orders = run_miniqmt(tmp_path, cfg, strategy="offensive")
    qmt_signals, qmt_orders = run_builtin(tmp_path, cfg, refdata, strategy="offensive")
    assert qmt_signals and qmt_orders
    assert sorted((s[0], s[1], s[2], float(s[3])) for s in mini_signals) == qmt_signals
    assert mini_orders == qmt_orders
