"""A full simulated day through sim + runner + strategies + broker + signals_db: wall, CPU, peak memory.

Prints the time split between the sim (world step, tick dicts, matching, callbacks) and the runner (snapshot,
exits, strategies, orders, DB writes), measured in the same run, plus the reference cost of stepping the same
World alone for a sample of snapshots.

    .venv/bin/python benchmarks/runner_day.py [--stocks 5000 --etfs 500 --seed 20260105]
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stocks", type=int, default=5000)
    ap.add_argument("--etfs", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20260105)
    ap.add_argument("--plant", type=int, default=5)
    ap.add_argument("--db", default="/tmp/runner_day.db")
    a = ap.parse_args()
    from loguru import logger
    logger.remove()
    import sim
    from bridge.demo import DaySetup, build_world, drive, install_sim, make_runner
    from bridge.notify import Notifier
    from config.schema import AppConfig
    from signals_db.store import Store

    Path(a.db).unlink(missing_ok=True)
    cfg = AppConfig.model_validate({"risk": {"kill_switch_file": "/tmp/_no_kill"}, "logging": {"file": None}})
    setup = DaySetup(seed=a.seed, n_stocks=a.stocks, n_etfs=a.etfs, plant=a.plant)
    w0, c0 = time.perf_counter(), time.process_time()
    rt, _world, _ = install_sim(setup)
    w1, c1 = time.perf_counter(), time.process_time()
    store = Store.open(a.db)
    r = make_runner(cfg, rt, store, setup, notifier=Notifier([]))
    r.start()
    w2, c2 = time.perf_counter(), time.process_time()
    steps = drive(r)
    w3, c3 = time.perf_counter(), time.process_time()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    st = r.stats
    print(f"universe: {a.stocks} stocks + {a.etfs} ETFs, seed {a.seed}, {steps} snapshots")
    print(f"world build: {w1 - w0:.1f} s wall / {c1 - c0:.1f} s CPU")
    print(f"runner start (reference data, daily scores, reconcile): {w2 - w1:.1f} s wall / {c2 - c1:.1f} s CPU")
    print(f"session: {w3 - w2:.1f} s wall / {c3 - c2:.1f} s CPU "
          f"(sim advance {st['drive_sim_us'] / 1e6:.1f} s, runner pump {st['drive_runner_us'] / 1e6:.1f} s wall)")
    print(f"total: {w3 - w0:.1f} s wall / {c3 - c0:.1f} s CPU; peak RSS {peak_mb:.0f} MB")
    print(f"orders {st['orders_sent']}, fills {st['fills']}, signals {sum(v for k, v in st.items() if k.startswith('signal_'))}, "
          f"exits {sum(r.exit_reasons.values())}, errors {st['errors']}")
    sim.uninstall()
    # reference in the same run: the same World stepped alone (no fake xtquant, no runner)
    ref = build_world(setup)
    n = min(300, steps)
    t = time.perf_counter()
    for _ in range(n):
        if ref.step() is None:
            break
    per = (time.perf_counter() - t) / max(n, 1)
    print(f"reference: World.step alone {per * 1e3:.1f} ms per snapshot ({n} sampled) -> "
          f"{per * steps:.1f} s for the day")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
