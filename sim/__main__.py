"""python -m sim exec [options] SCRIPT.py -- run an unmodified miniQMT script against the simulated QMT.

Other sim modules can add subcommands: a module listed in PLUGINS that defines `register(subparsers)` (adding
its parser and `set_defaults(func=callable(args) -> int)`) is picked up when it imports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import runpy
import sys
import threading
import time

from loguru import logger


def _speed(value: str) -> float | None:
    if value == "max":
        return None
    if value == "realtime":
        return 1.0
    try:
        speed = float(value.rstrip("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--speed {value!r}: use max, realtime or a factor like 10") from None
    if speed <= 0:
        raise argparse.ArgumentTypeError(f"--speed {value!r} must be > 0")
    return speed


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--date {value!r} is not YYYY-MM-DD") from None


PLUGINS = ("sim.tape", "sim.qmt.cli")


def build_parser(with_plugins: bool = True) -> argparse.ArgumentParser:
    """The `python -m sim` argument parser."""
    p = argparse.ArgumentParser(prog="python -m sim", description="Simulated QMT / miniQMT")
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("exec", help="run an unmodified miniQMT (xtquant) script against the simulated market")
    ex.add_argument("script", help="path of the Python script")
    ex.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    ex.add_argument("--market", choices=["tiny", "small", "full"], default=None,
                    help="universe preset: tiny 40+6, small 400+40, full 5000+500 (default small)")
    ex.add_argument("--stocks", type=int, default=None, help="number of stocks (overrides --market)")
    ex.add_argument("--etfs", type=int, default=None, help="number of ETFs (overrides --market)")
    ex.add_argument("--seed", type=int, default=0, help="seed of the market and of the faults (default 0)")
    ex.add_argument("--speed", type=_speed, default=None,
                    help="max (default, deterministic), realtime, or a factor like 10 (10x real time)")
    ex.add_argument("--date", type=_date, default=None, help="trade date YYYY-MM-DD (default: latest session)")
    ex.add_argument("--start-time", default=None, help="first snapshot HH:MM:SS (default 09:15:00)")
    ex.add_argument("--end-time", default=None, help="session end HH:MM:SS (default 15:00:00)")
    ex.add_argument("--tape", default=None, help="replay a recorded/saved day instead of generating one")
    ex.add_argument("--cash", type=float, default=1_000_000.0, help="cash of each account opened on first use")
    ex.add_argument("--remark-max-len", type=int, default=None, help="truncate order_remark like some brokers")
    ex.add_argument("--faults", default=None,
                    help="e.g. reject=0.05,silent=0.01,dup=0.02,reorder=0.1,latency=500,"
                         "disconnect=10:30:00,outage=60,xtdata_disconnect=13:30:00")
    ex.add_argument("--no-patch-sleep", action="store_true",
                    help="keep the real time.sleep in the main thread (default: it waits in simulated time)")
    ex.add_argument("--free-main", action="store_true",
                    help="let callbacks run while the main thread computes (for scripts whose main thread blocks "
                         "on join()/Event.wait()/input(); output interleaving is then not deterministic)")
    ex.add_argument("--log-level", default="WARNING", help="loguru level for sim messages (default WARNING)")
    ex.set_defaults(func=cmd_exec)
    for name in PLUGINS if with_plugins else ():
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(mod, "register"):
            mod.register(sub)
    return p


def _patch_sleep(rt) -> None:
    """time.sleep lets simulated time pass in the main thread and in xttrader callbacks (the clock moves on while
    that callback waits, its later pushes queue behind it); after the session it ends the script. Elsewhere
    (the xtdata callback thread, the script's own threads) it is the real sleep."""
    from sim.driver import SessionEnded

    real_sleep = time.sleep
    main = threading.main_thread()

    def sim_sleep(seconds):
        me = threading.current_thread()
        if me is main:
            if rt.ended:
                raise SessionEnded
            rt.sleep(seconds)
            return None
        if rt.sched.in_worker_lane() and not rt.ended:
            rt.sleep(seconds)
            return None
        return real_sleep(seconds)

    time.sleep = sim_sleep


def cmd_exec(args) -> int:
    """Run the script with sim installed; returns its exit code."""
    import sim
    from sim.faults import parse_faults

    logger.remove()
    logger.add(sys.stderr, level=args.log_level.upper())
    try:
        faults = parse_faults(args.faults)
    except ValueError as exc:
        print(f"python -m sim exec: {exc}", file=sys.stderr)
        return 2
    market = args.market or ("small" if args.stocks is None and args.etfs is None else None)
    world_kwargs = {k: v for k, v in (("start_time", args.start_time), ("end_time", args.end_time)) if v}
    rt = sim.install(seed=args.seed, market=market, n_stocks=args.stocks, n_etfs=args.etfs, trade_date=args.date,
                     speed=args.speed, cash=args.cash, remark_max_len=args.remark_max_len, faults=faults,
                     world_kwargs=world_kwargs, tape=args.tape)
    if not os.path.exists(args.script):
        print(f"python -m sim exec: script {args.script} not found", file=sys.stderr)
        return 2
    try:
        _ = rt.world
    except ValueError as exc:       # e.g. --date on a non-trading day or outside the calendar
        print(f"python -m sim exec: {exc}", file=sys.stderr)
        return 2
    if not args.no_patch_sleep:
        _patch_sleep(rt)
    from sim.fake_xtquant._runtime import tune_gc

    tune_gc()
    sys.argv = [args.script, *args.script_args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
    if not args.free_main:
        rt.sched.acquire()      # the script's main thread holds the baton except while it waits
    code = 0
    try:
        runpy.run_path(args.script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code not in (None, 0) and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    finally:
        sys.stdout.flush()
        rt.sched.release()
        rt.drain()
        sys.stdout.flush()
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m sim`."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(with_plugins=not argv or argv[0] != "exec").parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
