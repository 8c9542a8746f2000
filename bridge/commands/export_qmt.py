"""`python -m bridge export-qmt --strategy limit_up_etf|offensive --out dist/x.py`: one GBK QMT built-in script."""
from __future__ import annotations

import sys

from bridge.export_qmt import STRATEGIES, ExportError, export
from config.loader import load_config


def register(sub) -> None:
    p = sub.add_parser("export-qmt", help="export a strategy as one QMT built-in script (GBK, Python 3.6, config baked in)")
    p.add_argument("--strategy", required=True, choices=sorted(STRATEGIES), help="which strategy to export")
    p.add_argument("--out", required=True, metavar="PATH", help="file to write, e.g. dist/limit_up_etf_qmt.py")
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = load_config(args.config)
    try:
        path = export(args.strategy, args.out, cfg)
    except ExportError as exc:
        print(f"export-qmt: {exc}", file=sys.stderr)
        return 2
    size = path.stat().st_size
    print(f"wrote {path} ({size:,} bytes, GBK, Python 3.6): paste it into QMT's strategy editor, set ACCOUNT_ID, "
          f"and backtest it first with: python -m bridge backtest {path} --start YYYYMMDD --end YYYYMMDD")
    return 0
