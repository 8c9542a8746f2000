"""`python -m bridge qmt-refdata --out DIR [--sim]`: write the reference files an exported QMT script reads.

etf_info.json (xtdata.get_etf_info(): ETF baskets), industries.json ({code: SW level-1 industry}) and
watchlist.json (config/stocks.yaml), each written atomically (temp file + rename) so the script never reads half
a file. Reads miniQMT's xtdata (the client must be running), or the simulated market with --sim.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

SW_PREFIX = "SW1"


def register(sub) -> None:
    p = sub.add_parser("qmt-refdata", help="write ETF baskets / industries / watchlist files for an exported QMT script")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder the script's REFDATA_DIR points at")
    p.add_argument("--sim", action="store_true", help="read the simulated market instead of miniQMT")
    p.add_argument("--seed", type=int, default=None, help="--sim: market seed (default: config sim.seed)")
    p.add_argument("--stocks", type=int, default=None, help="--sim: stocks (default: config sim.n_stocks)")
    p.add_argument("--etfs", type=int, default=None, help="--sim: ETFs (default: config sim.n_etfs)")
    p.set_defaults(func=run)


def write_atomic(path: Path, obj) -> None:
    """JSON (UTF-8) to `path` via a temp file in the same folder and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def collect(xtdata) -> tuple[dict, dict]:
    """(etf_info, industries) from an xtdata module (real or fake)."""
    etf_info = xtdata.get_etf_info() or {}
    industries = {}
    for name in xtdata.get_sector_list() or []:
        if name.startswith(SW_PREFIX):
            for code in xtdata.get_stock_list_in_sector(name) or []:
                industries[code] = name[len(SW_PREFIX):]
    return etf_info, industries


def run(args) -> int:
    from config.loader import load_config, load_stocks

    cfg = load_config(args.config)
    if args.sim:
        import sim

        sim.install(seed=cfg.sim.seed if args.seed is None else args.seed,
                    n_stocks=args.stocks or cfg.sim.n_stocks, n_etfs=args.etfs or cfg.sim.n_etfs)
    try:
        from xtquant import xtdata
    except ImportError as exc:
        print(f"qmt-refdata: cannot import xtquant ({exc}); run it where miniQMT is installed, or pass --sim",
              file=sys.stderr)
        return 2
    etf_info, industries = collect(xtdata)
    if not etf_info:
        print("qmt-refdata: xtdata.get_etf_info() returned nothing; is miniQMT running and logged in?", file=sys.stderr)
        return 2
    stocks = load_stocks()
    out = Path(args.out)
    write_atomic(out / "etf_info.json", etf_info)
    write_atomic(out / "industries.json", industries)
    write_atomic(out / "watchlist.json", {"my_stocks": [s.code for s in stocks.my_stocks],
                                          "watch_etfs": list(stocks.watch_etfs)})
    print(f"wrote {out / 'etf_info.json'} ({len(etf_info)} ETFs), {out / 'industries.json'} ({len(industries)} codes), "
          f"{out / 'watchlist.json'}")
    return 0
