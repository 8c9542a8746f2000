"""`python -m sim qmt SCRIPT.py ...`: run a QMT built-in strategy script in the QMT strategy-runner emulator."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from loguru import logger

from sim.qmt import metrics as M
from sim.qmt.data import BarStore, market_daily, synthetic_codes, synthetic_daily
from sim.qmt.runner import MODES, QmtRunner, RunResult
from sim.qmt.script import ScriptError

PERIODS = ("1d", "1m", "tick")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The emulator's options (shared with `python -m bridge backtest`)."""
    p.add_argument("--mode", choices=MODES, default="backtest", help="backtest (default) or simulation")
    p.add_argument("--period", choices=PERIODS, default="1d", help="bar period of the main chart (default 1d; python -m bridge backtest limit_up_etf: tick)")
    p.add_argument("--start", default="", help="first bar date YYYYMMDD or YYYY-MM-DD (backtest)")
    p.add_argument("--end", default="", help="last bar date YYYYMMDD or YYYY-MM-DD (backtest)")
    p.add_argument("--universe", default="",
                   help="comma-separated codes (e.g. 600000.SH,000001.SZ) to keep; default: the whole generated market")
    p.add_argument("--data", choices=("market", "synthetic"), default="market",
                   help="bar source: market = sim.market universe with industries/ETFs (default); "
                        "synthetic = plain main-board random walks (fast)")
    p.add_argument("--stocks", type=int, default=200, help="stocks in the generated market (default 200)")
    p.add_argument("--etfs", type=int, default=20, help="ETFs in the generated market (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated market (default 0)")
    p.add_argument("--cash", type=float, default=1_000_000.0, help="starting cash (default 1,000,000)")
    p.add_argument("--account", default="", help="account id (default: the one the script uses)")
    p.add_argument("--stock-code", default="", help="main chart code (default: the first code of the universe)")
    p.add_argument("--limit-ups", type=int, default=None, metavar="N",
                   help="World runs: plant N random limit-up events per day (default: the generator's natural rate)")
    p.add_argument("--tape", default="", help="simulation: replay a recorded tape instead of generating the day")
    p.add_argument("--date", default="", help="simulation: trade date YYYY-MM-DD (default: latest session)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="global set before the script runs, like QMT's user_args (repeatable; VALUE is JSON or text)")
    p.add_argument("--report", default="", help="write an HTML report with plots to this file")
    p.add_argument("--json", default="", help="write metrics + orders + deals as JSON to this file")
    p.add_argument("--allow-any-import", action="store_true",
                   help="do not enforce the stdlib/numpy/pandas import whitelist")
    p.add_argument("--log-level", default="WARNING", help="loguru level (default WARNING)")


def user_args(pairs: list[str]) -> dict:
    """--set NAME=VALUE pairs -> dict (VALUE parsed as JSON when possible)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise ScriptError(f"--set {pair!r}: write NAME=VALUE with NAME a Python identifier")
        try:
            out[name] = json.loads(value)
        except ValueError:
            out[name] = value
    return out


def build_store(args) -> BarStore:
    """Daily bars for a backtest from the chosen source, limited to --universe when given."""
    codes = [c.strip() for c in args.universe.split(",") if c.strip()] if args.universe else []
    if not args.start or not args.end:
        raise ScriptError("a backtest needs --start and --end (e.g. --start 20240102 --end 20241231)")
    if args.data == "synthetic":
        return synthetic_daily(codes or synthetic_codes(args.stocks), args.start, args.end, args.seed)
    store = market_daily(args.stocks, args.etfs, args.start, args.end, args.seed)
    if codes:
        missing = [c for c in codes if c not in store.index]
        if missing:
            raise ScriptError(f"--universe codes {', '.join(missing[:5])} are not in the generated market "
                              f"(first codes: {', '.join(store.codes[:5])}); use --data synthetic for arbitrary "
                              "main-board codes")
        store = restrict(store, codes)
    return store


def restrict(store: BarStore, codes: list[str]) -> BarStore:
    """The same bars limited to `codes` (sectors filtered accordingly)."""
    rows = [store.index[c] for c in codes]
    keep = set(codes)
    return BarStore(store.period, list(codes), store.times, {k: v[rows] for k, v in store.mat.items()},
                    {c: store.instruments[c] for c in codes if c in store.instruments},
                    {k: [c for c in v if c in keep] for k, v in store.sectors.items()})


def run(args) -> tuple[RunResult, M.Metrics, float]:
    """Run the script as the arguments say; returns the result, its metrics and the wall time of the run."""
    if args.mode == "simulation" or args.period != "1d":
        from sim.qmt.world_driver import run_world
        t0 = time.perf_counter()
        res = run_world(args)
        wall = time.perf_counter() - t0
    else:
        store = build_store(args)
        runner = QmtRunner(args.script, mode=args.mode, period=args.period, start=args.start, end=args.end,
                           stock_code=args.stock_code, account_id=args.account, cash=args.cash,
                           user_args=user_args(args.set), enforce_imports=not args.allow_any_import)
        t0 = time.perf_counter()
        res = runner.run_bars(store)
        wall = time.perf_counter() - t0
    m = M.compute(res.start_cash, res.equity, res.realized, len(res.deals), len(res.orders))
    return res, m, wall


def outputs(args, res: RunResult, m: M.Metrics, wall: float) -> None:
    """Print the summary and write the optional report / JSON."""
    print(f"script={Path(args.script).name} mode={res.mode} period={res.period} account={res.account_id} "
          f"handlebar_calls={res.handlebar_calls} wall={wall:.2f}s")
    for k, v in m.as_dict().items():
        print(f"  {k:14s} {v:.4f}" if isinstance(v, float) else f"  {k:14s} {v}")
    if args.report:
        from sim.qmt import report
        print(f"report: {report.write(args.report, res, m)}")
    if args.json:
        doc = {"metrics": m.as_dict(), "orders": [vars(o) for o in res.orders], "deals": [vars(d) for d in res.deals],
               "equity": [[d.isoformat(), e] for d, e in zip(res.dates, res.equity, strict=True)]}
        Path(args.json).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"json: {args.json}")


DESCRIPTION = ("Run a QMT built-in strategy script (init/handlebar/passorder) in the QMT strategy-runner emulator: "
               "daily backtests on bar data, simulation or tick/minute runs against the simulated exchange")


def register(sub) -> None:
    """The `qmt` subcommand of `python -m sim` (sim/__main__.py's plugin hook)."""
    p = sub.add_parser("qmt", help="run a QMT built-in strategy script in the QMT strategy-runner emulator",
                       description=DESCRIPTION)
    p.add_argument("script", help="the strategy file (GBK or UTF-8, Python 3.6 syntax)")
    add_arguments(p)
    p.set_defaults(func=command)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m sim.qmt.cli` (same as `python -m sim qmt`)."""
    p = argparse.ArgumentParser(prog="python -m sim qmt", description=DESCRIPTION)
    p.add_argument("script", help="the strategy file (GBK or UTF-8, Python 3.6 syntax)")
    add_arguments(p)
    return command(p.parse_args(argv))


def command(args) -> int:
    """Run as the parsed arguments say; user errors become one line on stderr and exit code 2."""
    logger.remove()
    logger.add(sys.stderr, level=args.log_level.upper())
    try:
        res, m, wall = run(args)
    except (ScriptError, ValueError) as exc:
        print(f"python -m sim qmt: {exc}", file=sys.stderr)
        return 2
    outputs(args, res, m, wall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
