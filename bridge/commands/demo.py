"""`python -m bridge demo`: a generated full-market day in the sim through the real runner, strategies and broker."""
from __future__ import annotations

import sys
import time


def register(sub) -> None:
    p = sub.add_parser("demo", help="simulate a full trading day: limit-up ETF + offensive strategies through the "
                                    "runner, fills by the matching engine, exits; summary + HTML report")
    p.add_argument("--seed", type=int, default=None, help="market seed (default: sim.seed in config)")
    p.add_argument("--stocks", type=int, default=None, help="stocks in the universe (default: sim.n_stocks)")
    p.add_argument("--etfs", type=int, default=None, help="ETFs in the universe (default: sim.n_etfs)")
    p.add_argument("--plant", type=int, default=3, help="extra planted sealed limit-ups (default 3)")
    p.add_argument("--db", metavar="PATH", default=None, help="SQLite file (default: database.sqlite_path)")
    p.add_argument("--report-dir", metavar="DIR", default="reports", help="where to write demo_<date>.html")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from loguru import logger

    from bridge.demo import DaySetup, run_day
    from bridge.logsetup import setup_logging
    from bridge.report import summary_table, write_html
    from config.loader import load_config, project_path, secret_values
    from signals_db.store import Store

    cfg = load_config(args.config)
    setup_logging(cfg.logging, secret_values(cfg), console_level="WARNING")
    s = cfg.sim
    setup = DaySetup(seed=s.seed if args.seed is None else args.seed,
                     n_stocks=s.n_stocks if args.stocks is None else args.stocks,
                     n_etfs=s.n_etfs if args.etfs is None else args.etfs, cash=s.cash, plant=args.plant)
    if s.trade_date:
        import datetime as dt
        setup.trade_date = dt.date.fromisoformat(s.trade_date)
    db = project_path(args.db or cfg.database.sqlite_path)
    print(f"demo: seed={setup.seed} stocks={setup.n_stocks} etfs={setup.n_etfs} db={db}", flush=True)
    store = Store.open(db)
    bar = None
    if not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=0, unit="snap", file=sys.stderr, desc="simulating", mininterval=0.5)

    def progress(steps, total, orders):
        if bar is not None:
            if total and bar.total != total:
                bar.total = total
            bar.n = steps
            bar.set_postfix(orders=orders, refresh=False)
            bar.refresh()

    t0 = time.perf_counter()
    try:
        res = run_day(cfg, store, setup, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    res.runner.notifier.flush(timeout=5)
    print(summary_table(res))
    out = write_html(res, project_path(args.report_dir) / f"demo_{res.runner.trade_date:%Y%m%d}.html",
                     title=f"Demo day (seed {setup.seed}, {setup.n_stocks} stocks + {setup.n_etfs} ETFs)")
    print(f"report: {out}")
    print(f"database: {db} (signals, orders, trades, positions, alerts)")
    logger.info("demo finished wall_s={:.1f}", time.perf_counter() - t0)
    store.close()
    import sim
    sim.uninstall()
    return 0
