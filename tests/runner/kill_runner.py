"""Child process for the kill -9 drill: one simulated day through the runner, printing SENT lines as orders go out.

    python tests/runner/kill_runner.py DB_PATH KILL_FILE SEED
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    db, kill_file, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from loguru import logger
    logger.remove()
    import sim
    from bridge.demo import DaySetup, install_sim, make_runner
    from bridge.notify import Notifier
    from config.schema import AppConfig
    from signals_db.store import Store

    cfg = AppConfig.model_validate({"strategy": {"min_etf_volume": 0, "scan_interval": 3},
                                    "risk": {"kill_switch_file": kill_file, "max_position_pct_stock": 0.5,
                                             "max_position_pct_industry": 0.9}, "logging": {"file": None}})
    setup = DaySetup(seed=seed, n_stocks=40, n_etfs=6, held_stocks=2, held_etfs=1, plant=2)
    rt, _world, _ = install_sim(setup)
    store = Store.open(db)
    r = make_runner(cfg, rt, store, setup, notifier=Notifier([]), resume=True)
    r.start()
    seen = set()
    sim.drain()
    r.pump()
    while True:
        n = sim.advance(1)
        r.pump()
        for o in list(r.om.orders.values()):
            if o.sent_ms and o.client_id not in seen:
                seen.add(o.client_id)
                print(f"SENT {o.client_id} {o.side} {o.code} {o.signal_id}", flush=True)
        if n == 0:
            break
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
