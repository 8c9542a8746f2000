"""`python -m bridge valuation 510300`: ETF, tracked index, PE-TTM, percentile over the window, traffic light."""
from __future__ import annotations

from bridge.refdata.cli import add_common, as_of, open_store, setup
from bridge.refdata.loaders import qmt_code
from bridge.refdata.source import SourceError


def register(sub) -> None:
    p = sub.add_parser("valuation", help="ETF -> index PE-TTM percentile and traffic light (估值百分位/红绿灯)")
    p.add_argument("codes", nargs="*", metavar="CODE", help="ETF codes, e.g. 510300 or 510300.SH")
    p.add_argument("--years", type=int, default=None, help="percentile window in years (default valuation.window_years)")
    p.add_argument("--map", action="store_true", help="run one auto-mapping batch (pending ETFs -> indexes) first")
    add_common(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from bridge import valuation as bv
    from bridge.refdata.update import update_etfs
    from config.offensive_schema import load_sector_etfs

    cfg = setup(args)
    v = cfg.valuation
    years = args.years or v.window_years
    known = {e.code: e.index for e in load_sector_etfs(cfg.sector_etfs_file).sector_etfs if e.index}
    today = as_of(args)
    with open_store(args) as store:
        if args.map:
            try:
                if not store.count("etf_info"):
                    update_etfs(store, quiet=args.quiet)
                counts = bv.map_pending(store, v.aliases, known, v.map_batch_size, v.max_match_attempts)
            except SourceError as exc:
                print(f"error: {exc}")
                return 1
            print("mapping batch: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
        rc = 0
        for raw in args.codes:
            code = qmt_code(raw) if "." not in raw else raw.upper()
            try:
                r = bv.etf_valuation(store, code, aliases=v.aliases, known_index=known.get(code), years=years,
                                     green_max=v.green_max, red_min=v.red_min, min_points=v.min_points,
                                     max_attempts=v.max_match_attempts, today=today)
            except SourceError as exc:
                print(f"{code}: error: {exc}")
                rc = 1
                continue
            _print(r, years)
    return rc


def _print(r, years: int) -> None:
    from qmt_strategies.valuation import LIGHT_LABELS

    print(f"ETF         {r.etf_code} {r.etf_name}")
    print(f"index       {r.index_code or '-'} {r.index_name or ''}{f' (PE source: {r.source})' if r.source else ''}")
    print(f"PE-TTM      {r.pe:.2f} on {r.as_of}" if r.pe is not None else "PE-TTM      -")
    pct = f"{r.percentile:.1f}% over {years} years ({r.points} days)" if r.percentile is not None else "no percentile"
    print(f"percentile  {pct}")
    print(f"light       {r.light} {LIGHT_LABELS[r.light]}")
    if r.note:
        print(f"note        {r.note}")
