"""`python -m bridge offensive`: score the universe (offensive layer) and check the stable layer, into signals_db."""
from __future__ import annotations

from bridge.refdata.cli import add_common, as_of, open_store, setup


def register(sub) -> None:
    p = sub.add_parser("offensive", help="offensive-layer scores -> buy/sell signals with TP/SL; stable-layer alerts")
    p.add_argument("--sim", type=int, metavar="SEED", default=None,
                   help="use the simulated market (sim.install(seed=SEED)) instead of QMT or stored bars")
    p.add_argument("--market", choices=("tiny", "small", "full"), default="small", help="sim market size (with --sim)")
    p.add_argument("--days", type=int, default=250, help="daily bars per stock (default 250)")
    p.add_argument("--show", type=int, default=20, help="signals to print (default 20)")
    add_common(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from bridge import offensive_run as R
    from bridge.refdata import xt
    from qmt_strategies.offensive import OffensiveLayerStrategy
    from qmt_strategies.stable import StableLayerMonitor

    cfg = setup(args)
    with open_store(args) as store:
        eps = R._latest_eps_ttm(store)
        if args.sim is not None:
            import sim

            rt = sim.install(seed=args.sim, market=args.market)
            try:
                from xtquant import xtdata

                u = R.universe_from_xtdata(xtdata, args.days, eps)
                day = rt.world.trade_date
            finally:
                sim.uninstall()
            source = f"sim seed={args.sim} market={args.market}"
        elif xt.available():
            from xtquant import xtdata

            u = R.universe_from_xtdata(xtdata, args.days, eps)
            day, source = u.dates[-1], "xtdata"
        else:
            u = R.universe_from_store(store, args.days)
            if not u.codes:
                print("error: no stored daily bars; run `python -m bridge refdata update --only stocks,industries,bars` "
                      "first, or use --sim SEED")
                return 1
            day, source = u.dates[-1], "stored bars (daily_quote)"
        day = as_of(args) if args.date else day
        strategy = OffensiveLayerStrategy.from_config(cfg.offensive)
        ind_scores = R.industry_scores_from_store(store, day, u.industries)
        print(f"industry scores: {'stored money flow (funds_flow)' if ind_scores else 'constituents bars (Chaikin flow)'}")
        sigs = R.run_offensive(store, u, strategy, day, ind_scores)
        print(f"offensive layer {day} ({source}): {len(u.codes)} stocks scored, {len(sigs)} signals "
              f"(buy at composite >= {strategy.buy_threshold:g})")
        for s in sigs[:args.show]:
            print(f"  {s.action:<4} {s.code} price {s.price:.2f} TP {s.take_profit:.2f} SL {s.stop_loss:.2f} "
                  f"score {s.score:.2f} {s.confidence}  {s.reason}")
        watch = list(cfg.stable.watch)
        alerts = R.run_stable(store, StableLayerMonitor.from_config(cfg.stable), watch, day, u)
        print(f"stable layer: {len(watch)} watched, {len(alerts)} alerts (for a human to decide; never traded)")
        for a in alerts:
            print(f"  {a.risk} {a.code} {a.details['rule']}: {a.reason}")
    return 0
