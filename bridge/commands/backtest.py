"""`python -m bridge backtest SCRIPT_OR_STRATEGY --start ... --end ...`: run a QMT built-in script (or an exported
strategy) in the QMT strategy-runner emulator, store the run in signals_db and write an HTML report."""
from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from loguru import logger

STRATEGY_NAMES = ("limit_up_etf", "offensive")
EXPORT_MARKER = "_install_modules()"


def register(sub) -> None:
    from sim.qmt.cli import add_arguments

    p = sub.add_parser("backtest", help="backtest a QMT built-in script (or limit_up_etf / offensive) in the QMT "
                                        "emulator; stores backtest_runs/backtest_log and writes an HTML report")
    p.add_argument("target", metavar="SCRIPT_OR_STRATEGY",
                   help="a QMT script file (GBK or UTF-8), or limit_up_etf / offensive (exported on the fly)")
    add_arguments(p)
    p.add_argument("--no-db", action="store_true", help="do not write the run to signals_db")
    p.set_defaults(func=run, period=None, report=None)


def _prepare(args, cfg, work: Path) -> None:
    """Resolve the script (export a named strategy) and the settings an exported script needs to run here."""
    if args.target in STRATEGY_NAMES:
        from bridge.export_qmt import export

        args.script = str(export(args.target, work / f"{args.target}_qmt.py", cfg))
        if args.period is None:
            args.period = "tick" if args.target == "limit_up_etf" else "1d"
    else:
        args.script = args.target
        if not Path(args.script).exists():
            raise FileNotFoundError(f"script {args.script} not found; pass a QMT script file or one of "
                                    f"{', '.join(STRATEGY_NAMES)}")
    text = Path(args.script).read_bytes()
    if args.period is None and EXPORT_MARKER.encode() in text and b"LimitUpEtfStrategy" in text:
        args.period = "tick"   # an exported limit-up ETF script decides on live ticks: daily bars would never trade
        print("period: tick (the limit-up ETF strategy reacts to ticks; pass --period to override)")
    args.period = args.period or "1d"
    if EXPORT_MARKER.encode() in text:                 # an exported script: account, folders, ETF baskets
        from sim.world import SimConfig, World

        ref = work / "refdata"
        ref.mkdir(exist_ok=True)
        day = dt.date.fromisoformat(args.date) if args.date else None
        if args.start:
            from sim import calendar as xcal

            day = xcal.sessions(args.start, args.end or args.start)[0]
        w = World(SimConfig(seed=args.seed, n_stocks=args.stocks, n_etfs=args.etfs, trade_date=day,
                            end_time="09:40:00"))
        (ref / "etf_info.json").write_text(json.dumps(w.etf_info, ensure_ascii=False), encoding="utf-8")
        args.account = args.account or "BACKTEST"
        args.set = [f"ACCOUNT_ID={args.account}", f"REFDATA_DIR={ref}", f"JOURNAL_DIR={work / 'journal'}",
                    "KILL_SWITCH_FILE=", *args.set]


def _log_rows(res) -> list[dict]:
    from sim.qmt.context import datetime_to_timetag

    rows, seq = [], 0
    for kind, recs, stamp in (("order", res.orders, ("m_strInsertDate", "m_strInsertTime")),
                              ("trade", res.deals, ("m_strTradeDate", "m_strTradeTime"))):
        for r in recs:
            seq += 1
            ts = datetime_to_timetag(getattr(r, stamp[0]) + getattr(r, stamp[1]), "%Y%m%d%H%M%S")
            rows.append({"seq": seq, "ts": ts, "kind": kind, "code": f"{r.m_strInstrumentID}.{r.m_strExchangeID}",
                         "payload": dict(vars(r)), "message": str(getattr(r, "m_strRemark", ""))[:1000] or None})
    for d, e in zip(res.dates, res.equity, strict=True):
        seq += 1
        ts = datetime_to_timetag(d.strftime("%Y%m%d"), "%Y%m%d")
        rows.append({"seq": seq, "ts": ts, "kind": "equity", "code": None, "payload": {"equity": e}, "message": None})
    rows.sort(key=lambda r: (r["ts"], r["seq"]))
    return rows


def store_run(cfg, run_id: str, args, res, m, started_ms: int) -> None:
    """backtest_runs row + backtest_log rows (orders, trades, daily equity) in the local store."""
    from config.loader import project_path
    from signals_db.store import Store

    store = Store.open(project_path(cfg.database.sqlite_path))
    try:
        params = {"script": str(args.script), "mode": args.mode, "period": args.period, "seed": args.seed,
                  "stocks": args.stocks, "etfs": args.etfs, "data": args.data, "universe": args.universe or None,
                  "orders": m.orders}
        store.record_backtest_run(
            run_id, strategy=Path(args.script).stem[:64], params=params,
            start_date=res.dates[0] if res.dates else None, end_date=res.dates[-1] if res.dates else None,
            initial_cash=m.start_equity, final_value=m.end_equity, total_return=m.total_return,
            max_drawdown=m.max_drawdown, sharpe=m.sharpe, win_rate=m.win_rate, annual_return=m.annual_return,
            trades_count=m.trades, status="finished",
            started_ts=started_ms, finished_ts=int(time.time() * 1000),
            notes=f"QMT emulator, {m.days} days, win rate {m.win_rate:.1%}")
        store.record_backtest_log(run_id, _log_rows(res))
    finally:
        store.close()


def run(args) -> int:
    from config.loader import load_config, project_path
    from sim.qmt import cli as qcli
    from sim.qmt.script import ScriptError

    logger.remove()
    logger.add(sys.stderr, level=args.log_level.upper())
    cfg = load_config(args.config)
    started_ms = int(time.time() * 1000)
    run_id = f"qmt-{Path(args.target).stem}-{dt.datetime.now():%Y%m%d%H%M%S}"[:64]
    if args.report is None:
        args.report = str(project_path("reports") / f"{run_id}.html")
    with tempfile.TemporaryDirectory(prefix="qmt_backtest_") as tmp:
        try:
            _prepare(args, cfg, Path(tmp))
            res, m, wall = qcli.run(args)
        except (ScriptError, ValueError, FileNotFoundError) as exc:
            print(f"backtest: {exc}", file=sys.stderr)
            return 2
        qcli.outputs(args, res, m, wall)
    if not args.no_db:
        store_run(cfg, run_id, args, res, m, started_ms)
        print(f"stored run_id={run_id} in {project_path(cfg.database.sqlite_path)} (backtest_runs, backtest_log)")
    return 0
