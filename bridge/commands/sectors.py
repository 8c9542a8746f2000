"""`python -m bridge sectors`: sector money-flow ranking via sector ETFs (行业资金流向), stored in funds_flow."""
from __future__ import annotations

from bridge.refdata.cli import add_common, as_of, open_store, setup
from bridge.refdata.source import SourceError


def register(sub) -> None:
    p = sub.add_parser("sectors", help="sector money-flow ranking from sector ETFs (score, stars, 强势流入/震荡/...)")
    p.add_argument("--top", type=int, default=0, help="show only the first N sectors (default all)")
    p.add_argument("--breadth", action="store_true",
                   help="also print the constituent-breadth table (average change, volume ratio, share rising per industry)")
    add_common(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from bridge.refdata.sectors import breadth_table, sector_ranking, store_ranking
    from config.offensive_schema import load_sector_etfs

    cfg = setup(args)
    table = load_sector_etfs(cfg.sector_etfs_file).sector_etfs
    today = as_of(args)
    with open_store(args) as store:
        try:
            df = sector_ranking(store, [(e.code, e.sector) for e in table], today, quiet=args.quiet)
        except SourceError as exc:
            print(f"error: {exc}")
            return 1
        n = store_ranking(store, df)
        shown = df.head(args.top) if args.top else df
        day = df["trade_date"].iloc[0] if len(df) else today
        print(f"行业资金流向 (sector ETFs) {day}: {len(df)} sectors, {n} rows stored in funds_flow")
        print(f"{'排名':>4} {'代码':<10} {'行业':<8} {'涨跌幅%':>7} {'成交额亿':>8} {'换手%':>6} {'量比':>5} "
              f"{'估算净流入亿':>10} {'评分':>5} {'星级':<6} 方向")
        for r in shown.itertuples(index=False):
            vr = f"{r.volume_ratio:.2f}" if r.volume_ratio == r.volume_ratio else "-"
            print(f"{r.rank:>4} {r.code:<10} {r.sector:<8} {r.change_pct:>7.2f} {r.amount / 1e8:>8.2f} "
                  f"{r.turnover_pct:>6.2f} {vr:>5} "
                  f"{r.net_flow / 1e8:>10.2f} {r.score:>5.1f} {'★' * int(r.stars):<6} {r.label}")
        if args.breadth:
            try:
                b = breadth_table(store)
            except SourceError as exc:
                print(f"breadth: error: {exc}")
                return 1
            print(f"\n成分股宽度 (constituent breadth) by industry, {day}:")
            print(f"{'行业':<8} {'股票数':>6} {'平均涨跌%':>9} {'平均量比':>8} {'上涨占比':>8}")
            for r in b.itertuples(index=False):
                print(f"{r.sector:<8} {r.count:>6} {r.avg_change_pct:>9.2f} {r.avg_volume_ratio:>8.2f} {r.up_share:>8.0%}")
    return 0
