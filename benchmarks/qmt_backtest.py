"""QMT-style daily backtest: 500 stocks x 1,250 days, 5/20 SMA cross, A-share fees and 100-share lots.

Runs sim/qmt/examples/sma_cross.py in the QMT strategy-runner emulator (handlebar called on every bar, orders by
passorder, fills at the bar close with sim.rules lots / T+1 / limits / fees) and, on the same data, a naive
Python loop doing the same trades. Prints both wall times (and backtrader's if it is installed).

    .venv/bin/python benchmarks/qmt_backtest.py [--stocks 500] [--days 1250] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loguru import logger  # noqa: E402

from sim import calendar as xcal  # noqa: E402
from sim.qmt import metrics as M  # noqa: E402
from sim.qmt.data import synthetic_codes, synthetic_daily  # noqa: E402
from sim.qmt.runner import QmtRunner  # noqa: E402

SCRIPT = ROOT / "sim" / "qmt" / "examples" / "sma_cross.py"
WARMUP = 21
LOT_VALUE = 20000.0


def naive_loop(store, first: int, cash: float = 1_000_000.0) -> tuple[float, int]:
    """The same strategy as a plain Python double loop over days and stocks (the reference)."""
    close = store.mat["close"].tolist()
    vol = store.mat["volume"].tolist()
    pre = store.mat["preClose"].tolist()
    n, t_end = len(close), len(store.times)
    held = [0] * n
    deals = 0
    equity = cash
    for t in range(first, t_end):
        buys = []
        for s in range(n):                         # sells first, then buys in code order (as the script does)
            c = close[s]
            ma5 = sum(c[t - 4:t + 1]) / 5
            ma20 = sum(c[t - 19:t + 1]) / 20
            p5 = sum(c[t - 5:t]) / 5
            p20 = sum(c[t - 20:t]) / 20
            if ma5 > ma20 and p5 <= p20:
                buys.append(s)
            if not (ma5 < ma20 and p5 >= p20 and held[s] > 0):
                continue
            px = c[t]
            if vol[s][t] <= 0 or px <= round(pre[s][t] * 0.9 + 1e-9, 2):
                continue
            amount = px * held[s]
            fee = max(5.0, round(amount * 0.00025, 2)) + round(amount * 0.00001, 2) + round(amount * 0.0005, 2)
            cash += amount - fee
            held[s] = 0
            deals += 1
        for s in buys:
            px = close[s][t]
            if held[s] or vol[s][t] <= 0:
                continue
            q = int(LOT_VALUE / px / 100) * 100
            if q <= 0 or px >= round(pre[s][t] * 1.1 + 1e-9, 2):
                continue
            amount = px * q
            fee = max(5.0, round(amount * 0.00025, 2)) + round(amount * 0.00001, 2)
            if amount + fee > cash:
                continue
            cash -= amount + fee
            held[s] = q
            deals += 1
        equity = cash + sum(h * close[s][t] for s, h in enumerate(held) if h)
    return equity, deals


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stocks", type=int, default=500)
    ap.add_argument("--days", type=int, default=1250)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best wall time is reported")
    args = ap.parse_args()
    logger.remove()
    start = xcal.to_date("2019-01-02")
    sessions = xcal.sessions(start, xcal.covered_range()[1])[: args.days + WARMUP]
    t0 = time.perf_counter()
    store = synthetic_daily(synthetic_codes(args.stocks), sessions[0], sessions[-1], seed=1)
    gen = time.perf_counter() - t0
    first = WARMUP
    print(f"data: {args.stocks} stocks x {args.days} daily bars ({sessions[first]}..{sessions[-1]}) "
          f"+ {WARMUP} warm-up bars, generated in {gen:.2f} s (not timed below)")

    best, res = float("inf"), None
    for _ in range(args.repeat):
        r = QmtRunner(SCRIPT, start=sessions[first].strftime("%Y%m%d"), end=sessions[-1].strftime("%Y%m%d"))
        t0 = time.perf_counter()
        res = r.run_bars(store)
        best = min(best, time.perf_counter() - t0)
    m = M.compute(res.start_cash, res.equity, res.realized, len(res.deals), len(res.orders))
    print(f"QMT emulator (sim.qmt, script {SCRIPT.name}): {best:.2f} s wall  "
          f"[handlebar calls {res.handlebar_calls}, orders {m.orders}, deals {m.trades}, final equity "
          f"{m.end_equity:,.2f}, return {m.total_return:.2%}, max drawdown {m.max_drawdown:.2%}, "
          f"Sharpe {m.sharpe:.2f}]   target <= 2.6 s")

    best_n, out = float("inf"), None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = naive_loop(store, first)
        best_n = min(best_n, time.perf_counter() - t0)
    print(f"reference, naive Python loop (same data, same strategy and rules; float fees, so cash-bound picks can differ slightly): {best_n:.2f} s wall  "
          f"[deals {out[1]}, final equity {out[0]:,.2f}]")
    try:
        import backtrader  # noqa: F401
        print("backtrader: installed, but no backtrader run is wired in this script")
    except ImportError:
        print("backtrader: not installed (deliberately not added to requirements.txt); "
              "the issue's figure on this workload is 52 s")
    print(f"ratio emulator / naive loop: {best / best_n:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
