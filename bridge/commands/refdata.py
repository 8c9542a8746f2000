"""`python -m bridge refdata update [--only stocks,bars,...]`: fill signals_db with reference data (incremental)."""
from __future__ import annotations

from bridge.refdata.cli import add_common, as_of, open_store, setup


def register(sub) -> None:
    from bridge.refdata.update import PARTS

    p = sub.add_parser("refdata", help="reference data (akshare, or xtdata with QMT) into signals_db")
    sp = p.add_subparsers(dest="refdata_cmd", metavar="ACTION")
    u = sp.add_parser("update", help="fetch what is missing: " + ", ".join(PARTS))
    u.add_argument("--only", metavar="PARTS", default=None,
                   help="comma list of parts (default all): " + ",".join(PARTS))
    u.add_argument("--codes", metavar="CODES", default=None,
                   help="comma list of stock codes for bars/flows/financials (default: every stored stock; flows: none)")
    u.add_argument("--etfs", metavar="CODES", default=None,
                   help="comma list of ETF codes for bars/holdings (default: the sector ETF table)")
    add_common(u)
    u.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run(args) -> int:
    from bridge.refdata.loaders import qmt_code
    from bridge.refdata.update import PARTS, update_all
    from config.loader import ConfigError
    from config.offensive_schema import load_sector_etfs

    cfg = setup(args)
    only = None
    if args.only:
        only = [p.strip() for p in args.only.split(",") if p.strip()]
        bad = [p for p in only if p not in PARTS]
        if bad:
            raise ConfigError(f"--only {bad[0]!r} is not a refdata part; choose from {', '.join(PARTS)}")
    codes = [c if "." in c else qmt_code(c) for c in args.codes.split(",")] if args.codes else None
    etfs = ([c if "." in c else qmt_code(c) for c in args.etfs.split(",")] if args.etfs
            else [e.code for e in load_sector_etfs(cfg.sector_etfs_file).sector_etfs])
    with open_store(args) as store:
        result = update_all(store, only=only, codes=codes, etf_codes=etfs, today=as_of(args), quiet=args.quiet)
    failed = 0
    for part, got in result.items():
        if isinstance(got, int):
            print(f"{part:<11} {got} rows")
        else:
            failed += 1
            print(f"{part:<11} error: {got}")
    return 1 if failed else 0
